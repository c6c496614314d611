"""`tune(task, budget)`: range tests -> candidate rates -> successive halving -> other schedules
at the winning rate -> the best full run, all within `budget` full training runs."""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import pickle
import tempfile
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path

from .._workers import usable_workers
from ..events import Callback, Event, ignore
from ..finder import FinderResult, find_lr
from ..finder._function import find_lr_function
from ..optim import list_optimizers
from ..search._halving import ranked, rescues, settled, survivors
from ..search._policy import TUNE, Policy
from ..tasks import Task, load_trainable
from ..train import Recipe, RunResult
from ..train._trial import TrainableError, TrainFunction
from ._function_runner import FunctionRunner, checked_devices, cpu_threads
from ._plan import TuneError, TunePlan, make_plan
from ._result import TuneResult
from ._runner import Runner, auto_workers
from ._shared import SharedRunner, Units, open_units, range_tests


def tune(
    task: Task | TrainFunction | str,
    budget: float = 3.0,
    *,
    steps: int | None = None,
    optimizers: tuple[str, ...] | None = None,
    schedules: tuple[str, ...] | None = None,
    seed: int = 0,
    workers: int | None = None,
    devices: list[str] | None = None,
    callback: Callback = ignore,
    policy: Policy = TUNE,
    storage: str | None = None,
    study: str | None = None,
) -> TuneResult:
    """Find the learning rate, schedule and optimizer for `task` spending about `budget` full
    training runs (1 = a short range test and one run; more buys a search).

    A range test per optimizer puts candidate rates around its suggestion; successive halving
    over them (survivors resumed, not retrained) names the optimizer and rate with the first of
    `schedules` (by default `wsd`: the runs train at a constant rate and are judged, and the
    finalists end, by linear decays branched from their checkpoints); what budget is left buys
    full runs of the other schedules at that rate. The best full run is the final one. `workers`
    processes train at once (default: one per core when runs are long enough to pay for starting
    them, measured on the range tests, else this process); `task` may be a built-in name or
    `path/to/file.py:function`. `policy` holds every threshold halving acts on (`lrkit.Policy`;
    each field says where its value came from).

    `task` may also be a training function `train(trial)` (or its `file.py:train`) of `steps`
    steps: it takes its optimizer, schedule and seed from the trial and reports validation
    losses to it (`lrkit.Trial`). Its runs cannot branch, so halving judges them as they stand,
    and each finalist turns into its decay in place. `devices` (default: every visible GPU, else
    the CPU) gives each worker its own device, one run at a time on each.

    `storage` (an RDB URL, `postgresql://...`) shares the tune with every machine that runs the
    same call on it: each trains some of the runs, and all return the same result. `study` names
    it (default: derived from the task and the settings). A training function's paused run goes
    on only on the machine that holds it, or from its first step elsewhere once that one is gone.
    """
    loaded = load_trainable(task) if isinstance(task, str) else task
    trainable = _function_trainable(loaded, task, steps) if not isinstance(loaded, Task) \
        else _TaskTrainable(task, loaded if steps is None else _with_steps(loaded, steps))
    if trainable.function is not None:  # its runs cannot branch: judged as they stand, decayed in place
        policy = replace(policy, cool_down=0.0, continue_trunk=False)
    plan = make_plan(trainable.steps, budget, optimizers, schedules, policy)
    if workers is not None and workers < 1:
        raise TuneError(f"workers must be >= 1, got {workers}")
    if workers is not None and workers > 1 and not isinstance(task, str):
        _check_picklable(task)
    devices = checked_devices(devices)
    progress = _Progress(plan, callback)
    units = None if storage is None else open_units(storage, study, trainable, budget, seed, plan, policy)
    interrupted, failure, runner = False, None, None
    with tempfile.TemporaryDirectory(prefix="lrkit-tune-") as folder:
        start = functools.partial(trainable.runner, devices=devices, folder=Path(folder),
                                  eval_every=plan.eval_every, on_done=progress.trial_done)
        if workers is not None and units is None:  # known now: the workers start, and run the range tests
            runner = start(usable_workers(workers))
        try:
            finders, range_test_step = _measure(trainable, runner, units, plan, seed, devices[0], progress)
            candidates = plan.candidates(_suggestions(finders), seed)
            if not candidates:
                raise TuneError(f"no range test on {trainable.name} found a rate where the loss falls "
                                f"({', '.join(plan.optimizers)}); check the task's loss and data")
            if runner is None:
                if workers is None:
                    workers = _default_workers(task, plan, len(candidates), range_test_step, devices,
                                               callback)
                runner = start(usable_workers(workers))
                if units is not None:  # runs trained here or on other machines, as a Runner's are
                    runner = SharedRunner(runner, units, workers)
            trials, final = _search(runner, candidates, plan, policy)
        except KeyboardInterrupt:  # Ctrl-C: keep every run that ended, the best so far is the answer
            if runner is None or not runner.finished:
                raise
            trials, interrupted = runner.finished, True
            final = _best(trials.values(), policy)
        except TrainableError as error:  # the user's function raised: the runs that ended go with the error
            if runner is None or not runner.finished:
                raise
            trials, interrupted, failure = runner.finished, True, error
            final = _best(trials.values(), policy)
        except BrokenProcessPool:
            raise TuneError("a worker process died (killed, out of memory, or started by a script that calls "
                            "tune() outside `if __name__ == \"__main__\":`); guard the call, or pass "
                            "workers=1") from None
        finally:
            if runner is not None:
                runner.close()
    runs = tuple(trials[index] for index in sorted(trials))
    result = TuneResult(trainable.name, float(budget), trainable.steps, tuple(finders), runs, final,
                        trainable.metric_name, interrupted, policy, runner.branch_steps, runner.shared_steps,
                        tuple(rung for rung, branch in zip(plan.rungs, plan.cool_steps) if branch))
    if failure is not None:
        failure.partial = result
        raise failure
    return result


