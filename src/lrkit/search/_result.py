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
class ConfigRecord:
    """One configuration (optimizer, schedule, plateau, rate) as the sweep judged it: its furthest
    trial on each of its seeds (`trials`, by seed) and what all its trials cost in full runs
    (halving trains a configuration again at each rung, so it may have several trials a seed)."""

    trials: tuple[TrialRecord, ...]
    cost: float

    @property
    def params(self) -> dict[str, Any]:
        """Its optimizer, schedule, plateau and lr (the seed aside)."""
        return {key: value for key, value in self.trials[0].params.items() if key != "seed"}

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(trial.params["seed"] for trial in self.trials)

    @property
    def state(self) -> str:
        """"complete" when every seed ran in full, "diverged" when any blew up, else "pruned"."""
        states = {trial.state for trial in self.trials}
        return "diverged" if "diverged" in states else "complete" if states == {"complete"} else "pruned"

    @property
    def steps(self) -> int:
        """The fewest steps any of its seeds got to."""
        return min(trial.run.steps for trial in self.trials)

    @property
    def losses(self) -> tuple[float, ...]:
        """Each seed's validation loss where its run ended (at `steps` when it was stopped)."""
        return tuple(trial.run.val_loss for trial in self.trials)

    @property
    def mean_loss(self) -> float:
        """The mean over its seeds of the validation loss where each run ended."""
        return statistics.mean(self.losses)

    @property
    def val_loss(self) -> float:
        """The mean final validation loss over its seeds; inf unless every seed ran in full."""
        return self.mean_loss if self.state == "complete" else math.inf

    @property
    def val_metric(self) -> float | None:
        """The mean over its seeds of the metric where each run ended (None without a metric)."""
        metrics = [trial.run.val_metric for trial in self.trials]
        return None if any(metric is None for metric in metrics) else statistics.mean(metrics)

    @property
    def best(self) -> TrialRecord:
        """Its seed with the lowest validation loss where it ended."""
        return min(self.trials, key=lambda trial: (trial.run.val_loss, trial.number))

    def rank_key(self) -> tuple[Any, ...]:
        """How the sweep orders configurations: those run in full on every seed first, more seeds
        before fewer (so finalists confirmed on another seed are ranked by their mean, not beaten
        by a one-seed score that was never checked), then by mean loss; then those stopped by the
        search, the furthest first, by their loss where they stopped; the diverged last."""
        first = min(trial.number for trial in self.trials)
        if self.state == "complete":
            return (0, -len(self.trials), self.val_loss, first)
        if self.state == "pruned":
            return (1, -self.steps, self.mean_loss, first)
        return (2, -self.steps, 0.0, first)


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

    def configs(self) -> tuple[ConfigRecord, ...]:
        """Every configuration tried, in the order the winner is chosen (`ConfigRecord.rank_key`):
        the winner first, then the runner-up."""
        furthest: dict[tuple[Any, ...], TrialRecord] = {}
        costs: dict[tuple[Any, ...], float] = {}
        for trial in self.trials:
            key = (trial.config, trial.params["seed"])
            costs[trial.config] = costs.get(trial.config, 0.0) + trial.cost
            if key not in furthest or (trial.run.steps, trial.number) > (furthest[key].run.steps,
                                                                         furthest[key].number):
                furthest[key] = trial
        groups: dict[tuple[Any, ...], list[TrialRecord]] = {}
        for (config, _), trial in sorted(furthest.items(), key=lambda item: item[0][1]):
            groups.setdefault(config, []).append(trial)
        records = [ConfigRecord(tuple(trials), costs[config]) for config, trials in groups.items()]
        return tuple(sorted(records, key=ConfigRecord.rank_key))

    def config_losses(self) -> dict[tuple[Any, ...], float]:
        """Mean final validation loss of each configuration over its seeds (inf if any failed).
        A configuration that halving ran again to a later rung counts by its furthest run."""
        return {record.trials[0].config: record.val_loss for record in self.configs()}

    @property
    def winner(self) -> ConfigRecord | None:
        """The best configuration: the first of `configs()` when it ran in full on every seed."""
        ranked = self.configs()
        return ranked[0] if ranked and ranked[0].state == "complete" else None

    @property
    def runner_up(self) -> ConfigRecord | None:
        """The configuration ranked second, when it too ran in full on every seed."""
        ranked = self.configs()
        return ranked[1] if len(ranked) > 1 and self.winner and ranked[1].state == "complete" else None

    @property
    def best(self) -> TrialRecord | None:
        """The best trial (seed) of the best configuration; None when no configuration completed."""
        winner = self.winner
        return None if winner is None else winner.best

    @property
    def recipe(self) -> Recipe | None:
        """The winner to train with: its optimizer, schedule template and plateau control on its
        first seed, at its rate to 6 significant digits (a change far below what a sweep can tell
        apart, so its command stays readable); None when no configuration completed."""
        winner = self.winner
        if winner is None:
            return None
        p = winner.params
        lr = float(f"{p['lr']:.6g}")
        return Recipe(p["optimizer"], lr, p["schedule"], p["plateau"], seed=winner.seeds[0])

    @property
    def best_val_loss(self) -> float:
        winner = self.winner
        return math.inf if winner is None else winner.val_loss

    def summary(self) -> list[str]:
        """The winner, the evidence it won on and how it beat the runner-up, in sentences."""
        from ._summary import summarize

        return summarize(self)

    def to_dict(self) -> dict[str, Any]:
        best = self.best
        return {
            "task": self.task, "strategy": self.strategy, "study": self.study,
            "space": self.space.to_dict(), "cost": self.cost,
            "best": None if best is None else {**best.params, **_evidence(self.winner)},
            "runner_up": None if self.runner_up is None else {**self.runner_up.best.params,
                                                              **_evidence(self.runner_up)},
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


def _evidence(record: ConfigRecord) -> dict[str, Any]:
    """A configuration's mean loss and the per-seed losses it rests on, as JSON."""
    return {"val_loss": encode_float(record.val_loss), "seeds": list(record.seeds),
            "seed_losses": [encode_float(value) for value in record.losses]}


def best_first(trials: list[TrialRecord]) -> tuple[TrialRecord, ...]:
    """Complete trials by final validation loss, then the others by how far they got and the
    validation loss where they stopped."""
    return tuple(sorted(trials, key=lambda t: (t.val_loss, -t.run.steps, t.run.val_loss, t.number)))
