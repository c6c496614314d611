"""The helpers every claim's rule is built from: verdicts, best rates, grids, curves."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit.claims._claim import best_rate, change, log_grid, smooth, spread, thin, verdict
from lrkit.claims._extremes import until_diverging
from lrkit.claims._overfitting import at_training_loss


@pytest.mark.parametrize(("checks", "expected"), [
    ([True, True], "supported"), ([False, False], "refuted"), ([True, False], "depends"),
])
def test_verdict_is_all_none_or_some(checks, expected):
    assert verdict(checks) == expected


@given(st.floats(-3.4, -0.6))
def test_best_rate_finds_the_vertex_of_a_parabola_in_log_rate(vertex):
    rates = log_grid(-4, 0, 2)
    losses = [(math.log10(lr) - vertex) ** 2 + 1 for lr in rates]
    assert math.log10(best_rate(rates, losses)) == pytest.approx(vertex, abs=0.01)


def test_best_rate_stays_on_the_grid_at_its_edge_or_next_to_a_divergence():
    rates = (0.01, 0.1, 1.0)
    assert best_rate(rates, [1.0, 2.0, 3.0]) == 0.01
    assert best_rate(rates, [2.0, 1.0, math.inf]) == 0.1


def test_log_grid_gives_the_rates_a_person_types():
    assert log_grid(-3, 0, 2) == (0.001, 0.00316, 0.01, 0.0316, 0.1, 0.316, 1.0)
    assert set(log_grid(-3, 0, 2)) <= set(log_grid(-4, 1.5, 2))  # grids share runs


def test_smooth_is_a_trailing_mean():
    assert smooth([4, 2, 0, 2], 2).tolist() == [4, 3, 1, 1]


def test_thin_keeps_the_last_point():
    steps, values = thin(list(range(1000)), points=100)
    assert len(steps) <= 101 and steps[-1] == values[-1] == 999


def test_change_of_a_loss_when_runs_diverged():
    assert change(1.0, 2.0) == -0.5
    assert change(1.0, math.inf) == -1.0
    assert change(math.inf, math.inf) == 0.0


def test_a_curve_is_cut_where_it_passes_ten_times_its_first_loss():
    cut = until_diverging(np.array([2.0, 1.0, 30.0, 1e30]), first=2.0)
    assert cut[:2].tolist() == [2.0, 1.0] and len(cut) == 3 and math.isinf(cut[-1])


def test_spread_says_a_single_value_once():
    assert spread("0.1", "0.1") == "0.1"
    assert spread("0.1", "1") == "from 0.1 to 1"


def test_validation_at_a_training_loss_is_interpolated_between_the_evaluations_around_it():
    assert at_training_loss([1.0, 0.6, 0.2], [1.0, 0.8, 0.4], level=0.4) == pytest.approx(0.6)
    assert at_training_loss([0.3, 0.1], [0.5, 0.4], level=0.5) == 0.5  # already below at the first
