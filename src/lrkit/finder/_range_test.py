"""The learning-rate range test: ramp the rate up over a few steps and record the loss.

Usable on any PyTorch model + optimizer + loss + data (as people use torch-lr-finder and fastai's
`lr_find`), including Hugging Face style dict batches, or on a Task. The model and optimizer are
restored afterwards, always.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
from collections.abc import Iterable, Iterator
from typing import Any

import torch

from ..adapters.torch import LRSchedule
from ..events import Callback, Event, ignore
from ..optim import create_optimizer, train_mode
from ..schedules import Exponential, Linear, Schedule
from ..tasks import Task
from ..train import pick_device, torch_threads
from ..train._batches import batches
from ._batch import BatchLoss, LossFn, head, merge, size, to_device
from ._errors import FinderError
from ._result import FinderResult
from ._suggest import suggest_all


@contextlib.contextmanager
def restored(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> Iterator[None]:
    """Snapshot model and optimizer state and the parameters' gradients; put all back exactly on
    exit, even on error (a leftover gradient would leak into the user's next backward pass)."""
    model_state = {key: value.detach().clone() for key, value in model.state_dict().items()}
    optimizer_state = copy.deepcopy(optimizer.state_dict())
    gradients = [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()]
    training = model.training
    try:
        yield
    finally:
        model.load_state_dict(model_state)
        optimizer.load_state_dict(optimizer_state)
        for parameter, gradient in zip(model.parameters(), gradients):
            parameter.grad = gradient
        model.train(training)


def ramp(start_lr: float, end_lr: float, steps: int, mode: str) -> Schedule:
    """The rates of the test as an lrkit schedule: exponential (default) or linear."""
    if not (0 < start_lr < end_lr) or not math.isfinite(end_lr):
        raise FinderError(f"need 0 < start_lr < end_lr, got start_lr={start_lr!r}, end_lr={end_lr!r}")
    if steps < 3:
        raise FinderError(f"a range test needs at least 3 steps, got {steps}")
    if mode == "exp":
        return Exponential(start_lr, gamma=(end_lr / start_lr) ** (1 / (steps - 1)), steps=steps - 1)
    if mode == "linear":
        return Linear(start_lr, end_lr, steps - 1)
    raise FinderError(f"mode must be 'exp' or 'linear', got {mode!r}")


def _cycle(data: Iterable) -> Iterator[Any]:
    while True:
        empty = True
        for item in data:
            empty = False
            yield item
        if empty:
            raise FinderError("the data gave no batches; pass a non-empty DataLoader")
        if isinstance(data, Iterator):
            data = list(data)  # a one-shot iterator: nothing more will come from it


def _probe_from(stream: Iterator[Any], wanted: int) -> list[Any]:
    """The first `wanted` training examples: the fixed set the probe loss is taken on, as one
    batch when the batches concatenate."""
    parts, have = [], 0
    while have < wanted:
        parts.append(next(stream))
        have += size(parts[-1])
    parts[-1] = head(parts[-1], size(parts[-1]) - (have - wanted))
    return merge(parts)


def _probe_loss(loss: BatchLoss, probe: list[Any]) -> float:
    """The loss over the probe set, each batch weighted by its examples."""
    with torch.no_grad():
        if len(probe) == 1:
            return float(loss(probe[0]))
        return sum(float(loss(batch)) * size(batch) for batch in probe) / sum(size(batch) for batch in probe)


def range_test(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: LossFn | None,
    data: Iterable,
    *,
    inputs: str | None = None,
    target: str | None = None,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    steps: int = 100,
    mode: str = "exp",
    smoothing: float = 0.05,
    diverge_factor: float = 5.0,
    accumulation: int = 1,
    probe: Any = None,
    probe_size: int = 512,
    device: str | torch.device | None = None,
    callback: Callback = ignore,
) -> FinderResult:
    """Ramp the rate from start_lr to end_lr over `steps` updates, recording the loss.

    Batches are `(inputs, target)` pairs, or dicts: name their target and the model's input with
    `target="labels"` and `inputs="input_ids"` (without `inputs` the other keys go to the model as
    keyword arguments), or pass `loss_fn=None` for a model that computes its own `.loss` from the
    whole dict, as Hugging Face models do.

    Each update may average `accumulation` batches. Two curves are recorded: the training loss of
    each batch, smoothed with a bias-corrected moving average (weight `smoothing` on the newest
    value, as torch-lr-finder does), and the *probe loss*: the loss on one fixed set of examples
    (`probe`, one batch of the data's form, or the first `probe_size` training examples) after
    each update. The probe loss has no batch-to-batch noise and no smoothing lag, so lrkit's
    suggestion reads it. The test stops when either curve exceeds `diverge_factor` x its best or
    becomes non-finite; `stop_reason` "completed" says it never did up to `end_lr`. Model and
    optimizer are restored on return.
    """
    if not 0 < smoothing <= 1:
        raise FinderError(f"smoothing must be in (0, 1], got {smoothing!r}")
    if accumulation < 1:
        raise FinderError(f"accumulation must be >= 1, got {accumulation!r}")
    if probe is None and probe_size < 1:
        raise FinderError(f"probe_size must be >= 1, got {probe_size!r}")
    schedule = ramp(start_lr, end_lr, steps, mode)
    where = pick_device(device) if device is not None else next(model.parameters()).device
    batch_loss = BatchLoss(model, loss_fn, inputs, target, where)
    lrs, losses, smoothed, probe_losses = [], [], [], []
    stop_reason, average, best, best_probe = "completed", 0.0, math.inf, math.inf
    stream = _cycle(data)
    probe_set = [probe] if probe is not None else _probe_from(stream, probe_size)
    probe_set = [to_device(batch, where) for batch in probe_set]
    with restored(model, optimizer):
        for group in optimizer.param_groups:
            group.pop("initial_lr", None)  # ramp from the optimizer's own rates, not a past scheduler's
        scheduler = LRSchedule(optimizer, schedule)
        train_mode(optimizer)
        model.train()
        for step in range(steps):
            optimizer.zero_grad(set_to_none=True)
            total = 0.0
            for _ in range(accumulation):
                loss = batch_loss(next(stream)) / accumulation
                loss.backward()
                total += loss.item()
            lrs.append(float(scheduler.current_rate()))
            optimizer.step()
            scheduler.step()
            probe_loss = _probe_loss(batch_loss, probe_set)
            average = (1 - smoothing) * average + smoothing * total
            value = average / (1 - (1 - smoothing) ** (step + 1))
            losses.append(total)
            smoothed.append(value)
            probe_losses.append(probe_loss)
            callback(Event("finder", step + 1, steps, {"lr": lrs[-1], "loss": value}))
            if _exploded(value, best, diverge_factor) or _exploded(probe_loss, best_probe, diverge_factor):
                stop_reason = "diverged"
                break
            best, best_probe = min(best, value), min(best_probe, probe_loss)
    return FinderResult(
        lrs=tuple(lrs), losses=tuple(losses), smoothed=tuple(smoothed), probe=tuple(probe_losses),
        stop_reason=stop_reason, start_lr=start_lr, end_lr=end_lr, mode=mode,
        optimizer=type(optimizer).__name__, suggestions=suggest_all(lrs, smoothed, probe_losses),
    )


def _exploded(loss: float, best: float, factor: float) -> bool:
    return not math.isfinite(loss) or loss > factor * best


def find_lr(
    task: Task,
    optimizer: str = "adam",
    optimizer_args: dict[str, Any] | None = None,
    *,
    seed: int = 0,
    threads: int | None = 1,
    device: str | torch.device = "auto",
    **options: Any,
) -> FinderResult:
    """The range test on a task: a fresh seeded model, the named optimizer, the task's batches.

    `options` are range_test's (start_lr, end_lr, steps, mode, smoothing, ...).
    """
    target = pick_device(device)
    with torch_threads(threads):
        torch.manual_seed(seed)
        model = task.build_model().to(target)
        start_lr = options.get("start_lr", 1e-7)
        optimizer_object = create_optimizer(optimizer, model.parameters(), start_lr, **(optimizer_args or {}))
        result = range_test(
            model, optimizer_object, task.loss_fn(), batches(task.train, task.batch_size, seed, target),
            device=target, **options,
        )
    return dataclasses.replace(result, optimizer=optimizer, task=task.name, budget=task.steps)
