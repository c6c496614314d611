"""What a worker enqueues when the queue runs dry: the next rung of synchronous halving, then a
lower rate for each finalist that overfit, then the leader's other schedules that halving could
not tell from its own, then the finalists' retraining on one more seed.

Workers that finish together may both enqueue the same stage. Rather than lock the study (Optuna
has no compare-and-set), every stage trial has a key, and of two trials with the same key only
the one created first is trained: `duplicate` tells a worker to give the other back unused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from ..train import RunResult
from ._attrs import CONFIRM_SEED, CONFIRMED, EXTRA, PLANNED, RESCUED, RUN, RUNG, TWINNED
from ._halving import places, rescues, survivors, twins
from ._plan import Plan
from ._policy import Policy
from ._space import Space

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def next_stage(study: optuna.Study, space: Space, plan: Plan) -> bool:
    """Enqueue the next stage of the plan, if any; False when the whole plan is done."""
    return (promote(study, plan) or enqueue_rescues(study, plan) or enqueue_twins(study, plan)
            or enqueue_finalists(study, space, plan.confirm))


def promote(study: optuna.Study, plan: Plan) -> bool:
    """Synchronous halving: once every trial of the last rung has run to that rung's step, the
    `plan.policy.keep` of them (at least one) that `survivors` names go on to the next rung, from
    scratch with the same seed; a trial that was stopped before the rung's step takes no place."""
    if not plan.staged:
        return False
    trials = study.get_trials(deepcopy=False)
    staged = [t for t in trials if RUNG in t.user_attrs and t.state != TrialState.FAIL]
    if not staged:
        return False
    rung = max(t.user_attrs[RUNG] for t in staged)
    current = [t for t in staged if t.user_attrs[RUNG] == rung]
    if rung >= len(plan.rungs):
        return False  # the last rung runs in full: halving is done
    if any(t.state not in FINISHED for t in current):
        return True  # another worker promoted already; its trials are on their way
    step = plan.rungs[rung]
    runs = {t.number: _run(t) for t in current if RUN in t.user_attrs}
    runs = {number: run for number, run in runs.items() if run.steps >= step or run.diverged}
    kept = survivors(runs, places(len(current), plan.policy), step, plan.policy)
    by_number = {t.number: t for t in current}
    for number in kept:
        study.enqueue_trial(_fixed(by_number[number]), user_attrs={PLANNED: True, RUNG: rung + 1})
    return bool(kept)


def enqueue_rescues(study: optuna.Study, plan: Plan) -> bool:
    """Once halving is done: for each finalist whose full run went past its best point (ended 10%
    above its own lowest validation loss, climbing or bouncing: `ended_above_best`; or overfit by
    tune's steady-climb rule), the lower rate of its optimizer and schedule that halving stopped
    and whose full run would travel as far as the finalist had at its lowest (`rescue`), in full,
    once per study. Its best point falls at the end of training, where a run is scored; False
    when there is none to run."""
    if not plan.staged or study.user_attrs.get(RESCUED):
        return False
    last = len(plan.rungs)
    trials = _halving_trials(study)
    runs = _runs(trials)
    finalists = [t.number for t in trials if t.user_attrs[RUNG] == last]
    by_number = {t.number: t for t in trials}
    chosen: dict[str, dict[str, Any]] = {}
    for number in rescues(finalists, runs, plan.policy, finished=True).values():
        config = _fixed(by_number[number])
        chosen[json.dumps(config, sort_keys=True)] = config
    for config in chosen.values():
        study.enqueue_trial(config, user_attrs={PLANNED: True, RUNG: last, EXTRA: True})
    study.set_user_attr(RESCUED, True)
    return bool(chosen)


def enqueue_twins(study: optuna.Study, plan: Plan) -> bool:
    """Once halving and its rescues are done: the other schedules of the best full run's
    optimizer and rate that halving stopped as twins of it (they had run the same rates so far),
    in full on the search seed, once per study, so the schedules meet where they differ; False
    when there is none to run."""
    if not plan.staged or study.user_attrs.get(TWINNED):
        return False
    chosen = _leaders_twins(study, len(plan.rungs), plan.rungs, plan.policy)
    for config in chosen:
        study.enqueue_trial(config, user_attrs={PLANNED: True, RUNG: len(plan.rungs), EXTRA: True})
    study.set_user_attr(TWINNED, True)
    return bool(chosen)


