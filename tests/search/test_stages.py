"""The stages a sha sweep enqueues once halving is done, on a real Optuna study: a finalist whose
full run overfit gets the lower rate of its optimizer and schedule that `rescue` names."""

from __future__ import annotations

import json

import optuna
from fake_runs import make_run
from optuna.distributions import CategoricalDistribution
from optuna.trial import TrialState, create_trial

from lrkit.search import Space
from lrkit.search._attrs import PLANNED, RUN, RUNG
from lrkit.search._overfit import rescue
from lrkit.search._plan import make_plan
from lrkit.search._stages import enqueue_rescues, next_stage

RATES = (0.0003, 0.001, 0.003, 0.01, 0.03)
SPACE = Space(lrs=RATES, optimizers=("adam",), schedules=("cosine",))
# A full run of 27 evaluations whose validation loss bottoms at step 90 and climbs to the end.
OVERFIT = [2.0, 1.5, 1.2, 1.0, 0.95, 0.92, 0.9, 0.9, 0.89] + [0.9 + 0.02 * k for k in range(1, 19)]
STEADY = [2.0 / (1 + k) for k in range(27)]


def _add(study: optuna.Study, lr: float, val: list[float], rung: int) -> None:
    run = make_run(lr, val)
    params = {"lr": lr, "optimizer": "adam", "schedule": "cosine", "plateau": None, "seed": 0}
    choices = {"lr": RATES, "optimizer": ("adam",), "schedule": ("cosine",), "plateau": (None,), "seed": (0,)}
    distributions = {name: CategoricalDistribution(values) for name, values in choices.items()}
    study.add_trial(create_trial(params=params, distributions=distributions, value=run.val_loss,
                                 user_attrs={PLANNED: True, RUNG: rung, RUN: json.dumps(run.to_dict())},
                                 state=TrialState.COMPLETE if rung == 3 else TrialState.PRUNED))


def _halved(finalist: list[float]) -> optuna.Study:
    """A study where halving (rungs at 10, 30 and 90 of 270 steps) stopped four rates and ran 0.01 in full."""
    study = optuna.create_study()
    for lr, rung in ((0.0003, 0), (0.001, 0), (0.003, 1), (0.03, 2)):
        _add(study, lr, [2.0] * (1, 3, 9)[rung], rung)
    _add(study, 0.01, finalist, 3)
    return study


def test_an_overfitting_finalist_gets_the_rescued_lower_rate_in_full_once():
    study = _halved(OVERFIT)
    plan = make_plan("sha", SPACE, 270, None, 0, confirm=0)
    assert plan.rungs == (10, 30, 90)
    stopped = [make_run(lr, [2.0]) for lr in (0.0003, 0.001, 0.003)]
    expected = rescue(make_run(0.01, OVERFIT), stopped).recipe.lr
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
