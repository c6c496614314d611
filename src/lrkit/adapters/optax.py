"""`optax_schedule`: an lrkit schedule as an optax schedule (step count -> rate), safe under `jax.jit`.

A schedule that ends (or one given `steps=`) becomes a table of its rates indexed on the device; a
never-ending one is evaluated on the host through `jax.pure_callback`, exact at every step.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..schedules import Schedule, parse
from ._table import rate_table


def optax_schedule(schedule: Schedule | str, steps: int | None = None) -> optax.Schedule:
    """`schedule` for optax's `learning_rate=` (or `optax.scale_by_schedule`); `steps` tabulates a
    never-ending schedule instead of calling back to the host (after it the rate holds)."""
    schedule = parse(schedule) if isinstance(schedule, str) else schedule
    table = rate_table(schedule, steps)
    if table is None:
        return _on_host(schedule)
    rates = jnp.asarray(table, dtype=jnp.result_type(float))  # float32 unless jax_enable_x64
    last = len(table) - 1

    def rate(count: jax.Array) -> jax.Array:
        return rates[jnp.clip(count, 0, last)]

    return rate


def _on_host(schedule: Schedule) -> optax.Schedule:
    """Call the Python schedule from compiled code: one small host round trip per step."""
    dtype = jnp.result_type(float)
    result = jax.ShapeDtypeStruct((), dtype)

    def rate(count: jax.Array) -> jax.Array:
        def host(step: np.ndarray) -> np.ndarray:
            return np.asarray(schedule(int(step)), dtype=dtype)

        return jax.pure_callback(host, result, count, vmap_method="sequential")

    return rate
