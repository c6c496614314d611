"""`run(task, recipe)`: one training run, from a fresh seeded model to a RunResult.

A diverged run is a result, not an exception: the loop stops at the first non-finite loss, or
when the loss stays far above where it started, and records the step.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from ..adapters.torch import LRSchedule
from ..events import Callback, Event, ignore
from ..optim import create_optimizer, eval_mode, train_mode
from ..tasks import Task
from ._batches import batches, full_batches
from ._recipe import Recipe, RecipeError
from ._result import Evaluation, RunResult

EVAL_BATCH = 4096


@dataclass(frozen=True)
class Divergence:
    """When a run counts as diverged: a non-finite loss, or `patience` steps in a row with the
    loss above `factor` x the first step's loss."""

    factor: float = 10.0
    patience: int = 5

    def watch(self) -> _DivergenceWatch:
        return _DivergenceWatch(self)


class _DivergenceWatch:
    def __init__(self, rule: Divergence) -> None:
        self.rule, self.reference, self.bad = rule, None, 0

    def diverged(self, loss: float) -> bool:
        if not math.isfinite(loss):
            return True
        if self.reference is None:
            self.reference = abs(loss)
            return False
        self.bad = self.bad + 1 if loss > self.rule.factor * self.reference else 0
        return self.bad >= self.rule.patience


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """CUDA when present (for "auto"), the CPU otherwise."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run with `threads` intra-op threads, restoring torch's setting afterwards."""
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def evaluate(model: torch.nn.Module, task: Task, device: torch.device) -> Evaluation:
    """Mean validation loss (and metric) over the whole validation set, weighted by batch size."""
    loss_fn, metric_fn = task.loss_fn(), task.metric_fn()
    total_loss, total_metric, seen = 0.0, 0.0, 0
    model.eval()
    with torch.no_grad():
        for inputs, targets in full_batches(task.val, EVAL_BATCH, device):
            output = model(inputs)
            n = len(inputs)
            total_loss += float(loss_fn(output, targets)) * n
            if metric_fn is not None:
                total_metric += float(metric_fn(output, targets)) * n
            seen += n
    model.train()
    return Evaluation(0, total_loss / seen, total_metric / seen if metric_fn is not None else None)


def run(
    task: Task,
    recipe: Recipe,
    *,
    steps: int | None = None,
    eval_every: int | None = None,
    threads: int | None = 1,
    device: str | torch.device = "auto",
    divergence: Divergence = Divergence(),
    callback: Callback = ignore,
    keep_going: Callable[[Evaluation], bool] | None = None,
) -> RunResult:
    """Train a fresh model of `task` with `recipe` for `steps` (default: the task's budget).

    Evaluates every `eval_every` steps (default: 20 times per run) and at the end. `threads`
    sets torch's CPU threads for the run (small models train fastest on one; None leaves it).
    `keep_going(evaluation)` returning False ends the run there (a search pruning a trial); the
    result then has fewer `steps` than its `budget` and is not marked diverged.
    """
    steps = task.steps if steps is None else steps
    if steps < 1:
        raise RecipeError(f"a run needs at least one step, got {steps}")
    every = eval_every or max(1, steps // 20)
    device = pick_device(device)
    started = time.perf_counter()
    with torch_threads(threads):
        torch.manual_seed(recipe.seed)
        model = task.build_model().to(device)
        optimizer = create_optimizer(
            recipe.optimizer, [p for p in model.parameters() if p.requires_grad], recipe.lr,
            **recipe.optimizer_args,
        )
        scheduler = LRSchedule(optimizer, recipe.build_schedule(steps), recipe.build_controller())
        loss_fn = task.loss_fn()
        watch = divergence.watch()
        losses: list[float] = []
        rates: list[float] = []
        evaluations: list[Evaluation] = []
        diverged_at = None
        report_every = max(1, steps // 100)
        stream = batches(task.train, task.batch_size, recipe.seed, device)
        train_mode(optimizer)
        model.train()
        for step in range(steps):
            inputs, targets = next(stream)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(inputs), targets)
            value = loss.item()
            losses.append(value)
            rates.append(float(optimizer.param_groups[0]["lr"]))
            if watch.diverged(value):
                diverged_at = step
                break
            loss.backward()
            optimizer.step()
            scheduler.step()
            done = step + 1
            if done % report_every == 0 or done == steps:
                callback(Event("train", done, steps, {"loss": value, "lr": rates[-1]}))
            if done % every == 0 or done == steps:
                eval_mode(optimizer)
                result = evaluate(model, task, device)
                train_mode(optimizer)
                evaluation = Evaluation(done, result.val_loss, result.val_metric)
                evaluations.append(evaluation)
                callback(Event("eval", done, steps, {"val_loss": evaluation.val_loss,
                                                     "val_metric": evaluation.val_metric}))
                if not math.isfinite(evaluation.val_loss):
                    diverged_at = done
                    break
                if scheduler.controller is not None:
                    scheduler.observe(metric=evaluation.val_loss)
                if keep_going is not None and done < steps and not keep_going(evaluation):
                    break
    return RunResult(
        task=task.name,
        recipe=recipe.resolved(steps),
        budget=steps,
        steps=len(losses) if diverged_at is None else diverged_at,
        train_loss=tuple(losses),
        lr=tuple(rates),
        evaluations=tuple(evaluations),
        diverged_at=diverged_at,
        wall_seconds=time.perf_counter() - started,
        metric_name=task.metric_name,
    )
