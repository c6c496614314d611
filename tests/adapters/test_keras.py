"""KerasSchedule on Keras 3's torch backend: the rate each SGD update applies, `fit`, saving and
loading a model with its schedule, a compiled train step on the JAX backend, and the numeric cases
of Keras's own schedule tests run through KerasSchedule beside Keras's classes."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ["KERAS_BACKEND"] = "torch"  # read once, when keras is first imported
EXTRA = "install the integrations extra: pip install -e '.[integrations]'"
keras = pytest.importorskip("keras", reason=EXTRA)

from lrkit.adapters.keras import KerasSchedule  # noqa: E402
from lrkit.errors import LrkitError  # noqa: E402
from lrkit.schedules import parse  # noqa: E402

SPEC = "warmup(5, start=0.1) >> cosine(lr=0.2, steps=20, min_lr=0.01)"
DOC = Path(__file__).parents[2] / "docs" / "integrations" / "keras.md"
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


def _value(rate) -> float:
    return float(keras.ops.convert_to_numpy(rate))


def _cosine(step: int, steps: int, alpha: float = 0.0) -> float:
    """The cosine decay factor Keras's tests compute by hand."""
    return (1 - alpha) * 0.5 * (1 + math.cos(math.pi * min(step, steps) / steps)) + alpha


# Keras's own cases (keras/src/optimizers/schedules/learning_rate_schedule_test.py): the Keras
# schedule, the lrkit spec of the same schedule, and {step: the rate Keras's test expects}.
KERAS_CASES = {
    "ExponentialDecay": (
        lambda s: s.ExponentialDecay(0.05, 10, 0.96),
        "exponential(0.05, decay_rate=0.96, decay_steps=10)",
        {5: 0.05 * 0.96 ** (5 / 10)},
    ),
    "ExponentialDecay staircase": (
        lambda s: s.ExponentialDecay(0.1, 3, 0.96, staircase=True),
        "exponential(0.1, decay_rate=0.96, decay_steps=3, staircase=true)",
        {1: 0.1, 2: 0.1, 100: 0.1 * 0.96 ** (100 // 3)},
    ),
    "PiecewiseConstantDecay": (
        lambda s: s.PiecewiseConstantDecay([100, 110, 120], [1.0, 0.1, 0.01, 0.001]),
        "piecewise([1.0, 0.1, 0.01, 0.001], boundaries=[101, 111, 121])",
        {0: 1.0, 100: 1.0, 105: 0.1, 110: 0.1, 120: 0.01, 999: 0.001},
    ),
    "PiecewiseConstantDecay boundaries": (
        lambda s: s.PiecewiseConstantDecay([1, 2, 3], [0.4, 0.5, 0.6, 0.7]),
        "piecewise([0.4, 0.5, 0.6, 0.7], boundaries=[2, 3, 4])",
        {0: 0.4, 1: 0.4, 2: 0.5, 3: 0.6, 4: 0.7},
    ),
    "PolynomialDecay": (
        lambda s: s.PolynomialDecay(0.05, 10, 0.001),
        "polynomial(0.05, steps=10, end_lr=0.001)",
        {5: (0.05 + 0.001) * 0.5, 10: 0.001, 15: 0.001},
    ),
    "PolynomialDecay to 0": (
        lambda s: s.PolynomialDecay(0.05, 10, 0.0),
        "polynomial(0.05, steps=10)",
        {5: 0.05 * 0.5},
    ),
    "InverseTimeDecay": (
        lambda s: s.InverseTimeDecay(0.1, 10, 0.96),
        "inverse_time(0.1, decay_rate=0.96, decay_steps=10)",
        {i: 0.1 / (1 + i / 10 * 0.96) for i in range(11)},
    ),
    "InverseTimeDecay staircase": (
        lambda s: s.InverseTimeDecay(0.1, 10, 0.96, staircase=True),
        "inverse_time(0.1, decay_rate=0.96, decay_steps=10, staircase=true)",
        {i: 0.1 / (1 + 0.96 * (i // 10)) for i in range(11)},
    ),
    "CosineDecay": (
        lambda s: s.CosineDecay(1.0, 1000),
        "cosine(1.0, steps=1000)",
        {k: _cosine(k, 1000) for k in range(0, 1500, 250)},
    ),
    "CosineDecay alpha": (
        lambda s: s.CosineDecay(1.0, 1000, alpha=0.1),
        "cosine(1.0, steps=1000, min_lr=0.1)",
        {k: _cosine(k, 1000, 0.1) for k in range(0, 1500, 250)},
    ),
    "CosineDecay warmup": (
        lambda s: s.CosineDecay(0.0, 1000, warmup_target=10.0, warmup_steps=2000),
        "warmup(2000) >> cosine(10.0, steps=1000)",
        {k: 10.0 * k / 2000 if k <= 2000 else 10.0 * _cosine(k - 2000, 1000) for k in range(0, 3000, 250)},
    ),
}


@pytest.mark.parametrize("case", KERAS_CASES)
def test_kerass_own_schedule_cases_through_keras_schedule(case: str) -> None:
    make, spec, expected = KERAS_CASES[case]
    theirs, ours = make(keras.optimizers.schedules), KerasSchedule(spec)
    for step, rate in expected.items():
        assert _value(theirs(step)) == pytest.approx(rate, rel=FLOAT32, abs=1e-9), step
        assert _value(ours(step)) == pytest.approx(rate, rel=FLOAT32, abs=1e-9), step


def _doc_rows() -> list[tuple[str, str]]:
    """(Keras expression, lrkit spec) from the table between the keras-table markers."""
    text = DOC.read_text()
    table = text[text.index("<!-- keras-table:start -->"):text.index("<!-- keras-table:end -->")]
    return [tuple(cells[:2]) for line in table.splitlines()
            if len(cells := re.findall(r"\|\s*`([^|]+?)`\s*(?=\|)", line)) >= 2]


def test_the_doc_table_is_read() -> None:
    assert len(_doc_rows()) >= 6


@pytest.mark.parametrize(("expression", "spec"), _doc_rows(), ids=[spec for _, spec in _doc_rows()])
def test_each_row_of_the_doc_table_gives_kerass_rates(expression: str, spec: str) -> None:
    schedules = vars(keras.optimizers.schedules)
    theirs, ours = eval(expression, dict(schedules)), KerasSchedule(spec)
    steps = range(0, 400, 7)
    # Keras evaluates each formula in float32 (several roundings); lrkit's table rounds once.
    assert [_value(ours(k)) for k in steps] == pytest.approx([_value(theirs(k)) for k in steps], rel=1e-5)