class _TaskTrainable:
    """A Task to tune: its range tests and its runs (`Runner`)."""

    function = None

    def __init__(self, ref: Task | str, task: Task) -> None:
        self.ref, self.task, self.steps, self.metric_name = ref, task, task.steps, task.metric_name
        # A task named by a string keeps that string, so its train command loads it the same way.
        self.name = ref if isinstance(ref, str) else task.name

    def range_test(self, optimizer: str, steps: int, seed: int, device: str) -> FinderResult:
        return find_lr(self.task, optimizer, seed=seed, steps=steps, device=device)

    def runner(self, workers: int, devices: list[str], folder: Path, eval_every: int,
               on_done: Callable[[RunResult], None]) -> Runner:
        return Runner(self.ref, self.task, workers, devices, folder, eval_every, on_done)


class _FunctionTrainable:
    """A training function `train(trial)` of `steps` steps to tune: its range tests go through a
    trial in range-test mode, its runs through a `FunctionRunner`."""

    metric_name = None

    def __init__(self, function: TrainFunction, ref: str | None, name: str, steps: int) -> None:
        self.function, self.ref, self.name, self.steps = function, ref, name, steps

    def range_test(self, optimizer: str, steps: int, seed: int, device: str) -> FinderResult:
        return find_lr_function(self.function, self.name, optimizer, steps=steps, seed=seed, device=device,
                                budget=self.steps, threads=cpu_threads(1, device))

    def runner(self, workers: int, devices: list[str], folder: Path, eval_every: int,
               on_done: Callable[[RunResult], None]) -> FunctionRunner:
        return FunctionRunner(self.function, self.name, self.ref, self.steps, workers, devices,
                              cpu_threads(workers, devices[0]), eval_every, on_done)


def _function_trainable(function: object, ref: object, steps: int | None) -> _FunctionTrainable:
    if not callable(function):
        raise TuneError(f"tune needs a Task, a training function train(trial) or a reference to one, "
                        f"got {type(function).__name__}")
    if steps is None or isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise TuneError(f"tuning a training function needs steps=N, the optimizer steps of one full run "
                        f"(--steps N), got {steps!r}")
    name = ref if isinstance(ref, str) else getattr(function, "__qualname__", type(function).__name__)
    return _FunctionTrainable(function, ref if isinstance(ref, str) else None, name, steps)


