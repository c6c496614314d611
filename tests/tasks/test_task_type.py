"""The Task type: what it accepts, what it rejects (with one-line TaskErrors), what it reports."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import Dataset, IterableDataset, TensorDataset

from lrkit.errors import LrkitError
from lrkit.tasks import Task, TaskError
from lrkit.tasks._task import accuracy


def _pair(n: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(n, 3), torch.randint(0, 2, (n,))


def _model() -> nn.Module:
    return nn.Linear(3, 2)


def _task(**overrides) -> Task:
    fields = {"name": "t", "model": _model, "train": _pair(10), "val": _pair(4)}
    return Task(**{**fields, **overrides})


class _Squares(Dataset):
    def __len__(self) -> int:
        return 7

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.tensor([float(index)]), torch.tensor([float(index) ** 2])


class _Stream(IterableDataset):
    def __iter__(self):
        yield from ()


class _NoLength(Dataset):
    def __getitem__(self, index: int) -> int:
        return index


def test_tensor_pair_is_accepted_and_wrapped() -> None:
    task = _task()
    assert (task.n_train, task.n_val) == (10, 4)
    dataset = task.train_dataset()
    assert isinstance(dataset, TensorDataset)
    assert len(dataset) == 10
    assert torch.equal(dataset[3][0], task.train[0][3])
    assert isinstance(task.val_dataset(), TensorDataset)


def test_list_pair_is_stored_as_a_tuple() -> None:
    inputs, targets = _pair()
    assert isinstance(_task(train=[inputs, targets]).train, tuple)


def test_dataset_is_accepted_as_is() -> None:
    squares = _Squares()
    task = _task(train=squares, val=squares, loss="mse")
    assert task.train_dataset() is squares
    assert (task.n_train, task.n_val) == (7, 7)


def test_defaults() -> None:
    task = _task()
    assert (task.loss, task.metric) == ("cross_entropy", None)
    assert (task.steps, task.batch_size) == (1000, 64)
    assert task.loss_fn() is nn.functional.cross_entropy
    assert task.metric_fn() is None
    assert task.metric_name is None
    assert task.info is None


def test_named_loss_and_metric() -> None:
    task = _task(loss="mse", metric="accuracy")
    assert task.loss_fn() is nn.functional.mse_loss
    assert task.metric_fn() is accuracy
    assert task.metric_name == "accuracy"
    assert task.loss_name == "mse"


def test_callable_loss_and_metric_are_used_and_named() -> None:
    def hinge(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return output.sum()

    def recall(output: torch.Tensor, target: torch.Tensor) -> float:
        return 0.5

    task = _task(loss=hinge, metric=recall)
    assert task.loss_fn() is hinge
    assert task.metric_fn() is recall
    assert (task.loss_name, task.metric_name) == ("hinge", "recall")


def test_accuracy() -> None:
    output = torch.tensor([[2.0, 1.0], [0.0, 3.0], [5.0, 1.0], [1.0, 0.0]])
    assert accuracy(output, torch.tensor([0, 1, 1, 1])) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"name": ""}, "name"),
        ({"name": 3}, "name"),
        ({"model": nn.Linear(3, 2)}, "Linear instance; pass a zero-argument factory"),
        ({"model": "mlp"}, "model must be a zero-argument callable"),
        ({"train": (np.zeros((3, 3)), np.zeros(3))}, "torch.as_tensor"),
        ({"train": (torch.zeros(3, 3),)}, "pair of torch tensors"),
        ({"train": (torch.zeros(3, 3), torch.zeros(3), torch.zeros(3))}, "pair of torch tensors"),
        ({"train": {"x": torch.zeros(3)}}, "got dict"),
        ({"val": (torch.zeros(5, 3), torch.zeros(4))}, "5 rows but targets have 4"),
        ({"train": (torch.zeros(0, 3), torch.zeros(0))}, "empty"),
        ({"train": (torch.tensor(1.0), torch.tensor(1.0))}, "scalar"),
        ({"train": _Stream()}, "IterableDataset"),
        ({"train": _NoLength()}, "__len__"),
        ({"train": TensorDataset(torch.zeros(0, 3))}, "empty"),
        ({"loss": "hinge"}, "unknown loss 'hinge'"),
        ({"loss": 3}, "loss must be"),
        ({"metric": "f1"}, "unknown metric 'f1'"),
        ({"metric": 0.5}, "metric must be"),
        ({"steps": 0}, "steps must be a positive integer"),
        ({"steps": -5}, "steps must be a positive integer"),
        ({"steps": 10.0}, "steps must be a positive integer"),
        ({"steps": True}, "steps must be a positive integer"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"description": None}, "description"),
        ({"info": [("L", 1.0)]}, "info must be a mapping"),
    ],
)
def test_bad_fields_raise_one_line_task_error(overrides: dict, expected: str) -> None:
    with pytest.raises(TaskError, match=expected) as caught:
        _task(**overrides)
    assert "\n" not in str(caught.value)


def test_task_error_is_a_value_error_under_lrkits_error_root() -> None:
    assert issubclass(TaskError, LrkitError)
    assert issubclass(TaskError, ValueError)


def test_frozen_and_info_read_only() -> None:
    source = {"L": 2.0}
    task = _task(info=source)
    source["L"] = 99.0
    assert task.info["L"] == 2.0
    with pytest.raises(TypeError):
        task.info["L"] = 3.0  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.steps = 5  # type: ignore[misc]


def test_tasks_hash_and_compare_by_identity() -> None:
    first, second = _task(), _task()
    assert first == first
    assert first != second
    assert len({first, second, first}) == 2


def test_pickle_round_trip_keeps_fields() -> None:
    task = _task(info={"L": 2.0}, metric="accuracy", steps=7)
    copy = pickle.loads(pickle.dumps(task))
    assert dict(copy.info) == {"L": 2.0}
    assert (copy.steps, copy.metric, copy.n_train) == (7, "accuracy", 10)
    assert torch.equal(copy.train[0], task.train[0])


def test_summary_counts_parameters_without_touching_the_global_rng() -> None:
    task = _task(metric="accuracy", description="toy")
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    summary = task.summary()
    assert torch.equal(torch.rand(1), expected_next)
    assert summary == {
        "name": "t",
        "description": "toy",
        "n_train": 10,
        "n_val": 4,
        "steps": 1000,
        "batch_size": 64,
        "loss": "cross_entropy",
        "metric": "accuracy",
        "n_params": 3 * 2 + 2,
    }


def test_build_model_rejects_a_factory_that_returns_no_module() -> None:
    task = _task(model=lambda: "not a module")
    with pytest.raises(TaskError, match=r"returned str, expected a torch\.nn\.Module"):
        task.build_model()
