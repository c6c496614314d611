"""ClaimResult / ClaimsResult: strict-JSON round trips that give back equal results, and checked verdicts."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit.claims import ClaimResult, ClaimsResult, Mark, Panel, Series

floats = st.floats(allow_nan=False)  # NaN never equals itself; diverged runs are infinities
texts = st.text(max_size=9).filter(lambda text: text not in ("NaN", "Infinity", "-Infinity"))
leaves = st.none() | st.booleans() | st.integers() | floats | texts
trees = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=10)


def claim(**changes) -> ClaimResult:
    fields = dict(
        id="a", statement="Too high diverges.", rule="Supported when it does.", verdict="depends",
        finding="It did on one task.", measurements={"best_lr": 0.1, "losses": (0.5, math.inf), "seen": None},
        panels=(Panel("digits", "learning rate", "loss",
                      (Series("sgd", (0.01, 0.1, 1.0), (0.3, 0.1, math.inf)),),
                      (Mark("best", 0.1), Mark("first loss", 2.3, "y")), x_log=True),),
        runs=4, seconds=1.5,
    )
    return ClaimResult(**{**fields, **changes})


def round_trip(result: ClaimsResult) -> ClaimsResult:
    return ClaimsResult.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))


def test_a_claims_result_survives_strict_json_unchanged():
    result = ClaimsResult((claim(), claim(id="b", verdict="supported", panels=())), 12.5, 2, 30)
    data = result.to_dict()
    assert data["kind"] == "claims"
    assert round_trip(result) == result
    assert round_trip(result).claims[0].panels[0].series[0].y[-1] == math.inf


@given(trees)
def test_any_json_like_measurements_round_trip(measurements):
    result = ClaimsResult((claim(measurements={"m": measurements}),))
    assert round_trip(result) == result


def test_measurements_are_stored_as_json_gives_them_back():
    assert claim().measurements["losses"] == [0.5, math.inf]


def test_a_string_that_would_read_back_as_a_float_is_refused():
    with pytest.raises(ValueError, match="cannot be the string 'Infinity'"):
        claim(measurements={"lr": "Infinity"})


def test_a_verdict_outside_the_three_is_rejected():
    with pytest.raises(ValueError, match="verdict must be one of"):
        claim(verdict="true")


def test_other_results_are_not_read_as_claims():
    with pytest.raises(ValueError, match="not a claims result"):
        ClaimsResult.from_dict({"kind": "sweep"})
