"""The learning-rate effect table: what each rate tried did, measured against the best rate of
its own optimizer and schedule (diverged, oscillating, overfitting, good or slow), and how much
slower."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .._json import decode_float, encode_float
from ..search._groups import group_of, schedule_name
from ..search._halving import ranked
from ..search._overfit import overfit_from
from ..search._policy import TUNE, Policy
from ..train import RunResult

GOOD_WITHIN = 1.05  # a rate whose loss is within 5% of its group's best at the same step is good


@dataclass(frozen=True)
class RateEffect:
    """One run's rate and outcome. `compared_at` is the step where it is set against `best_lr`
    (the best rate of its optimizer and schedule): the last step both were evaluated at.
    `reached_at` is the step its validation loss first fell to `target` (the best rate's loss at
    the first step every run of the group reached), None if it never did."""

    optimizer: str
    schedule: str
    plateau: str | None  # the plateau controller's spec, when the run had one
    lr: float
    steps: int
    val_loss: float
    val_metric: float | None
    verdict: str  # "diverged", "oscillating", "overfitting", "good", "slow" or "best"
    detail: str
    best_lr: float
    compared_at: int
    target: float
    reached_at: int | None

    @property
    def shape(self) -> str:
        """How the rate moved: the schedule's name, with the plateau controller when there was one."""
        return self.schedule + (f" + {self.plateau}" if self.plateau else "")

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        for key in ("val_loss", "val_metric", "target"):
            data[key] = encode_float(data[key])
        return data

    @staticmethod
    def from_dict(data: dict[str, Any]) -> RateEffect:
        values = dict(data)
        for key in ("val_loss", "val_metric", "target"):
            values[key] = decode_float(values[key])
        return RateEffect(**values)


def rate_effects(trials: tuple[RunResult, ...], winner: RunResult,
                 policy: Policy = TUNE) -> tuple[RateEffect, ...]:
    """Every trial's effect, by optimizer, schedule and rate, judged with `policy` as the search
    judged them; the winner's group first."""
    groups: dict[tuple[str, str, str | None], list[RunResult]] = {}
    for trial in trials:
        groups.setdefault(group_of(trial), []).append(trial)
    first = group_of(winner)
    effects = []
    for key in sorted(groups, key=lambda k: (k != first, k[0], k[1], str(k[2]))):
        runs = sorted(groups[key], key=lambda run: run.recipe.lr)
        effects += [_effect(run, _best(runs, policy), policy) for run in runs]
    return tuple(effects)


def _best(runs: list[RunResult], policy: Policy) -> RunResult:
    """The group's best: of the runs that got furthest, the first as `ranked` orders them (a
    near tie goes to the lower rate, as it did in the search); the lowest rate if all diverged."""
    furthest = max((run.steps for run in runs if not run.diverged), default=None)
    if furthest is None:
        return runs[0]
    ahead = {index: run for index, run in enumerate(runs) if not run.diverged and run.steps == furthest}
    return ahead[ranked(ahead, policy)[0]]


def loss_at(run: RunResult, step: int) -> float:
    """The run's validation loss at `step`; inf if it was not evaluated there."""
    return next((e.val_loss for e in run.evaluations if e.step == step), math.inf)


def _effect(run: RunResult, best: RunResult, policy: Policy) -> RateEffect:
    evaluated = [e.step for e in run.evaluations]
    shared = [step for step in evaluated if math.isfinite(loss_at(best, step))]
    compared_at = max(shared, default=0)
    first_step = min(shared, default=0)
    target = loss_at(best, first_step) if shared else math.inf
    reached_at = next((e.step for e in run.evaluations if e.val_loss <= target), None)
    verdict, detail = _verdict(run, best, compared_at, target, reached_at, policy)
    last = run.evaluations[-1] if run.evaluations and not run.diverged else None
    return RateEffect(
        optimizer=run.recipe.optimizer, schedule=schedule_name(run), plateau=run.recipe.plateau,
        lr=run.recipe.lr, steps=run.steps,
        val_loss=math.inf if last is None else last.val_loss,
        val_metric=None if last is None else last.val_metric,
        verdict=verdict, detail=detail, best_lr=best.recipe.lr, compared_at=compared_at, target=target,
        reached_at=reached_at,
    )


def _verdict(run: RunResult, best: RunResult, step: int, target: float,
             reached_at: int | None, policy: Policy) -> tuple[str, str]:
    if run.diverged:
        return "diverged", f"the loss blew up at step {run.diverged_at}"
    if run is best:
        return "best", f"the lowest loss of its group at step {run.steps}"
    lowest = overfit_from(run, policy)
    if lowest is not None and run.recipe.lr > best.recipe.lr:
        return "overfitting", (f"too high: validation loss fell to {lowest.val_loss:.3g} at step "
                               f"{lowest.step}, then rose to {run.val_loss:.3g} by step {run.steps} "
                               "(overfitting)")
    mine, theirs = loss_at(run, step), loss_at(best, step)
    ratio = mine / theirs if theirs > 0 else math.inf
    if ratio < 1 and run.recipe.lr > best.recipe.lr:
        return "good", (f"{100 * (1 - ratio):.0f}% below lr {best.recipe.lr:.3g} at step {step}, a near tie "
                        "on one seed: the lower rate ranks first")
    if ratio <= GOOD_WITHIN:
        return "good", f"within {100 * (ratio - 1):+.0f}% of lr {best.recipe.lr:.3g} at step {step}"
    if run.recipe.lr > best.recipe.lr:
        return "oscillating", (f"too high: loss {mine:.3g} at step {step}, {ratio:.2f}x that of "
                               f"lr {best.recipe.lr:.3g}")
    best_reached = next((e.step for e in best.evaluations if e.val_loss <= target), None)
    if reached_at is None or best_reached is None:
        pace = f"had not reached loss {target:.3g} by step {run.steps}"
    elif reached_at <= best_reached:
        pace = f"reached loss {target:.3g} as early, then fell behind"
    else:
        pace = f"took {reached_at / best_reached:.1f}x the steps to reach loss {target:.3g}"
    return "slow", (f"too low: loss {mine:.3g} at step {step}, {ratio:.2f}x that of lr "
                    f"{best.recipe.lr:.3g}; {pace}")
