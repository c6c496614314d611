"""`SweepResult`: every trial of a sweep with its RunResult, the best configuration, the cost."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._json import encode_float
from ..train import Recipe, RunResult
from ._space import Space

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class TrialRecord:
    """One trial: its number in the study, how it ended ("complete", "pruned" or "diverged"),
    what it tried (`params`: optimizer, schedule template, plateau, lr, seed) and the run it made
    (cut short when pruned, or at a rung of sha)."""

    number: int
    state: str
    params: dict[str, Any]
    run: RunResult

    @property
    def recipe(self) -> Recipe:
        """The recipe as the user writes it (the schedule as its template name)."""
        p = self.params
        return Recipe(p["optimizer"], p["lr"], p["schedule"], p["plateau"], seed=p["seed"])

    @property
    def val_loss(self) -> float:
        return self.run.val_loss if self.state == "complete" else math.inf

    @property
    def cost(self) -> float:
        """Steps trained / the full budget: a full run costs 1.0."""
        return self.run.steps / self.run.budget

    @property
    def config(self) -> tuple[Any, ...]:
        """What the trial tried, seed aside (trials that differ only by seed are one config)."""
        p = self.params
        return (p["optimizer"], p["schedule"], p["plateau"], p["lr"])

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "state": self.state, "params": dict(self.params),
                "val_loss": encode_float(self.val_loss), "cost": self.cost, "run": self.run.to_dict()}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> TrialRecord:
        run = RunResult.from_dict(data["run"])
        return TrialRecord(data["number"], data["state"], dict(data["params"]), run)


@dataclass(frozen=True)
class SweepResult:
    """All trials of one sweep (sorted by validation loss), the best configuration by its mean
    final validation loss over seeds, and the total cost in full runs."""

    task: str
    strategy: str
    space: Space
    study: str
    trials: tuple[TrialRecord, ...]

    @property
    def cost(self) -> float:
        return sum(trial.cost for trial in self.trials)

    def config_losses(self) -> dict[tuple[Any, ...], float]:
        """Mean final validation loss of each configuration over its seeds (inf if any failed).
        A configuration that halving ran again to a later rung counts by its furthest run."""
        groups = self._furthest()
        return {config: statistics.mean(t.val_loss for t in runs) for config, runs in groups.items()}

    def _furthest(self) -> dict[tuple[Any, ...], list[TrialRecord]]:
        """Each configuration's furthest run on each of its seeds."""
        furthest: dict[tuple[Any, ...], TrialRecord] = {}
        for trial in self.trials:
            key = (trial.config, trial.params["seed"])
            if key not in furthest or (trial.run.steps, trial.number) > (furthest[key].run.steps,
                                                                         furthest[key].number):
                furthest[key] = trial
        groups: dict[tuple[Any, ...], list[TrialRecord]] = {}
        for (config, _), trial in furthest.items():
            groups.setdefault(config, []).append(trial)
        return groups

    @property
    def best(self) -> TrialRecord | None:
        """The best trial of the best configuration (None when no trial completed). Configurations
        trained on more seeds come first, so finalists confirmed on another seed are ranked by
        their mean, not beaten by a one-seed score that was never checked."""
        groups = self._furthest()
        losses = self.config_losses()
        finite = [config for config, loss in losses.items() if math.isfinite(loss)]
        if not finite:
            return None
        config = min(finite, key=lambda c: (-len(groups[c]), losses[c]))
        return min(groups[config], key=lambda t: t.val_loss)

    @property
    def best_val_loss(self) -> float:
        best = self.best
        return math.inf if best is None else self.config_losses()[best.config]

    def to_dict(self) -> dict[str, Any]:
        best = self.best
        return {
            "task": self.task, "strategy": self.strategy, "study": self.study,
            "space": self.space.to_dict(), "cost": self.cost,
            "best": None if best is None else {**best.params, "val_loss": encode_float(self.best_val_loss)},
            "trials": [trial.to_dict() for trial in self.trials],
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> SweepResult:
        return SweepResult(data["task"], data["strategy"], Space.from_dict(data["space"]), data["study"],
                           tuple(TrialRecord.from_dict(t) for t in data["trials"]))

    def plot(self) -> Figure:
        """The best configuration's runs by rate, the landscape, its schedule and the cost; returns
        the figure."""
        from ..report import plot_overview

        return plot_overview(self)

    def _repr_html_(self) -> str:
        """The report of this result, shown by a notebook."""
        from ..report import result_html

        return result_html(self)


def best_first(trials: list[TrialRecord]) -> tuple[TrialRecord, ...]:
    """Complete trials by final validation loss, then the others by how far they got and the
    validation loss where they stopped."""
    return tuple(sorted(trials, key=lambda t: (t.val_loss, -t.run.steps, t.run.val_loss, t.number)))
