"""Report data computed from runs alone: runs grouped by optimizer and schedule, validation loss
against rate (the landscape), and where the budget went. Plots draw these; tests check them."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..train import RunResult
    from ._view import ReportView


@dataclass(frozen=True)
class LandscapePoint:
    """One rate of a group in the landscape, over the seeds it ran on: its validation loss at
    `step` (the last step every rate of the group reached, so rates are compared at equal
    training; inf when it diverged, None when it has no evaluation around that step), and where
    it ended (`final_loss` after `steps`). `interpolated` when some seed had no evaluation at
    `step` itself and its loss there is read off the line between its two nearest evaluations."""

    lr: float
    val_loss: float | None
    step: int
    final_loss: float
    steps: int
    full: bool  # trained to its whole budget on every seed
    seeds: int = 1
    interpolated: bool = False


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
    """Each group's rates as landscape points, by rate."""
    return {label: _points(members) for label, members in group_runs(runs).items()}


def by_seed(runs: list[RunResult]) -> dict[float, dict[int, list[RunResult]]]:
    """Runs by rate, then by seed (a search may train one rate on one seed more than once: halving
    trains a configuration again to each rung)."""
    out: dict[float, dict[int, list[RunResult]]] = {}
    for run in runs:
        out.setdefault(run.recipe.lr, {}).setdefault(run.recipe.seed, []).append(run)
    return out


def furthest(runs: list[RunResult]) -> RunResult:
    """The run that got furthest (the last of equals)."""
    return max(reversed(runs), key=lambda run: run.steps)


def loss_at(runs: list[RunResult], step: int) -> tuple[float, bool] | None:
    """The validation loss at `step` of one rate on one seed, read from any of its runs: an
    evaluation at that step (False), or the straight line between the nearest evaluations before
    and after it (True, interpolated); None when it has no evaluation on one side of `step`."""
    points: dict[int, float] = {}
    for run in sorted(runs, key=lambda run: run.steps):
        points.update((e.step, e.val_loss) for e in run.evaluations if math.isfinite(e.val_loss))
    if step in points:
        return points[step], False
    before = max((s for s in points if s < step), default=None)
    after = min((s for s in points if s > step), default=None)
    if before is None or after is None:
        return None
    weight = (step - before) / (after - before)
    return points[before] + weight * (points[after] - points[before]), True


def _points(runs: list[RunResult]) -> list[LandscapePoint]:
    rates = by_seed(runs)
    ends = {lr: [furthest(seed_runs) for seed_runs in seeds.values()] for lr, seeds in rates.items()}
    reached = [min(run.evaluations[-1].step if run.evaluations else 0 for run in last)
               for last in ends.values() if not any(run.diverged for run in last)]
    common = min(reached, default=0)
    points = []
    for lr, seeds in rates.items():
        last = ends[lr]
        diverged = any(run.diverged for run in last)
        found = [] if diverged else [value for seed_runs in seeds.values()
                                     if (value := loss_at(seed_runs, common)) is not None]
        val_loss = math.inf if diverged else (statistics.mean(v for v, _ in found) if found else None)
        final = statistics.mean(run.val_loss for run in last)
        full = all(run.steps == run.budget and not run.diverged for run in last)
        steps = min(run.steps for run in last)
        points.append(LandscapePoint(lr, val_loss, common, final, steps, full, len(last),
                                     any(interpolated for _, interpolated in found)))
    return points


def _shared(run: RunResult, view: ReportView) -> int:
    """The steps a finalist's decay shares with the constant-rate trunk it branched from (a wsd
    tune counts them once, in the trunk), else 0."""
    from ..search._groups import schedule_name

    if not view.shared_steps or schedule_name(run) != "wsd":
        return 0
    schedule = run.recipe.build_schedule(run.budget)
    return run.steps - schedule.decay if getattr(schedule, "warmup", None) == 0 else 0


def spending(view: ReportView) -> list[Spend]:
    """The range tests, then each group's training runs (a decay's steps shared with its trunk
    counted once), the decays that judged runs at the rungs, in full runs of the task; a final
    run that is not one of the runs (tune retrains none today, but may) comes last."""
    if not view.steps:
        return []
    parts = [Spend(f"range test · {finder.optimizer}", "range test", finder.steps / view.steps)
             for finder in view.finders]
    for label, members in group_runs(view.runs).items():
        count = f"{len(members)} run{'s' if len(members) > 1 else ''}"
        parts.append(Spend(f"{label} ({count})", "training",
                           sum(run.steps - _shared(run, view) for run in members) / view.steps))
    if view.branch_steps:
        parts.append(Spend("decays judging the rungs", "training", view.branch_steps / view.steps))
    if view.final is not None and view.final not in view.runs:
        parts.append(Spend("final run", "training", view.final.steps / view.steps))
    return parts
