"""lrkit against the published formulas of optax, Keras, transformers and timm.

None of those libraries is installed here: each reference below is the formula of the named function,
written out in plain Python from its source (google-deepmind/optax `optax/schedules/_schedule.py`,
keras-team/keras `keras/src/optimizers/schedules/learning_rate_schedule.py`, huggingface/transformers
`src/transformers/optimization.py`, huggingface/pytorch-image-models `timm/scheduler/cosine_lr.py`),
and compared with lrkit's `s(k)` and `s.values(n)` at every step of the horizon, to a relative 1e-12.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from lrkit.schedules import (
    Schedule,
    constant,
    cosine,
    cosine_restarts,
    exponential,
    inverse_sqrt,
    inverse_time,
    piecewise,
    polynomial,
    warmup,
    wsd,
)

RTOL = 1e-12
HORIZON = 2400

Reference = Callable[[int], float]


def _assert_matches(schedule: Schedule, reference: Reference, n: int = HORIZON) -> None:
    expected = np.array([reference(k) for k in range(n)], dtype=np.float64)
    for what, actual in (("per step", [schedule(k) for k in range(n)]), ("values", schedule.values(n))):
        actual = np.asarray(actual, dtype=np.float64)
        # Relative to the published formula. The 1e-300 floor only matters where that formula gives
        # exactly 0 (a warmup from 0, a decay to 0): no relative error is defined there, so lrkit must
        # give exactly 0 as well.
        error = np.abs(actual - expected) / np.maximum(np.abs(expected), 1e-300)
        if not (error <= RTOL).all():
            k = int(np.argmax(error > RTOL))
            raise AssertionError(
                f"{schedule} {what}: first off at step {k}: {actual[k]!r} vs {expected[k]!r} "
                f"(relative error {error[k]:.3g}, worst {error.max():.3g})"
            )


def _sign(x: float) -> float:
    return float((x > 0) - (x < 0))


# -- optax ----------------------------------------------------------------------------------------
def optax_polynomial_schedule(init_value, end_value, power, transition_steps, transition_begin=0):
    """optax.polynomial_schedule."""

    def schedule(count):
        count = min(max(count - transition_begin, 0), transition_steps)
        frac = 1 - count / transition_steps
        return (init_value - end_value) * (frac**power) + end_value

    return schedule


def optax_linear_schedule(init_value, end_value, transition_steps) -> Reference:
    """optax.linear_schedule: polynomial_schedule with power=1."""
    return optax_polynomial_schedule(init_value, end_value, 1, transition_steps)


def optax_cosine_decay_schedule(init_value, decay_steps, alpha=0.0, exponent=1.0) -> Reference:
    """optax.cosine_decay_schedule."""

    def schedule(count):
        count = min(count, decay_steps)
        cosine_decay = 0.5 * (1 + math.cos(math.pi * count / decay_steps))
        decayed = (1 - alpha) * cosine_decay**exponent + alpha
        return init_value * decayed

    return schedule


def optax_join_schedules(schedules, boundaries) -> Reference:
    """optax.join_schedules: from each boundary on, the next schedule at `step - boundary`."""

    def schedule(step):
        output = schedules[0](step)
        for boundary, later in zip(boundaries, schedules[1:]):
            output = output if step < boundary else later(step - boundary)
        return output

    return schedule


def optax_warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps, end_value=0.0):
    """optax.warmup_cosine_decay_schedule: `decay_steps` counts the warmup too."""
    alpha = 0.0 if peak_value == 0.0 else end_value / peak_value
    return optax_join_schedules(
        [
            optax_linear_schedule(init_value, peak_value, warmup_steps),
            optax_cosine_decay_schedule(peak_value, decay_steps - warmup_steps, alpha),
        ],
        [warmup_steps],
    )


def optax_piecewise_constant_schedule(init_value, boundaries_and_scales) -> Reference:
    """optax.piecewise_constant_schedule: scales multiply in from their boundary (inclusive)."""

    def schedule(count):
        v = init_value
        for threshold, scale in sorted(boundaries_and_scales.items()):
            indicator = max(0.0, _sign(threshold - count))
            v = v * indicator + (1 - indicator) * scale * v
        return v

    return schedule


def optax_exponential_decay(init_value, transition_steps, decay_rate, transition_begin=0, staircase=False):
    """optax.exponential_decay (end_value=None)."""

    def schedule(count):
        decreased_count = count - transition_begin
        p = decreased_count / transition_steps
        if staircase:
            p = math.floor(p)
        return init_value if decreased_count <= 0 else init_value * decay_rate**p

    return schedule


@pytest.mark.parametrize(
    ("init", "peak", "warmup_steps", "decay_steps", "end"),
    [
        (0.0, 0.1, 100, 2000, 0.0),
        (1e-4, 3e-3, 250, 2200, 1e-5),
        (0.01, 0.5, 1, 2345, 0.05),
        (0.02, 0.1, 999, 2100, 0.0),
    ],
)
def test_optax_warmup_cosine_decay_schedule(init, peak, warmup_steps, decay_steps, end):
    # optax's decay_steps includes the warmup; lrkit's cosine counts only its own steps.
    schedule = warmup(warmup_steps, start=init / peak) >> cosine(peak, decay_steps - warmup_steps, min_lr=end)
    _assert_matches(schedule, optax_warmup_cosine_decay_schedule(init, peak, warmup_steps, decay_steps, end))


@pytest.mark.parametrize(
    ("init", "decay_steps", "alpha"), [(0.1, 2000, 0.0), (0.3, 1777, 0.01), (1.0, 1, 0.5)]
)
def test_optax_cosine_decay_schedule(init, decay_steps, alpha):
    _assert_matches(
        cosine(init, decay_steps, min_lr=alpha * init), optax_cosine_decay_schedule(init, decay_steps, alpha)
    )


@pytest.mark.parametrize(
    ("init", "end", "power", "transition_steps"),
    [(0.1, 0.0, 1.0, 2000), (0.1, 1e-4, 2.5, 1234), (0.05, 0.001, 0.5, 1), (1.0, 0.3, 0.77, 2399)],
)
def test_optax_polynomial_schedule(init, end, power, transition_steps):
    _assert_matches(
        polynomial(init, transition_steps, power=power, end_lr=end),
        optax_polynomial_schedule(init, end, power, transition_steps),
    )


def test_optax_polynomial_with_transition_begin():
    # lrkit has no transition_begin: a constant piece in front plays it.
    init, end, power, steps, begin = 0.1, 1e-3, 1.7, 1500, 321
    schedule = constant(init, steps=begin) >> polynomial(init, steps, power=power, end_lr=end)
    _assert_matches(schedule, optax_polynomial_schedule(init, end, power, steps, transition_begin=begin))


@pytest.mark.parametrize(
    ("init", "boundaries_and_scales"),
    [(0.1, {500: 0.1, 1000: 0.1}), (0.3, {1: 0.5, 2: 0.5, 1999: 3.0}), (1.0, {777: 0.0, 1500: 1.0})],
)
def test_optax_piecewise_constant_schedule(init, boundaries_and_scales):
    # optax multiplies scales in; lrkit's piecewise takes the absolute rates they add up to.
    boundaries = sorted(boundaries_and_scales)
    rates = [init]
    for boundary in boundaries:
        rates.append(boundaries_and_scales[boundary] * rates[-1])
    reference = optax_piecewise_constant_schedule(init, boundaries_and_scales)
    _assert_matches(piecewise(rates, boundaries), reference)


@pytest.mark.parametrize(
    ("init", "transition_steps", "decay_rate", "staircase"),
    [(0.1, 100, 0.5, False), (0.1, 7, 0.937, True), (0.05, 333, 0.1, True), (0.3, 1, 0.999, False)],
)
def test_optax_exponential_decay(init, transition_steps, decay_rate, staircase):
    _assert_matches(
        exponential(init, decay_rate=decay_rate, decay_steps=transition_steps, staircase=staircase),
        optax_exponential_decay(init, transition_steps, decay_rate, transition_begin=0, staircase=staircase),
    )


# -- Keras ----------------------------------------------------------------------------------------
def keras_exponential_decay(initial_learning_rate, decay_steps, decay_rate, staircase=False) -> Reference:
    """keras.optimizers.schedules.ExponentialDecay."""

    def schedule(step):
        p = step / decay_steps
        if staircase:
            p = math.floor(p)
        return initial_learning_rate * decay_rate**p

    return schedule


def keras_inverse_time_decay(initial_learning_rate, decay_steps, decay_rate, staircase=False) -> Reference:
    """keras.optimizers.schedules.InverseTimeDecay."""

    def schedule(step):
        p = step / decay_steps
        if staircase:
            p = math.floor(p)
        return initial_learning_rate / (1 + decay_rate * p)

    return schedule


def keras_polynomial_decay(initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0):
    """keras.optimizers.schedules.PolynomialDecay with cycle=False."""

    def schedule(step):
        step = min(step, decay_steps)
        p = step / decay_steps
        return (initial_learning_rate - end_learning_rate) * (1 - p) ** power + end_learning_rate

    return schedule


def keras_cosine_decay(initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    """keras.optimizers.schedules.CosineDecay: a linear warmup from initial_learning_rate to
    warmup_target over warmup_steps, then a cosine decay over decay_steps to alpha * warmup_target."""

    def decay(step, decay_from_lr):
        completed_fraction = step / decay_steps
        cosine_decayed = 0.5 * (1.0 + math.cos(math.pi * completed_fraction))
        decayed = (1 - alpha) * cosine_decayed + alpha
        return decay_from_lr * decayed

    def schedule(step):
        if warmup_target is None:
            return decay(min(step, decay_steps), initial_learning_rate)
        step = min(step, decay_steps + warmup_steps)
        if step < warmup_steps:
            completed_fraction = step / warmup_steps
            return (warmup_target - initial_learning_rate) * completed_fraction + initial_learning_rate
        return decay(step - warmup_steps, warmup_target)

    return schedule


def keras_piecewise_constant_decay(boundaries, values) -> Reference:
    """keras.optimizers.schedules.PiecewiseConstantDecay: values[0] while step <= boundaries[0]."""

    def schedule(step):
        for boundary, value in zip(boundaries, values):
            if step <= boundary:
                return value
        return values[-1]

    return schedule


@pytest.mark.parametrize(
    ("init", "decay_steps", "decay_rate", "staircase"),
    [(0.1, 1000, 0.96, True), (0.1, 7, 0.937, False), (0.3, 1, 0.999, False), (0.05, 333, 0.1, True)],
)
def test_keras_exponential_decay(init, decay_steps, decay_rate, staircase):
    _assert_matches(
        exponential(init, decay_rate=decay_rate, decay_steps=decay_steps, staircase=staircase),
        keras_exponential_decay(init, decay_steps, decay_rate, staircase),
    )


@pytest.mark.parametrize(
    ("init", "decay_steps", "decay_rate", "staircase"),
    [(0.1, 1, 0.5, False), (0.1, 100, 0.5, True), (0.3, 7, 0.937, False), (0.01, 333, 3.0, True)],
)
def test_keras_inverse_time_decay(init, decay_steps, decay_rate, staircase):
    _assert_matches(
        inverse_time(init, decay_rate, decay_steps, staircase=staircase),
        keras_inverse_time_decay(init, decay_steps, decay_rate, staircase),
    )


@pytest.mark.parametrize(
    ("init", "decay_steps", "end", "power"),
    [(0.1, 2000, 1e-4, 1.0), (0.1, 1234, 0.0, 2.0), (0.5, 1, 0.01, 0.5)],
)
def test_keras_polynomial_decay(init, decay_steps, end, power):
    _assert_matches(
        polynomial(init, decay_steps, power=power, end_lr=end),
        keras_polynomial_decay(init, decay_steps, end, power),
    )


@pytest.mark.parametrize(
    ("init", "decay_steps", "alpha", "target", "warmup_steps"),
    [
        (0.0, 1800, 0.0, 0.1, 200),
        (1e-3, 2000, 0.01, 0.3, 1),
        (0.05, 1500, 0.1, None, 0),
        (0.02, 1999, 0.05, 0.02, 100),  # a warmup that stays flat: warmup_target == initial rate
    ],
)
def test_keras_cosine_decay(init, decay_steps, alpha, target, warmup_steps):
    if target is None:
        schedule = cosine(init, decay_steps, min_lr=alpha * init)
    else:
        decay = cosine(target, decay_steps, min_lr=alpha * target)
        schedule = warmup(warmup_steps, start=init / target) >> decay
    _assert_matches(schedule, keras_cosine_decay(init, decay_steps, alpha, target, warmup_steps))


def test_keras_piecewise_constant_decay_is_one_step_later_than_optax():
    # Keras keeps values[i] through its boundary (step <= b); optax and lrkit switch at it (step >= b).
    boundaries, values = [100, 1100], [1.0, 0.5, 0.1]
    reference = keras_piecewise_constant_decay(boundaries, values)
    _assert_matches(piecewise(values, [b + 1 for b in boundaries]), reference)
    assert piecewise(values, boundaries)(100) == 0.5 != reference(100)


# -- transformers ---------------------------------------------------------------------------------
def transformers_wsd_lambda(
    current_step, *, num_warmup_steps, num_stable_steps, num_decay_steps, decay_type, min_lr_ratio,
    warmup_type="linear", num_cycles=0.5,
):
    """transformers.optimization._get_wsd_scheduler_lambda (get_wsd_schedule's LambdaLR factor)."""
    if current_step < num_warmup_steps:
        progress = float(current_step) / float(max(1, num_warmup_steps))
        if warmup_type == "linear":
            factor = progress
        elif warmup_type == "cosine":
            factor = 0.5 * (1.0 - math.cos(math.pi * progress))
        elif warmup_type == "1-sqrt":
            factor = 1.0 - math.sqrt(1.0 - progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)

    if current_step < num_warmup_steps + num_stable_steps:
        return 1.0

    if current_step < num_warmup_steps + num_stable_steps + num_decay_steps:
        progress = float(current_step - num_warmup_steps - num_stable_steps) / float(max(1, num_decay_steps))
        if decay_type == "linear":
            factor = 1.0 - progress
        elif decay_type == "cosine":
            factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
        elif decay_type == "1-sqrt":
            factor = 1.0 - math.sqrt(progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)
    return min_lr_ratio


def transformers_inverse_sqrt_lambda(current_step, *, num_warmup_steps, timescale=None):
    """transformers.optimization._get_inverse_sqrt_schedule_lr_lambda, with get_inverse_sqrt_schedule's
    default timescale."""
    if timescale is None:
        timescale = num_warmup_steps or 10_000
    if current_step < num_warmup_steps:
        return float(current_step) / float(max(1, num_warmup_steps))
    shift = timescale - num_warmup_steps
    decay = 1.0 / math.sqrt((current_step + shift) / timescale)
    return decay


def _lrkit_wsd(lr, warmup_steps, stable_steps, decay_steps, shape, min_lr_ratio) -> Schedule:
    total = warmup_steps + stable_steps + decay_steps
    if warmup_steps == 0 or min_lr_ratio == 0:
        return wsd(lr, total, warmup=warmup_steps, decay=decay_steps, shape=shape, min_lr=min_lr_ratio * lr)
    # transformers warms up from min_lr_ratio * lr, lrkit's wsd from 0: put the warmup in front instead
    # (see test_wsd_warmup_starts_from_zero).
    return warmup(warmup_steps, start=min_lr_ratio) >> wsd(
        lr, total - warmup_steps, warmup=0, decay=decay_steps, shape=shape, min_lr=min_lr_ratio * lr
    )


@pytest.mark.parametrize(
    ("lr", "warmup_steps", "stable_steps", "decay_steps", "decay_type", "min_lr_ratio"),
    [
        (0.1, 100, 1400, 500, "linear", 0.0),
        (0.1, 0, 1500, 600, "cosine", 0.1),
        (0.3, 250, 1000, 777, "1-sqrt", 0.0),
        (0.1, 37, 1600, 300, "cosine", 0.05),
        (0.05, 1, 0, 2000, "1-sqrt", 0.01),
    ],
)
def test_transformers_wsd_schedule(lr, warmup_steps, stable_steps, decay_steps, decay_type, min_lr_ratio):
    # get_wsd_schedule is a LambdaLR: the rate is the optimizer's lr times the lambda.
    def reference(k):
        return lr * transformers_wsd_lambda(
            k, num_warmup_steps=warmup_steps, num_stable_steps=stable_steps, num_decay_steps=decay_steps,
            decay_type=decay_type, min_lr_ratio=min_lr_ratio,
        )

    schedule = _lrkit_wsd(lr, warmup_steps, stable_steps, decay_steps, decay_type, min_lr_ratio)
    _assert_matches(schedule, reference)


def test_wsd_warmup_starts_from_zero():
    """Documented difference: lrkit's wsd warms up from 0 whatever min_lr is (as transformers did before
    min_lr_ratio reached the warmup); transformers' current lambda warms up from min_lr_ratio. Both agree
    from the end of the warmup on."""
    lr, ratio = 0.1, 0.05
    schedule = wsd(lr, 2000, warmup=100, decay=300, shape="cosine", min_lr=ratio * lr)

    def reference(k):
        return lr * transformers_wsd_lambda(
            k, num_warmup_steps=100, num_stable_steps=1600, num_decay_steps=300, decay_type="cosine",
            min_lr_ratio=ratio,
        )

    assert schedule(0) == 0.0
    assert reference(0) == pytest.approx(ratio * lr, rel=1e-15)
    _assert_matches(_lrkit_wsd(lr, 100, 1600, 300, "cosine", ratio), reference)
    tail = np.arange(100, HORIZON)
    np.testing.assert_allclose(schedule.values(HORIZON)[tail], [reference(k) for k in tail], rtol=RTOL)


@pytest.mark.parametrize(
    ("lr", "warmup_steps", "timescale"), [(0.1, 0, None), (0.1, 100, None), (0.05, 37, 500), (1.0, 1, 1)]
)
def test_transformers_inverse_sqrt_schedule(lr, warmup_steps, timescale):
    def reference(k):
        return lr * transformers_inverse_sqrt_lambda(k, num_warmup_steps=warmup_steps, timescale=timescale)

    _assert_matches(inverse_sqrt(lr, warmup_steps, timescale=timescale), reference)


# -- timm: SGDR with a decaying peak --------------------------------------------------------------
def timm_cosine_lr(base_lr, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit=10**9) -> Reference:
    """timm.scheduler.CosineLRScheduler._get_lr without warmup and with k_decay=1. timm finds the cycle
    with `floor(log(1 - t / t_initial * (1 - cycle_mul), cycle_mul))`, which rounds one cycle early at
    some restarts (test_sgdr_restarts_exactly_where_the_cycles_add_up); here the cycle is found by
    adding up the cycle lengths, so t_i and t_curr are the integers that formula means."""

    def schedule(t):
        i, start, t_i = 0, 0, t_initial
        while start + t_i <= t:
            start, t_i, i = start + t_i, t_i * cycle_mul, i + 1
        t_curr = t - start
        lr_max = base_lr * cycle_decay**i
        if i < cycle_limit:
            return lr_min + 0.5 * (lr_max - lr_min) * (1 + math.cos(math.pi * t_curr / t_i))
        return lr_min

    return schedule


@pytest.mark.parametrize(
    ("lr", "t_initial", "cycle_mul", "lr_min", "cycle_decay"),
    [
        (0.1, 100, 1, 1e-4, 0.9),
        (0.1, 13, 2, 0.0, 0.7),
        (0.05, 7, 3, 1e-5, 0.5),
        (0.2, 1, 2, 1e-3, 0.8),
        (0.1, 1, 3, 0.0, 0.6),
    ],
)
def test_sgdr_with_cycle_decay(lr, t_initial, cycle_mul, lr_min, cycle_decay):
    # Every decayed peak stays above lr_min within the horizon (see test_sgdr_peak_never_below_min_lr).
    _assert_matches(
        cosine_restarts(lr, t_initial, cycle_mul, min_lr=lr_min, decay=cycle_decay),
        timm_cosine_lr(lr, t_initial, lr_min, cycle_mul, cycle_decay),
    )


def test_sgdr_peak_never_below_min_lr():
    """Documented difference: once lr * decay^i falls below min_lr, timm's cycle starts below lr_min
    and climbs back to it; lrkit's peak stops at min_lr, so those cycles hold min_lr."""
    lr, period, min_lr, decay = 1.0, 10, 0.1, 0.5  # peaks 1, 0.5, 0.25, 0.125, then 0.0625 < 0.1
    schedule = cosine_restarts(lr, period, min_lr=min_lr, decay=decay)
    reference = timm_cosine_lr(lr, period, min_lr, 1, decay)
    values = schedule.values(100)
    _assert_matches(schedule, reference, n=4 * period)
    assert (values[4 * period :] == min_lr).all()
    assert all(reference(k) < min_lr for k in range(4 * period, 100, period))


def test_sgdr_restarts_exactly_where_the_cycles_add_up():
    """timm's closed-form cycle index floor(log(1 - t / t_initial * (1 - mul), mul)) gives 4 at t=121 for
    t_initial=1, mul=3 (log base 3 of 243 rounds to 4.999...), so timm ends cycle 4 there; the cycles
    1 + 3 + 9 + 27 + 81 = 121 say cycle 5 starts, and lrkit restarts there."""
    t_initial, mul, t = 1, 3, 121
    assert math.floor(math.log(1 - t / t_initial * (1 - mul), mul)) == 4
    schedule = cosine_restarts(1.0, t_initial, mul, decay=0.5)
    assert schedule(t) == 0.5**5
    assert schedule(t - 1) < 1e-3 * schedule(t)
    assert schedule.phase_starts(122)[-1] == 121

