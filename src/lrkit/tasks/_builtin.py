"""The built-in tasks on offline data sets, and their lookup by name.

Each task is sized so a full run (its `steps` at its `batch_size`) takes seconds on one CPU thread,
with a budget where the learning rate matters. Splits are fixed by `seed`; inputs are standardised
with statistics of the training split only.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from lrkit.tasks._analytic import quadratic, rosenbrock
from lrkit.tasks._data import (
    fashion_mnist_arrays,
    mnist1d_arrays,
    sklearn_arrays,
    split_indices,
    standardise,
)
from lrkit.tasks._models import MLP, SmallCNN
from lrkit.tasks._task import Task, TaskError

Pair = tuple[torch.Tensor, torch.Tensor]


def _tensors(inputs: np.ndarray, targets: np.ndarray) -> Pair:
    return torch.as_tensor(inputs, dtype=torch.float32), torch.as_tensor(targets)


def _split(
    inputs: np.ndarray,
    targets: np.ndarray,
    seed: int,
    axis: int | None,
    val_fraction: float = 0.2,
) -> tuple[Pair, Pair]:
    """Seeded train/val split of the rows, inputs standardised with train statistics."""
    train_idx, val_idx = split_indices(len(targets), round(val_fraction * len(targets)), seed)
    x_train, x_val = standardise(inputs[train_idx], inputs[val_idx], axis=axis)
    return _tensors(x_train, targets[train_idx]), _tensors(x_val, targets[val_idx])


def _digits(seed: int) -> tuple[Pair, Pair]:
    inputs, targets = sklearn_arrays("load_digits")
    return _split(inputs.reshape(-1, 1, 8, 8), targets, seed, axis=None)


def digits_mlp(seed: int = 0) -> Task:
    """scikit-learn's 8x8 digits, a one-hidden-layer MLP."""
    train, val = _digits(seed)
    return Task(
        name="digits-mlp",
        model=functools.partial(MLP, 64, 64, 10),
        train=train,
        val=val,
        loss="cross_entropy",
        metric="accuracy",
        steps=300,
        batch_size=32,
        description="8x8 handwritten digits (scikit-learn), 10 classes, MLP 64-64-10",
    )


def digits_cnn(seed: int = 0) -> Task:
    """scikit-learn's 8x8 digits, a two-block convolutional net."""
    train, val = _digits(seed)
    return Task(
        name="digits-cnn",
        model=functools.partial(SmallCNN, 8, 10, 16),
        train=train,
        val=val,
        loss="cross_entropy",
        metric="accuracy",
        steps=300,
        batch_size=32,
        description="8x8 handwritten digits (scikit-learn), 10 classes, small CNN",
    )


def cancer_logreg(seed: int = 0) -> Task:
    """scikit-learn's breast cancer set, logistic regression (convex)."""
    inputs, targets = sklearn_arrays("load_breast_cancer")
    train, val = _split(inputs, targets, seed, axis=0)
    return Task(
        name="cancer-logreg",
        model=functools.partial(nn.Linear, inputs.shape[1], 2),
        train=train,
        val=val,
        loss="cross_entropy",
        metric="accuracy",
        steps=200,
        batch_size=32,
        description="breast cancer diagnosis (scikit-learn), 30 features, logistic regression",
    )


def diabetes_mlp(seed: int = 0) -> Task:
    """scikit-learn's diabetes set, MLP regression on a standardised target."""
    inputs, targets = sklearn_arrays("load_diabetes")
    train_idx, val_idx = split_indices(len(targets), round(0.2 * len(targets)), seed)
    x_train, x_val = standardise(inputs[train_idx], inputs[val_idx], axis=0)
    y_train, y_val = standardise(targets[train_idx, None], targets[val_idx, None], axis=0)
    return Task(
        name="diabetes-mlp",
        model=functools.partial(MLP, inputs.shape[1], 32, 1),
        train=_tensors(x_train, y_train.astype(np.float32)),
        val=_tensors(x_val, y_val.astype(np.float32)),
        loss="mse",
        steps=300,
        batch_size=32,
        description="diabetes progression (scikit-learn), 10 features, MLP 10-32-1 regression, MSE",
    )


