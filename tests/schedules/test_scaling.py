"""Batch-size scaling of the rate (linear and square-root rules) and of the warmup length."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit.schedules import ScheduleError, scale_lr, scale_warmup

RATES = st.floats(1e-6, 10.0)
BATCHES = st.integers(1, 1 << 16)
RULES = st.sampled_from(["linear", "sqrt"])


def test_the_published_rules() -> None:
    # Goyal et al.: 0.1 at batch 256 -> 3.2 at 8192; square root: 4x the batch -> 2x the rate.
    assert scale_lr(0.1, 256, 8192) == pytest.approx(3.2)
    assert scale_lr(1e-3, 64, 256, rule="sqrt") == pytest.approx(2e-3)
    assert scale_lr(0.4, 1024, 256) == pytest.approx(0.1)
    assert scale_lr(0.1, 32, 32, rule="sqrt") == 0.1


def test_warmup_keeps_the_number_of_examples() -> None:
    # 5 epochs of 5005 steps at batch 256 -> 5 epochs of 156.4 steps at 8192, rounded up.
    assert scale_warmup(25025, 256, 8192) == 783
    assert scale_warmup(100, 32, 64) == 50
    assert scale_warmup(100, 64, 32) == 200
    assert scale_warmup(1, 32, 1024) == 1
    assert scale_warmup(0, 32, 1024) == 0


def test_numpy_integers_are_batch_sizes() -> None:
    assert scale_lr(0.1, np.int64(32), np.int32(64)) == pytest.approx(0.2)
    assert scale_warmup(np.int64(10), np.int64(2), 4) == 5


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: scale_lr(0.0, 32, 64), "lr"),
        (lambda: scale_lr(-0.1, 32, 64), "lr"),
        (lambda: scale_lr(math.nan, 32, 64), "lr"),
        (lambda: scale_lr(math.inf, 32, 64), "lr"),
        (lambda: scale_lr("0.1", 32, 64), "lr"),
        (lambda: scale_lr(0.1, 0, 64), "from_batch"),
        (lambda: scale_lr(0.1, 32, -8), "to_batch"),
        (lambda: scale_lr(0.1, 32.0, 64), "from_batch"),
        (lambda: scale_lr(0.1, True, 64), "from_batch"),
        (lambda: scale_lr(0.1, 32, 64, rule="cubic"), "rule"),
        (lambda: scale_warmup(-1, 32, 64), "steps"),
        (lambda: scale_warmup(2.5, 32, 64), "steps"),
        (lambda: scale_warmup(10, 32, 0), "to_batch"),
    ],
)
def test_bad_input_names_the_argument(call, field: str) -> None:
    with pytest.raises(ScheduleError) as info:
        call()
    assert info.value.field == field
    message = str(info.value)
    assert message.startswith(f"{field} must be") and "\n" not in message


@given(RATES, BATCHES, BATCHES, RULES)
def test_there_and_back_is_the_identity(lr: float, a: int, b: int, rule: str) -> None:
    assert scale_lr(scale_lr(lr, a, b, rule), b, a, rule) == pytest.approx(lr, rel=1e-12)


@given(RATES, BATCHES, BATCHES, BATCHES, RULES)
def test_monotone_in_the_target_batch(lr: float, a: int, b: int, c: int, rule: str) -> None:
    small, large = sorted((b, c))
    assert scale_lr(lr, a, small, rule) <= scale_lr(lr, a, large, rule)


@given(RATES, BATCHES, BATCHES)
def test_sqrt_lies_between_no_change_and_linear(lr: float, a: int, b: int) -> None:
    linear, sqrt = scale_lr(lr, a, b), scale_lr(lr, a, b, rule="sqrt")
    low, high = sorted((lr, linear))
    assert low * (1 - 1e-12) <= sqrt <= high * (1 + 1e-12)
    assert sqrt == pytest.approx(math.sqrt(lr * linear), rel=1e-12)


@given(st.integers(0, 100_000), BATCHES, BATCHES)
def test_warmup_covers_at_least_as_many_examples(steps: int, a: int, b: int) -> None:
    scaled = scale_warmup(steps, a, b)
    assert scaled * b >= steps * a > (scaled - 1) * b
    assert (scaled == 0) == (steps == 0)


@given(st.integers(0, 100_000), BATCHES, st.integers(1, 64))
def test_warmup_there_and_back_is_the_identity_on_whole_multiples(steps: int, a: int, k: int) -> None:
    assert scale_warmup(scale_warmup(steps * k, a, a * k), a * k, a) == steps * k
