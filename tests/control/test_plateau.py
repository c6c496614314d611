"""Plateau: scripted behaviour, the raise option, argument checks, state round trip, properties."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit.control import ControllerError, Plateau


def _run(plateau: Plateau, values: list[float]) -> list[float]:
    multipliers = []
    for step, value in enumerate(values):
        plateau.observe(step, metric=value)
        multipliers.append(plateau.multiplier)
    return multipliers


def test_reduces_after_more_than_patience_bad_evaluations() -> None:
    plateau = Plateau(factor=0.5, patience=2)
    assert _run(plateau, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]) == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    assert plateau.reductions == 2


def test_improvement_resets_the_bad_count() -> None:
    plateau = Plateau(factor=0.5, patience=1)
    assert _run(plateau, [3.0, 3.0, 2.0, 2.0, 1.0, 1.0, 1.0]) == [1, 1, 1, 1, 1, 1, 0.5]


def test_threshold_rel_and_abs() -> None:
    rel = Plateau(factor=0.5, patience=0, threshold=0.1)
    assert _run(rel, [1.0, 0.95, 0.85]) == [1, 0.5, 0.5]  # 0.95 is not < 0.9; 0.85 is
    absolute = Plateau(factor=0.5, patience=0, threshold=0.5, threshold_mode="abs")
    assert _run(absolute, [1.0, 0.6, 0.4]) == [1, 0.5, 0.5]


def test_max_mode_mirrors_min() -> None:
    plateau = Plateau(factor=0.5, patience=0, mode="max")
    assert _run(plateau, [0.5, 0.6, 0.6, 0.7]) == [1, 1, 0.5, 0.5]


def test_cooldown_ignores_bad_evaluations_after_a_change() -> None:
    plateau = Plateau(factor=0.5, patience=0, cooldown=2)
    assert _run(plateau, [1.0] * 7) == [1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]


def test_min_scale_floors_the_multiplier_and_still_restarts_cooldown() -> None:
    plateau = Plateau(factor=0.1, patience=0, cooldown=1, min_scale=0.05)
    assert _run(plateau, [1.0] * 6) == [1, 0.1, 0.1, 0.05, 0.05, 0.05]
    assert plateau.reductions == 2
    # Like torch, the 6th evaluation's reduction is held by the floor but restarts the cooldown.
    assert plateau.state_dict()["cooldown_counter"] == 1


@pytest.mark.parametrize("bad", [math.nan, -math.inf])
def test_non_finite_values_never_improve(bad: float) -> None:
    plateau = Plateau(factor=0.5, patience=0)
    assert _run(plateau, [1.0, bad, 1.0]) == [1, 0.5, 0.25]
    assert plateau.state_dict()["best"] == 1.0


def test_watches_only_the_monitored_keyword() -> None:
    plateau = Plateau(factor=0.5, patience=0)
    for step in range(5):
        plateau.observe(step, loss=1.0, grad_norm=1.0)
    assert plateau.multiplier == 1.0
    assert plateau.state_dict()["best"] is None
    by_loss = Plateau(factor=0.5, patience=0, monitor="loss")
    for step in range(3):
        by_loss.observe(step, loss=1.0, metric=float(step))
    assert by_loss.multiplier == 0.25


def test_raise_when_a_reduction_brought_no_improvement() -> None:
    plateau = Plateau(factor=0.5, patience=1, raise_factor=2.0)
    multipliers = _run(plateau, [1.0] * 9)
    # reduce at the 3rd, raise back at the 5th (the reduction did not help), reduce again ...
    assert multipliers == [1, 1, 0.5, 0.5, 1, 1, 0.5, 0.5, 1]
    assert plateau.state_dict()["last_action"] == "raise"


def test_no_raise_when_the_reduction_helped() -> None:
    plateau = Plateau(factor=0.5, patience=1, raise_factor=2.0)
    assert _run(plateau, [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]) == [1, 1, 0.5, 0.5, 0.5, 0.25]


def test_raise_is_capped_at_one_and_drifts_down_with_a_small_raise_factor() -> None:
    capped = Plateau(factor=0.5, patience=0, raise_factor=4.0)
    assert _run(capped, [1.0, 1.0, 1.0]) == [1, 0.5, 1]
    sawtooth = Plateau(factor=0.1, patience=0, raise_factor=3.0)
    expected = [1, 0.1, 0.1 * 3.0, 0.1 * 3.0 * 0.1, 0.1 * 3.0 * 0.1 * 3.0]
    assert _run(sawtooth, [1.0] * 5) == expected


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"factor": 1.0}, "factor"),
        ({"factor": 0}, "factor"),
        ({"factor": math.nan}, "factor"),
        ({"factor": "0.5"}, "factor"),
        ({"patience": -1}, "patience"),
        ({"patience": 1.5}, "patience"),
        ({"patience": True}, "patience"),
        ({"threshold": -0.1}, "threshold"),
        ({"threshold": 1.0}, "threshold"),
        ({"threshold": math.inf, "threshold_mode": "abs"}, "threshold"),
        ({"threshold_mode": "relative"}, "threshold_mode"),
        ({"mode": "minimum"}, "mode"),
        ({"cooldown": -1}, "cooldown"),
        ({"min_scale": 1.5}, "min_scale"),
        ({"min_scale": -0.1}, "min_scale"),
        ({"raise_factor": 1.0}, "raise_factor"),
        ({"raise_factor": math.inf}, "raise_factor"),
        ({"monitor": "grad_norm"}, "monitor"),
    ],
)
def test_bad_arguments_name_the_value_and_the_allowed_range(kwargs: dict, name: str) -> None:
    with pytest.raises(ControllerError, match=f"^{name}=.*allowed: "):
        Plateau(**kwargs)


def test_numbers_are_stored_as_floats() -> None:
    plateau = Plateau(min_scale=0, raise_factor=2)
    assert isinstance(plateau.min_scale, float)
    assert str(plateau) == "plateau(raise_factor=2.0)"


def test_load_state_dict_names_missing_and_unexpected_keys() -> None:
    state = Plateau().state_dict()
    del state["num_bad"]
    state["epoch"] = 3
    with pytest.raises(ControllerError, match=r"missing keys \['num_bad'\].*\['epoch'\]"):
        Plateau().load_state_dict(state)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("best", math.inf),
        ("best", "1.0"),
        ("num_bad", -1),
        ("multiplier", 1.5),
        ("multiplier", 0.01),  # below min_scale
        ("last_action", "jump"),
        ("improved_since_change", 1),
    ],
)
def test_load_state_dict_rejects_bad_values_and_changes_nothing(key: str, value: object) -> None:
    plateau = Plateau(min_scale=0.1)
    _run(plateau, [1.0, 0.5])
    before = plateau.state_dict()
    with pytest.raises(ControllerError, match=key):
        plateau.load_state_dict({**before, key: value})
    assert plateau.state_dict() == before


_CONFIGS = st.fixed_dictionaries(
    {
        "factor": st.sampled_from([0.1, 0.5, 0.9]),
        "patience": st.integers(0, 3),
        "cooldown": st.integers(0, 2),
        "mode": st.sampled_from(["min", "max"]),
        "min_scale": st.sampled_from([0.0, 0.01, 0.2]),
        "raise_factor": st.sampled_from([None, 1.5, 2.0, 10.0]),
    }
)
_SEQUENCES = st.lists(
    st.one_of(st.sampled_from([0.0, 1.0, 2.0, math.nan, math.inf, -math.inf]), st.floats()),
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(config=_CONFIGS, values=_SEQUENCES, data=st.data())
def test_restored_plateau_continues_exactly(
    config: dict, values: list, data: st.DataObject
) -> None:
    split = data.draw(st.integers(0, len(values)))
    original = Plateau(**config)
    _run(original, values[:split])
    saved = json.dumps(original.state_dict(), allow_nan=False)  # strict JSON: no Infinity, no NaN
    restored = Plateau(**config)
    restored.load_state_dict(json.loads(saved))
    assert _run(restored, values[split:]) == _run(original, values[split:])
    assert restored.state_dict() == original.state_dict()


@settings(max_examples=200, deadline=None)
@given(config=_CONFIGS, values=_SEQUENCES)
def test_multiplier_stays_in_range_and_only_falls_without_raise(config: dict, values: list) -> None:
    plateau = Plateau(**config)
    previous = plateau.multiplier
    for multiplier in _run(plateau, values):
        assert math.isfinite(multiplier)
        assert config["min_scale"] <= multiplier <= 1.0
        if config["raise_factor"] is None:
            assert multiplier <= previous
        previous = multiplier
