"""KerasSchedule on Keras 3's torch backend: the rate each SGD update applies, `fit`, saving and
loading a model with its schedule, and a compiled train step on the JAX backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

os.environ["KERAS_BACKEND"] = "torch"  # read once, when keras is first imported
EXTRA = "install the integrations extra: pip install -e '.[integrations]'"
keras = pytest.importorskip("keras", reason=EXTRA)

from lrkit.adapters.keras import KerasSchedule  # noqa: E402
from lrkit.errors import LrkitError  # noqa: E402
from lrkit.schedules import parse  # noqa: E402

SPEC = "warmup(5, start=0.1) >> cosine(lr=0.2, steps=20, min_lr=0.01)"
FLOAT32 = 1e-6  # Keras computes in float32

# Keras's torch backend converts to NumPy without numpy 2's copy keyword (its own code, not lrkit's).
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")


@pytest.mark.parametrize(
    ("spec", "steps"),
    [(SPEC, None), ("exponential(0.1, gamma=0.9)", None), ("exponential(0.1, gamma=0.9)", 20)],
    ids=["table", "python", "steps"],
)
def test_sgd_applies_the_schedule_at_each_update(spec: str, steps: int | None) -> None:
    schedule = parse(spec)
    optimizer = keras.optimizers.SGD(learning_rate=KerasSchedule(spec, steps))
    weights = keras.Variable(np.zeros(3, "float32"))
    applied, read = [], []
    for _ in range(30):
        weights.assign(np.zeros(3, "float32"))
        read.append(float(optimizer.learning_rate))
        optimizer.apply([keras.ops.ones(3)], [weights])  # w <- 0 - lr * 1
        applied.append(-float(keras.ops.convert_to_numpy(weights)[0]))
    # With steps=20 the rate holds at schedule(20) after step 20; otherwise it is schedule(k) throughout.
    expected = [schedule(min(k, steps if steps is not None else k)) for k in range(30)]
    assert applied == pytest.approx(expected, rel=FLOAT32)
    assert read == pytest.approx(expected, rel=FLOAT32)


def _model(schedule: KerasSchedule) -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="mse")
    return model


class _Rates(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.rates: list[float] = []

    def on_train_batch_begin(self, batch, logs=None) -> None:
        self.rates.append(float(self.model.optimizer.learning_rate))


def test_fit_and_a_saved_model_keep_the_schedule(tmp_path) -> None:
    schedule = parse(SPEC)
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = np.sin(x.sum(axis=1, keepdims=True))
    model, rates = _model(KerasSchedule(SPEC)), _Rates()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[rates])
    assert rates.rates == pytest.approx(schedule.values(16).tolist(), rel=FLOAT32)

    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    reloaded = loaded.optimizer._learning_rate
    assert isinstance(reloaded, KerasSchedule) and str(reloaded.schedule) == str(schedule)
    more = _Rates()
    loaded.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[more])
    assert more.rates == pytest.approx(schedule.values(24)[16:].tolist(), rel=FLOAT32)


def test_config_round_trip_and_bad_steps() -> None:
    original = KerasSchedule(parse("exponential(0.1, gamma=0.9)"), steps=50)
    config = keras.optimizers.schedules.serialize(original)
    copy = keras.optimizers.schedules.deserialize(config)
    assert isinstance(copy, KerasSchedule) and copy.get_config() == original.get_config()
    assert copy.get_config() == {"schedule": "exponential(lr=0.1, gamma=0.9)", "steps": 50}
    with pytest.raises(LrkitError, match="steps must be >= 0"):
        KerasSchedule(SPEC, steps=-1)


_JAX_FIT = """
import json, numpy as np, keras
from lrkit.adapters.keras import KerasSchedule
dense = keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")
model = keras.Sequential([keras.Input((1,)), dense])
optimizer = keras.optimizers.SGD(learning_rate=KerasSchedule({spec!r}))
model.compile(optimizer=optimizer, loss="mse", jit_compile=True)
rates = []
for _ in range(6):  # x = y = 1: one compiled step moves w by lr * 2 * (1 - w)
    before = float(dense.kernel.numpy()[0, 0])
    model.fit(np.ones((1, 1)), np.ones((1, 1)), epochs=1, verbose=0)
    rates.append((float(dense.kernel.numpy()[0, 0]) - before) / (2 * (1 - before)))
print(json.dumps(rates))
"""


def test_the_table_runs_inside_a_compiled_jax_train_step() -> None:
    pytest.importorskip("jax", reason=EXTRA)
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    command = [sys.executable, "-c", _JAX_FIT.format(spec=SPEC)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    rates = json.loads(result.stdout.strip().splitlines()[-1])
    assert rates == pytest.approx(parse(SPEC).values(6).tolist(), rel=1e-5)
