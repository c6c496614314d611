"""Constructors refuse impossible parameters with ScheduleError naming the field and the value;
good values of other numeric types are normalised."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from lrkit import schedules as S
from lrkit.schedules import Join, Scaled, Schedule, ScheduleError, Warmup

cos = S.cosine(1.0, 10)

# (a call that must fail, the field its message names, the bad value as the message writes it
#  or None where the message is about a combination of fields)
BAD = [
    (lambda: S.constant(-0.5), "lr", "-0.5"),
    (lambda: S.constant(1.0, steps=0), "steps", "0"),
    (lambda: S.constant("0.1"), "lr", "'0.1'"),
    (lambda: S.constant(True), "lr", "True"),
    (lambda: S.cosine(-1, 10), "lr", "-1"),
    (lambda: S.cosine(math.nan, 10), "lr", "nan"),
    (lambda: S.cosine(math.inf, 10), "lr", "inf"),
    (lambda: S.cosine(1, 0), "steps", "0"),
    (lambda: S.cosine(1, 10.5), "steps", "10.5"),
    (lambda: S.cosine(1, "10"), "steps", "'10'"),
    (lambda: S.cosine(1, math.inf), "steps", "inf"),
    (lambda: S.cosine(1, 10, min_lr=2), "min_lr", "2.0"),
    (lambda: S.cosine(1, 10, min_lr=-0.1), "min_lr", "-0.1"),
    (lambda: S.step(1, 0), "step_size", "0"),
    (lambda: S.step(1, 10, gamma=0), "gamma", "0"),
    (lambda: S.step(1, 10, gamma=1.5), "gamma", "1.5"),
    (lambda: S.step(1, 10, steps=-5), "steps", "-5"),
    (lambda: S.multistep(1, [3, 3]), "milestones", "[3, 3]"),
    (lambda: S.multistep(1, []), "milestones", "[]"),
    (lambda: S.multistep(1, [0, 5]), "milestones", "0"),
    (lambda: S.multistep(1, 5), "milestones", "5"),
    (lambda: S.multistep(1, [5], gamma=-1), "gamma", "-1"),
    (lambda: S.exponential(1), "gamma", None),
    (lambda: S.exponential(1, 0.9, decay_rate=0.5), "gamma", None),
    (lambda: S.exponential(1, decay_rate=0.5), "decay_steps", None),
    (lambda: S.exponential(1, 1.01), "gamma", "1.01"),
    (lambda: S.exponential(1, decay_rate=0.5, decay_steps=0), "decay_steps", "0"),
    (lambda: S.inverse_time(1, -0.1, 10), "decay_rate", "-0.1"),
    (lambda: S.inverse_time(1, 0.1, 0), "decay_steps", "0"),
    (lambda: S.polynomial(1, 10, power=0), "power", "0"),
    (lambda: S.polynomial(1, 10, end_lr=2), "end_lr", "2.0"),
    (lambda: S.linear(-1, 0, 10), "start_lr", "-1"),
    (lambda: S.linear(1, math.nan, 10), "end_lr", "nan"),
    (lambda: S.linear(1, 0, 0), "steps", "0"),
    (lambda: S.cosine_restarts(1, 0), "period", "0"),
    (lambda: S.cosine_restarts(1, 10, mult=0), "mult", "0"),
    (lambda: S.cosine_restarts(1, 10, mult=1.5), "mult", "1.5"),
    (lambda: S.cosine_restarts(1, 10, decay=0), "decay", "0"),
    (lambda: S.cosine_restarts(1, 10, decay=1.5), "decay", "1.5"),
    (lambda: S.cosine_restarts(1, 10, min_lr=2), "min_lr", "2.0"),
    (lambda: S.cyclic(1, 0.5, 10), "base_lr", "1.0"),
    (lambda: S.cyclic(0.1, 1, 0), "up", "0"),
    (lambda: S.cyclic(0.1, 1, 10, down=0), "down", "0"),
    (lambda: S.cyclic(0.1, 1, 10, mode="sine"), "mode", "'sine'"),
    (lambda: S.cyclic(0.1, 1, 10, gamma=2), "gamma", "2"),
    (lambda: S.one_cycle(1, 1), "steps", "1"),
    (lambda: S.one_cycle(1, 100, pct_start=0), "pct_start", "0"),
    (lambda: S.one_cycle(1, 100, pct_start=1.0), "pct_start", "1.0"),
    (lambda: S.one_cycle(1, 100, pct_start=0.6, three_phase=True), "pct_start", "0.6"),
    (lambda: S.one_cycle(1, 100, anneal="cosine"), "anneal", "'cosine'"),
    (lambda: S.one_cycle(1, 100, div_factor=0), "div_factor", "0"),
    (lambda: S.one_cycle(1, 100, final_div_factor=-1), "final_div_factor", "-1"),
    (lambda: S.wsd(1, 100, 60, 50), "warmup", "60"),
    (lambda: S.wsd(1, 100, -1, 10), "warmup", "-1"),
    (lambda: S.wsd(1, 100, 10, 0), "decay", "0"),
    (lambda: S.wsd(1, 100, 10, 10, shape="exp"), "shape", "'exp'"),
    (lambda: S.wsd(1, 100, 10, 10, min_lr=2), "min_lr", "2.0"),
    (lambda: S.inverse_sqrt(1, -1), "warmup", "-1"),
    (lambda: S.inverse_sqrt(1, 10, timescale=0), "timescale", "0"),
    (lambda: S.piecewise([0.1, 0.01], [10, 20]), "boundaries", None),
    (lambda: S.piecewise([0.1, -0.01], [10]), "rates", "-0.01"),
    (lambda: S.piecewise(0.1, [10]), "rates", "0.1"),
    (lambda: S.piecewise([0.1, 0.01], [20, 10]), "boundaries", "[20, 10]"),
    (lambda: S.warmup(0), "steps", "0"),
    (lambda: S.warmup(2.5), "steps", "2.5"),
    (lambda: S.warmup(10, start=1.5), "start", "1.5"),
    (lambda: S.warmup(10, shape="cosine"), "shape", "'cosine'"),
    (lambda: S.warmup(10, shape="exponential"), "start", None),
    (lambda: Warmup(cos, 0), "steps", "0"),
    (lambda: Warmup("cosine", 10), "schedule", "'cosine'"),
    (lambda: Scaled(cos, -1), "factor", "-1"),
    (lambda: Scaled(cos, math.nan), "factor", "nan"),
    (lambda: Scaled(cos, math.inf), "factor", "inf"),
    (lambda: Scaled("cosine", 1.0), "schedule", "'cosine'"),
    (lambda: -1 * cos, "factor", "-1"),
    (lambda: Join((cos,)), "two schedules", None),
    (lambda: S.join(), "two schedules", "0"),
    (lambda: S.join(cos), "two schedules", "1"),
    (lambda: S.join(cos, 5), "schedules", "5"),
    (lambda: S.constant(1) >> cos, "never ends", "constant(lr=1.0)"),
    (lambda: S.join(S.warmup(5), cos), "warmup(...)", None),
    (lambda: cos >> S.warmup(5), "warmup(...)", None),
    (lambda: S.step(1.0, 1, gamma=10, steps=1000), "float range", None),
    (lambda: S.exponential(1.0, gamma=2.0, steps=5000), "float range", None),
    (lambda: 1e300 * S.constant(1e10), "float range", None),
    (lambda: Schedule.from_dict({"type": "nope"}), "type", "'nope'"),
    (lambda: Schedule.from_dict({"lr": 1.0}), "type", None),
    (lambda: Schedule.from_dict({"type": "cosine", "lr": 1.0}), "steps", None),
    (lambda: Schedule.from_dict({"type": "cosine", "lr": 1.0, "steps": 10, "bogus": 3}), "bogus", None),
    (lambda: Schedule.from_dict({"type": "cosine", "lr": -1.0, "steps": 10}), "lr", "-1.0"),
]


@pytest.mark.parametrize(("make", "field", "value"), BAD, ids=[f"{i}-{c[1]}" for i, c in enumerate(BAD)])
def test_impossible_parameters_are_refused_naming_field_and_value(make, field: str, value) -> None:
    with pytest.raises(ScheduleError) as caught:
        make()
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert "\n" not in message
    assert field in message
    if value is not None:
        assert value in message


def test_the_message_says_which_schedule() -> None:
    with pytest.raises(ScheduleError, match=r"^cosine\(\): lr must be a finite rate >= 0, got -1$"):
        S.cosine(-1, 10)
    with pytest.raises(ScheduleError, match=r"^warmup\(\): steps must be"):
        S.warmup(0)


def test_bad_steps_and_lengths_at_evaluation() -> None:
    for schedule in (cos, S.warmup(5) >> cos, cos >> S.constant(0.1), 0.5 * cos):
        with pytest.raises(ScheduleError, match="step must be >= 0, got -1"):
            schedule(-1)
        with pytest.raises(ScheduleError, match="n must be >= 0, got -3"):
            schedule.values(-3)
        empty = schedule.values(0)
        assert empty.shape == (0,) and empty.dtype == np.float64


# -- normalisation of good values ---------------------------------------------------------------
def test_integer_rates_become_floats() -> None:
    schedule = S.cosine(1, 10)
    assert type(schedule.lr) is float and schedule.lr == 1.0
    assert type(schedule.min_lr) is float
    assert schedule == S.cosine(1.0, 10)
    assert hash(schedule) == hash(S.cosine(1.0, 10))
    assert str(schedule) == "cosine(lr=1.0, steps=10)"


def test_whole_float_counts_become_ints() -> None:
    schedule = S.cosine(0.1, 10.0)
    assert type(schedule.steps) is int and schedule == S.cosine(0.1, 10)
    assert type(S.warmup(5.0).steps) is int


@pytest.mark.parametrize(
    ("odd", "plain"),
    [
        (lambda: S.cosine(np.float32(0.5), np.int64(10), min_lr=np.float64(0.25)),
         lambda: S.cosine(0.5, 10, min_lr=0.25)),
        (lambda: S.multistep(np.float64(0.1), np.array([3, 7]).tolist(), gamma=np.float32(0.5)),
         lambda: S.multistep(0.1, (3, 7), gamma=0.5)),
        (lambda: S.multistep(0.1, [np.int32(3), np.int64(7)]), lambda: S.multistep(0.1, (3, 7))),
        (lambda: S.piecewise([1, np.float32(0.5)], [np.int16(10)]), lambda: S.piecewise((1.0, 0.5), (10,))),
        (lambda: S.one_cycle(np.int64(1), np.int64(100), three_phase=np.bool_(True)),
         lambda: S.one_cycle(1.0, 100, three_phase=True)),
        (lambda: S.wsd(np.int8(1), 100, np.uint8(10), 20), lambda: S.wsd(1.0, 100, 10, 20)),
        (lambda: S.exponential(1, decay_rate=np.float64(0.5), decay_steps=np.int64(10)),
         lambda: S.exponential(1.0, decay_rate=0.5, decay_steps=10)),
        (lambda: np.float64(0.5) * S.cosine(1, 10), lambda: Scaled(S.cosine(1.0, 10), 0.5)),
        (lambda: S.warmup(np.int64(5), start=np.float32(0.5)) >> cos, lambda: Warmup(cos, 5, 0.5)),
        (lambda: 2 * cos, lambda: Scaled(cos, 2.0)),
    ],
)
def test_numpy_and_python_numbers_normalise_to_plain_values(odd, plain) -> None:
    schedule, expected = odd(), plain()
    assert schedule == expected
    assert hash(schedule) == hash(expected)
    assert str(schedule) == str(expected)
    assert "np." not in str(schedule)
    assert json.dumps(schedule.to_dict()) == json.dumps(expected.to_dict())
    for value in _leaf_values(schedule):
        assert type(value) in (float, int, str, bool, type(None)), (value, type(value))


def _leaf_values(schedule: Schedule):
    """The values of the schedule's fields (not its cached evaluation helpers), nested ones too."""
    for field in dataclasses.fields(schedule):
        value = getattr(schedule, field.name)
        if isinstance(value, Schedule):
            yield from _leaf_values(value)
        elif isinstance(value, tuple):
            for item in value:
                yield from _leaf_values(item) if isinstance(item, Schedule) else [item]
        else:
            yield value


