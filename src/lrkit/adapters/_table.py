"""The precomputed rates that let a compiled training step (jit, tf.function) follow any schedule."""

from __future__ import annotations

import operator

import numpy as np

from ..errors import LrkitError
from ..schedules import Schedule


def rate_table(schedule: Schedule, steps: int | None) -> np.ndarray | None:
    """The rates at steps 0..N, N = `steps` or else the schedule's length; a later step takes the
    last one (exact for a schedule that has ended). None for a never-ending schedule without `steps`."""
    horizon = schedule.length if steps is None else operator.index(steps)
    if horizon is None:
        return None
    if horizon < 0:
        raise LrkitError(f"steps must be >= 0, got {horizon}")
    return schedule.values(horizon + 1)