def mnist1d_mlp(seed: int = 0) -> Task:
    """mnist1d (40-sample 1-d signals of 10 digits), generated locally and cached, an MLP."""
    inputs, targets = mnist1d_arrays()
    train, val = _split(inputs, targets, seed, axis=None)
    return Task(
        name="mnist1d-mlp",
        model=functools.partial(MLP, inputs.shape[1], 100, 100, 10),
        train=train,
        val=val,
        loss="cross_entropy",
        metric="accuracy",
        steps=2000,
        batch_size=100,
        description="mnist1d 1-d digit signals (generated, cached), 10 classes, MLP 40-100-100-10",
    )


def _fashion(seed: int, subset: int, val_subset: int) -> tuple[Pair, Pair]:
    """Seeded subsets of Fashion-MNIST's train and test files, as (N, 1, 28, 28) images."""
    x_train, y_train = fashion_mnist_arrays("train")
    x_test, y_test = fashion_mnist_arrays("test")
    for option, value, available in (
        ("subset", subset, len(y_train)),
        ("val_subset", val_subset, len(y_test)),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= available:
            raise TaskError(f"{option} must be an integer from 1 to {available}, got {value!r}")
    rng = np.random.default_rng(seed)
    train_idx = np.sort(rng.choice(len(y_train), subset, replace=False))
    val_idx = np.sort(rng.choice(len(y_test), val_subset, replace=False))
    train_images, val_images = standardise(
        x_train[train_idx, None].astype(np.float32),
        x_test[val_idx, None].astype(np.float32),
        axis=None,
    )
    return _tensors(train_images, y_train[train_idx]), _tensors(val_images, y_test[val_idx])


def fashion_mlp(seed: int = 0, subset: int = 5000, val_subset: int = 1000) -> Task:
    """A seeded subset of Fashion-MNIST (Debian's package), a one-hidden-layer MLP."""
    train, val = _fashion(seed, subset, val_subset)
    return Task(
        name="fashion-mlp",
        model=functools.partial(MLP, 28 * 28, 128, 10),
        train=train,
        val=val,
        loss="cross_entropy",
        metric="accuracy",
        steps=1000,
        batch_size=64,
        description=f"Fashion-MNIST 28x28 clothing, {subset} train images, MLP 784-128-10",
    )


def fashion_cnn(seed: int = 0, subset: int = 5000, val_subset: int = 1000) -> Task:
    """A seeded subset of Fashion-MNIST (Debian's package), a two-block convolutional net."""
    train, val = _fashion(seed, subset, val_subset)
    return Task(
        name="fashion-cnn",
        model=functools.partial(SmallCNN, 28, 10, 16),
        train=train,
        val=val,
        loss="cross_entropy",
        metric="accuracy",
        steps=1000,
        batch_size=64,
        description=f"Fashion-MNIST 28x28 clothing, {subset} train images, small CNN",
    )


_BUILDERS: dict[str, Callable[..., Task]] = {
    "digits-mlp": digits_mlp,
    "digits-cnn": digits_cnn,
    "cancer-logreg": cancer_logreg,
    "diabetes-mlp": diabetes_mlp,
    "mnist1d-mlp": mnist1d_mlp,
    "fashion-mlp": fashion_mlp,
    "fashion-cnn": fashion_cnn,
    "quadratic": quadratic,
    "rosenbrock": rosenbrock,
}


def builtin_tasks() -> list[str]:
    """Names of the built-in tasks, in listing order."""
    return list(_BUILDERS)


def get_task(name: str, **options: Any) -> Task:
    """Build the built-in task `name`; `options` go to its builder (`seed=1`, `subset=2000`...)."""
    builder = _BUILDERS.get(name)
    if builder is None:
        close = difflib.get_close_matches(name, _BUILDERS, n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise TaskError(
            f"unknown task {name!r}; {hint}run `lrkit tasks` to list the built-in tasks, "
            "or give a file as path/to/file.py:function"
        )
    signature = inspect.signature(builder)
    try:
        signature.bind(**options)
    except TypeError:
        allowed = ", ".join(signature.parameters) or "none"
        raise TaskError(
            f"task {name!r} got unknown options {sorted(options)}; its options are: {allowed}"
        ) from None
    return builder(**options)