def _with_steps(task: Task, steps: int) -> Task:
    """The task with a full run of `steps` steps instead of its own budget."""
    return dataclasses.replace(task, steps=steps)


def _search(runner: Runner | FunctionRunner | SharedRunner, candidates: list[Recipe], plan: TunePlan,
            policy: Policy) -> tuple[dict[int, RunResult], RunResult]:
    """Halving over the candidates, then the other schedules at the winner's rate: every run by
    index, and the final one."""
    trials = _halving(runner, candidates, plan, policy)
    final = _best(trials.values(), policy)
    alternatives = _trunk_to_the_end(runner, trials, final, plan)
    others = [plan.alternative(final.recipe, name) for name in plan.alternatives]
    alternatives.update(runner.start(list(enumerate(others, len(trials))), None))
    trials.update(alternatives)
    return trials, settled(final, list(alternatives.values()), policy)


def _measure(trainable: _TaskTrainable | _FunctionTrainable, runner: Runner | FunctionRunner | None,
             units: Units | None, plan: TunePlan, seed: int, device: str,
             progress: _Progress) -> tuple[list[FinderResult], float | None]:
    """The range tests: shared with other machines (`units`), in the workers at once (`runner`),
    or here one after another, timed to decide how many workers pay (see `_range_tests`)."""
    if units is not None:
        return range_tests(units, trainable, plan, seed, device, progress)
    if runner is None:
        return _range_tests(trainable, plan, seed, device, progress)
    free = {info.name for info in list_optimizers() if info.lr_free}
    measured = [name for name in plan.optimizers if name not in free]
    finders = runner.range_tests(measured, plan.finder_steps, seed)
    for optimizer in plan.optimizers:
        progress.finder_done(optimizer)
    return finders, None


def _range_tests(trainable: _TaskTrainable | _FunctionTrainable, plan: TunePlan, seed: int, device: str,
                 progress: _Progress) -> tuple[list[FinderResult], float | None]:
    """One short range test per optimizer whose rate needs measuring (not the rate-free ones), and
    the fastest seconds per step among them (the first pays for torch's lazy imports, seconds)."""
    free = {info.name for info in list_optimizers() if info.lr_free}
    finders, fastest = [], None
    for optimizer in plan.optimizers:
        if optimizer not in free:
            started = time.perf_counter()
            finders.append(trainable.range_test(optimizer, plan.finder_steps, seed, device))
            per_step = (time.perf_counter() - started) / max(1, finders[-1].steps)
            fastest = per_step if fastest is None else min(fastest, per_step)
        progress.finder_done(optimizer)
    return finders, fastest


def _suggestions(finders: list[FinderResult]) -> dict[str, float]:
    """Each optimizer's suggested rate; rate-free ones keep their authors' default."""
    rates = {info.name: info.default_lr for info in list_optimizers() if info.lr_free and info.default_lr}
    rates.update({finder.optimizer: finder.suggestion for finder in finders if finder.suggestion})
    return rates


def _halving(runner: Runner, candidates: list, plan: TunePlan, policy: Policy) -> dict[int, RunResult]:
    """Every candidate to the first rung, the `plan.keep[0]` that `survivors` names on to the
    next, and so on; the last rung is the full run. A finalist already overfitting is swapped for
    the lower rate that `rescues` names, while `plan.rescue_steps` pay for it. On a trunk (a wsd
    search) runs are judged at the rungs by their decays (`_judged`), and each finalist's trunk
    stops short of the end for its decay, a full run kept beside it. Returns every run as it ended."""
    stops = plan.stops
    ended: dict[int, RunResult] = {}
    alive = runner.start(list(enumerate(candidates)), _pause(stops[0], plan))
    for index, (judged_at, kept) in enumerate(zip(plan.rungs, plan.keep)):
        ended.update(alive)
        branch = plan.cool_steps[index] if index < len(plan.cool_steps) else 0
        leaders = survivors(_judged(runner, alive, branch), kept, judged_at, policy)
        if not leaders:
            break
        if index == len(plan.keep) - 1:
            swaps = rescues(leaders, ended, policy, spare=plan.rescue_steps)
            leaders = [swaps.get(number, number) for number in leaders]
        alive = runner.go_on({number: ended[number] for number in leaders}, _pause(stops[index + 1], plan))
    ended.update(alive)
    if plan.trunk:
        # (a training function pauses at its first report at or after the stop)
        trunks = {number: run for number, run in alive.items()
                  if not run.diverged and stops[-1] <= run.steps < run.budget}
        ended.update(runner.decay(trunks, plan.decay_steps, len(candidates)))
    return ended


