"""A training function as a trainable: `train(trial)` takes its optimizer, schedule, length and
seed from the trial and reports validation losses to it. lrkit runs the function in a thread of
its own (`FunctionRun`), which it can pause at a report and resume later, the paused run staying
alive in memory with its model, optimizer and data, or end there.
"""

from __future__ import annotations

import math
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from ..adapters.torch import LRSchedule
from ..errors import LrkitError
from ..optim import create_optimizer
from ._loop import pick_device
from ._recipe import Recipe
from ._result import Evaluation, RunResult

TrainFunction = Callable[["Trial"], Any]
STOP_SECONDS = 60.0  # how long a stopped run may take to unwind (its finally blocks) before lrkit goes on


class TrainableError(LrkitError):
    """A training function raised, or broke the trial's contract; the message names it. Raised by
    `tune`, `partial` holds the TuneResult of the runs that had ended (None if none had)."""

    partial: Any = None


class TrialStopped(BaseException):
    """Raised inside a training function, at a report or a scheduler step, when lrkit ends the
    run there (halving dropped it, it diverged, or the search was stopped). A BaseException, so
    the function's own `except Exception` lets it through; `finally` blocks still run."""


class Trial:
    """What a training function gets: `optimizer(params)` builds the recipe's optimizer at its
    rate, `scheduler(optimizer)` its schedule over `steps` (call `.step()` after each update),
    `report(step, val_loss)` hands lrkit a validation loss, where it may pause or end the run.
    `seed` has already seeded torch, numpy and `random`; `device` is where to train; report
    every `eval_every` steps (every step while `range_test` is True: the loss curve is read)."""

    def __init__(self, recipe: Recipe, steps: int, *, eval_every: int, device: torch.device,
                 range_test: bool = False) -> None:
        self.recipe, self.steps, self.eval_every = recipe, steps, eval_every
        self.seed, self.device, self.range_test = recipe.seed, device, range_test
        self.evaluations: list[Evaluation] = []
        self.rates: list[float] = []  # each scheduler step's rate
        self.reported_rates: list[float | None] = []  # at each report, the rate of the last update
        self.schedule: LRSchedule | None = None
        self.cancelled = False
        self.on_report: Callable[[int, float], None] = lambda step, loss: None

    def optimizer(self, params: Iterable[Any], **options: Any) -> torch.optim.Optimizer:
        """The recipe's optimizer over `params` at the recipe's rate (`options` add arguments)."""
        return create_optimizer(self.recipe.optimizer, params, self.recipe.lr,
                                **{**self.recipe.optimizer_args, **options})

    def scheduler(self, optimizer: torch.optim.Optimizer) -> LRSchedule:
        """The recipe's schedule over `steps` as a torch scheduler; it counts the optimizer's
        updates, so gradient accumulation and steps GradScaler skips cannot shift it."""
        schedule = self.recipe.build_schedule(self.steps)
        controller = self.recipe.build_controller()
        self.schedule = _TrialSchedule(self, optimizer, schedule, controller, count="updates")
        if self.recipe.fit and schedule.length != self.steps:
            self.schedule.retarget(self.steps)
        return self.schedule

    def report(self, step: int, val_loss: float) -> None:
        """The validation loss after `step` updates. lrkit may pause the run here (this call
        returns when it goes on) or end it (this call raises `TrialStopped`)."""
        value = float(val_loss)
        self.evaluations.append(Evaluation(int(step), value))
        # Not rates[step - 1]: a loop that skips scheduler.step() after an update GradScaler
        # skipped (as Hugging Face's Trainer does) counts steps the schedule never took.
        self.reported_rates.append(self.rates[-1] if self.rates else None)
        if self.schedule is not None and self.schedule.controller is not None and math.isfinite(value):
            self.schedule.observe(metric=value)
        self.on_report(int(step), value)

    def switch_schedule(self, recipe: Recipe) -> None:
        """Go on with `recipe`'s schedule from the current step (a constant-rate trunk turned
        into its decay); the steps so far must have had the rates the new schedule gives them."""
        self.recipe = recipe
        if self.schedule is not None:
            self.schedule.schedule = recipe.build_schedule(self.steps)
            self.schedule.refresh()

    @property
    def steps_done(self) -> int:
        last = self.evaluations[-1].step if self.evaluations else 0
        return max(len(self.rates), last)


class _TrialSchedule(LRSchedule):
    """The trial's scheduler: records the rate of each step and ends the run when lrkit asks."""

    def __init__(self, trial: Trial, *args: Any, **kwargs: Any) -> None:
        self.trial = trial
        super().__init__(*args, **kwargs)

    def step(self, epoch: int | None = None) -> None:
        if self._step_count:  # not torch's initial call from __init__
            if self.trial.cancelled:
                raise TrialStopped
            self.trial.rates.append(float(self.optimizer.param_groups[0]["lr"]))
        super().step(epoch)


