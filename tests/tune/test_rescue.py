"""tune's halving finishes a lower rate in place of a finalist that already overfits, when the
budget pays for it."""

from __future__ import annotations

from fake_runs import make_run

from lrkit.tune._pipeline import _rescued

CLIMBING = [2.0, 1.5, 1.2, 1.0, 0.9, 0.92, 0.95, 1.0, 1.1]  # lowest 0.9 at step 50, then up 22%


def test_halving_swaps_an_overfitting_finalist_only_when_the_budget_pays_for_it():
    ended = {0: make_run(0.01, CLIMBING), 1: make_run(0.003, [2.0]), 2: make_run(0.03, [2.0, 1.9, 2.5])}
    extra = ended[0].steps - ended[1].steps
    assert _rescued([0], ended, spare=extra) == [1]
    assert _rescued([0], ended, spare=extra - 1) == [0]
    assert _rescued([2], ended, spare=10**6) == [2]  # not overfitting
