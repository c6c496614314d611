"""Overfitting in a run's curve (a steady climb of the validation loss while the training loss
falls, not a noisy bounce or a blow-up), and the lower rate finished in its place."""

from __future__ import annotations

import math
from dataclasses import replace

from fake_runs import make_run
from hypothesis import given
from hypothesis import strategies as st

from lrkit.search._overfit import ended_above_best, full_distance, overfit_from, rescue
from lrkit.train import Evaluation

CLIMBING = [2.0, 1.5, 1.2, 1.0, 0.9, 0.92, 0.95, 1.0, 1.1]  # lowest 0.9 at step 50, then up 22%


def test_a_steady_climb_while_training_loss_falls_is_overfitting():
    assert overfit_from(make_run(0.01, CLIMBING)) == Evaluation(50, 0.9, None)


def test_a_bounce_is_not_overfitting():
    bouncing = [2.0, 1.5, 1.2, 1.0, 0.9, 1.1, 0.95, 1.2, 1.0]  # up and down around its lowest
    assert overfit_from(make_run(0.01, bouncing)) is None


def test_a_finished_run_that_ended_10_percent_above_its_lowest_went_past_its_best_point():
    bouncing = [2.0, 1.5, 1.2, 1.0, 0.9, 1.1, 0.95, 1.2, 1.0]  # ends 11% above its lowest, no climb
    assert ended_above_best(make_run(0.01, bouncing)) == Evaluation(50, 0.9, None)
    assert ended_above_best(make_run(0.01, [*bouncing[:-1], 0.98])) is None  # 9% above: still at its best
    assert ended_above_best(replace(make_run(0.01, [2.0, 1.0, math.inf]), diverged_at=25)) is None


def test_a_climb_of_the_training_loss_too_is_instability_not_overfitting():
    rising = [1.0 / (1 + step) if step < 50 else 0.1 + step / 100 for step in range(90)]
    assert overfit_from(make_run(0.01, CLIMBING, rising)) is None


def test_a_climb_under_five_percent_is_noise():
    assert overfit_from(make_run(0.01, [2.0, 1.0, 0.9, 0.91, 0.92, 0.93])) is None


@given(st.lists(st.floats(0.01, 10.0), min_size=1, max_size=12))
def test_a_run_flagged_as_overfitting_ends_above_its_own_lowest(val):
    best = overfit_from(make_run(0.01, val))
    if best is not None:
        assert best.val_loss == min(val) and val[-1] > 1.05 * best.val_loss
        assert all(a < b for a, b in zip(val[-4:], val[-3:]))


def test_the_rescue_is_the_lower_rate_whose_full_run_ends_where_the_overfitting_one_was_best():
    leader = make_run(0.01, CLIMBING)  # lowest at step 50: a distance of about 0.01 * 50 = 0.5
    stopped = [make_run(lr, [2.0]) for lr in (0.0003, 0.001, 0.003, 0.03)]
    stopped.append(make_run(0.003, [2.0], optimizer="momentum"))  # another group: never picked
    picked = rescue(leader, stopped)
    assert picked is not None and picked.recipe.optimizer == "adam"
    distances = {run.recipe.lr: abs(math.log(full_distance(leader, run.recipe.lr) / 0.5))
                 for run in stopped[:3]}
    assert picked.recipe.lr == min(distances, key=distances.get) == 0.003  # 0.003 * 270 / 2 ~ 0.4
    assert rescue(make_run(0.01, CLIMBING[:5]), stopped) is None  # not overfitting: no rescue
