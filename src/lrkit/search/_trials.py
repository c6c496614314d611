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
from ._plan import CONFIRM_SEED, Plan, suggest
from ._space import Space

PLANNED = "lrkit_planned"  # user attribute of enqueued trials
RUN = "lrkit_run"  # user attribute holding the trial's RunResult as JSON
OUTCOME = "lrkit_outcome"  # "complete", "pruned" or "diverged"
CONFIRMED = "lrkit_confirmed"  # study attribute: the finalists' retraining has been enqueued

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
    rungs = set(plan.rungs)

    def keep_going(evaluation) -> bool:
        if evaluation.step not in rungs:
            return True
        trial.report(evaluation.val_loss, evaluation.step)
        return not trial.should_prune()

    prune = bool(rungs) and CONFIRM_SEED not in trial.user_attrs  # a finalist's retraining runs in full
    with heartbeat(trial):
        result = run(task, recipe, threads=threads, eval_every=plan.eval_every if prune else None,
                     keep_going=keep_going if prune else None)
    trial.set_user_attr(RUN, json.dumps(result.to_dict(), allow_nan=False))
    outcome = _outcome(result)
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
            if plan.planned is not None and not trial.user_attrs.get(PLANNED):
                # Another worker took the last planned trial first: give this one back unused.
                study.tell(trial, state=TrialState.FAIL)
                continue
            run_trial(task, space, trial, plan, threads)
            on_trial()
        elif any(t.state == TrialState.RUNNING for t in trials):
            time.sleep(0.5)
        elif not enqueue_finalists(study, space, plan.confirm):
            return


def enqueue_finalists(study: optuna.Study, space: Space, count: int) -> bool:
    """Once the plan is done, put its `count` best configurations in the queue again, each on one
    seed beyond the space's, once per study; False when there is nothing (more) to confirm.

    Workers finishing together may both get here: Optuna's `skip_if_exists` keeps the second
    copy of each finalist out of the queue."""
    if count == 0 or study.user_attrs.get(CONFIRMED):
        return False
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    finalists: dict[tuple[Any, ...], dict[str, Any]] = {}
    for trial in sorted(complete, key=lambda t: t.value):
        config = {k: v for k, v in trial.params.items() if k != "seed"}
        finalists.setdefault(tuple(sorted(config.items(), key=str)), config)
    seed = max(space.seeds) + 1
    for config in list(finalists.values())[:count]:
        study.enqueue_trial(config, user_attrs={PLANNED: True, CONFIRM_SEED: seed}, skip_if_exists=True)
    study.set_user_attr(CONFIRMED, True)
    return bool(finalists)


def enqueue_plan(study: optuna.Study, plan: Plan) -> None:
    """Put the planned trials in the study's queue, once per study (a resumed or second worker
    finds them there); a trial already in the study is not enqueued again."""
    if plan.planned is None or study.user_attrs.get(PLANNED):
        return
    for params in plan.planned:
        study.enqueue_trial(params, user_attrs={PLANNED: True}, skip_if_exists=True)
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
