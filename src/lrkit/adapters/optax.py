"""`optax_schedule`: an lrkit schedule as an optax schedule (step count -> rate), safe under `jax.jit`.

A schedule that ends (or one given `steps=`) becomes a table of its rates indexed on the device; a
never-ending one, or one too long to tabulate, is evaluated on the host through
`jax.pure_callback`, exact at every step. Either takes a count or an array of counts of any shape,
as optax's own schedules do.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..schedules import Schedule, parse
from ._table import rate_table

# Longer schedules are evaluated on the host rather than tabulated (16 MB of float32 rates).
TABLE_LIMIT = 1 << 22


def optax_schedule(schedule: Schedule | str, steps: int | None = None) -> optax.Schedule:
    """`schedule` for optax's `learning_rate=` (or `optax.scale_by_schedule`); `steps` tabulates a
    never-ending schedule instead of calling back to the host (after it the rate holds).

    The returned function maps a count (int or float, whole numbers, negative ones read as 0) or
    an array of counts to the rates at those steps, in float32 (float64 with `jax_enable_x64`)."""
    schedule = parse(schedule) if isinstance(schedule, str) else schedule
    if steps is None and schedule.length is not None and schedule.length > TABLE_LIMIT:
        return _on_host(schedule)
    table = rate_table(schedule, steps)
    if table is None:
        return _on_host(schedule)
    rates = jnp.asarray(table, dtype=jnp.result_type(float))  # float32 unless jax_enable_x64
    last = len(table) - 1

    def rate(count: jax.Array | int) -> jax.Array:
        # Clipped before the cast, so no count overflows the index type.
        return rates[jnp.clip(jnp.asarray(count), 0, last).astype(jnp.int32)]

    return rate


def _on_host(schedule: Schedule) -> optax.Schedule:
    """Call the Python schedule from compiled code: one small host round trip per call, which
    evaluates every count it is given."""
    dtype = jnp.result_type(float)

    def host(counts: np.ndarray) -> np.ndarray:
        counts = np.asarray(counts)
        rates = [schedule(max(int(k), 0)) for k in counts.ravel()]
        return np.asarray(rates, dtype=dtype).reshape(counts.shape)

    def rate(count: jax.Array | int) -> jax.Array:
        count = jnp.asarray(count)
        result = jax.ShapeDtypeStruct(count.shape, dtype)
        # `host` works on any shape, so a vmapped call sends the whole batch at once.
        return jax.pure_callback(host, result, count, vmap_method="broadcast_all")

    return rate