def test_defaults_that_depend_on_other_fields_are_filled_in() -> None:
    assert S.cyclic(0.1, 1, 7).down == 7
    assert S.inverse_sqrt(1, 50).timescale == 50
    assert S.inverse_sqrt(1, 0).timescale == 10_000
    assert S.multistep(0.1, [3, 7]).milestones == (3, 7)
    assert S.join(cos, S.join(cos, cos)).pieces == (cos, cos, cos)


def test_a_zero_factor_and_zero_rates_are_allowed() -> None:
    assert (0 * cos).values(5).tolist() == [0.0] * 5
    assert S.constant(0).values(3).tolist() == [0.0] * 3
    assert S.cosine(0, 10).bounds() == (0.0, 0.0)


@pytest.mark.parametrize(("div_factor", "final_div_factor"), [(0.5, 1e4), (25.0, 0.01), (0.5, 0.5)])
def test_one_cycle_bounds_hold_for_factors_below_one(div_factor: float, final_div_factor: float) -> None:
    schedule = S.one_cycle(1.0, 100, div_factor=div_factor, final_div_factor=final_div_factor)
    low, high = schedule.bounds()
    values = schedule.values(110)
    assert values.min() == pytest.approx(low, rel=1e-12)
    assert values.max() == pytest.approx(high, rel=1e-12)