def _leaders_twins(study: optuna.Study, last: int, rungs: tuple[int, ...],
                   policy: Policy) -> list[dict[str, Any]]:
    """The configurations of the best full run's twins, best reading first. With the rescues they
    are at most as many as halving's finalists, so sha stays within a quarter of a one-seed grid."""
    trials = _halving_trials(study)
    full = [t for t in trials if t.user_attrs[RUNG] == last]
    room = sum(-1 if t.user_attrs.get(EXTRA) else 1 for t in full)
    complete = [t for t in full if t.state == TrialState.COMPLETE]
    if room <= 0 or not complete:
        return []
    leader = min(complete, key=lambda t: t.value)
    runs = _runs(trials)
    leader_at = {t.user_attrs[RUNG]: runs[t.number] for t in trials if _fixed(t) == _fixed(leader)}
    stopped: dict[str, FrozenTrial] = {}  # every configuration at the last rung it reached
    for trial in sorted(trials, key=lambda t: t.user_attrs[RUNG]):
        stopped[json.dumps(_fixed(trial), sort_keys=True)] = trial

    def twin_of_leader(trial: FrozenTrial) -> bool:
        rung = trial.user_attrs[RUNG]
        if rung == last or rung not in leader_at or _fixed(trial)["schedule"] == _fixed(leader)["schedule"]:
            return False  # (a rate of the leader's own schedule beside it would retrace its run)
        return twins(runs[trial.number], leader_at[rung], rungs[rung], policy)

    chosen = sorted(filter(twin_of_leader, stopped.values()), key=lambda t: runs[t.number].val_loss)
    return [_fixed(trial) for trial in chosen[:room]]


def enqueue_finalists(study: optuna.Study, space: Space, count: int) -> bool:
    """Once the plan is done, put its `count` best configurations in the queue again, each on one
    seed beyond the space's, once per study; False when there is nothing (more) to confirm."""
    if count == 0 or study.user_attrs.get(CONFIRMED):
        return False
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    finalists: dict[str, dict[str, Any]] = {}
    for trial in sorted(complete, key=lambda t: t.value):
        config = {k: v for k, v in trial.params.items() if k != "seed"}
        finalists.setdefault(json.dumps(config, sort_keys=True), config)
    seed = max(space.seeds) + 1
    for config in list(finalists.values())[:count]:
        study.enqueue_trial(config, user_attrs={PLANNED: True, CONFIRM_SEED: seed}, skip_if_exists=True)
    study.set_user_attr(CONFIRMED, True)
    return bool(finalists)


def duplicate(study: optuna.Study, trial: optuna.trial.Trial,
              key: Callable[[FrozenTrial], Any] | None = None) -> bool:
    """Whether an earlier trial (not failed) is the same work as `trial`: by default the same
    planned params and stage; `key` says what makes two trials the same work otherwise."""
    key = key or _key
    trials = study.get_trials(deepcopy=False)
    mine = next(t for t in trials if t.number == trial.number)
    own = key(mine)
    return any(t.number < mine.number and t.state != TrialState.FAIL and key(t) == own for t in trials)


def _halving_trials(study: optuna.Study) -> list[FrozenTrial]:
    """Every finished trial of halving (its rungs, rescues and twins) that trained."""
    return [t for t in study.get_trials(deepcopy=False, states=FINISHED)
            if RUN in t.user_attrs and RUNG in t.user_attrs]


def _runs(trials: list[FrozenTrial]) -> dict[int, RunResult]:
    """Each trial's stored run, by trial number."""
    return {t.number: _run(t) for t in trials}


def _run(trial: FrozenTrial) -> RunResult:
    return RunResult.from_dict(json.loads(trial.user_attrs[RUN]))


def _fixed(trial: FrozenTrial) -> dict[str, Any]:
    """The params a trial was enqueued with (its own params once it ran)."""
    return dict(trial.system_attrs.get("fixed_params", trial.params))


def _key(trial: FrozenTrial) -> str:
    """What makes two stage trials the same work."""
    attrs = trial.user_attrs
    return json.dumps([_fixed(trial), attrs.get(RUNG), attrs.get(CONFIRM_SEED)], sort_keys=True)
