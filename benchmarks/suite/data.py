"""The suite's data: seeded, offline, split once, inputs (and regression targets) standardised
with training statistics only.

Sources: the built-in tasks' own data through `lrkit.tasks.get_task` (digits, breast cancer,
diabetes, mnist1d, Fashion-MNIST from Debian's package), scikit-learn's other bundled sets and its
generators at a fixed `random_state`, synthetic sequences drawn from a seeded generator, and text
that ships inside scikit-learn (its data sets' description files) for character-level models.
Every loader is cached per process: tasks that share a source read it once.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
import torch

from lrkit.tasks import get_task

Pair = tuple[torch.Tensor, torch.Tensor]
Split = tuple[Pair, Pair]
SEED = 0  # every split and generator below; the suite is one fixed draw


def _standardise(train: np.ndarray, val: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (train - mean) / std, (val - mean) / std


def _pair(inputs: np.ndarray, targets: np.ndarray) -> Pair:
    dtype = torch.float32 if targets.dtype.kind == "f" else torch.int64
    return torch.as_tensor(inputs, dtype=torch.float32), torch.as_tensor(targets, dtype=dtype)


def tabular(inputs: np.ndarray, targets: np.ndarray, n_val: int, regression: bool) -> Split:
    """A seeded split of the rows; features (and a regression target, as one column) scaled."""
    order = np.random.default_rng(SEED).permutation(len(targets))
    train, val = order[n_val:], order[:n_val]
    x_train, x_val = _standardise(inputs[train], inputs[val])
    if regression:
        y_train, y_val = _standardise(targets[train, None], targets[val, None])
        y_train, y_val = y_train.astype(np.float32), y_val.astype(np.float32)
    else:
        labels = np.unique(targets, return_inverse=True)[1].astype(np.int64)  # e.g. -1/+1 -> 0/1
        y_train, y_val = labels[train], labels[val]
    return _pair(x_train, y_train), _pair(x_val, y_val)


@functools.cache
def sklearn_set(loader: str, n_val: int, regression: bool = False) -> Split:
    """A bundled scikit-learn set (`load_wine`, `load_iris`, ...)."""
    import sklearn.datasets

    inputs, targets = getattr(sklearn.datasets, loader)(return_X_y=True)
    return tabular(np.asarray(inputs, dtype=np.float64), np.asarray(targets), n_val, regression)


@functools.cache
def generated(generator: str, n: int, n_val: int, regression: bool = False, **options: float) -> Split:
    """`sklearn.datasets.<generator>(n_samples=n, random_state=0, **options)`, split."""
    import sklearn.datasets

    inputs, targets = getattr(sklearn.datasets, generator)(n_samples=n, random_state=SEED, **options)
    return tabular(np.asarray(inputs, dtype=np.float64), np.asarray(targets), n_val, regression)


@functools.cache
def builtin(task: str, **options: int) -> Split:
    """The train and validation tensors of one of lrkit's built-in tasks (the same loading)."""
    made = get_task(task, **options)
    return made.train, made.val


def subset(split: Split, n_train: int) -> Split:
    """The first `n_train` rows of a seeded permutation of the training part; validation kept."""
    (inputs, targets), val = split
    rows = torch.as_tensor(np.random.default_rng(SEED).permutation(len(targets))[:n_train])
    return (inputs[rows], targets[rows]), val


def flat(split: Split) -> Split:
    """Images as rows of features (for linear models and MLPs on one set of tensors)."""
    return tuple((inputs.flatten(1), targets) for inputs, targets in split)  # type: ignore[return-value]


def as_regression(split: Split, classes: int) -> Split:
    """Classification targets as one-hot float rows, for a squared-error loss."""
    return tuple((inputs, torch.nn.functional.one_hot(targets, classes).float())
                 for inputs, targets in split)  # type: ignore[return-value]


# Synthetic sequences: (N, T, features) float inputs, or (N, T) integer tokens.

