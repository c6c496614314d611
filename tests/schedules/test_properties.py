"""Properties every schedule keeps, over generated schedules of every type and their compositions."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import (
    BASE,
    base_schedules,
    compositions,
    cosines,
    exponentials,
    inverse_sqrts,
    inverse_times,
    joins,
    long_schedules,
    multisteps,
    one_cycles,
    polynomials,
    schedules,
    step_decays,
    wsds,
)

from lrkit import schedules as S
from lrkit.schedules import Join, Scaled, Schedule, Warmup, parse

PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: see conftest.py
REL = 1e-12


def _horizon(schedule: Schedule) -> int:
    """How many steps to look at: all of a short schedule and a little past its end."""
    length = schedule.length
    return (150 if length is None else min(length, 400)) + 10


def _scale(schedule: Schedule) -> float:
    return max(schedule.bounds()[1], 1e-300)


# -- the values themselves -----------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(BASE))
@PROPERTY
@given(data=st.data())
def test_each_type_is_finite_non_negative_and_within_bounds(name: str, data: st.DataObject) -> None:
    schedule = data.draw(BASE[name](finite=data.draw(st.booleans())))
    _assert_within_bounds(schedule)


@PROPERTY
@given(schedules())
def test_any_schedule_is_finite_non_negative_and_within_bounds(schedule: Schedule) -> None:
    _assert_within_bounds(schedule)


def _assert_within_bounds(schedule: Schedule) -> None:
    low, high = schedule.bounds()
    assert math.isfinite(low) and math.isfinite(high)
    assert 0.0 <= low <= high
    values = schedule.values(_horizon(schedule))
    assert np.all(np.isfinite(values))
    assert np.all(values >= 0.0)
    # Relative slack, plus a few ulps of the peak: a formula like torch's linear anneal,
    # (end - start) * pct + start, lands within an ulp of `start`, not of `end`.
    ulps = 1e-15 * high
    assert np.all(values >= low * (1 - REL) - ulps), (str(schedule), values.min(), low)
    assert np.all(values <= high * (1 + REL)), (str(schedule), values.max(), high)


def _assert_values_are_the_calls(schedule: Schedule, values: np.ndarray, steps) -> None:
    """`values[k]` is `schedule(k)` to the last bit (README's promise), at each of `steps`."""
    for k in steps:
        single = schedule(k)
        assert isinstance(single, float)
        assert values[k].tobytes() == np.float64(single).tobytes(), (str(schedule), k, values[k], single)


@PROPERTY
@given(schedules())
def test_values_equal_per_step_calls_exactly(schedule: Schedule) -> None:
    n = _horizon(schedule)
    values = schedule.values(n)
    assert values.shape == (n,) and values.dtype == np.float64
    _assert_values_are_the_calls(schedule, values, range(n))


@PROPERTY
@given(long_schedules(), st.data())
def test_values_equal_per_step_calls_exactly_over_long_horizons(schedule: Schedule, data) -> None:
    n = _horizon(schedule) if schedule.length is None else schedule.length + 10
    n = max(n, 20_000)
    values = schedule.values(n)
    # Where phases meet (off-by-one and rounding live there), the ends, and steps drawn anywhere.
    starts = schedule.phase_starts(n)[:50]
    near = {k + d for k in starts for d in (-1, 0, 1)} | {0, 1, n - 2, n - 1}
    drawn = data.draw(st.lists(st.integers(0, n - 1), min_size=20, max_size=60), label="steps")
    _assert_values_are_the_calls(schedule, values, sorted(near | set(drawn)))


@PROPERTY
@given(schedules(), st.integers(0, 50))
def test_values_of_a_prefix_are_a_prefix_of_values(schedule: Schedule, m: int) -> None:
    n = _horizon(schedule)
    np.testing.assert_array_equal(schedule.values(n)[: min(m, n)], schedule.values(min(m, n)))


@PROPERTY
@given(schedules(finite=True))
def test_holds_its_last_value_past_its_length(schedule: Schedule) -> None:
    length = schedule.length
    assert isinstance(length, int) and length >= 1
    last = schedule(length)
    for extra in (1, 2, 17, 10_000):
        assert schedule(length + extra) == last
    tail = schedule.values(length + 6)[length:]
    assert (tail == last).all()


@PROPERTY
@given(schedules(), st.integers(1, 300))
def test_phase_starts_are_increasing_steps_below_n(schedule: Schedule, n: int) -> None:
    starts = schedule.phase_starts(n)
    assert all(isinstance(start, int) for start in starts)
    assert all(0 < start < n for start in starts)
    assert all(a < b for a, b in itertools.pairwise(starts)), starts


@PROPERTY
@given(joins(schedules(True, 1), schedules(False, 1)), st.integers(1, 400))
def test_a_join_marks_where_each_piece_starts(schedule: Join, n: int) -> None:
    starts = schedule.phase_starts(n)
    assert {start for start in schedule.starts if start < n} <= set(starts)


# -- the value semantics: spec, dict, pickle, frozen, hash ----------------------------------
@PROPERTY
@given(schedules())
def test_spec_round_trip(schedule: Schedule) -> None:
    text = str(schedule)
    again = parse(text)
    assert again == schedule, text
    assert str(again) == text


@PROPERTY
@given(schedules())
def test_dict_round_trip_through_json(schedule: Schedule) -> None:
    data = json.loads(json.dumps(schedule.to_dict()))
    assert data["type"] == schedule.name
    again = Schedule.from_dict(data)
    assert again == schedule
    assert type(again) is type(schedule)
    assert S.schedule_from_dict(data) == schedule


@PROPERTY
@given(schedules())
def test_pickle_round_trip(schedule: Schedule) -> None:
    again = pickle.loads(pickle.dumps(schedule))
    assert again == schedule
    n = _horizon(schedule)
    np.testing.assert_array_equal(again.values(n), schedule.values(n))


@PROPERTY
@given(schedules())
def test_frozen(schedule: Schedule) -> None:
    for field in dataclasses.fields(schedule):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(schedule, field.name, getattr(schedule, field.name))


@PROPERTY
@given(schedules())
def test_hash_agrees_with_equality(schedule: Schedule) -> None:
    copy = Schedule.from_dict(schedule.to_dict())
    assert copy is not schedule
    assert hash(copy) == hash(schedule)
    assert len({schedule, copy}) == 1


# -- composition ----------------------------------------------------------------------------
@PROPERTY
@given(schedules(True, 1), schedules(False, 1))
def test_b_starts_at_its_own_step_zero_where_a_ends(a: Schedule, b: Schedule) -> None:
    joined = a >> b
    end = a.length
    assert joined(end) == b(0)
    for k in range(min(end, 50)):
        assert joined(k) == a(k)
    for k in range(30):
        assert joined(end + k) == b(k)


@PROPERTY
@given(joins(schedules(True, 1), schedules(False, 1)))
def test_each_piece_of_a_join_starts_at_its_step_zero(schedule: Join) -> None:
    for piece, start in zip(schedule.pieces[1:], schedule.starts):
        assert schedule(start) == piece(0)
    expected = None if schedule.pieces[-1].length is None else sum(p.length for p in schedule.pieces)
    assert schedule.length == expected


@PROPERTY
@given(st.integers(1, 60), st.floats(0.0, 1.0), schedules(False, 1))
def test_linear_warmup_ramps_monotonically_to_the_first_rate(steps: int, start: float, target) -> None:
    schedule = S.warmup(steps, start=start) >> target
    first = target(0)
    assert schedule(steps) == first
    assert math.isclose(schedule(0), start * first, rel_tol=REL)
    ramp = schedule.values(steps + 1)
    assert np.all(np.diff(ramp) >= -REL * first)
    assert np.all(ramp <= first * (1 + REL))
    for k in range(20):
        assert schedule(steps + k) == target(k)


@PROPERTY
@given(st.integers(1, 60), st.floats(0.01, 1.0), schedules(False, 1))
def test_exponential_warmup_ramps_monotonically_to_the_first_rate(steps: int, start: float, target) -> None:
    schedule = S.warmup(steps, start=start, shape="exponential") >> target
    first = target(0)
    assert schedule(steps) == first
    assert math.isclose(schedule(0), start * first, rel_tol=REL)
    ramp = schedule.values(steps + 1)
    assert np.all(np.diff(ramp) >= -REL * first)


@PROPERTY
@given(compositions(), st.one_of(st.just(0.0), st.floats(0.01, 4.0)))
def test_scaling_multiplies_every_rate(schedule: Schedule, factor: float) -> None:
    scaled = factor * schedule
    assert isinstance(scaled, Scaled) and scaled.length == schedule.length
    n = _horizon(schedule)
    np.testing.assert_allclose(scaled.values(n), factor * schedule.values(n), rtol=REL, atol=0)


def test_compositions_are_drawn() -> None:
    """The strategy reaches every kind of composition, nested ones included."""
    seen: set[str] = set()

    @settings(max_examples=150, deadline=None, database=None)
    @given(schedules())
    def collect(schedule: Schedule) -> None:
        seen.add(type(schedule).__name__)
        inner = getattr(schedule, "target", None) or getattr(schedule, "schedule", None)
        if isinstance(schedule, Join):
            inner = schedule.pieces[0]
        if isinstance(inner, (Join, Warmup, Scaled)):
            seen.add("nested")

    collect()
    assert {"Join", "Warmup", "Scaled", "nested"} <= seen


# -- continuity where promised ---------------------------------------------------------------
def _max_jump(schedule: Schedule, n: int) -> float:
    return float(np.max(np.abs(np.diff(schedule.values(n))))) if n > 1 else 0.0


@PROPERTY
@given(cosines())
def test_cosine_is_continuous(schedule: S.Cosine) -> None:
    # |d/dt (1 + cos(pi t / steps)) / 2| <= pi / (2 steps).
    bound = math.pi / 2 * (schedule.lr - schedule.min_lr) / schedule.steps
    assert _max_jump(schedule, schedule.steps + 5) <= bound * (1 + 1e-9) + 1e-15 * schedule.lr


@PROPERTY
@given(wsds())
def test_wsd_is_continuous(schedule: S.WarmupStableDecay) -> None:
    # Warmup climbs lr / warmup per step; the decay falls at most (lr - min_lr) times pi / (2 decay)
    # (cosine), 1 / decay (linear) or sqrt(1 / decay) (1-sqrt, steepest at its first step).
    slope = {"linear": 1.0, "cosine": math.pi / 2}.get(schedule.shape)
    decay = slope / schedule.decay if slope else math.sqrt(1 / schedule.decay)
    bound = max(
        schedule.lr / schedule.warmup if schedule.warmup else 0.0,
        (schedule.lr - schedule.min_lr) * decay,
    )
    assert _max_jump(schedule, schedule.steps + 5) <= bound * (1 + 1e-9) + 1e-15 * schedule.lr


def _shortest_phase(schedule: S.OneCycle) -> float:
    # Torch's layout: the rise ends at pct * steps - 1, the mirror (three_phase) at 2 pct steps - 2,
    # the last phase at steps - 1.
    rise = schedule.pct_start * schedule.steps - 1
    ends = [rise, 2 * rise, schedule.steps - 1] if schedule.three_phase else [rise, schedule.steps - 1]
    return min(b - a for a, b in zip([0.0, *ends], ends))


@PROPERTY
@given(one_cycles())
def test_one_cycle_is_continuous(schedule: S.OneCycle) -> None:
    # Within a phase of length L the rate moves at most amplitude * pi / (2 L) per step (cosine;
    # linear moves amplitude / L), and amplitude <= the highest rate (max_lr, unless a factor
    # below 1 puts the start or the end above it); across a phase end the two neighbours share
    # the end rate, so the same bound holds there.
    peak = schedule.bounds()[1]
    bound = math.pi / 2 * peak / _shortest_phase(schedule)
    assert _max_jump(schedule, schedule.steps + 5) <= bound * (1 + 1e-9) + 1e-15 * peak


@PROPERTY
@given(one_cycles())
def test_one_cycle_moves_a_small_multiple_of_peak_over_steps(schedule: S.OneCycle) -> None:
    # With every phase at least a tenth of the run, a step moves <= 5 pi * peak / steps.
    assume(_shortest_phase(schedule) >= schedule.steps / 10)
    peak = schedule.bounds()[1]
    bound = 5 * math.pi * peak / schedule.steps
    assert _max_jump(schedule, schedule.steps + 5) <= bound * (1 + 1e-9) + 1e-15 * peak


@PROPERTY
@given(st.integers(1, 60), cosines())
def test_linear_warmup_into_cosine_is_continuous(steps: int, target: S.Cosine) -> None:
    schedule = S.warmup(steps) >> target
    bound = max(target.lr / steps, math.pi / 2 * (target.lr - target.min_lr) / target.steps)
    assert _max_jump(schedule, steps + target.steps + 5) <= bound * (1 + 1e-9) + 1e-15 * target.lr


# -- monotone where promised -------------------------------------------------------------------
def _assert_non_increasing(values: np.ndarray, scale: float) -> None:
    rises = np.diff(values)
    assert np.all(rises <= REL * values[:-1] + 1e-15 * scale), values


DECAYING = {
    "cosine": cosines(),
    "polynomial": polynomials(),
    "step": step_decays().filter(lambda s: s.gamma <= 1),
    "multistep": multisteps().filter(lambda s: s.gamma <= 1),
    "exponential": exponentials().filter(lambda s: (s.gamma or s.decay_rate) <= 1),
    "inverse_time": inverse_times(),
}


@pytest.mark.parametrize("name", sorted(DECAYING))
@PROPERTY
@given(data=st.data())
def test_decays_never_rise(name: str, data: st.DataObject) -> None:
    schedule = data.draw(DECAYING[name])
    _assert_non_increasing(schedule.values(_horizon(schedule)), _scale(schedule))


@PROPERTY
@given(inverse_sqrts())
def test_inverse_sqrt_never_rises_after_its_warmup(schedule: S.InverseSqrt) -> None:
    assume(schedule.steps is None or schedule.steps >= schedule.warmup)
    values = schedule.values(schedule.warmup + 200)
    assert np.all(np.diff(values[: schedule.warmup + 1]) >= 0)
    assert values[schedule.warmup] == pytest.approx(schedule.lr, rel=REL)
    _assert_non_increasing(values[schedule.warmup :], _scale(schedule))


@PROPERTY
@given(base_schedules())
def test_bounds_are_reached_or_approached(schedule: Schedule) -> None:
    """`bounds()` is not wildly loose for schedules that reach their declared highest rate."""
    reached = (S.Constant, S.Cosine, S.Polynomial, S.Linear)
    if isinstance(schedule, reached) or (isinstance(schedule, S.Piecewise) and schedule.steps is None):
        values = schedule.values(max(_horizon(schedule), 160))
        low, high = schedule.bounds()
        assert math.isclose(values.max(), high, rel_tol=REL)
        assert math.isclose(values.min(), low, rel_tol=REL, abs_tol=1e-15 * _scale(schedule))
