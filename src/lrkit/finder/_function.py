"""The range test on a training function: the function trains with `trial.range_test` True, its
rate ramping up over `trial.steps`, and reports its validation loss every step; that curve plays
the part of the Task test's probe loss (the loss on fixed examples after each update)."""

from __future__ import annotations

import math

import torch

from ..train import Evaluation, Recipe, torch_threads
from ..train._trial import FunctionRun, TrainableError, TrainFunction
from ._range_test import ramp
from ._result import FinderResult
from ._suggest import suggest_all

MIN_REPORTS = 10  # fewer points than this show no curve to read a rate from


def find_lr_function(function: TrainFunction, name: str, optimizer: str = "adam", *, steps: int = 100,
                     seed: int = 0, device: torch.device | str = "cpu", start_lr: float = 1e-7,
                     end_lr: float = 10.0, smoothing: float = 0.05, diverge_factor: float = 5.0,
                     budget: int | None = None, threads: int | None = 1) -> FinderResult:
    """Ramp `function`'s rate exponentially from `start_lr` to `end_lr` over `steps` updates and
    read the losses it reports; the test stops when the curve passes `diverge_factor` x its best.
    `budget` (the function's full run in steps) lets the result state its cost; `threads` sets
    torch's CPU threads meanwhile, as `find_lr` does (None leaves them)."""
    schedule = ramp(start_lr, end_lr, steps, "exp")
    run = FunctionRun(function, name, Recipe(optimizer, schedule=str(schedule), seed=seed), steps,
                      eval_every=1, device=torch.device(device), range_test=True,
                      stop_when=lambda evaluations: _exploded(evaluations, diverge_factor))
    with torch_threads(threads):
        result = run.advance(None)
    if not result.lr:
        raise TrainableError(f"{name} never called scheduler.step() on trial.scheduler(optimizer); call it "
                             "after each optimizer.step(), so the rate follows the recipe")
    reports = [(rate, evaluation) for rate, evaluation in zip(run.trial.reported_rates, result.evaluations)
               if rate is not None]
    if len(reports) < MIN_REPORTS and result.steps >= MIN_REPORTS:
        raise TrainableError(f"{name} reported {len(result.evaluations)} losses in a {result.steps}-step "
                             "range test; report every trial.eval_every steps (1 while trial.range_test is "
                             "True)")
    lrs = [rate for rate, _ in reports]
    losses = [evaluation.val_loss for _, evaluation in reports]
    smoothed, average = [], 0.0
    for index, loss in enumerate(losses):
        average = (1 - smoothing) * average + smoothing * loss
        smoothed.append(average / (1 - (1 - smoothing) ** (index + 1)))
    stopped = result.diverged or len(result.lr) < steps
    return FinderResult(lrs=tuple(lrs), losses=tuple(losses), smoothed=tuple(smoothed), probe=tuple(losses),
                        stop_reason="diverged" if stopped else "completed", start_lr=start_lr, end_lr=end_lr,
                        mode="exp", optimizer=optimizer, task=name, budget=budget,
                        suggestions=suggest_all(lrs, smoothed, losses))


def _exploded(evaluations: list[Evaluation], factor: float) -> bool:
    """Whether the newest reported loss passed `factor` x the best before it."""
    if len(evaluations) < 2:
        return False
    best = min(evaluation.val_loss for evaluation in evaluations[:-1])
    return evaluations[-1].val_loss > factor * best or not math.isfinite(evaluations[-1].val_loss)