@functools.cache
def adding(n: int, n_val: int, length: int) -> Split:
    """The adding problem: the sum of the two values marked in a sequence of random values."""
    rng = np.random.default_rng(SEED)
    values = rng.random((n + n_val, length))
    marks = np.zeros_like(values)
    for row in marks:
        row[rng.choice(length, 2, replace=False)] = 1.0
    inputs = np.stack([values, marks], axis=-1)
    targets = (values * marks).sum(axis=1, keepdims=True)
    targets = (targets - 1.0) / np.sqrt(1 / 6)  # centred and scaled: the sum has mean 1, var 1/6
    return _pair(inputs[n_val:], targets[n_val:].astype(np.float32)), \
        _pair(inputs[:n_val], targets[:n_val].astype(np.float32))


@functools.cache
def majority(n: int, n_val: int, length: int, flip: float) -> Split:
    """Bits with a drifting bias; the label is whether ones outnumber zeros, flipped for a fraction
    `flip` of the sequences (so the loss has a floor above 0 and the ratio to it stays readable)."""
    rng = np.random.default_rng(SEED)
    bias = rng.uniform(0.3, 0.7, size=(n + n_val, 1))
    bits = (rng.random((n + n_val, length)) < bias).astype(np.float32)
    labels = (bits.sum(axis=1) * 2 > length) ^ (rng.random(n + n_val) < flip)
    labels = labels.astype(np.int64)
    inputs = bits[..., None] * 2 - 1
    return _pair(inputs[n_val:], labels[n_val:]), _pair(inputs[:n_val], labels[:n_val])


@functools.cache
def sines(n: int, n_val: int, length: int, noise: float) -> Split:
    """Noisy sums of two sines of random frequency and phase; predict the next value."""
    rng = np.random.default_rng(SEED)
    t = np.arange(length + 1)
    freq = rng.uniform(0.05, 0.4, size=(n + n_val, 2, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n + n_val, 2, 1))
    clean = np.sin(freq * t + phase).sum(axis=1)
    noisy = clean + noise * rng.standard_t(3, size=clean.shape)  # heavy tails: outliers
    inputs, targets = noisy[:, :-1, None], noisy[:, -1:].astype(np.float32)
    return _pair(inputs[n_val:], targets[n_val:]), _pair(inputs[:n_val], targets[:n_val])


@functools.cache
def max_token(n: int, n_val: int, length: int, vocab: int) -> Split:
    """Random token sequences; the label is the largest token in the sequence."""
    rng = np.random.default_rng(SEED)
    tokens = rng.integers(0, vocab, size=(n + n_val, length))
    labels = tokens.max(axis=1)
    return (torch.as_tensor(tokens[n_val:]), torch.as_tensor(labels[n_val:])), \
        (torch.as_tensor(tokens[:n_val]), torch.as_tensor(labels[:n_val]))


# Text: scikit-learn's data set descriptions (reStructuredText files in its wheel).

@functools.cache
def text() -> str:
    """The description files of scikit-learn's data sets, concatenated in name order."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise ImportError("the text tasks read scikit-learn's data set descriptions; install scikit-learn")
    folder = Path(spec.origin).parent / "datasets" / "descr"
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.rst")))


@functools.cache
def vocabulary() -> str:
    """Every character of `text()`, sorted: token i is vocabulary()[i]."""
    return "".join(sorted(set(text())))


@functools.cache
def characters(length: int, stride: int, n_val: int) -> Split:
    """Windows of `length` + 1 characters: inputs are the first `length`, targets the next ones.

    The first 90% of the text gives training windows every `stride` characters; the last 10%
    gives `n_val` non-overlapping validation windows, so no validation text is trained on."""
    index = {char: i for i, char in enumerate(vocabulary())}
    tokens = np.array([index[char] for char in text()], dtype=np.int64)
    cut = int(0.9 * len(tokens))
    starts = np.arange(0, cut - length - 1, stride)
    val_starts = np.arange(cut, len(tokens) - length - 1, length)[:n_val]

    def windows(at: np.ndarray) -> Pair:
        rows = np.stack([tokens[s:s + length + 1] for s in at])
        return torch.as_tensor(rows[:, :-1]), torch.as_tensor(rows[:, 1:])

    return windows(starts), windows(val_starts)


def last_target(split: Split) -> Split:
    """Character windows with only the character after the window as the target."""
    return tuple((inputs, targets[:, -1]) for inputs, targets in split)  # type: ignore[return-value]
