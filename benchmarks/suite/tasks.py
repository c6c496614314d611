"""The task family: 45 small tasks that differ in what moves the best learning rate.

They vary the architecture (linear and logistic models, MLPs of several widths, depths and
activations, CNNs with and without BatchNorm, residual nets, GRU/LSTM, small transformers), the
data (scikit-learn's bundled sets and generators, mnist1d, Fashion-MNIST, synthetic sequences,
text shipped in scikit-learn), the loss (cross-entropy, MSE, Huber), the data size (about a hundred
examples to twenty thousand), the batch size, the steps (100 to 2000), weight decay and dropout.
Each is deterministic (seeded data, fixed splits) and sized for about a second per run on one
CPU thread. `NAMES` lists them; `build(name)` makes one.

lrkit loads them as task files: `lrkit train benchmarks/suite/tasks.py:digits-mlp-wide`, the
function part being the task's name (this module answers any registered name, see `__getattr__`).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from torch import nn

# lrkit's loader puts only this folder on sys.path; the package imports from the one above it.
_BENCHMARKS = str(Path(__file__).resolve().parents[1])
if _BENCHMARKS not in sys.path:
    sys.path.append(_BENCHMARKS)

from lrkit import Task  # noqa: E402
from suite import data  # noqa: E402
from suite.models import (  # noqa: E402
    CNN,
    MLP,
    RNN,
    ResMLP,
    ResNet,
    TokenMLP,
    Transformer,
    token_accuracy,
    with_weight_decay,
)

huber = nn.functional.huber_loss
_REGISTRY: dict[str, Callable[[], Task]] = {}


def _make(name: str, split: Callable[[], data.Split], model: Callable[[], nn.Module], about: str,
          loss: Any, metric: Any, steps: int, batch: int, decay: float) -> Task:
    train, val = split()
    factory = functools.partial(with_weight_decay, model, decay) if decay else model
    extra = f", weight decay {decay:g}" if decay else ""
    return Task(name=name, model=factory, train=train, val=val, loss=loss, metric=metric, steps=steps,
                batch_size=batch, description=about + extra)


def _add(name: str, split: Callable[[], data.Split], model: Callable[[], nn.Module], about: str, *,
         steps: int, batch: int, loss: Any = "cross_entropy", metric: Any = "accuracy",
         decay: float = 0.0) -> None:
    _REGISTRY[name] = functools.partial(_make, name, split, model, about, loss, metric, steps, batch, decay)


P = functools.partial
iris = P(data.sklearn_set, "load_iris", 30)
wine = P(data.sklearn_set, "load_wine", 36)
cancer = P(data.sklearn_set, "load_breast_cancer", 114)
diabetes = P(data.sklearn_set, "load_diabetes", 88, True)
digits = P(data.builtin, "digits-mlp")
mnist1d = P(data.builtin, "mnist1d-mlp")


def fashion(n: int, n_val: int = 1000) -> data.Split:
    return data.builtin("fashion-mlp", subset=n, val_subset=n_val)


def flat(split: Callable[[], data.Split]) -> Callable[[], data.Split]:
    return lambda: data.flat(split())


def fewer(split: Callable[[], data.Split], n: int) -> Callable[[], data.Split]:
    return lambda: data.subset(split(), n)


VOCAB = len(data.vocabulary())

# Small scikit-learn sets: overfitting and noisy validation decide.
_add("iris-logreg", iris, P(MLP, 4, 3), "iris, 120 examples, logistic regression", steps=200, batch=16)
_add("iris-mlp-gelu", iris, P(MLP, 4, 64, 64, 3, activation="gelu"), "iris, 4-64-64-3 GELU MLP", steps=300,
     batch=16)
_add("wine-logreg-wd", wine, P(MLP, 13, 3), "wine, 142 examples, logistic regression", steps=150, batch=32,
     decay=1e-2)
_add("wine-mlp-dropout", wine, P(MLP, 13, 64, 64, 3, dropout=0.3), "wine, 13-64-64-3 MLP, dropout 0.3",
     steps=300, batch=16)
_add("cancer-logreg-b8", cancer, P(MLP, 30, 2), "breast cancer, logistic regression at batch 8", steps=400,
     batch=8)
_add("cancer-mlp-wd", cancer, P(MLP, 30, 64, 2), "breast cancer, 30-64-2 MLP", steps=300, batch=32,
     decay=1e-2)
_add("diabetes-linear", diabetes, P(MLP, 10, 1), "diabetes, linear regression, MSE", steps=300, batch=32,
     loss="mse", metric=None)
_add("diabetes-mlp-huber", diabetes, P(MLP, 10, 64, 64, 1), "diabetes, 10-64-64-1 MLP, Huber", steps=400,
     batch=32, loss=huber, metric=None)
_add("diabetes-resmlp", diabetes, P(ResMLP, 10, 32, 2, 1), "diabetes, residual MLP (2 blocks), MSE",
     steps=300,
     batch=64, loss="mse", metric=None)

# scikit-learn's digits (8x8 images, 1438 training examples).
_add("digits-logreg", flat(digits), P(MLP, 64, 10), "digits, logistic regression", steps=300, batch=64)
_add("digits-mlp-wide", digits, P(MLP, 64, 512, 10), "digits, 64-512-10 MLP", steps=300, batch=32)
_add("digits-mlp-deep-tanh", digits, P(MLP, 64, 64, 64, 64, 64, 10, activation="tanh"),
     "digits, 4 hidden tanh layers of 64", steps=500, batch=32)
_add("digits-mlp-gelu-dropout", digits, P(MLP, 64, 256, 256, 10, activation="gelu", dropout=0.2),
     "digits, 64-256-256-10 GELU MLP, dropout 0.2", steps=400, batch=64)
_add("digits-mlp-mse", lambda: data.as_regression(digits(), 10), P(MLP, 64, 128, 10),
     "digits, 64-128-10 MLP on one-hot targets, MSE", steps=400, batch=32, loss="mse", metric=None)
_add("digits-cnn-bn", digits, P(CNN, 10, 16, batch_norm=True), "digits, 2-block CNN with BatchNorm",
     steps=300, batch=32)
_add("digits-cnn-300", fewer(digits, 300), P(CNN, 10, 16), "digits, 300 training images, 2-block CNN",
     steps=300, batch=32)
_add("digits-resnet", digits, P(ResNet, 10, 8), "digits, ResNet (2 residual stages, width 8)", steps=300,
     batch=16)

# scikit-learn's generators.
_add("circles-mlp-silu", P(data.generated, "make_circles", 1000, 200, noise=0.15, factor=0.5),
     P(MLP, 2, 32, 32, 2, activation="silu"), "noisy circles, 800 points, 2-32-32-2 SiLU MLP", steps=400,
     batch=32)
_add("moons-mlp-small-b4", P(data.generated, "make_moons", 300, 100, noise=0.3),
     P(MLP, 2, 16, 16, 2, activation="tanh"), "noisy moons, 200 points, tanh MLP at batch 4", steps=600,
     batch=4)
_add("classify-linear", P(data.generated, "make_classification", 6000, 1000, n_features=20, n_informative=8,
                          n_classes=4), P(MLP, 20, 4), "make_classification, 5000 points, 4 classes, linear",
     steps=100, batch=128)
_add("classify-mlp-20k", P(data.generated, "make_classification", 22000, 2000, n_features=20,
                           n_informative=10, n_classes=4, flip_y=0.05), P(MLP, 20, 256, 256, 4),
     "make_classification, 20000 points, 20-256-256-4 MLP", steps=800, batch=64)
_add("classify-resmlp", P(data.generated, "make_classification", 11000, 1000, n_features=40, n_informative=12,
                          n_classes=6, class_sep=0.8), P(ResMLP, 40, 64, 3, 6),
     "make_classification, 10000 points, residual MLP (3 blocks)", steps=400, batch=64)
_add("hastie-mlp", P(data.generated, "make_hastie_10_2", 4000, 1000), P(MLP, 10, 64, 64, 2),
     "Hastie 10.2 (chi-square boundary), 3000 points, 10-64-64-2 MLP", steps=800, batch=64)
_add("friedman-mlp-wide", P(data.generated, "make_friedman1", 2500, 500, True, noise=1.0),
     P(MLP, 10, 256, 256, 1), "Friedman #1, 2000 points, 10-256-256-1 MLP, MSE", steps=800, batch=64,
     loss="mse", metric=None)
_add("friedman3-huber", P(data.generated, "make_friedman3", 1500, 300, True, noise=0.3),
     P(MLP, 4, 64, 1, activation="gelu"), "Friedman #3, 1200 points, 4-64-1 GELU MLP, Huber", steps=500,
     batch=32, loss=huber, metric=None)
_add("regression-linear", P(data.generated, "make_regression", 1200, 200, True, n_features=50,
                            n_informative=20, noise=10.0), P(MLP, 50, 1),
     "make_regression, 1000 points, 50 features, linear, MSE", steps=200, batch=32, loss="mse", metric=None)
_add("regression-mlp-p100-wd", P(data.generated, "make_regression", 400, 200, True, n_features=100,
                                 n_informative=10, noise=20.0, effective_rank=20),
     P(MLP, 100, 128, 1), "make_regression, 200 points, 100 features, 100-128-1 MLP, MSE", steps=500,
     batch=32, loss="mse", metric=None, decay=1e-3)

# mnist1d (4000 training signals of length 40).
_add("mnist1d-logreg", mnist1d, P(MLP, 40, 10), "mnist1d, logistic regression", steps=300, batch=100)
_add("mnist1d-mlp-wide-dropout", mnist1d, P(MLP, 40, 256, 256, 10, dropout=0.3),
     "mnist1d, 40-256-256-10 MLP, dropout 0.3", steps=800, batch=64)
_add("mnist1d-cnn1d-bn", mnist1d, P(CNN, 10, 8, depth=3, batch_norm=True, dims=1),
     "mnist1d, 3-block 1-d CNN with BatchNorm", steps=500, batch=64)
_add("mnist1d-gru", mnist1d, P(RNN, "gru", 1, 32, 10, chunk=4),
     "mnist1d as 10 steps of 4 values, GRU of 32", steps=500, batch=64)
_add("mnist1d-mlp-500", fewer(mnist1d, 500), P(MLP, 40, 128, 128, 10), "mnist1d, 500 training signals, MLP",
     steps=2000, batch=50)

# Fashion-MNIST (Debian's package), subsets of 500 to 20000 images.
_add("fashion-logreg", flat(P(fashion, 10000)), P(MLP, 784, 10),
     "Fashion-MNIST, 10000 images, logistic regression", steps=500, batch=128)
_add("fashion-mlp-deep-20k", flat(P(fashion, 20000)), P(MLP, 784, 128, 64, 10),
     "Fashion-MNIST, 20000 images, 784-128-64-10 MLP", steps=1500, batch=64)
_add("fashion-cnn-bn", P(fashion, 5000, 500), P(CNN, 10, 8, depth=3, batch_norm=True),
     "Fashion-MNIST, 5000 images, 3-block CNN with BatchNorm", steps=300, batch=32)
_add("fashion-cnn-500", P(fashion, 500, 500), P(CNN, 10, 8, depth=3),
     "Fashion-MNIST, 500 images, 3-block CNN", steps=300, batch=32)
_add("fashion-mlp-wd", flat(P(fashion, 3000)), P(MLP, 784, 256, 10),
     "Fashion-MNIST, 3000 images, 784-256-10 MLP", steps=600, batch=64, decay=5e-3)

# Synthetic sequences.
_add("adding-lstm", P(data.adding, 4000, 500, 30), P(RNN, "lstm", 2, 32, 1, chunk=3),
     "the adding problem, length 30 read 3 at a time, LSTM of 32, MSE", steps=800, batch=64, loss="mse",
     metric=None)
_add("majority-gru", P(data.majority, 3000, 500, 24, 0.1), P(RNN, "gru", 1, 16, 2, chunk=2),
     "majority of 24 bits read 2 at a time (10% of labels flipped), GRU of 16", steps=400, batch=32)
_add("sines-gru-huber", P(data.sines, 2000, 400, 40, 0.2), P(RNN, "gru", 1, 32, 1, chunk=4),
     "next value of noisy (t-distributed) sines, 40 values 4 at a time, GRU of 32, Huber", steps=400,
     batch=32, loss=huber, metric=None)
_add("maxtoken-transformer", P(data.max_token, 4000, 500, 16, 32), P(Transformer, 32, 16, 32, 2, 1, 32),
     "largest of 16 tokens, 1-layer transformer (width 32)", steps=300, batch=32)

# Characters of scikit-learn's data set descriptions.
_add("text-gru-lm", P(data.characters, 16, 8, 300), P(RNN, "gru", 32, 64, VOCAB, vocab=VOCAB, per_step=True),
     "character language model, GRU of 64, windows of 16", steps=400, batch=32, metric=token_accuracy)
_add("text-lstm-lm", P(data.characters, 24, 24, 200), P(RNN, "lstm", 32, 96, VOCAB, vocab=VOCAB,
     per_step=True),
     "character language model, LSTM of 96, windows of 24", steps=250, batch=32, metric=token_accuracy)
_add("text-transformer-lm", P(data.characters, 16, 8, 300), P(Transformer, VOCAB, 16, 32, 2, 2, VOCAB,
     causal=True),
     "character language model, 2-layer transformer (width 32)", steps=400, batch=32, metric=token_accuracy)
_add("text-mlp-lm", lambda: data.last_target(data.characters(8, 4, 1000)), P(TokenMLP, VOCAB, 8, 16, 256),
     "next character from the 8 before it, embedding + MLP", steps=800, batch=64)

NAMES: tuple[str, ...] = tuple(_REGISTRY)


def build(name: str) -> Task:
    """The suite task `name` (one of `NAMES`)."""
    if name not in _REGISTRY:
        raise KeyError(f"no suite task {name!r}; the suite has: {', '.join(NAMES)}")
    return _REGISTRY[name]()


def __getattr__(name: str) -> Callable[[], Task]:
    """`tasks.py:NAME` as a task reference: the factory of suite task NAME."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    raise AttributeError(name)
