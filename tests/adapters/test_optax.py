"""optax_schedule in jitted optax updates: the rate each SGD update applies, `inject_hyperparams`,
the host path for never-ending schedules, and parity with optax's own schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest

EXTRA = "install the integrations extra: pip install -e '.[integrations]'"
jax = pytest.importorskip("jax", reason=EXTRA)
optax = pytest.importorskip("optax", reason=EXTRA)
import jax.numpy as jnp  # noqa: E402

from lrkit.adapters.optax import optax_schedule  # noqa: E402
from lrkit.schedules import parse  # noqa: E402

SPEC = "warmup(5, start=0.1) >> cosine(lr=0.2, steps=20, min_lr=0.01)"
FLOAT32 = 1e-6


def _applied_rates(transform: optax.GradientTransformation, n: int) -> list[float]:
    """Run `n` jitted updates with gradient 1 from w = 0; plain SGD moves w by -lr."""
    params = jnp.zeros(())
    state = transform.init(params)

    @jax.jit
    def update(state):
        updates, state = transform.update(jnp.ones(()), state, params)
        return optax.apply_updates(params, updates), state

    rates = []
    for _ in range(n):
        moved, state = update(state)
        rates.append(-float(moved))
    return rates


@pytest.mark.parametrize(
    ("spec", "steps"),
    [(SPEC, None), ("exponential(0.1, gamma=0.9)", None), ("exponential(0.1, gamma=0.9)", 20)],
    ids=["table", "host", "steps"],
)
def test_jitted_sgd_applies_the_schedule_at_each_update(spec: str, steps: int | None) -> None:
    schedule = parse(spec)
    rates = _applied_rates(optax.sgd(learning_rate=optax_schedule(spec, steps)), 30)
    # With steps=20 the rate holds at schedule(20) after step 20; otherwise it is schedule(k) throughout.
    expected = [schedule(k if steps is None else min(k, steps)) for k in range(30)]
    assert rates == pytest.approx(expected, rel=FLOAT32)


def test_inject_hyperparams_reports_the_rate_of_each_update() -> None:
    schedule = parse(SPEC)
    transform = optax.inject_hyperparams(optax.sgd)(learning_rate=optax_schedule(SPEC))
    state = transform.init(jnp.zeros(()))
    update = jax.jit(transform.update)
    reported = []
    for _ in range(30):
        _, state = update(jnp.ones(()), state)
        reported.append(float(state.hyperparams["learning_rate"]))
    assert reported == pytest.approx(schedule.values(30).tolist(), rel=FLOAT32)


# A schedule that ends (tabulated on the device) and one that never ends (evaluated on the host).
PATHS = pytest.mark.parametrize("spec", [SPEC, "exponential(0.1, gamma=0.9)"], ids=["table", "host"])


@PATHS
@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_takes_a_count_or_an_array_of_counts_of_any_shape(spec: str, jit: bool) -> None:
    # optax calls a schedule with a scalar count in updates, and with arrays of counts elsewhere
    # (its own tests, plots); each rate is the float32 of schedule(k), to the last bit.
    schedule = parse(spec)
    rate = jax.jit(optax_schedule(spec)) if jit else optax_schedule(spec)
    counts = np.arange(36).reshape(3, 12)
    expected = np.float32(schedule.values(36)).reshape(3, 12)
    np.testing.assert_array_equal(np.asarray(rate(jnp.asarray(counts))), expected)
    np.testing.assert_array_equal(np.asarray(rate(jnp.arange(36))), expected.ravel())
    assert np.asarray(rate(jnp.arange(0))).shape == (0,)
    for k in (0, 7, 35):
        assert np.asarray(rate(k)).shape == () and float(rate(k)) == np.float32(schedule(k))
        assert float(rate(jnp.asarray(k, dtype=jnp.float32))) == np.float32(schedule(k))


@PATHS
def test_a_negative_count_takes_the_first_rate(spec: str) -> None:
    rate = optax_schedule(spec)
    np.testing.assert_array_equal(np.asarray(rate(jnp.array([-3, 0]))), np.float32(parse(spec)(0)))


def test_works_on_a_vector_of_counts_and_under_vmap() -> None:
    counts = jnp.arange(40)
    for spec in (SPEC, "exponential(0.1, gamma=0.9)"):
        rate = optax_schedule(spec)
        expected = parse(spec).values(40)
        assert np.asarray(jax.vmap(rate)(counts)) == pytest.approx(expected, rel=FLOAT32)


def _sgdr(peaks: list[float]) -> optax.Schedule:
    """optax.sgdr_schedule of warmup-cosine cycles of 2000, 3000 and 5000 steps (500 of warmup)."""
    cycles = [
        {"init_value": 0.0, "peak_value": peak, "warmup_steps": 500, "decay_steps": steps, "end_value": 0.0}
        for steps, peak in zip((2000, 3000, 5000), peaks)
    ]
    return optax.sgdr_schedule(cycles)


SGDR = " >> ".join(
    f"(warmup(500) >> cosine({peak}, {steps - 500}))"
    for steps, peak in zip((2000, 3000, 5000), (1.6, 0.8, 0.4))
)


@pytest.mark.parametrize(
    ("spec", "reference"),
    [
        ("cosine(lr=0.3, steps=100, min_lr=0.003)", lambda: optax.cosine_decay_schedule(0.3, 100, 0.01)),
        (
            "warmup(10) >> cosine(lr=0.3, steps=90, min_lr=0.003)",
            lambda: optax.warmup_cosine_decay_schedule(0.0, 0.3, 10, 100, end_value=0.003),
        ),
        ("linear(0.1, 0.001, 50)", lambda: optax.linear_schedule(0.1, 0.001, 50)),
        (
            "constant(0.4, steps=20) >> polynomial(0.4, steps=60, power=2.0, end_lr=0.02)",
            lambda: optax.polynomial_schedule(0.4, 0.02, 2, 60, transition_begin=20),
        ),
        ("exponential(0.1, decay_rate=0.5, decay_steps=10)", lambda: optax.exponential_decay(0.1, 10, 0.5)),
        (
            "exponential(0.1, decay_rate=0.5, decay_steps=7, staircase=true)",
            lambda: optax.exponential_decay(0.1, 7, 0.5, staircase=True),
        ),
        ("constant(0.05)", lambda: optax.constant_schedule(0.05)),
        (
            "piecewise([0.1, 0.05, 0.005], [30, 80])",
            lambda: optax.piecewise_constant_schedule(0.1, {30: 0.5, 80: 0.1}),
        ),
        (SGDR, lambda: _sgdr([1.6, 0.8, 0.4])),
    ],
    ids=["cosine", "warmup-cosine", "linear", "polynomial-begin", "exponential", "staircase", "constant",
         "piecewise", "sgdr"],
)
@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_matches_optax_own_schedules_on_arrays_of_counts(spec: str, reference, jit: bool) -> None:
    counts = jnp.arange(10_200 if spec == SGDR else 130)
    ours = optax_schedule(spec)
    ours = jax.jit(ours)(counts) if jit else ours(counts)
    theirs = reference()(counts)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-5, atol=1e-6)
    vmapped = jax.jit(jax.vmap(optax_schedule(spec)))(counts)
    np.testing.assert_array_equal(np.asarray(vmapped), np.asarray(ours))


# optax's own numeric cases (optax/schedules/_schedule_test.py), written as lrkit specs and
# evaluated on an array of counts: (spec, expected rates at counts 0, 1, 2, ...).
OPTAX_CASES = {
    "constant": ("constant(10)", [10.0] * 15),
    "linear": ("linear(10, 20, 10)", [*range(10, 20), *[20] * 5]),
    "quadratic": (
        "polynomial(25, 10, power=2, end_lr=10)",
        [10 + 15 * (1 - n / 10) ** 2 for n in range(10)] + [10] * 5,
    ),
    "quadratic-begin": (
        "constant(30, steps=4) >> polynomial(30, 10, power=2, end_lr=10)",
        [30.0] * 4 + [10 + 20 * (1 - n / 10) ** 2 for n in range(10)] + [10] * 6,
    ),
    "piecewise": ("piecewise([0.1, 0.2, 0.1], [3, 6])", [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1]),
    "exponential": (
        "exponential(1, decay_rate=2, decay_steps=2, steps=15)", [2 ** (n / 2) for n in range(15)]
    ),
    "exponential-staircase-begin": (
        "constant(1, steps=5) >> exponential(1, decay_rate=2, decay_steps=2, staircase=true, steps=15)",
        [1.0] * 5 + [2 ** (n // 2) for n in range(15)],
    ),
    "exponential-halving": ("exponential(32, decay_rate=0.5, decay_steps=1)", [32, 16, 8, 4, 2]),
    "cosine": ("cosine(0.1, 10)", [0.1 * (0.5 + 0.5 * math.cos(math.pi * n / 10)) for n in range(10)]),
    "cosine-past-its-end": (
        "cosine(0.1, 5)", [0.1 * (0.5 + 0.5 * math.cos(math.pi * min(n, 5) / 5)) for n in range(12)]
    ),
    "cosine-alpha": (
        "cosine(0.1, 5, min_lr=0.01)",
        [0.1 * (0.9 * (0.5 + 0.5 * math.cos(math.pi * min(n, 5) / 5)) + 0.1) for n in range(12)],
    ),
    "linear-onecycle": (
        "linear(100, 1000, 3) >> linear(1000, 100, 4) >> linear(100, 1, 3)",
        [100, 400, 700, 1000, 775, 550, 325, 100, 67, 34, 1, 1],
    ),
    "cosine-onecycle": (
        "one_cycle(1000, steps=6, pct_start=0.5, div_factor=10, final_div_factor=100)",
        [100, 550, 1000, 750.25, 250.75, 1, 1],
    ),
}


@pytest.mark.parametrize(("spec", "expected"), OPTAX_CASES.values(), ids=OPTAX_CASES.keys())
def test_optax_own_test_cases(spec: str, expected: list[float]) -> None:
    counts = jnp.arange(len(expected))
    for rate in (optax_schedule(spec), jax.jit(optax_schedule(spec))):
        np.testing.assert_allclose(np.asarray(rate(counts)), expected, atol=1e-3)
        # optax's `test_immutable_count`: float32 counts, one at a time.
        ones = [float(rate(jnp.array(k, dtype=jnp.float32))) for k in range(len(expected))]
        np.testing.assert_allclose(ones, expected, atol=1e-3)


def test_optax_giant_step_count_case() -> None:
    # optax's `test_with_giant_int_steps`: ten billion steps are not tabulated, yet exact.
    rate = optax_schedule("cosine(1000.0, steps=10000000000)")
    np.testing.assert_allclose(np.asarray(rate(int(1e9))), 975.52826)
    np.testing.assert_allclose(np.asarray(jax.jit(rate)(jnp.array([0, int(1e9)]))), [1000.0, 975.52826])
