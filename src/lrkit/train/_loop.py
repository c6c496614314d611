"""`run(task, recipe)`: one training run, from a fresh seeded model to a RunResult.

A diverged run is a result, not an exception: the loop stops at the first non-finite loss, or
when the loss stays far above where it started, and records the step.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from ..adapters.torch import LRSchedule
from ..events import Callback, Event, ignore
from ..optim import create_optimizer, eval_mode, train_mode
from ..tasks import Task
from ._batches import batches, full_batches
from ._recipe import Recipe, RecipeError, ScheduleLengthWarning
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


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C ended a run: `result` is the run up to the last update applied, evaluated there and
    marked `interrupted`. A KeyboardInterrupt still, so whatever stops on Ctrl-C stops."""

    def __init__(self, result: RunResult) -> None:
        super().__init__(f"interrupted at step {result.steps} of {result.budget}")
        self.result = result


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
    pause_at: int | None = None,
    checkpoint: str | Path | None = None,
) -> RunResult:
    """Train a fresh model of `task` with `recipe` for `steps` (default: the task's budget).

    Evaluates every `eval_every` steps (default: 20 times per run) and at the end. `threads`
    sets torch's CPU threads for the run (small models train fastest on one; None leaves it).
    `keep_going(evaluation)` returning False ends the run there (a search pruning a trial); the
    result then has fewer `steps` than its `budget` and is not marked diverged. `pause_at=k` with
    a `checkpoint` path stops after step k (evaluated there) and saves everything `resume` needs
    to go on exactly as if the run had never stopped.
    """
    steps = task.steps if steps is None else steps
    if steps < 1:
        raise RecipeError(f"a run needs at least one step, got {steps}")
    mismatch = recipe.mismatch(steps)
    if mismatch is not None:
        warnings.warn(mismatch, ScheduleLengthWarning, stacklevel=2)
    with torch_threads(threads):
        training = _Training(task, recipe, steps, eval_every, pick_device(device), divergence)
        return training.advance(pause_at, checkpoint, callback, keep_going)


def resume(
    task: Task,
    paused: RunResult,
    checkpoint: str | Path,
    *,
    eval_every: int | None = None,
    threads: int | None = 1,
    device: str | torch.device = "auto",
    divergence: Divergence = Divergence(),
    callback: Callback = ignore,
    pause_at: int | None = None,
    save_to: str | Path | None = None,
) -> RunResult:
    """Go on with a run paused by `run(..., pause_at=k, checkpoint=path)` (or by this function)
    up to `pause_at` (saving to `save_to`) or to the end. Pass the `eval_every` the run began with."""
    if paused.diverged or paused.steps >= paused.budget:
        raise RecipeError(f"the run of {paused.recipe.optimizer} at lr {paused.recipe.lr:g} has ended "
                          f"({paused.steps} of {paused.budget} steps); only a paused run can resume")
    with torch_threads(threads):
        training = _Training(task, paused.recipe, paused.budget, eval_every, pick_device(device), divergence)
        training.restore(paused, checkpoint)
        return training.advance(pause_at, save_to, callback, None)


def cool_down(
    task: Task,
    paused: RunResult,
    checkpoint: str | Path,
    steps: int,
    *,
    eval_every: int | None = None,
    threads: int | None = 1,
    device: str | torch.device = "auto",
) -> RunResult:
    """What a run paused at a constant rate becomes if it ends here: `steps` more steps with the
    rate falling linearly to zero, trained from its checkpoint. That is a warmup-stable-decay run,
    `wsd(lr, steps=k + steps, warmup=0, decay=steps)` of the paused run's recipe (k its steps so
    far), and the result equals a fresh run of that recipe with the same `eval_every`; only the
    decay is trained. The paused run and its checkpoint stay as they were, so it can go on."""
    if steps < 1:
        raise RecipeError(f"a cool-down needs at least one step, got {steps}")
    if paused.diverged or len(set(paused.lr)) > 1 or paused.recipe.plateau:
        raise RecipeError(f"a cool-down branches from a run at a constant rate without plateau control; the "
                          f"run of {paused.recipe.optimizer} at lr {paused.recipe.lr:g} "
                          f"{'diverged' if paused.diverged else 'changed its rate'}")
    total = paused.steps + steps
    rate = paused.recipe.lr
    recipe = replace(paused.recipe, schedule=f"wsd(lr={rate!r}, steps={total}, warmup=0, decay={steps})")
    with torch_threads(threads):
        training = _Training(task, recipe, total, eval_every, pick_device(device), Divergence())
        training.restore(paused, checkpoint)
        return training.advance(None, None, ignore, None)


