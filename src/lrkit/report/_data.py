"""Report data computed from runs alone: runs grouped by optimizer and schedule, validation loss
against rate (the landscape), and where the budget went. Plots draw these; tests check them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..train import RunResult
    from ._view import ReportView


@dataclass(frozen=True)
class LandscapePoint:
    """One run in the landscape: its rate, its validation loss at `step` (the last step every run
    of its group reached, so rates are compared at equal training; inf when it diverged) and at
    the step it ended (`final_loss` after `steps`)."""

    lr: float
    val_loss: float
    step: int
    final_loss: float
    steps: int
    full: bool  # trained to its whole budget


@dataclass(frozen=True)
class Spend:
    """A part of the budget: what it bought (`label`), which `stage` and its `cost` in full runs."""

    label: str
    stage: str  # "range test" or "training"
    cost: float


def group_label(run: RunResult) -> str:
    """The group a run's rate is compared within: optimizer, schedule shape and plateau control."""
    from ..search._groups import schedule_name

    plateau = " + plateau" if run.recipe.plateau else ""
    return f"{run.recipe.optimizer} · {schedule_name(run)}{plateau}"


def group_runs(runs: tuple[RunResult, ...]) -> dict[str, list[RunResult]]:
    """Runs by group label (in order of first appearance), each group sorted by rate."""
    groups: dict[str, list[RunResult]] = {}
    for run in runs:
        groups.setdefault(group_label(run), []).append(run)
    return {label: sorted(members, key=lambda run: run.recipe.lr) for label, members in groups.items()}


def landscape(runs: tuple[RunResult, ...]) -> dict[str, list[LandscapePoint]]:
    """Each group's runs as landscape points, by rate."""
    return {label: _points(members) for label, members in group_runs(runs).items()}


def _points(runs: list[RunResult]) -> list[LandscapePoint]:
    reached = [run.evaluations[-1].step for run in runs if run.evaluations and not run.diverged]
    common = min(reached, default=0)
    return [LandscapePoint(run.recipe.lr, _loss_at_or_before(run, common), common, run.val_loss, run.steps,
                           run.steps == run.budget and not run.diverged) for run in runs]


def _loss_at_or_before(run: RunResult, step: int) -> float:
    if run.diverged:
        return math.inf
    before = [e.val_loss for e in run.evaluations if e.step <= step]
    return before[-1] if before else math.inf


def spending(view: ReportView) -> list[Spend]:
    """The range tests, then each group's training runs, in full runs of the task; a final run
    that is not one of the runs (tune retrains none today, but may) comes last."""
    if not view.steps:
        return []
    parts = [Spend(f"range test · {finder.optimizer}", "range test", finder.steps / view.steps)
             for finder in view.finders]
    for label, members in group_runs(view.runs).items():
        count = f"{len(members)} run{'s' if len(members) > 1 else ''}"
        parts.append(Spend(f"{label} ({count})", "training",
                           sum(run.steps for run in members) / view.steps))
    if view.final is not None and view.final not in view.runs:
        parts.append(Spend("final run", "training", view.final.steps / view.steps))
    return parts
