"""Claims a, c-h run for real on one small task (cancer-logreg, 200 steps a run), so the whole
pipeline (plan, follow-up, train, judge, JSON, figure) is exercised in seconds; the verdict of
each claim must follow its stated rule from its own measurements."""

from __future__ import annotations

import json

import pytest

from lrkit.claims import (
    ClaimsResult,
    _adam_default,
    _adaptive,
    _batch_size,
    _extremes,
    _one_cycle,
    _overfitting,
    _plateau,
    run_claims,
)

TASK = "cancer-logreg"
SMALL = [*((module, "TASKS", (TASK,)) for module in
           (_extremes, _adam_default, _adaptive, _plateau, _one_cycle, _batch_size)),
         (_overfitting, "CASES", ((TASK, "adam"),))]


@pytest.fixture(scope="module")
def result() -> ClaimsResult:
    with pytest.MonkeyPatch.context() as patch:
        for module, name, value in SMALL:
            patch.setattr(module, name, value)
        events = []
        result = run_claims("a,c,d,e,f,g,h", workers=1, callback=events.append)
    assert events[-1].done == events[-1].total == result.runs
    return result


@pytest.fixture(scope="module")
def claims(result):
    return {claim.id: claim for claim in result.claims}


def test_every_asked_claim_is_judged_in_order_with_its_task_named(result):
    assert [claim.id for claim in result.claims] == list("acdefgh")
    for claim in result.claims:
        assert TASK in claim.finding
        assert claim.panels and claim.runs > 0


def test_runs_two_claims_share_are_trained_once(result):
    assert result.runs < sum(claim.runs for claim in result.claims)


def test_too_high_fails_and_too_low_is_slow_on_logistic_regression(claims):
    m = claims["a"].measurements["tasks"][TASK]
    assert m["first_failed_lr"] > m["best_lr"] > m["low_lr"]
    assert m["speedup"] >= 10 and m["low_still_improving"]
    assert claims["a"].verdict == "supported"


def test_the_adam_default_verdict_follows_its_ratio(claims):
    m = claims["c"].measurements["tasks"][TASK]
    assert m["ratio"] == pytest.approx(m["default_loss"] / m["best_loss"]) and m["ratio"] >= 1
    assert claims["c"].verdict == ("supported" if m["ratio"] <= _adam_default.GOOD else "refuted")


def test_the_adaptive_verdict_follows_the_winner(claims):
    m = claims["d"].measurements["tasks"][TASK]
    assert m["winner"] == _adaptive.outcome(m["adam_loss"], m["momentum_loss"])
    assert claims["d"].verdict == ("supported" if m["winner"] == "adam" else "refuted")


def test_plateau_control_is_tried_at_the_best_constant_rate_and_ten_times_it(claims):
    rows = claims["e"].measurements["tasks"][TASK]
    assert rows["too high"]["lr"] == pytest.approx(10 * rows["best"]["lr"], rel=0.01)
    assert rows["best"]["lr"] == claims["c"].measurements["tasks"][TASK]["best_lr"]


def test_one_cycle_peaks_at_the_best_constant_rate_and_counts_steps_to_its_loss(claims):
    m = claims["f"].measurements["tasks"][TASK]
    assert m["peak_lr"] == claims["d"].measurements["tasks"][TASK]["momentum_lr"]
    assert m["constant_steps"] <= 200
    assert m["speedup"] == pytest.approx(m["constant_steps"] / m["one_cycle_steps"])


def test_the_overfitting_gap_is_measured_on_the_whole_training_set(claims):
    m = claims["g"].measurements["cases"][f"{TASK} adam"]
    assert set(m["gaps"]) == set(m["train_loss"]) and len(m["gaps"]) == 7
    assert m["matched_train_loss"] >= m["train_loss"][f"{m['best_lr']:.2g}"]


def test_a_larger_batch_moves_the_best_rate_up(claims):
    m = claims["h"].measurements["tasks"][TASK]
    assert m["ratio"] == pytest.approx(m["best_lr_larger_batch"] / m["best_lr"])
    assert claims["h"].verdict == ("supported" if m["ratio"] >= _batch_size.LARGER else "refuted")


def test_the_result_round_trips_through_json_and_redraws(result):
    again = ClaimsResult.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
    assert again == result
    for claim in again.claims:
        figure = claim.plot()
        assert sum(ax.get_visible() for ax in figure.axes) == len(claim.panels)
