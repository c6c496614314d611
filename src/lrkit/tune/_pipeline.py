"""`tune(task, budget)`: range tests -> candidate rates -> successive halving -> other schedules
at the winning rate -> the best full run, all within `budget` full training runs."""

from __future__ import annotations

import math
import os
import pickle
import tempfile
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from .._workers import usable_workers
from ..events import Callback, Event, ignore
from ..finder import FinderResult, find_lr
from ..optim import list_optimizers
from ..search._halving import ranked, rescues, settled, survivors
from ..search._policy import TUNE, Policy
from ..tasks import Task, load_task
from ..train import RunResult
from ._plan import TuneError, TunePlan, make_plan
from ._result import TuneResult
from ._runner import Runner, auto_workers


def tune(
    task: Task | str,
    budget: float = 3.0,
    *,
    optimizers: tuple[str, ...] | None = None,
    schedules: tuple[str, ...] | None = None,
    seed: int = 0,
    workers: int | None = None,
    callback: Callback = ignore,
    policy: Policy = TUNE,
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
    """
    task_object = load_task(task) if isinstance(task, str) else task
    plan = make_plan(task_object.steps, budget, optimizers, schedules, policy)
    if workers is not None and workers < 1:
        raise TuneError(f"workers must be >= 1, got {workers}")
    if workers is not None and workers > 1 and not isinstance(task, str):
        _check_picklable(task)
    progress = _Progress(plan, callback)
    finders, range_test_step = _range_tests(task_object, plan, seed, progress)
    suggestions = _suggestions(finders)
    candidates = plan.candidates(suggestions, seed)
    if not candidates:
        raise TuneError(f"no range test on {task_object.name} found a rate where the loss falls "
                        f"({', '.join(plan.optimizers)}); check the task's loss and data")
    if workers is None:
        workers = _default_workers(task, plan, len(candidates), range_test_step, callback)
    workers = usable_workers(workers)
    interrupted = False
    with tempfile.TemporaryDirectory(prefix="lrkit-tune-") as folder:
        runner = Runner(task, task_object, workers, Path(folder), plan.eval_every, progress.trial_done)
        try:
            trials = _halving(runner, candidates, plan, policy)
            final = _best(trials.values(), policy)
            alternatives = _trunk_to_the_end(runner, trials, final, plan)
            others = [plan.alternative(final.recipe, name) for name in plan.alternatives]
            alternatives.update(runner.start(list(enumerate(others, len(trials))), None))
            trials.update(alternatives)
            final = settled(final, list(alternatives.values()), policy)
        except KeyboardInterrupt:  # Ctrl-C: keep every run that ended, the best so far is the answer
            if not runner.finished:
                raise
            trials, interrupted = runner.finished, True
            final = _best(trials.values(), policy)
        except BrokenProcessPool:
            raise TuneError("a worker process died (killed, out of memory, or started by a script that calls "
                            "tune() outside `if __name__ == \"__main__\":`); guard the call, or pass "
                            "workers=1") from None
        finally:
            runner.close()
    runs = tuple(trials[index] for index in sorted(trials))
    # A task named by a string keeps that string, so its train command loads it the same way.
    return TuneResult(task if isinstance(task, str) else task_object.name, float(budget), task_object.steps,
                      tuple(finders), runs, final, task_object.metric_name, interrupted, policy,
                      runner.branch_steps, runner.shared_steps,
                      tuple(rung for rung, branch in zip(plan.rungs, plan.cool_steps) if branch))


def _range_tests(task: Task, plan: TunePlan, seed: int,
                 progress: _Progress) -> tuple[list[FinderResult], float | None]:
    """One short range test per optimizer whose rate needs measuring (not the rate-free ones), and
    the fastest seconds per step among them (the first pays for torch's lazy imports, seconds)."""
    free = {info.name for info in list_optimizers() if info.lr_free}
    finders, fastest = [], None
    for optimizer in plan.optimizers:
        if optimizer not in free:
            started = time.perf_counter()
            finders.append(find_lr(task, optimizer, seed=seed, steps=plan.finder_steps))
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
        trunks = {number: run for number, run in alive.items() if not run.diverged and run.steps == stops[-1]}
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


def _default_workers(task: Task | str, plan: TunePlan, candidates: int, range_test_step: float | None,
                     callback: Callback) -> int:
    """One worker per core, or this process alone when runs are too short to pay for starting
    workers (said in a "notice" event) or the Task object cannot be sent to them."""
    if not isinstance(task, str) and not _picklable(task):
        return 1
    if range_test_step is None:  # no range test to time (rate-free optimizers only)
        return os.cpu_count() or 1
    workers, notice = auto_workers(plan, candidates, range_test_step, os.cpu_count() or 1)
    if notice:
        callback(Event("notice", 0, 0, {"message": notice}))
    return workers


def _picklable(task: Task) -> bool:
    try:
        pickle.dumps(task)
    except Exception:
        return False
    return True


def _check_picklable(task: Task) -> None:
    if not _picklable(task):
        raise TuneError("this Task cannot be sent to worker processes (its model factory is a lambda or "
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
