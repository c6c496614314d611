"""`KerasSchedule`: an lrkit schedule as a Keras 3 `LearningRateSchedule`, on any backend.

Keras calls it with the optimizer's iteration count. A schedule that ends (or one given `steps=`)
is a precomputed table indexed with `keras.ops`, so it also works inside a compiled train step; a
never-ending one is evaluated in Python, which needs eager execution (the torch backend is eager).
The config is the spec string, so a saved model reloads with its schedule.
"""

from __future__ import annotations

from typing import Any

import keras

from ..schedules import Schedule, parse
from ._table import rate_table


@keras.saving.register_keras_serializable(package="lrkit")
class KerasSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """The rate `schedule(iterations)` for a Keras optimizer's `learning_rate=`.

    `steps` (optional) tabulates a never-ending schedule for compiled steps: after it the rate holds.
    Keras counts every `apply()`, so with `gradient_accumulation_steps=n` the step is a micro-batch count.
    """

    def __init__(self, schedule: Schedule | str, steps: int | None = None) -> None:
        self.schedule = parse(schedule) if isinstance(schedule, str) else schedule
        self.steps = steps
        table = rate_table(self.schedule, steps)
        self._table = None if table is None else keras.ops.convert_to_tensor(table, keras.config.floatx())

    def __call__(self, step: Any) -> Any:
        if self._table is None:
            rate = self.schedule(int(step))
            return keras.ops.convert_to_tensor(rate, keras.config.floatx())
        last = self._table.shape[0] - 1
        return keras.ops.take(self._table, keras.ops.minimum(keras.ops.cast(step, "int32"), last))

    def get_config(self) -> dict[str, Any]:
        """The spec string and `steps`: `KerasSchedule.from_config` rebuilds the same schedule."""
        return {"schedule": str(self.schedule), "steps": self.steps}