def seed_everything(seed: int) -> None:
    """Seed python's `random`, numpy's global generator and torch (CPU and CUDA) with `seed`."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class _RandomState:
    """The global generators as they stand, to hand back to a paused run when it goes on (other
    runs in this process draw from the same generators meanwhile)."""

    def __init__(self) -> None:
        self.python, self.numpy, self.torch = random.getstate(), np.random.get_state(), torch.get_rng_state()
        self.cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None

    def restore(self) -> None:
        random.setstate(self.python)
        np.random.set_state(self.numpy)
        torch.set_rng_state(self.torch)
        if self.cuda is not None:
            torch.cuda.set_rng_state_all(self.cuda)


class FunctionRun:
    """One call of `function(trial)` in its own thread: `advance(pause_at)` starts or resumes it
    and returns, as a RunResult, at its first report at or after step `pause_at` (None: when the
    function returns). While paused the run stays alive in memory, its random state set aside,
    so resuming gives what an unbroken run gives. `stop()` ends it; a non-finite reported loss
    ends it as diverged; `stop_when(evaluations)` may end it at a report."""

    def __init__(self, function: TrainFunction, name: str, recipe: Recipe, steps: int, *, eval_every: int,
                 device: torch.device, range_test: bool = False,
                 stop_when: Callable[[list[Evaluation]], bool] | None = None) -> None:
        self.function, self.name, self.stop_when = function, name, stop_when
        self.trial = Trial(recipe, steps, eval_every=eval_every, device=device, range_test=range_test)
        self.trial.on_report = self._reported
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pause_at: int | None = None
        self._random: _RandomState | None = None
        self.diverged_at: int | None = None
        self.ended = False
        self.seconds = 0.0

    def advance(self, pause_at: int | None) -> RunResult:
        """Train to the first report at or after `pause_at` (None: to the end) and return the run."""
        if self.ended:
            return self.result()
        started = time.perf_counter()
        self._pause_at = pause_at
        if self._thread is None:
            self._thread = threading.Thread(target=self._main, name=f"lrkit {self.name}", daemon=True)
            self._thread.start()
        else:
            if self._random is not None:
                self._random.restore()
            self._commands.put(("go", pause_at))
        try:
            kind, error = self._wait()
        except KeyboardInterrupt:
            self.cancel()
            raise
        finally:
            self.seconds += time.perf_counter() - started
        if kind == "paused":
            self._random = _RandomState()
        else:
            self.ended = True
            self._thread.join()  # its frames (a trainer, a model) are let go before lrkit goes on
        if kind == "error":
            raise TrainableError(f"{self.name} raised {type(error).__name__}: {' '.join(str(error).split())}"
                                 ) from error
        if kind == "ended" and not self.trial.evaluations and not self.trial.cancelled:
            raise TrainableError(f"{self.name} returned without calling trial.report(step, val_loss); report "
                                 "the validation loss every trial.eval_every steps and at the end")
        return self.result()

    def _wait(self) -> tuple[str, BaseException | None]:
        while True:  # a timeout, so Ctrl-C reaches this (the main) thread while it waits
            try:
                return self._events.get(timeout=0.2)
            except queue.Empty:
                continue

    def switch(self, recipe: Recipe) -> None:
        """Go on with another recipe's schedule from here (see `Trial.switch_schedule`)."""
        self.trial.switch_schedule(recipe)

    def stop(self) -> None:
        """End a paused run (its function sees `TrialStopped` at the report it waits in) and
        wait while it unwinds, so its teardown does not run beside the next run's training."""
        if self._thread is not None and not self.ended:
            self.ended = True
            self._commands.put(("stop", None))
            self._thread.join(timeout=STOP_SECONDS)

    def cancel(self) -> None:
        """End the run at its next scheduler step or report, paused or not (Ctrl-C)."""
        self.trial.cancelled = True
        self.stop()

    def result(self) -> RunResult:
        trial = self.trial
        steps = trial.steps_done if self.diverged_at is None else self.diverged_at
        return RunResult(task=self.name, recipe=trial.recipe.resolved(trial.steps), budget=trial.steps,
                         steps=steps, train_loss=(), lr=tuple(trial.rates),
                         evaluations=tuple(trial.evaluations), diverged_at=self.diverged_at,
                         wall_seconds=self.seconds)

    def _main(self) -> None:
        kind, error = "ended", None
        try:
            seed_everything(self.trial.seed)
            self.function(self.trial)
        except TrialStopped:
            pass
        except BaseException as caught:  # the user's code: handed to the thread that waits
            kind, error = "error", caught
        self._events.put((kind, error))  # outside the except: the unwound frames are not kept alive

    def _reported(self, step: int, loss: float) -> None:
        """In the run's thread, at each report: end a diverged run, or pause here."""
        if not math.isfinite(loss):
            self.diverged_at = step
            raise TrialStopped
        if self.stop_when is not None and self.stop_when(self.trial.evaluations):
            raise TrialStopped
        if self._pause_at is not None and step >= self._pause_at and step < self.trial.steps:
            self._events.put(("paused", None))
            command, pause_at = self._commands.get()
            if command == "stop" or self.trial.cancelled:
                raise TrialStopped
            self._pause_at = pause_at


def run_function(function: TrainFunction, recipe: Recipe, steps: int, *, name: str | None = None,
                 eval_every: int | None = None, device: str | torch.device = "auto") -> RunResult:
    """One full run of `function(trial)` with `recipe` over `steps` steps (what a tuned recipe
    trains); it reports every `eval_every` steps (default: 20 times per run)."""
    if steps < 1:
        raise TrainableError(f"a run needs at least one step, got {steps}")
    label = name or getattr(function, "__qualname__", "train")
    run = FunctionRun(function, label, recipe, steps, eval_every=eval_every or max(1, steps // 20),
                      device=pick_device(device))
    return run.advance(None)


def decayed(recipe: Recipe, steps: int, trunk: int) -> Recipe:
    """`recipe`'s rate held for `trunk` steps, then falling linearly to zero by `steps`: the
    warmup-stable-decay recipe a constant-rate run becomes when it decays from step `trunk`."""
    return replace(recipe, schedule=f"wsd(lr={recipe.lr!r}, steps={steps}, warmup=0, decay={steps - trunk})")
