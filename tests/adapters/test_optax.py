"""optax_schedule in jitted optax updates: the rate each SGD update applies, `inject_hyperparams`,
the host path for never-ending schedules, and parity with optax's own schedules."""

from __future__ import annotations

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


def test_works_on_a_vector_of_counts_and_under_vmap() -> None:
    counts = jnp.arange(40)
    for spec in (SPEC, "exponential(0.1, gamma=0.9)"):
        rate = optax_schedule(spec)
        expected = parse(spec).values(40)
        assert np.asarray(jax.vmap(rate)(counts)) == pytest.approx(expected, rel=FLOAT32)


@pytest.mark.parametrize(
    ("spec", "reference"),
    [
        ("cosine(lr=0.3, steps=100, min_lr=0.003)", lambda: optax.cosine_decay_schedule(0.3, 100, 0.01)),
        (
            "warmup(10) >> cosine(lr=0.3, steps=90, min_lr=0.003)",
            lambda: optax.warmup_cosine_decay_schedule(0.0, 0.3, 10, 100, end_value=0.003),
        ),
        ("linear(0.1, 0.001, 50)", lambda: optax.linear_schedule(0.1, 0.001, 50)),
        ("exponential(0.1, decay_rate=0.5, decay_steps=10)", lambda: optax.exponential_decay(0.1, 10, 0.5)),
    ],
    ids=["cosine", "warmup-cosine", "linear", "exponential"],
)
def test_matches_optax_own_schedules(spec: str, reference) -> None:
    counts = jnp.arange(130)
    ours = jax.jit(jax.vmap(optax_schedule(spec)))(counts)
    theirs = jax.vmap(reference())(counts)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-5, atol=1e-9)