class _Training:
    """One run's live state: model, optimizer, scheduler, batch stream and the curves so far."""

    def __init__(self, task: Task, recipe: Recipe, steps: int, eval_every: int | None,
                 device: torch.device, divergence: Divergence) -> None:
        self.task, self.recipe, self.steps, self.device = task, recipe, steps, device
        self.every = eval_every or max(1, steps // 20)
        torch.manual_seed(recipe.seed)
        self.model = task.build_model().to(device)
        self.optimizer = create_optimizer(
            recipe.optimizer, [p for p in self.model.parameters() if p.requires_grad], recipe.lr,
            **recipe.optimizer_args,
        )
        schedule = recipe.build_schedule(steps)
        self.scheduler = LRSchedule(self.optimizer, schedule, recipe.build_controller())
        if recipe.fit and schedule.length != steps:
            self.scheduler.retarget(steps)  # the whole spec, stretched or squeezed over the run
        self.loss_fn = task.loss_fn()
        self.watch = divergence.watch()
        self.stream = batches(task.train, task.batch_size, recipe.seed, device)
        self.losses: list[float] = []
        self.rates: list[float] = []
        self.evaluations: list[Evaluation] = []
        self.diverged_at: int | None = None
        self.seconds = 0.0

    def restore(self, paused: RunResult, checkpoint: str | Path) -> None:
        """Load a checkpoint written by `save` and the curves of the run that wrote it."""
        state = torch.load(checkpoint, weights_only=True, map_location=self.device)
        if state["step"] != paused.steps:
            raise RecipeError(f"{checkpoint} was saved at step {state['step']}, but the run paused at "
                              f"step {paused.steps}; pass the checkpoint saved with that run")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.watch.reference, self.watch.bad = state["watch"]
        for _ in range(paused.steps):  # the same batches come next as in an unbroken run
            next(self.stream)
        torch.set_rng_state(state["rng"])
        self.losses, self.rates = list(paused.train_loss), list(paused.lr)
        self.evaluations, self.seconds = list(paused.evaluations), paused.wall_seconds

    def save(self, checkpoint: str | Path) -> None:
        """Everything the next steps depend on, as tensors and plain values (weights_only loads it)."""
        state = {"step": len(self.losses), "model": self.model.state_dict(),
                 "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                 "watch": [self.watch.reference, self.watch.bad], "rng": torch.get_rng_state()}
        torch.save(state, checkpoint)

    def advance(self, pause_at: int | None, checkpoint: str | Path | None, callback: Callback,
                keep_going: Callable[[Evaluation], bool] | None) -> RunResult:
        """Train from where the run stands to `pause_at` (saving a checkpoint there) or the end."""
        if pause_at is not None and (checkpoint is None or not len(self.losses) < pause_at < self.steps):
            raise RecipeError(f"pause_at must lie between step {len(self.losses)} and the run's "
                              f"{self.steps} steps and come with a checkpoint path, got {pause_at}")
        started = time.perf_counter()
        stop = self.steps if pause_at is None else pause_at
        report_every = max(1, self.steps // 100)
        train_mode(self.optimizer)
        self.model.train()
        try:
            for step in range(len(self.losses), stop):
                if not self._step(step, callback, report_every, keep_going):
                    break
        except KeyboardInterrupt:
            self._end_here()
            self.seconds += time.perf_counter() - started
            raise RunInterrupted(self._result(interrupted=True)) from None
        if pause_at is not None and self.diverged_at is None and len(self.losses) == pause_at:
            self.save(checkpoint)
        self.seconds += time.perf_counter() - started
        return self._result()

    def _end_here(self) -> None:
        """After Ctrl-C: keep the updates that were applied (a step cut short leaves no loss or
        rate behind) and evaluate the model as it stands there, unless a second Ctrl-C says not to."""
        done = self.scheduler.last_epoch
        del self.losses[done:], self.rates[done:]
        if done and (not self.evaluations or self.evaluations[-1].step != done):
            with contextlib.suppress(KeyboardInterrupt):
                self.evaluations.append(self._evaluate(done))

    def _result(self, interrupted: bool = False) -> RunResult:
        return RunResult(
            task=self.task.name,
            recipe=self.recipe.resolved(self.steps),
            budget=self.steps,
            steps=len(self.losses) if self.diverged_at is None else self.diverged_at,
            train_loss=tuple(self.losses),
            lr=tuple(self.rates),
            evaluations=tuple(self.evaluations),
            diverged_at=self.diverged_at,
            wall_seconds=self.seconds,
            metric_name=self.task.metric_name,
            interrupted=interrupted,
        )

    def _evaluate(self, done: int) -> Evaluation:
        """The validation loss after `done` steps, with the optimizer in its evaluation mode."""
        eval_mode(self.optimizer)
        result = evaluate(self.model, self.task, self.device)
        train_mode(self.optimizer)
        return Evaluation(done, result.val_loss, result.val_metric)

    def _step(self, step: int, callback: Callback, report_every: int,
              keep_going: Callable[[Evaluation], bool] | None) -> bool:
        """One update (and an evaluation when due); False when the run must stop here."""
        inputs, targets = next(self.stream)
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.model(inputs), targets)
        value = loss.item()
        self.losses.append(value)
        self.rates.append(float(self.optimizer.param_groups[0]["lr"]))
        if self.watch.diverged(value):
            self.diverged_at = step
            return False
        loss.backward()
        self.optimizer.step()
        self.scheduler.step()
        done, steps = step + 1, self.steps
        if done % report_every == 0 or done == steps:
            callback(Event("train", done, steps, {"loss": value, "lr": self.rates[-1]}))
        if done % self.every == 0 or done == steps:
            evaluation = self._evaluate(done)
            self.evaluations.append(evaluation)
            callback(Event("eval", done, steps, {"val_loss": evaluation.val_loss,
                                                 "val_metric": evaluation.val_metric}))
            if not math.isfinite(evaluation.val_loss):
                self.diverged_at = done
                return False
            if self.scheduler.controller is not None:
                self.scheduler.observe(metric=evaluation.val_loss)
            if keep_going is not None and done < steps and not keep_going(evaluation):
                return False
        return True
