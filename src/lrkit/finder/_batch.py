"""How the range test turns one batch into a loss.

Batches come as `(inputs, target)` pairs (a DataLoader over tensors) or as dicts (Hugging Face
collators: `{"input_ids": ..., "attention_mask": ..., "labels": ...}`). A dict batch names its
target with `target=` and the model's input with `inputs=` (without it, the other keys go to the
model as keyword arguments); with no loss function, the whole dict goes to the model, which
returns its own `.loss` as Hugging Face models do when the batch holds labels.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from ._errors import FinderError

LossFn = Callable[[Any, Any], torch.Tensor]


class BatchLoss:
    """`loss(batch)`: the model's loss on one batch, moved to `device`; a batch of a form it cannot
    read is a FinderError saying what it needs."""

    def __init__(self, model: torch.nn.Module, loss_fn: LossFn | None, inputs: str | None,
                 target: str | None, device: torch.device) -> None:
        self.model, self.loss_fn, self.device = model, loss_fn, device
        self.inputs, self.target = inputs, target
        self.checked: set[frozenset[str]] = set()  # key sets the model's forward is known to take

    def __call__(self, batch: Any) -> torch.Tensor:
        batch = to_device(batch, self.device)
        if isinstance(batch, Mapping):
            return self._from_dict(batch)
        if self.inputs is not None or self.target is not None:
            raise FinderError("inputs= and target= name the keys of dict batches, but these batches are "
                              "(inputs, target) pairs; leave them out")
        if self.loss_fn is None:
            raise FinderError("loss_fn=None needs dict batches the model computes its own .loss from "
                              "(Hugging Face style); pass a loss_fn for (inputs, target) batches")
        if not isinstance(batch, Sequence) or len(batch) != 2:
            raise FinderError(f"a batch must be an (inputs, target) pair or a dict, got {_describe(batch)}")
        inputs, target = batch
        return self.loss_fn(self.model(inputs), target)

    def _from_dict(self, batch: Mapping[str, Any]) -> torch.Tensor:
        keys = ", ".join(map(repr, batch))
        if self.loss_fn is None:
            if self.inputs is not None or self.target is not None:
                raise FinderError("without loss_fn the whole dict batch goes to the model, which computes "
                                  "its own loss; leave inputs= and target= out, or pass a loss_fn")
            return _own_loss(self._call(batch), keys)
        if self.target is None:
            raise FinderError(f"the batches are dicts with keys {keys}; name the target (target='labels') "
                              "and the model's input (inputs='input_ids', or the other keys go to the "
                              "model as keyword arguments), or pass loss_fn=None if the model returns "
                              "its own .loss")
        for name in (self.inputs, self.target):
            if name is not None and name not in batch:
                raise FinderError(f"the batches have no key {name!r}; their keys are {keys}")
        if self.inputs is not None:
            output = self.model(batch[self.inputs])
        else:
            output = self._call({key: value for key, value in batch.items() if key != self.target})
        return self.loss_fn(output, batch[self.target])

    def _call(self, arguments: dict[str, Any]) -> Any:
        """The model called with keyword arguments, once checked against its forward's signature
        (a key it does not take would be a bare TypeError from inside torch)."""
        names = frozenset(arguments)
        if names not in self.checked:
            parameters = inspect.signature(self.model.forward).parameters.values()
            if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
                taken = {p.name for p in parameters}
                extra = sorted(names - taken)
                if extra:
                    raise FinderError(f"the model's forward takes no {', '.join(map(repr, extra))} (it takes "
                                      f"{', '.join(sorted(taken))}); name its input with inputs= and the "
                                      "target with target=")
            self.checked.add(names)
        return self.model(**arguments)


def _own_loss(output: Any, keys: str) -> torch.Tensor:
    """The `.loss` of a Hugging Face style output (an attribute or a key)."""
    loss = getattr(output, "loss", None)
    if loss is None and isinstance(output, Mapping):
        loss = output.get("loss")
    if not isinstance(loss, torch.Tensor):
        raise FinderError(f"the model returned {type(output).__name__} with no loss for a batch with keys "
                          f"{keys}; put the labels in the batch, or pass a loss_fn and target=")
    return loss


def _describe(batch: Any) -> str:
    if isinstance(batch, Sequence) and not isinstance(batch, str):
        return f"a {type(batch).__name__} of {len(batch)}"
    return type(batch).__name__


def to_device(batch: Any, device: torch.device) -> Any:
    """The batch with its tensors on `device` (other values as they are)."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, Mapping):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(value, device) for value in batch)
    return batch


def size(batch: Any) -> int:
    """Examples in a batch: the length of its first tensor."""
    values = batch.values() if isinstance(batch, Mapping) else batch
    for value in values:
        if isinstance(value, torch.Tensor):
            return len(value)
    raise FinderError(f"a batch needs tensors to train on, got {_describe(batch)}")


def head(batch: Any, n: int) -> Any:
    """The batch's first `n` examples."""
    if isinstance(batch, Mapping):
        return {key: value[:n] if isinstance(value, torch.Tensor) else value for key, value in batch.items()}
    return type(batch)(value[:n] for value in batch)


def merge(batches: list[Any]) -> list[Any]:
    """One batch made of all of them when their tensors concatenate, else the batches as they
    are (sequences padded to each batch's own length do not)."""
    if len(batches) < 2:
        return batches
    try:
        if isinstance(batches[0], Mapping):
            return [{key: torch.cat([batch[key] for batch in batches]) for key in batches[0]}]
        return [type(batches[0])(torch.cat(list(column)) for column in zip(*batches))]
    except (RuntimeError, TypeError, KeyError):
        return batches