def test_triangular2_goes_on_at_base_lr_where_its_halvings_leave_the_float_range() -> None:
    # The peak of cycle c (at step 4c - 2) is 0.1 + 0.9 / 2 ** (c - 1); torch's 1 / 2.0 ** (c - 1)
    # raised OverflowError from cycle 1026 on.
    schedule = S.cyclic(0.1, 1.0, 2, mode="triangular2")
    assert schedule(6) == 0.1 + 0.9 / 2
    assert schedule(4 * 1026 - 2) == 0.1
    assert schedule.values(4 * 1026)[-2] == 0.1


# -- flags, names in messages, phases -------------------------------------------------------
def test_a_bad_decay_rate_is_named_decay_rate() -> None:
    with pytest.raises(ScheduleError, match="decay_rate"):
        S.exponential(1, decay_rate=-0.5, decay_steps=10)


def test_a_string_flag_is_refused() -> None:
    with pytest.raises(ScheduleError, match="staircase"):
        S.exponential(1, decay_rate=0.5, decay_steps=10, staircase="false")


def test_no_phase_starts_after_a_schedule_has_ended() -> None:
    schedule = S.step(1.0, 5, steps=10)
    assert max(schedule.phase_starts(40)) <= schedule.length


def test_staircase_without_decay_steps_is_refused() -> None:
    with pytest.raises(ScheduleError, match="staircase"):
        S.exponential(1, gamma=0.9, staircase=True)


@pytest.mark.parametrize(
    "schedule",
    [
        S.multistep(1.0, [3, 30], steps=10),
        S.cosine_restarts(1.0, 4, steps=10),
        S.cyclic(0.1, 1.0, 2, steps=10),
    ],
    ids=str,
)
def test_phase_starts_stop_at_the_length(schedule) -> None:
    assert all(s <= schedule.length for s in schedule.phase_starts(100))
