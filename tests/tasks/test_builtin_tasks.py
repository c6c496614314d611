"""Every built-in task builds from offline data, runs a forward pass, and splits by seed."""

from __future__ import annotations

import functools
import itertools
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from lrkit.tasks import Task, TaskError, builtin_tasks, get_task

DATA_TASKS = [
    "digits-mlp",
    "digits-cnn",
    "cancer-logreg",
    "diabetes-mlp",
    "mnist1d-mlp",
    "fashion-mlp",
    "fashion-cnn",
]
ANALYTIC_TASKS = ["quadratic", "rosenbrock"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lrkit-cache")


@pytest.fixture(autouse=True)
def _own_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LRKIT_CACHE_DIR", str(cache))
    monkeypatch.delenv("LRKIT_FASHION_MNIST_DIR", raising=False)
    yield


@functools.cache
def _built(name: str, seed: int = 0) -> Task:
    return get_task(name) if name in ANALYTIC_TASKS else get_task(name, seed=seed)


def test_builtin_names() -> None:
    assert builtin_tasks() == DATA_TASKS + ANALYTIC_TASKS


@pytest.mark.parametrize("name", DATA_TASKS + ANALYTIC_TASKS)
def test_task_builds_and_runs_a_batch(name: str) -> None:
    task = _built(name)
    assert task.name == name
    assert task.description and "\n" not in task.description
    torch.manual_seed(0)
    model = task.build_model()
    inputs, targets = next(iter(torch.utils.data.DataLoader(task.train_dataset(), batch_size=5)))
    batch = min(5, task.n_train)
    output = model(inputs)
    if task.loss == "cross_entropy":
        assert output.shape == (batch, int(task.train[1].max()) + 1)
    elif task.loss == "mse":
        assert output.shape == targets.shape == (batch, 1)
    else:
        assert output.shape == (batch,)
    loss = task.loss_fn()(output, targets)
    assert loss.dim() == 0
    assert torch.isfinite(loss)
    loss.backward()
    if task.metric_fn() is not None:
        assert 0.0 <= task.metric_fn()(output, targets) <= 1.0
    summary = task.summary()
    assert summary["name"] == name
    assert summary["n_params"] > 0


@pytest.mark.parametrize("name", DATA_TASKS)
def test_split_is_fixed_by_seed(name: str) -> None:
    first, again, other = _built(name, 0), get_task(name, seed=0), _built(name, 1)
    for part in (0, 1):
        assert torch.equal(first.train[part], again.train[part])
        assert torch.equal(first.val[part], again.val[part])
    assert not torch.equal(first.train[0], other.train[0])
    assert (first.n_train, first.n_val) == (other.n_train, other.n_val)


@pytest.mark.parametrize("name", DATA_TASKS)
def test_inputs_standardised_with_training_statistics(name: str) -> None:
    inputs = _built(name).train[0]
    assert inputs.dtype == torch.float32
    assert abs(inputs.mean().item()) < 1e-3
    assert 0.5 < inputs.std().item() < 1.5


def test_diabetes_target_is_standardised() -> None:
    targets = _built("diabetes-mlp").train[1]
    assert targets.dtype == torch.float32
    assert abs(targets.mean().item()) < 1e-5
    assert targets.std(unbiased=False).item() == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("name", DATA_TASKS + ANALYTIC_TASKS)
def test_model_is_deterministic_given_the_seed(name: str) -> None:
    task = _built(name)
    torch.manual_seed(5)
    first = task.build_model().state_dict()
    torch.manual_seed(5)
    second = task.build_model().state_dict()
    assert all(torch.equal(first[key], second[key]) for key in first)


def test_adam_at_1e3_trains_digits() -> None:
    task = _built("digits-mlp")
    torch.manual_seed(0)
    model = task.build_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    val_inputs, val_targets = task.val
    before = task.loss_fn()(model(val_inputs), val_targets).item()
    loader = torch.utils.data.DataLoader(task.train_dataset(), task.batch_size, shuffle=True)
    for _, (inputs, targets) in zip(range(100), itertools.cycle(loader)):
        optimizer.zero_grad()
        task.loss_fn()(model(inputs), targets).backward()
        optimizer.step()
    with torch.no_grad():
        after = model(val_inputs)
    assert task.loss_fn()(after, val_targets).item() < 0.7 * before
    assert task.metric_fn()(after, val_targets) > 0.5


def test_builtin_task_pickles_for_worker_processes() -> None:
    task = pickle.loads(pickle.dumps(_built("cancer-logreg")))
    assert task.summary()["n_params"] == 30 * 2 + 2


def test_unknown_name_suggests_close_matches() -> None:
    with pytest.raises(TaskError, match="did you mean digits-mlp") as caught:
        get_task("digit-mlp")
    assert "lrkit tasks" in str(caught.value)
    with pytest.raises(TaskError, match="lrkit tasks"):
        get_task("zzz")


def test_unknown_option_lists_the_options() -> None:
    with pytest.raises(TaskError, match="its options are: seed"):
        get_task("digits-mlp", subset=3)
