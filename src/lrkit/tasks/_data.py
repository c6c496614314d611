"""Offline data sources for the built-in tasks, with seeded splits and train-only standardisation.

Every loader returns numpy arrays; nothing here downloads. scikit-learn's bundled sets ship in its
wheel, mnist1d is generated locally (and cached), Fashion-MNIST comes from Debian's package.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from lrkit.tasks._cache import cached_arrays
from lrkit.tasks._task import TaskError

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
_FASHION_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
_MNIST1D_SAMPLES = 5000
_MNIST1D_SEED = 42


def split_indices(n: int, n_val: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random split of `range(n)` into (train, val) index arrays, val of size `n_val`."""
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def standardise(
    train: np.ndarray, val: np.ndarray, axis: int | tuple[int, ...] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Centre and scale both arrays with the training array's mean and std along `axis`.

    `axis=0` scales each feature; `axis=None` uses one mean and std for everything (images).
    A constant feature keeps scale 1 instead of dividing by zero.
    """
    mean = train.mean(axis=axis, keepdims=axis is not None)
    std = train.std(axis=axis, keepdims=axis is not None)
    std = np.where(std > 0, std, 1.0)
    return (train - mean) / std, (val - mean) / std


def _sklearn_loader(name: str):
    try:
        import sklearn.datasets
    except ImportError:
        raise TaskError(
            "this task needs scikit-learn's bundled data sets; install it with "
            "`pip install scikit-learn`"
        ) from None
    return getattr(sklearn.datasets, name)


def sklearn_arrays(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets of a scikit-learn bundled data set, e.g. "load_digits"."""
    inputs, targets = _sklearn_loader(name)(return_X_y=True)
    return np.asarray(inputs, dtype=np.float64), np.asarray(targets)


def _generate_mnist1d() -> dict[str, np.ndarray]:
    """Generate the standard mnist1d arrays with its local generator (never its downloader)."""
    import random

    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError:
        raise TaskError(
            "this task needs the mnist1d generator; install it with `pip install mnist1d`"
        ) from None
    args = get_dataset_args()
    args.num_samples = _MNIST1D_SAMPLES
    args.seed = _MNIST1D_SEED
    # make_dataset reseeds the global `random` and numpy generators; leave them as they were.
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        data = make_dataset(args)
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
    return {
        "x": np.concatenate([data["x"], data["x_test"]]).astype(np.float32),
        "y": np.concatenate([data["y"], data["y_test"]]).astype(np.int64),
    }


def mnist1d_arrays() -> tuple[np.ndarray, np.ndarray]:
    """All mnist1d signals (N, 40) and labels (N,), generated once and then read from the cache."""
    name = f"mnist1d-n{_MNIST1D_SAMPLES}-seed{_MNIST1D_SEED}.npz"
    arrays = cached_arrays(name, _generate_mnist1d)
    return arrays["x"], arrays["y"]


def fashion_mnist_dir() -> Path:
    """The Fashion-MNIST folder: `$LRKIT_FASHION_MNIST_DIR` if set, else Debian's location."""
    override = os.environ.get("LRKIT_FASHION_MNIST_DIR")
    return Path(override).expanduser() if override else FASHION_MNIST_DIR


def _read_idx(path: Path, magic: int, dims: int) -> np.ndarray:
    """Read a gzipped idx file of unsigned bytes (the MNIST file format)."""
    try:
        with gzip.open(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:
        raise TaskError(f"cannot read {path} ({error}); reinstall the data") from None
    header_size = 4 * (1 + dims)
    header = np.frombuffer(raw[:header_size], dtype=">i4")
    if len(header) != 1 + dims or int(header[0]) != magic:
        raise TaskError(f"{path} is not an idx file with magic number {magic}; reinstall the data")
    shape = tuple(int(size) for size in header[1:])
    data = np.frombuffer(raw, dtype=np.uint8, offset=header_size)
    if data.size != int(np.prod(shape)):
        raise TaskError(f"{path} is truncated ({data.size} bytes for shape {shape}); reinstall it")
    return data.reshape(shape)


def fashion_mnist_arrays(part: str) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST images (N, 28, 28) uint8 and labels (N,) of `part` "train" or "test"."""
    folder = fashion_mnist_dir()
    paths = [folder / name for name in _FASHION_FILES[part]]
    for path in paths:
        if not path.is_file():
            raise TaskError(
                f"Fashion-MNIST file {path} is missing; install it with "
                "`apt-get install dataset-fashion-mnist` (as root) "
                "or point LRKIT_FASHION_MNIST_DIR at a folder holding the idx .gz files"
            )
    images = _read_idx(paths[0], magic=2051, dims=3)
    labels = _read_idx(paths[1], magic=2049, dims=1)
    if len(images) != len(labels):
        raise TaskError(
            f"{paths[0]} has {len(images)} images but {paths[1]} has {len(labels)} labels; "
            "reinstall the data"
        )
    return images, labels.astype(np.int64)
