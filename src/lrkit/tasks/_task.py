"""The `Task`: what to train (model, data, loss, metric, budget), checked when it is made."""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset, IterableDataset, TensorDataset

from lrkit.errors import LrkitError

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
MetricFn = Callable[[torch.Tensor, torch.Tensor], float]
Data = tuple[torch.Tensor, torch.Tensor] | Dataset

_LOSSES: dict[str, LossFn] = {
    "cross_entropy": nn.functional.cross_entropy,
    "mse": nn.functional.mse_loss,
}


class TaskError(LrkitError):
    """A task that cannot be made or loaded; the message says what is wrong and what to do.

    A `ValueError` (through lrkit's error root), so the CLI prints it as one line.
    """


def accuracy(output: torch.Tensor, target: torch.Tensor) -> float:
    """Fraction of rows whose highest-scoring class is the target class (higher is better)."""
    return (output.argmax(dim=-1) == target).float().mean().item()


def _callable_name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def _check_data(role: str, data: Any) -> Data:
    """Return `data` as a tuple pair or a sized Dataset, or raise a TaskError saying why not."""
    if isinstance(data, IterableDataset):
        raise TaskError(
            f"{role} is an IterableDataset; give a map-style torch Dataset with __len__ "
            "or an (inputs, targets) pair of tensors"
        )
    if isinstance(data, Dataset):
        try:
            n = len(data)  # type: ignore[arg-type]
        except TypeError:
            raise TaskError(
                f"{role} dataset {type(data).__name__} has no __len__; define __len__ on it"
            ) from None
        if n == 0:
            raise TaskError(f"{role} dataset is empty; give it at least one example")
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        inputs, targets = data
        for part, value in (("inputs", inputs), ("targets", targets)):
            if not isinstance(value, torch.Tensor):
                raise TaskError(
                    f"{role} {part} is a {type(value).__name__}, not a torch.Tensor; "
                    "convert it with torch.as_tensor"
                )
            if value.dim() == 0:
                raise TaskError(f"{role} {part} is a scalar; give one row per example")
        if len(inputs) != len(targets):
            raise TaskError(
                f"{role} inputs have {len(inputs)} rows but targets have {len(targets)}; "
                "give exactly one target per input row"
            )
        if len(inputs) == 0:
            raise TaskError(f"{role} data is empty; give it at least one example")
        return (inputs, targets)
    raise TaskError(
        f"{role} must be an (inputs, targets) pair of torch tensors or a torch Dataset, "
        f"got {type(data).__name__}"
    )


