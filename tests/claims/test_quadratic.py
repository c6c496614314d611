"""Claim (b) measured for real: gradient descent on the quadratic diverges where theory says, 2/L."""

from __future__ import annotations

import pytest

from lrkit.claims import run_claims
from lrkit.claims._quadratic import MU, STEP, L, shrink_per_step


@pytest.fixture(scope="module")
def claim_b():
    (result,) = run_claims("b", workers=1).claims
    return result


def test_the_verdict_is_supported(claim_b):
    assert claim_b.id == "b"
    assert claim_b.verdict == "supported"
    assert claim_b.runs == 21


def test_the_measured_divergence_threshold_is_within_a_grid_step_of_2_over_L(claim_b):
    m = claim_b.measurements
    assert m["largest_stable_lr"] <= 2 / L + 1e-9 < m["smallest_diverged_lr"]
    assert m["smallest_diverged_lr"] - 2 / L <= STEP + 1e-9


def test_the_fastest_rate_is_within_a_grid_step_of_2_over_L_plus_mu(claim_b):
    assert abs(claim_b.measurements["fastest_lr"] - 2 / (L + MU)) <= STEP + 1e-9


def test_the_measured_shrink_follows_theory_where_the_stiffest_direction_dominates(claim_b):
    # Above 2/(L+mu) the slowest direction is the stiffest one, whose factor |1 - lr L|^2 the
    # whole loss follows; below it the measured mean mixes in faster directions, so it only bounds.
    for lr, measured in claim_b.measurements["shrink_per_step"].items():
        lr = float(lr)
        predicted = max(abs(1 - lr * MU), abs(1 - lr * L)) ** 2
        assert measured <= predicted * 1.05
        if lr >= 0.18:
            assert measured == pytest.approx(predicted, rel=0.1)


def test_the_figure_has_the_measured_and_theory_curves_and_both_marks(claim_b):
    (panel,) = claim_b.panels
    assert [s.label.split()[0] for s in panel.series] == ["measured", "theory"]
    assert [m.value for m in panel.marks] == pytest.approx([2 / L, 2 / (L + MU)])


def test_shrink_per_step_is_the_geometric_mean_ratio():
    assert shrink_per_step((1.0, 0.5, 0.25, 0.125)) == pytest.approx(0.5)
    assert shrink_per_step((1.0, 1e-11, 1e-12)) == pytest.approx(1e-11)  # stops at 1e-10 of the start


def test_a_pool_of_spawned_workers_measures_exactly_what_one_process_does(claim_b):
    (pooled,) = run_claims("b", workers=2).claims
    assert pooled.measurements == claim_b.measurements
    assert pooled.finding == claim_b.finding
