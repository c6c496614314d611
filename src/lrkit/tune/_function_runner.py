"""Runs of a training function (`train(trial)`) for tune: in this process, or in worker processes
each on its own device. A run cannot be copied, so a paused run stays alive where it started (a
thread waiting in `trial.report`, holding its model, optimizer and data) and goes on there; its
decay turns its own schedule, in place, from the constant rate into the decay."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any

import torch

from .._workers import children_ignore_interrupts, quiet_on_interrupt
from ..errors import LrkitError
from ..finder import FinderResult
from ..finder._function import find_lr_function
from ..train import Recipe, RunResult, torch_threads
from ..train._trial import FunctionRun, TrainFunction, decayed
from ._plan import TuneError

# One message to a host: (operation, run index, arguments); operations below.
Job = tuple[str, int, tuple]


class _Host:
    """The runs one process holds, by index: starts, resumes and decays them one at a time."""

    def __init__(self, function: TrainFunction, name: str, device: torch.device, eval_every: int,
                 threads: int | None = None) -> None:
        self.function, self.name, self.device, self.eval_every = function, name, device, eval_every
        self.threads = threads
        self.runs: dict[int, FunctionRun] = {}

    def do(self, job: Job) -> RunResult | FinderResult:
        with torch_threads(self.threads):
            return self._do(job)

    def _do(self, job: Job) -> RunResult | FinderResult:
        operation, index, arguments = job
        if operation == "range":
            optimizer, steps, seed, budget = arguments
            return find_lr_function(self.function, self.name, optimizer, steps=steps, seed=seed,
                                    device=self.device, budget=budget, threads=None)  # do() set them
        if operation == "start":
            recipe, steps, pause_at = arguments
            self.runs[index] = FunctionRun(self.function, self.name, recipe, steps,
                                           eval_every=self.eval_every, device=self.device)
            return self.runs[index].advance(pause_at)
        run = self.runs[index]
        if operation == "decay":
            run.switch(arguments[0])
            return run.advance(None)
        return run.advance(arguments[0])

    def close(self) -> None:
        for run in self.runs.values():
            run.cancel()


def _host_main(function: TrainFunction | str, name: str, device: str, eval_every: int, threads: int | None,
               connection: Connection) -> None:
    """A worker process: load the function (by its `file.py:function` reference), then do the
    jobs its parent sends, answering each with (index, result) or (index, the error)."""
    quiet_on_interrupt()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        if isinstance(function, str):
            from ..tasks import load_trainable

            function = load_trainable(function)
        host = _Host(function, name, torch.device(device), eval_every)  # type: ignore[arg-type]
    except LrkitError as error:
        connection.send((-1, error))
        return
    while (job := connection.recv()) is not None:
        try:
            connection.send((job[1], host.do(job)))
        except LrkitError as error:
            connection.send((job[1], error))
    host.close()


class FunctionRunner:
    """Trains recipes of a training function over `steps` steps with tune's Runner interface.

    With one worker the runs train in this process, one at a time; otherwise each worker process
    gets a device of `devices` in turn. Runs train with `threads` torch threads (None: torch's
    own). New runs go to the worker with the least work in the batch, and a paused run goes on in
    the worker that holds it. `function` travels to workers by its `file.py:function` reference
    (`ref`), or pickled by module and name."""

    def __init__(self, function: TrainFunction, name: str, ref: str | None, steps: int, workers: int,
                 devices: list[str], threads: int | None, eval_every: int,
                 on_done: Callable[[RunResult], None]) -> None:
        self.steps, self.on_done = steps, on_done
        self.finished: dict[int, RunResult] = {}
        self.branch_steps = 0  # a function's run cannot branch: halving judges runs as they stand
        self.shared_steps = 0  # steps of finalists' trunks, which their decays go on from
        self.owner: dict[int, int] = {}  # run index -> host number
        self.local: _Host | None = None
        self.connections: list[Connection] = []
        self.processes: list = []
        if workers == 1:
            self.local = _Host(function, name, torch.device(devices[0]), eval_every, threads)
            return
        context = multiprocessing.get_context("spawn")
        with children_ignore_interrupts():
            for number in range(workers):
                mine, theirs = context.Pipe()
                process = context.Process(target=_host_main, daemon=True, args=(
                    ref or function, name, devices[number % len(devices)], eval_every, threads, theirs))
                process.start()
                self.connections.append(mine)
                self.processes.append(process)

    def start(self, recipes: list[tuple[int, Recipe]], pause_at: int | None) -> dict[int, RunResult]:
        return self._batch([("start", index, (recipe, self.steps, pause_at)) for index, recipe in recipes])

    def range_tests(self, optimizers: list[str], steps: int, seed: int) -> list[FinderResult]:
        """A range test of `steps` steps per optimizer, in the workers at once (here in turn)."""
        jobs = [("range", -1 - number, (optimizer, steps, seed, self.steps))
                for number, optimizer in enumerate(optimizers)]
        found = dict(self._calls(jobs))
        return [found[-1 - number] for number in range(len(optimizers))]

    def go_on(self, paused: dict[int, RunResult], pause_at: int | None) -> dict[int, RunResult]:
        """Resume paused runs up to `pause_at`; a run this runner does not hold (another machine
        paused it, and died) is trained again from its first step, which ends where it would have."""
        return self._batch([("go_on", index, (pause_at,)) if index in self.owner
                            else ("start", index, (run.recipe, self.steps, pause_at))
                            for index, run in paused.items()])

    def judge(self, paused: dict[int, RunResult], steps: int) -> dict[int, RunResult]:
        raise TuneError("a training function's run cannot branch a cool-down from a pause; "
                        "tune judges its runs as they stand (Policy.cool_down=0)")

    def decay(self, paused: dict[int, RunResult], steps: int, first: int) -> dict[int, RunResult]:
        """Each paused trunk ends with a linear decay to zero from where it paused (the plan's
        `steps`, or fewer when the run reported past its stop): the run, in place, becomes the
        full run of its decayed recipe, kept as run `first`, `first + 1`, ... beside its trunk."""
        ended = self.end(paused)
        ends = {}
        for number, index in enumerate(sorted(ended), first):
            self.shared_steps += paused[index].steps
            ends[number] = self._done(number, ended[index])
            self.owner[number] = self.owner[index]
        return ends

    def end(self, paused: dict[int, RunResult], steps: int | None = None) -> dict[int, RunResult]:
        """Each paused trunk turned into its decay and trained to the end, by index (`decay`
        numbers and keeps them); a trunk this runner does not hold is trained again up to its
        pause first. `steps` is the decay's length, which the pause decides here."""
        lost = [("start", index, (run.recipe, self.steps, run.steps))
                for index, run in paused.items() if index not in self.owner]
        for _ in self._calls(lost):
            pass
        jobs = [("decay", index, (decayed(paused[index].recipe, self.steps, paused[index].steps),))
                for index in sorted(paused)]
        return dict(self._calls(jobs))

    def _batch(self, jobs: list[Job]) -> dict[int, RunResult]:
        return {index: self._done(index, result) for index, result in self._calls(jobs)}

    def _calls(self, jobs: list[Job]) -> Iterator[tuple[int, Any]]:
        """(index, result) of each job as it ends: here in turn, or sent to the workers at once."""
        if self.local is not None:
            for job in jobs:
                self.owner[job[1]] = 0
                yield job[1], self.local.do(job)
            return
        load = [0] * len(self.connections)
        for job in jobs:
            if job[0] in ("start", "range"):
                self.owner[job[1]] = min(range(len(load)), key=load.__getitem__)
            load[self.owner[job[1]]] += 1
            self.connections[self.owner[job[1]]].send(job)
        waiting = len(jobs)
        while waiting:
            for connection in wait(self.connections):
                try:
                    index, answer = connection.recv()
                except EOFError:
                    raise TuneError("a worker process died (killed, or out of memory); run the tune again, "
                                    "or pass workers=1") from None
                if isinstance(answer, LrkitError):
                    raise answer
                waiting -= 1
                yield index, answer

    def _done(self, index: int, result: RunResult) -> RunResult:
        self.finished[index] = result
        self.on_done(result)
        return result

    def close(self) -> None:
        """End every run still paused, and the workers."""
        if self.local is not None:
            self.local.close()
        for connection in self.connections:
            with contextlib.suppress(OSError):  # a worker that died has closed its end
                connection.send(None)
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()


