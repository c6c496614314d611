"""Running trials against a study: one trial as a training run, and the loop a worker runs.

Any number of workers, in this process, in a pool or on other machines, run the same loop on
one study: take a planned (enqueued) trial or ask the sampler for one, train, tell. A trial whose
worker died is failed by Optuna's heartbeat after a grace period and enqueued again.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import optuna
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.trial import TrialState

from ..tasks import Task
from ..train import Recipe, RunResult, run
from ._attrs import CONFIRM_SEED, OUTCOME, PLANNED, RUN, RUNG
from ._plan import Plan, suggest
from ._space import Space
from ._stages import duplicate, next_stage

optuna.logging.set_verbosity(optuna.logging.WARNING)


@contextlib.contextmanager
def quiet_optuna() -> Iterator[None]:
    """Heartbeats and stale-trial retries are marked experimental, and Optuna warns when they are
    used with ask-and-tell rather than Study.optimize; lrkit uses them that way on purpose."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")
        yield


def run_trial(task: Task, space: Space, trial: optuna.trial.Trial, plan: Plan, threads: int | None) -> None:
    """Train the trial's recipe, reporting the validation loss at the plan's rungs so its pruner
    can stop it; store the RunResult on the trial and tell the study how it ended."""
    p = suggest(trial, space)
    recipe = Recipe(p["optimizer"], p["lr"], p["schedule"], p["plateau"], seed=p["seed"])
    stage = trial.user_attrs.get(RUNG)
    stop = plan.rungs[stage] if stage is not None and stage < len(plan.rungs) else None
    judged = {stop} if stop is not None else set() if plan.staged else set(plan.rungs)

    def keep_going(evaluation) -> bool:
        if evaluation.step not in judged:
            return True
        trial.report(evaluation.val_loss, evaluation.step)
        return evaluation.step != stop and (stop is not None or not trial.should_prune())

    prune = bool(judged) and CONFIRM_SEED not in trial.user_attrs  # a finalist's retraining runs in full
    with heartbeat(trial):
        result = run(task, recipe, threads=threads, eval_every=plan.eval_every if prune else None,
                     keep_going=keep_going if prune else None)
    _tell(trial, result, _outcome(result))


def _tell(trial: optuna.trial.Trial, result: RunResult, outcome: str) -> None:
    """Store the run on the trial and tell the study how it ended."""
    trial.set_user_attr(RUN, json.dumps(result.to_dict(), allow_nan=False))
    trial.set_user_attr(OUTCOME, outcome)
    study = trial.study
    if outcome == "complete":
        study.tell(trial, result.val_loss)
    else:
        study.tell(trial, state=TrialState.PRUNED)


@contextlib.contextmanager
def heartbeat(trial: optuna.trial.Trial) -> Iterator[None]:
    """Tell the storage this trial's worker is alive while it trains, so a worker that is killed
    leaves a trial the next worker fails and retries (Study.optimize does this itself; lrkit's
    ask-and-tell loop has to). Optuna offers no public handle on a trial's storage and id."""
    storage, trial_id = trial.study._storage, trial._trial_id
    interval = storage.get_heartbeat_interval() if isinstance(storage, BaseHeartbeat) else None
    if interval is None:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            storage.record_heartbeat(trial_id)

    storage.record_heartbeat(trial_id)
    thread = threading.Thread(target=beat, name=f"lrkit-heartbeat-{trial.number}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _outcome(result: RunResult) -> str:
    if result.diverged or not math.isfinite(result.val_loss):
        return "diverged"
    return "complete" if result.steps == result.budget else "pruned"


def work(study: optuna.Study, task: Task, space: Space, plan: Plan, *, threads: int | None = 1,
         on_trial: Callable[[], None] = lambda: None) -> None:
    """Run trials until the plan is done: every planned trial told, or `plan.n_trials` made by
    the sampler. Waits while other workers still hold running trials (one may die and be retried)."""
    while True:
        with quiet_optuna():
            optuna.storages.fail_stale_trials(study)
        trials = study.get_trials(deepcopy=False)
        waiting = any(t.state == TrialState.WAITING for t in trials)
        made = sum(t.state != TrialState.FAIL for t in trials)
        sampling = plan.planned is None and made < plan.n_trials
        if waiting or sampling:
            with quiet_optuna():
                trial = study.ask()
            if (plan.planned is not None and not trial.user_attrs.get(PLANNED)) or duplicate(study, trial):
                # Another worker took the last planned trial first, or enqueued the same stage
                # twice: give this one back unused.
                study.tell(trial, state=TrialState.FAIL)
                continue
            run_trial(task, space, trial, plan, threads)
            on_trial()
        elif any(t.state == TrialState.RUNNING for t in trials):
            time.sleep(0.5)
        elif not next_stage(study, space, plan):
            return


def enqueue_plan(study: optuna.Study, plan: Plan) -> None:
    """Put the planned trials in the study's queue, once per study (a resumed or second worker
    finds them there); a trial already in the study is not enqueued again."""
    if plan.planned is None or study.user_attrs.get(PLANNED):
        return
    attrs = {PLANNED: True, **({RUNG: 0} if plan.staged else {})}
    for params in plan.planned:
        study.enqueue_trial(params, user_attrs=attrs, skip_if_exists=True)
    study.set_user_attr(PLANNED, True)


def trial_records(study: optuna.Study) -> list[Any]:
    """Every finished trial that trained, as a TrialRecord."""
    from ._result import TrialRecord

    out = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)):
        if RUN in trial.user_attrs:
            result = RunResult.from_dict(json.loads(trial.user_attrs[RUN]))
            params = {**trial.params, "seed": trial.user_attrs.get(CONFIRM_SEED, trial.params.get("seed"))}
            out.append(TrialRecord(trial.number, trial.user_attrs[OUTCOME], params, result))
    return out
