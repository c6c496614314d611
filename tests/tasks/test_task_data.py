"""Data plumbing: seeded splits, standardisation, the mnist1d cache, the Fashion-MNIST reader."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit.tasks import TaskError, _data, get_task
from lrkit.tasks._cache import cache_dir, cached_arrays


@given(
    n=st.integers(min_value=1, max_value=300),
    fraction=st.floats(min_value=0.0, max_value=1.0),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_split_covers_everything_once(n: int, fraction: float, seed: int) -> None:
    n_val = round(fraction * n)
    train, val = _data.split_indices(n, n_val, seed)
    assert len(val) == n_val
    assert not set(train) & set(val)
    assert sorted([*train, *val]) == list(range(n))


def test_split_depends_on_seed_only() -> None:
    first = _data.split_indices(100, 20, seed=3)
    again = _data.split_indices(100, 20, seed=3)
    other = _data.split_indices(100, 20, seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[1], other[1])


def test_standardise_uses_training_statistics() -> None:
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 3.0, size=(200, 3))
    train[:, 2] = 7.0  # a constant feature must not divide by zero
    val = train[:10] + 1.0
    new_train, new_val = _data.standardise(train, val, axis=0)
    np.testing.assert_allclose(new_train[:, :2].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(new_train[:, :2].std(axis=0), 1.0)
    assert np.all(new_train[:, 2] == 0.0)
    scale = np.where(train.std(axis=0) > 0, train.std(axis=0), 1.0)
    np.testing.assert_allclose(new_val, new_train[:10] + 1.0 / scale)


def test_cache_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LRKIT_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "lrkit"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "lrkit"
    monkeypatch.setenv("LRKIT_CACHE_DIR", str(tmp_path / "own"))
    assert cache_dir() == tmp_path / "own"


def _fake_mnist1d(calls: list[int]):
    def generate() -> dict[str, np.ndarray]:
        calls.append(1)
        rng = np.random.default_rng(0)
        return {
            "x": rng.normal(size=(50, 40)).astype(np.float32),
            "y": np.arange(50, dtype=np.int64) % 10,
        }

    return generate


def _refuse() -> dict[str, np.ndarray]:
    raise AssertionError("the generator ran although the cache holds the data")


def test_mnist1d_is_generated_once_then_read_from_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LRKIT_CACHE_DIR", str(tmp_path / "cache"))
    calls: list[int] = []
    monkeypatch.setattr(_data, "_generate_mnist1d", _fake_mnist1d(calls))
    x, y = _data.mnist1d_arrays()
    assert calls == [1]
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["mnist1d-n5000-seed42.npz"]

    monkeypatch.setattr(_data, "_generate_mnist1d", _refuse)
    x_again, y_again = _data.mnist1d_arrays()
    assert np.array_equal(x, x_again)
    assert np.array_equal(y, y_again)
    assert get_task("mnist1d-mlp").n_train + get_task("mnist1d-mlp").n_val == 50


def test_unreadable_cache_is_made_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LRKIT_CACHE_DIR", str(tmp_path))
    (tmp_path / "thing.npz").write_bytes(b"not a zip file")
    with pytest.warns(UserWarning, match="unreadable"):
        arrays = cached_arrays("thing.npz", lambda: {"a": np.arange(3)})
    assert np.array_equal(arrays["a"], np.arange(3))
    with np.load(tmp_path / "thing.npz") as stored:
        assert np.array_equal(stored["a"], np.arange(3))


def test_unwritable_cache_warns_and_still_returns_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("LRKIT_CACHE_DIR", str(blocker / "cache"))
    with pytest.warns(UserWarning, match="could not write"):
        arrays = cached_arrays("thing.npz", lambda: {"a": np.arange(3)})
    assert np.array_equal(arrays["a"], np.arange(3))


def test_real_mnist1d_generation_leaves_global_rngs_alone() -> None:
    np.random.seed(7)
    random.seed(7)
    expected = (np.random.rand(), random.random())
    np.random.seed(7)
    random.seed(7)
    arrays = _data._generate_mnist1d()
    assert (np.random.rand(), random.random()) == expected
    assert arrays["x"].shape == (5000, 40)
    assert arrays["x"].dtype == np.float32
    assert set(arrays["y"].tolist()) == set(range(10))


def _write_idx(path: Path, magic: int, array: np.ndarray) -> None:
    header = np.array([magic, *array.shape], dtype=">i4").tobytes()
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def _fake_fashion(folder: Path, n_train: int = 12, n_test: int = 6) -> None:
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28))
        _write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", 2051, images)
        _write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", 2049, np.arange(n) % 10)


def test_fashion_missing_data_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LRKIT_FASHION_MNIST_DIR", str(tmp_path))
    for name in ("fashion-mlp", "fashion-cnn"):
        with pytest.raises(TaskError, match="apt-get install dataset-fashion-mnist") as caught:
            get_task(name)
        message = str(caught.value)
        assert "\n" not in message
        assert str(tmp_path / "train-images-idx3-ubyte.gz") in message


def test_fashion_reader_parses_idx_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_fashion(tmp_path)
    monkeypatch.setenv("LRKIT_FASHION_MNIST_DIR", str(tmp_path))
    images, labels = _data.fashion_mnist_arrays("test")
    assert images.shape == (6, 28, 28)
    assert images.dtype == np.uint8
    assert labels.tolist() == [0, 1, 2, 3, 4, 5]
    task = get_task("fashion-cnn", subset=10, val_subset=4)
    assert (task.n_train, task.n_val) == (10, 4)
    assert task.train[0].shape == (10, 1, 28, 28)


@pytest.mark.parametrize(("option", "value"), [("subset", 0), ("subset", 13), ("val_subset", 7)])
def test_fashion_subset_out_of_range(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, option: str, value: int
) -> None:
    _fake_fashion(tmp_path)
    monkeypatch.setenv("LRKIT_FASHION_MNIST_DIR", str(tmp_path))
    with pytest.raises(TaskError, match=f"{option} must be an integer from 1 to"):
        get_task("fashion-mlp", **{"subset": 10, "val_subset": 4, option: value})


def test_fashion_bad_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_fashion(tmp_path)
    monkeypatch.setenv("LRKIT_FASHION_MNIST_DIR", str(tmp_path))
    labels = tmp_path / "train-labels-idx1-ubyte.gz"
    _write_idx(labels, 2051, np.arange(12))
    with pytest.raises(TaskError, match="not an idx file with magic number 2049"):
        _data.fashion_mnist_arrays("train")
    with gzip.open(labels, "wb") as handle:
        handle.write(np.array([2049, 12], dtype=">i4").tobytes() + bytes(5))
    with pytest.raises(TaskError, match="truncated"):
        _data.fashion_mnist_arrays("train")
    labels.write_bytes(b"not gzip")
    with pytest.raises(TaskError, match="cannot read"):
        _data.fashion_mnist_arrays("train")
