"""The stages of a sha sweep, on a real Optuna study: halving gives no place to a twin (the same
rate under a schedule that has not parted from a promoted one yet), a finalist whose full run
overfit gets the lower rate that `rescue` names, and the leader's twins run in full."""

from __future__ import annotations

import json

import optuna
import pytest
from fake_runs import make_run
from optuna.distributions import CategoricalDistribution
from optuna.trial import TrialState, create_trial

from lrkit.search import Space
from lrkit.search._attrs import EXTRA, PLANNED, RUN, RUNG
from lrkit.search._overfit import ended_above_best, rescue
from lrkit.search._plan import make_plan
from lrkit.search._stages import enqueue_rescues, enqueue_twins, next_stage, promote, twins

RATES = (0.0003, 0.001, 0.003, 0.01, 0.03)
SPACE = Space(lrs=RATES, optimizers=("adam",), schedules=("cosine",))
TWO_SCHEDULES = Space(lrs=RATES, optimizers=("adam",), schedules=("constant", "cosine"))
# A full run of 27 evaluations whose validation loss bottoms at step 90 and climbs to the end.
OVERFIT = [2.0, 1.5, 1.2, 1.0, 0.95, 0.92, 0.9, 0.9, 0.89] + [0.9 + 0.02 * k for k in range(1, 19)]
STEADY = [2.0 / (1 + k) for k in range(27)]
# Lowest at step 90, then up and down at too high a rate, ending 20% above: no steady climb.
BOUNCED = OVERFIT[:9] + [0.95, 1.2] * 9


def _add(study: optuna.Study, lr: float, val: list[float], rung: int, schedule: str = "cosine",
         extra: bool = False) -> None:
    run = make_run(lr, val, schedule=schedule)
    params = {"lr": lr, "optimizer": "adam", "schedule": schedule, "plateau": None, "seed": 0}
    choices = {"lr": RATES, "optimizer": ("adam",), "schedule": ("constant", "cosine"), "plateau": (None,),
               "seed": (0,)}
    distributions = {name: CategoricalDistribution(values) for name, values in choices.items()}
    study.add_trial(create_trial(params=params, distributions=distributions, value=run.val_loss,
                                 intermediate_values={e.step: e.val_loss for e in run.evaluations},
                                 user_attrs={PLANNED: True, RUNG: rung, RUN: json.dumps(run.to_dict()),
                                             **({EXTRA: True} if extra else {})},
                                 state=TrialState.COMPLETE if rung == 3 else TrialState.PRUNED))


def _halved(finalist: list[float]) -> optuna.Study:
    """A study where halving (rungs at 10, 30 and 90 of 270 steps) stopped four rates and ran 0.01 in full."""
    study = optuna.create_study()
    for lr, rung in ((0.0003, 0), (0.001, 0), (0.003, 1), (0.03, 2)):
        _add(study, lr, [2.0] * (1, 3, 9)[rung], rung)
    _add(study, 0.01, finalist, 3)
    return study


@pytest.mark.parametrize("finalist", [OVERFIT, BOUNCED], ids=["overfit", "bounced"])
def test_a_finalist_past_its_best_point_gets_the_rescued_lower_rate_in_full_once(finalist):
    study = _halved(finalist)
    plan = make_plan("sha", SPACE, 270, None, 0, confirm=0)
    assert plan.rungs == (10, 30, 90)
    stopped = [make_run(lr, [2.0]) for lr in (0.0003, 0.001, 0.003)]
    run = make_run(0.01, finalist)
    expected = rescue(run, stopped, ended_above_best(run)).recipe.lr
    assert expected < 0.01
    assert enqueue_rescues(study, plan)
    waiting = study.get_trials(states=(TrialState.WAITING,))
    assert [(t.system_attrs["fixed_params"]["lr"], t.user_attrs[RUNG]) for t in waiting] == [(expected, 3)]
    assert not enqueue_rescues(study, plan)  # once per study


def test_a_finalist_that_did_not_overfit_goes_straight_to_its_confirmation():
    study = _halved(STEADY)
    plan = make_plan("sha", SPACE, 270, None, 0, confirm=1)
    assert next_stage(study, SPACE, plan)
    waiting = study.get_trials(states=(TrialState.WAITING,))
    assert [t.system_attrs["fixed_params"]["lr"] for t in waiting] == [0.01]
    assert RUNG not in waiting[0].user_attrs


def _waiting(study: optuna.Study) -> list[tuple[str, float, int]]:
    return sorted((t.system_attrs["fixed_params"]["schedule"], t.system_attrs["fixed_params"]["lr"],
                   t.user_attrs[RUNG]) for t in study.get_trials(states=(TrialState.WAITING,)))


def test_constant_and_cosine_from_one_rate_are_twins_until_cosine_has_decayed():
    constant, cosine = make_run(0.01, [1.0] * 27, schedule="constant"), make_run(0.01, [1.0] * 27)
    assert twins(constant, cosine, 10) and twins(cosine, constant, 90)
    assert not twins(constant, cosine, 270)  # by the end cosine has travelled half as far
    assert not twins(cosine, cosine, 10)  # the same configuration is not its own twin
    assert not twins(make_run(0.003, [1.0] * 27, schedule="constant"), cosine, 10)  # another rate
    assert twins(make_run(0.0105, [1.0] * 27), cosine, 90)  # a rate within 10% that a range drew beside it
    assert not twins(make_run(0.01, [1.0] * 27, optimizer="momentum"), cosine, 10)  # another optimizer


def test_halving_gives_no_place_to_a_twin_of_a_promoted_configuration():
    study = optuna.create_study()
    for lr, score in zip(RATES, (1.3, 1.2, 1.1, 1.0, 1.4)):
        _add(study, lr, [score], 0)
    _add(study, 0.01, [1.05], 0, schedule="constant")  # second best, but the twin of the best
    assert promote(study, make_plan("sha", TWO_SCHEDULES, 270, None, 0, confirm=0))
    assert _waiting(study) == [("cosine", 0.003, 1), ("cosine", 0.01, 1)]  # two places of six


def _with_twin() -> optuna.Study:
    """`_halved` with 0.01 (the finalist) stopped beside its constant twin at step 30."""
    study = _halved(STEADY)
    _add(study, 0.01, [1.9] * 3, 1)
    _add(study, 0.01, [2.0] * 3, 1, schedule="constant")
    _add(study, 0.003, [2.0], 0, schedule="constant")  # another rate: not a twin
    return study


def test_the_leaders_twin_that_halving_stopped_runs_in_full_once():
    study = _with_twin()
    plan = make_plan("sha", TWO_SCHEDULES, 270, None, 0, confirm=0)
    assert enqueue_twins(study, plan)
    assert _waiting(study) == [("constant", 0.01, 3)]
    assert not enqueue_twins(study, plan)  # once per study


def test_rescues_and_twins_together_are_no_more_than_halvings_finalists():
    study = _with_twin()
    _add(study, 0.003, STEADY, 3, extra=True)  # a rescue used the one place beside the finalist
    assert not enqueue_twins(study, make_plan("sha", TWO_SCHEDULES, 270, None, 0, confirm=0))
    assert _waiting(study) == []