def _check_count(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise TaskError(f"{name} must be a positive integer, got {value!r}")


@dataclass(frozen=True, eq=False)
class Task:
    """What to train: a model factory, train and validation data, a loss, a metric and a budget.

    `model` is a zero-argument callable returning a fresh `torch.nn.Module`; it must give the same
    weights after the same `torch.manual_seed`. `train` and `val` are each an `(inputs, targets)`
    pair of tensors or a map-style `torch.utils.data.Dataset`. `loss` is "cross_entropy", "mse" or
    a callable `(output, target) -> scalar tensor` to minimise. `metric` is None, "accuracy"
    (higher is better) or a callable `(output, target) -> float` that is reported as it is. `steps`
    is the full training budget in optimizer steps. `info` holds known facts about the task (for
    example the largest stable learning rate of an analytic task) and is stored read-only.

    Tasks compare and hash by identity, since they hold tensors and callables.
    """

    name: str
    model: Callable[[], nn.Module]
    train: Data
    val: Data
    loss: str | LossFn = "cross_entropy"
    metric: str | MetricFn | None = None
    steps: int = 1000
    batch_size: int = 64
    description: str = ""
    info: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise TaskError(f"task name must be a non-empty string, got {self.name!r}")
        if isinstance(self.model, nn.Module):
            raise TaskError(
                f"model is a {type(self.model).__name__} instance; pass a zero-argument factory "
                "(the class or a function) so every run starts from fresh weights"
            )
        if not callable(self.model):
            raise TaskError(
                f"model must be a zero-argument callable returning a torch.nn.Module, "
                f"got {type(self.model).__name__}; pass the class or a factory function"
            )
        object.__setattr__(self, "train", _check_data("train", self.train))
        object.__setattr__(self, "val", _check_data("val", self.val))
        if isinstance(self.loss, str):
            if self.loss not in _LOSSES:
                raise TaskError(
                    f"unknown loss {self.loss!r}; use one of {sorted(_LOSSES)} "
                    "or a callable (output, target) -> scalar tensor"
                )
        elif not callable(self.loss):
            raise TaskError(
                f"loss must be a loss name or a callable, got {type(self.loss).__name__}"
            )
        if isinstance(self.metric, str):
            if self.metric != "accuracy":
                raise TaskError(
                    f"unknown metric {self.metric!r}; use 'accuracy', None "
                    "or a callable (output, target) -> float"
                )
        elif self.metric is not None and not callable(self.metric):
            raise TaskError(
                f"metric must be None, 'accuracy' or a callable, got {type(self.metric).__name__}"
            )
        _check_count("steps", self.steps)
        _check_count("batch_size", self.batch_size)
        if not isinstance(self.description, str):
            raise TaskError(f"description must be a string, got {type(self.description).__name__}")
        if self.info is not None:
            if not isinstance(self.info, Mapping):
                raise TaskError(f"info must be a mapping or None, got {type(self.info).__name__}")
            object.__setattr__(self, "info", types.MappingProxyType(dict(self.info)))

    def __reduce__(self) -> tuple[Any, ...]:
        # MappingProxyType cannot be pickled; rebuild the task from plain fields instead.
        info = None if self.info is None else dict(self.info)
        return (
            type(self),
            (
                self.name, self.model, self.train, self.val, self.loss, self.metric,
                self.steps, self.batch_size, self.description, info,
            ),
        )

    def loss_fn(self) -> LossFn:
        """The loss to minimise, as a callable `(output, target) -> scalar tensor`."""
        return _LOSSES[self.loss] if isinstance(self.loss, str) else self.loss

    def metric_fn(self) -> MetricFn | None:
        """The metric as a callable `(output, target) -> float`, or None when there is none."""
        return accuracy if self.metric == "accuracy" else self.metric  # type: ignore[return-value]

    @property
    def metric_name(self) -> str | None:
        """'accuracy', the metric callable's name, or None."""
        if self.metric is None or isinstance(self.metric, str):
            return self.metric
        return _callable_name(self.metric)

    @property
    def loss_name(self) -> str:
        """The loss's name: 'cross_entropy', 'mse' or the loss callable's name."""
        return self.loss if isinstance(self.loss, str) else _callable_name(self.loss)

    def build_model(self) -> nn.Module:
        """Call the model factory and check that it gave a `torch.nn.Module`."""
        module = self.model()
        if not isinstance(module, nn.Module):
            raise TaskError(
                f"task {self.name!r}: model() returned {type(module).__name__}, "
                "expected a torch.nn.Module"
            )
        return module

    def train_dataset(self) -> Dataset:
        """The training data as a Dataset (a tensor pair is wrapped in a TensorDataset)."""
        return _as_dataset(self.train)

    def val_dataset(self) -> Dataset:
        """The validation data as a Dataset (a tensor pair is wrapped in a TensorDataset)."""
        return _as_dataset(self.val)

    @property
    def n_train(self) -> int:
        """Number of training examples."""
        return _length(self.train)

    @property
    def n_val(self) -> int:
        """Number of validation examples."""
        return _length(self.val)

    def summary(self) -> dict[str, Any]:
        """A plain dict describing the task, for listings such as `lrkit tasks`.

        Builds one model to count its parameters, without disturbing torch's global random state.
        """
        with torch.random.fork_rng(devices=[]):
            n_params = sum(p.numel() for p in self.build_model().parameters())
        return {
            "name": self.name,
            "description": self.description,
            "n_train": self.n_train,
            "n_val": self.n_val,
            "steps": self.steps,
            "batch_size": self.batch_size,
            "loss": self.loss_name,
            "metric": self.metric_name,
            "n_params": n_params,
        }


def _as_dataset(data: Data) -> Dataset:
    return TensorDataset(*data) if isinstance(data, tuple) else data


def _length(data: Data) -> int:
    return len(data[0]) if isinstance(data, tuple) else len(data)  # type: ignore[arg-type]
