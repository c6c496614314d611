"""What a worker enqueues when the queue runs dry: the next rung of synchronous halving, then a
lower rate for each finalist that overfit, then the finalists' retraining on one more seed.

Workers that finish together may both enqueue the same stage. Rather than lock the study (Optuna
has no compare-and-set), every stage trial has a key, and of two trials with the same key only
the one created first is trained: `duplicate` tells a worker to give the other back unused.
"""

from __future__ import annotations

import json
import math
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from ..train import RunResult
from ._attrs import CONFIRM_SEED, CONFIRMED, PLANNED, RESCUED, RUN, RUNG
from ._overfit import rescue
from ._plan import REDUCTION, Plan
from ._space import Space

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def next_stage(study: optuna.Study, space: Space, plan: Plan) -> bool:
    """Enqueue the next stage of the plan, if any; False when the whole plan is done."""
    return (promote(study, plan) or enqueue_rescues(study, plan)
            or enqueue_finalists(study, space, plan.confirm))


def promote(study: optuna.Study, plan: Plan) -> bool:
    """Synchronous halving: once every trial of the last rung has run to that rung's step, the
    best third of them (at least one) go on to the next rung, from scratch with the same seed."""
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
    scores = {t.number: t.intermediate_values.get(plan.rungs[rung], math.inf) for t in current}
    ranked = sorted((t for t in current if math.isfinite(scores[t.number])), key=lambda t: scores[t.number])
    for trial in ranked[: math.ceil(len(current) / REDUCTION)]:
        study.enqueue_trial(_fixed(trial), user_attrs={PLANNED: True, RUNG: rung + 1})
    return bool(ranked)


def enqueue_rescues(study: optuna.Study, plan: Plan) -> bool:
    """Once halving is done: for each finalist whose full run overfit, the lower rate of its
    optimizer and schedule that halving stopped and whose full run would travel as far as the
    finalist had at its lowest validation loss (`rescue`), in full, once per study. Its best point
    falls at the end of training, where a run is scored; False when there is none to run."""
    if not plan.staged or study.user_attrs.get(RESCUED):
        return False
    last = len(plan.rungs)
    trials = [t for t in study.get_trials(deepcopy=False, states=FINISHED)
              if RUN in t.user_attrs and RUNG in t.user_attrs]
    runs = {t.number: RunResult.from_dict(json.loads(t.user_attrs[RUN])) for t in trials}
    stopped = {t.number: runs[t.number] for t in trials if t.user_attrs[RUNG] < last}
    chosen: dict[str, dict[str, Any]] = {}
    for trial in trials:
        swap = rescue(runs[trial.number], list(stopped.values())) if trial.user_attrs[RUNG] == last else None
        if swap is not None:
            config = _fixed(next(t for t in trials if stopped.get(t.number) is swap))
            chosen[json.dumps(config, sort_keys=True)] = config
    for config in chosen.values():
        study.enqueue_trial(config, user_attrs={PLANNED: True, RUNG: last})
    study.set_user_attr(RESCUED, True)
    return bool(chosen)


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


def duplicate(study: optuna.Study, trial: optuna.trial.Trial) -> bool:
    """Whether an earlier trial (not failed) has the same planned params and stage as `trial`."""
    trials = study.get_trials(deepcopy=False)
    mine = next(t for t in trials if t.number == trial.number)
    key = _key(mine)
    return any(t.number < mine.number and t.state != TrialState.FAIL and _key(t) == key for t in trials)


def _fixed(trial: FrozenTrial) -> dict[str, Any]:
    """The params a trial was enqueued with (its own params once it ran)."""
    return dict(trial.system_attrs.get("fixed_params", trial.params))


def _key(trial: FrozenTrial) -> str:
    """What makes two stage trials the same work."""
    attrs = trial.user_attrs
    return json.dumps([_fixed(trial), attrs.get(RUNG), attrs.get(CONFIRM_SEED)], sort_keys=True)