def _judged(runner: Runner, alive: dict[int, RunResult], branch: int) -> dict[int, RunResult]:
    """The runs as halving judges them: each as a decay of `branch` steps from its checkpoint
    ends it, "what if it ended here" (as it stands when `branch` is 0, or when it diverged)."""
    paused = {number: run for number, run in alive.items() if not run.diverged}
    if not branch or not paused:
        return alive
    return {**alive, **runner.judge(paused, branch)}


def _pause(stop: int, plan: TunePlan) -> int | None:
    return None if stop == plan.steps else stop


def _trunk_to_the_end(runner: Runner, trials: dict[int, RunResult], final: RunResult,
                      plan: TunePlan) -> dict[int, RunResult]:
    """The winner's trunk run on to the end, when the plan pays for it: the constant schedule's
    full run at the winner's rate, for the price of the winner's decay."""
    if not (plan.trunk and plan.continue_trunk):
        return {}
    winner = (final.recipe.optimizer, final.recipe.lr)
    trunk = next((number for number, run in trials.items() if run.steps == plan.stops[-1]
                  and not run.diverged and (run.recipe.optimizer, run.recipe.lr) == winner), None)
    return {} if trunk is None else runner.go_on({trunk: trials[trunk]}, None)


def _best(runs, policy: Policy) -> RunResult:
    """The first of the full runs as `ranked` orders them (of all runs, if none finished)."""
    runs = list(runs)
    full = dict(enumerate(run for run in runs if run.steps == run.budget and not run.diverged))
    return full[ranked(full, policy)[0]] if full else min(runs, key=lambda run: run.val_loss)


def _default_workers(task: object, plan: TunePlan, candidates: int, range_test_step: float | None,
                     devices: list[str], callback: Callback) -> int:
    """One worker per GPU; on the CPU one per core, or this process alone when runs are too short
    to pay for starting workers (said in a "notice" event) or the trainable cannot be sent to them."""
    if not isinstance(task, str) and not _picklable(task):
        return 1
    if devices[0] != "cpu":
        return len(devices)
    if range_test_step is None:  # no range test to time (rate-free optimizers only)
        return os.cpu_count() or 1
    workers, notice = auto_workers(plan, candidates, range_test_step, os.cpu_count() or 1)
    if notice:
        callback(Event("notice", 0, 0, {"message": notice}))
    return workers


def _picklable(task: object) -> bool:
    try:
        pickle.dumps(task)
    except Exception:
        return False
    return True


def _check_picklable(task: object) -> None:
    if not _picklable(task):
        raise TuneError("this task or training function cannot be sent to worker processes (a lambda or "
                        "local function); pass it as 'path/to/file.py:function' or use workers=1")


class _Progress:
    """Counts range tests and runs (a resumed run counts again) and reports them as events."""

    def __init__(self, plan: TunePlan, callback: Callback) -> None:
        self.callback, self.done, self.best = callback, 0, math.inf
        runs, alive = 0, len(plan.optimizers) * len(plan.multipliers)
        for kept in (*plan.keep, 0):
            runs, alive = runs + alive, min(alive, kept)
        ends = (plan.keep[-1] if plan.keep else 1) + plan.continue_trunk if plan.trunk else 0
        self.total = len(plan.optimizers) + runs + ends + len(plan.alternatives)

    def finder_done(self, optimizer: str) -> None:
        self._advance({"range test": optimizer})

    def trial_done(self, run: RunResult) -> None:
        if run.steps == run.budget and not run.diverged:
            self.best = min(self.best, run.val_loss)
        self._advance({"lr": run.recipe.lr, "best": self.best if math.isfinite(self.best) else None})

    def _advance(self, data: dict) -> None:
        self.done += 1
        self.callback(Event("tune", self.done, max(self.total, self.done), data))