def checked_devices(devices: list[str] | None) -> list[str]:
    """`devices` (default: `default_devices()`), each one that torch names and this machine has."""
    if not devices:
        return default_devices()
    for name in devices:
        try:
            device = torch.device(name)
        except (RuntimeError, TypeError):
            raise TuneError(f"{name!r} is not a device; give names such as cuda:0,cuda:1 or cpu") from None
        visible = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if device.type == "cuda" and (device.index or 0) >= visible:
            raise TuneError(f"device {name} is not on this machine ({visible} CUDA devices visible); "
                            "leave --devices out to use every visible GPU, or the CPU")
    return list(devices)


def default_devices() -> list[str]:
    """Every visible GPU (`cuda:0`, `cuda:1`, ...), else the CPU."""
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return [f"cuda:{number}" for number in range(count)] or ["cpu"]


def cpu_threads(workers: int, device: str = "cpu") -> int | None:
    """Torch threads for each of `workers` processes training on `device`: on the CPU, the cores
    split between the workers, and one for runs in this process (as a Task's: small models trained
    4-8x faster on one thread than on torch's default, DESIGN.md); elsewhere torch's own."""
    if torch.device(device).type != "cpu":
        return None
    return 1 if workers == 1 else max(1, (os.cpu_count() or 1) // workers)
