"""Runs of one task, in this process or in worker processes (spawned, one torch thread each),
started fresh or resumed from the checkpoint where halving paused them; and how many workers
pay for themselves."""

from __future__ import annotations

import dataclasses
import functools
import math
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from multiprocessing.queues import SimpleQueue
from pathlib import Path
from typing import Any

from .._workers import WORKER_START_SECONDS, children_ignore_interrupts, quiet_on_interrupt
from ..finder import FinderResult, find_lr
from ..tasks import Task, load_task
from ..tasks._same_data import check_same_data, fingerprint
from ..train import Recipe, RunResult, cool_down, resume, run
from ._plan import TunePlan

# A range-test step also evaluates the probe set: it took 1.1-3.1x (median 2.0) a training step of
# the same task, measured on six built-in tasks (cancer-logreg to fashion-cnn).
RANGE_TEST_STEP_COST = 2.0


@functools.lru_cache(maxsize=4)
def _load(ref: str, expected: str | None) -> Task:
    """The task `ref` names, loaded once per worker process and checked to hold the parent's data."""
    return check_same_data(load_task(ref), expected, ref)


def _task(task: Task | str, expected: str | None) -> Task:
    return _load(task, expected) if isinstance(task, str) else task


# This process's device: the parent's first, or the one a worker process took when it started.
_DEVICE = {"name": "auto"}


def _take_device(devices: SimpleQueue) -> None:
    """A worker process's initializer: take a device of its own; Ctrl-C is the parent's to report."""
    quiet_on_interrupt()
    _DEVICE["name"] = devices.get()


def _start(task: Task | str, expected: str | None, start: tuple[Recipe, int], eval_every: int,
           pause_at: int | None, checkpoint: str) -> RunResult:
    recipe, steps = start  # the run's steps: the tune's, which may not be the task's own budget
    return run(_task(task, expected), recipe, steps=steps, eval_every=eval_every, pause_at=pause_at,
               checkpoint=checkpoint if pause_at else None, device=_DEVICE["name"])


def _range_test(task: Task | str, expected: str | None, optimizer: str, steps: int, seed: int,
                budget: int) -> FinderResult:
    result = find_lr(_task(task, expected), optimizer, seed=seed, steps=steps, device=_DEVICE["name"])
    return dataclasses.replace(result, budget=budget)  # the tune's run length, not the task's own


def _go_on(task: Task | str, expected: str | None, paused: RunResult, eval_every: int, pause_at: int | None,
           checkpoint: str) -> RunResult:
    return resume(_task(task, expected), paused, checkpoint, eval_every=eval_every, pause_at=pause_at,
                  save_to=checkpoint, device=_DEVICE["name"])


def _cool(task: Task | str, expected: str | None, paused: RunResult, steps: int, eval_every: int,
          checkpoint: str) -> RunResult:
    return cool_down(_task(task, expected), paused, checkpoint, steps, eval_every=eval_every,
                     device=_DEVICE["name"])


def auto_workers(plan: TunePlan, candidates: int, range_test_step: float,
                 cores: int) -> tuple[int, str | None]:
    """Worker processes for `workers=None`: one per core (no more than the most runs trained at
    once) when they save more training time than they take to start, else 1 (this process), with
    a line saying why when there were cores for workers but the runs were too short.
    `range_test_step` is the seconds a range-test step took.

    Halving trains its runs in batches (each rung, then the other schedules); with w workers a
    batch of n runs of s steps takes ceil(n / w) * s steps of time instead of n * s."""
    seconds_per_step = range_test_step / RANGE_TEST_STEP_COST
    batches, alive, done = [], candidates, 0
    for rung, kept in zip(plan.rungs, (*plan.keep, 0)):
        batches.append((alive, rung - done))
        alive, done = min(alive, kept), rung
    batches.append((len(plan.alternatives), plan.steps))
    workers = min(cores, max(runs for runs, _ in batches))
    saved = sum((runs - math.ceil(runs / workers)) * steps for runs, steps in batches) * seconds_per_step
    if workers == 1 or saved > WORKER_START_SECONDS:
        return workers, None
    return 1, (f"training in this process: a full run takes about {seconds_per_step * plan.steps:.2g} s, "
               f"so {workers} worker processes would save {saved:.2g} s and take about "
               f"{WORKER_START_SECONDS:g} s to start (workers=N, --workers N, uses N)")


