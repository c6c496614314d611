"""Overfitting seen in a run's curve, and the lower rate that would reach the run's best point
just as training ends: a rate that overfits by the last rung is not worth finishing."""

from __future__ import annotations

import math

from ..train import Evaluation, RunResult
from ._groups import group_of
from ._policy import TUNE, Policy


def overfit_from(run: RunResult, policy: Policy = TUNE) -> Evaluation | None:
    """The run's best evaluation when its validation loss has climbed at each of its last
    `policy.climb` evaluations to `policy.rise` times that best while its training loss kept
    falling (a rising training loss is instability, not overfitting); None otherwise."""
    losses = [evaluation.val_loss for evaluation in run.evaluations]
    climb = policy.climb
    if run.diverged or len(losses) <= climb or not all(math.isfinite(loss) for loss in losses):
        return None
    best = min(run.evaluations, key=lambda evaluation: evaluation.val_loss)
    climbing = all(before < after for before, after in zip(losses[-climb - 1:], losses[-climb:]))
    if not (climbing and losses[-1] > policy.rise * best.val_loss):
        return None
    window = run.evaluations[0].step  # the training losses of one evaluation interval
    since_best = _mean_loss(run.train_loss[best.step:best.step + window])
    return best if _mean_loss(run.train_loss[run.steps - window:run.steps]) < since_best else None


def _mean_loss(losses: tuple[float, ...]) -> float:
    return math.fsum(losses) / len(losses) if losses else math.inf


def distance_at(run: RunResult, step: int) -> float:
    """How far the rate has carried the run by `step`: the sum of the rates of its first steps."""
    return math.fsum(run.lr[:step])


def full_distance(run: RunResult, lr: float) -> float:
    """The sum of the rates of a full run of `run`'s schedule started at `lr` instead."""
    recipe = run.recipe
    return lr / recipe.lr * math.fsum(recipe.build_schedule(run.budget).values(run.budget))


def ended_above_best(run: RunResult, policy: Policy = TUNE) -> Evaluation | None:
    """A finished run's best evaluation when the run ended `policy.settle` times above it, by a
    steady climb or not: it was trained past its best point at that rate. None otherwise."""
    finite = [evaluation for evaluation in run.evaluations if math.isfinite(evaluation.val_loss)]
    if run.diverged or not finite:
        return None
    best = min(finite, key=lambda evaluation: evaluation.val_loss)
    return best if run.val_loss > policy.settle * best.val_loss else None


def rescue(run: RunResult, others: list[RunResult], best: Evaluation | None = None,
           policy: Policy = TUNE) -> RunResult | None:
    """Among `others` (stopped runs of the same optimizer and schedule at lower rates), the one
    whose full run would travel as far as `run` had at `best` (default: where its validation
    loss was lowest, if it is overfitting): the rate whose best point falls at the end of
    training. None if there is no such point."""
    best = best or overfit_from(run, policy)
    if best is None:
        return None
    target = distance_at(run, best.step)
    if target <= 0:
        return None
    lower = [other for other in others if other.recipe.lr < run.recipe.lr and not other.diverged
             and group_of(other) == group_of(run)]
    return min(lower, key=lambda other: abs(math.log(full_distance(run, other.recipe.lr) / target)),
               default=None)