class Runner:
    """Trains recipes of one task; each run keeps one checkpoint file in `folder` by its index.
    Training happens on `devices[0]` here; each worker process takes the next of `devices`.

    In this process it trains `loaded`; a worker process loads `task` (a `path/to/file.py:function`
    or built-in name) itself and checks its data against `loaded`'s, or gets the Task pickled."""

    def __init__(self, task: Task | str, loaded: Task, workers: int, devices: list[str], folder: Path,
                 eval_every: int, on_done: Callable[[RunResult], None]) -> None:
        self.folder, self.eval_every, self.on_done, self.steps = folder, eval_every, on_done, loaded.steps
        self.finished: dict[int, RunResult] = {}  # every run by index, as it last ended
        self.branch_steps = 0  # steps of the decays that judged runs at the rungs
        self.shared_steps = 0  # steps finalists' decays share with their trunks, counted in both
        self.pool: Executor | None = None
        self.task: tuple[Task | str, str | None] = (loaded, None)
        _DEVICE["name"] = devices[0]
        if workers > 1:
            self.task = (task, fingerprint(loaded) if isinstance(task, str) else None)
            context = multiprocessing.get_context("spawn")
            queue = context.SimpleQueue()  # each worker takes the next device, in turn
            for number in range(workers):
                queue.put(devices[number % len(devices)])
            self.pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_take_device,
                                            initargs=(queue,))

    def start(self, recipes: list[tuple[int, Recipe]], pause_at: int | None) -> dict[int, RunResult]:
        """Fresh runs of (index, recipe), paused at `pause_at` (None: run to the end)."""
        return self._map(_start, [(index, (recipe, self.steps)) for index, recipe in recipes], pause_at)

    def range_tests(self, optimizers: list[str], steps: int, seed: int) -> list[FinderResult]:
        """A range test of `steps` steps per optimizer, in the workers at once (here in turn)."""
        calls = [(number, (optimizer, steps, seed, self.steps))
                 for number, optimizer in enumerate(optimizers)]
        found = dict(self._calls(_range_test, calls))
        return [found[number] for number in range(len(optimizers))]

    def go_on(self, paused: dict[int, RunResult], pause_at: int | None) -> dict[int, RunResult]:
        """Resume paused runs up to `pause_at` (None: to the end)."""
        return self._map(_go_on, list(paused.items()), pause_at)

    def judge(self, paused: dict[int, RunResult], steps: int) -> dict[int, RunResult]:
        """Each paused run as a decay of `steps` steps from its checkpoint ends it (`cool_down`),
        to judge it by; the runs and their checkpoints stay as they were, to go on. Each decay's
        steps count as it ends (a Ctrl-C leaves the ones not run uncounted)."""
        judged = {}
        for index, result in self._branches(paused, steps):
            self.branch_steps += result.steps - paused[index].steps
            judged[index] = result
        return judged

    def decay(self, paused: dict[int, RunResult], steps: int, first: int) -> dict[int, RunResult]:
        """Each paused trunk ended by a decay of `steps` steps: full runs of their own recipes,
        kept as runs `first`, `first + 1`, ... (the steps they share with their trunks counted once)."""
        ends = {}
        for number, (index, result) in enumerate(sorted(self.end(paused, steps).items()), first):
            self.shared_steps += paused[index].steps
            ends[number] = self._done(number, result)
        return ends

    def end(self, paused: dict[int, RunResult], steps: int | None = None) -> dict[int, RunResult]:
        """Each paused trunk ended by a decay of `steps` steps, by index, neither counted nor kept
        (`decay` does both); the trunks stay as they were."""
        return dict(self._branches(paused, steps))

    def _branches(self, paused: dict[int, RunResult], steps: int) -> Iterator[tuple[int, RunResult]]:
        return self._calls(_cool, [(index, (run, steps, self.eval_every, self._checkpoint(index)))
                                   for index, run in paused.items()])

    def _map(self, job, items: list, pause_at: int | None) -> dict[int, RunResult]:
        calls = [(index, (item, self.eval_every, pause_at, self._checkpoint(index))) for index, item in items]
        return {index: self._done(index, result) for index, result in self._calls(job, calls)}

    def _checkpoint(self, index: int) -> str:
        return str(self.folder / f"{index}.pt")

    def _calls(self, job, calls: list[tuple[int, tuple]]) -> Iterator[tuple[int, Any]]:
        """(index, job(task, *arguments)) for each call, as each ends: here, or in the workers."""
        if self.pool is None:
            for index, arguments in calls:
                yield index, job(*self.task, *arguments)
            return
        with children_ignore_interrupts():  # the pool starts its workers as jobs are submitted
            futures = {self.pool.submit(job, *self.task, *arguments): index for index, arguments in calls}
        for future in as_completed(futures):
            yield futures[future], future.result()

    def _done(self, index: int, result: RunResult) -> RunResult:
        self.finished[index] = result
        self.on_done(result)
        return result

    def close(self) -> None:
        """Stop the workers. A Ctrl-C while they stop is not passed on: every run has ended by
        then, and raising would lose them all."""
        if self.pool is not None:
            try:
                self.pool.shutdown(cancel_futures=True)
            except KeyboardInterrupt:
                self.pool.shutdown(wait=False, cancel_futures=True)
