"""`TuneResult`: what `tune` found, every run it made to find it, and what that cost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._json import encode_float
from ..finder import FinderResult
from ..search._policy import TUNE, Policy
from ..train import Recipe, RunResult
from ._effects import RateEffect, rate_effects

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class TuneResult:
    """The range tests, every search run as it ended (stopped at a rung, diverged, or run in
    full), and the winner's full run. `task` is the task as given (a built-in name or
    `path/to/file.py:function`; a Task object's name). `budget` is what was asked and `cost` what
    was spent, both in full training runs of the task (`steps` steps each)."""

    task: str
    budget: float
    steps: int
    finders: tuple[FinderResult, ...]
    trials: tuple[RunResult, ...]
    final: RunResult
    metric_name: str | None = None
    interrupted: bool = False  # stopped by Ctrl-C: `final` is the best run so far, maybe unfinished
    policy: Policy = TUNE  # the thresholds the search acted on, which its summary quotes
    branch_steps: int = 0  # steps of the decays that judged runs at the rungs
    shared_steps: int = 0  # steps finalists' decays share with their trunks (in both runs' steps)
    judged_at: tuple[int, ...] = ()  # the rungs where decays from each run's checkpoint judged it

    @property
    def recipe(self) -> Recipe:
        """The winner, its schedule written out with absolute rates (what `lrkit train` takes)."""
        return self.final.recipe

    @property
    def cost(self) -> float:
        """Every step trained (range tests, search runs, the decays that judged them, final run)
        over the task's budget; a decay's steps shared with its trunk count once."""
        spent = sum(finder.steps for finder in self.finders) + sum(trial.steps for trial in self.trials)
        spent += self.branch_steps - self.shared_steps
        if self.final not in self.trials:
            spent += self.final.steps
        return spent / self.steps

    @property
    def effects(self) -> tuple[RateEffect, ...]:
        """Each rate tried and what it did, set against the winner (see `rate_effects`)."""
        return rate_effects(self.trials, self.final, self.policy)

    def summary(self) -> list[str]:
        """What was found and why, in sentences a learner can follow."""
        from ._explain import explain

        return explain(self)

    def train_command(self) -> str:
        """The winner as an `lrkit train` command line (with the run's steps, which a training
        function has no budget of its own for)."""
        return self.recipe.command(self.task, self.steps)

    def to_dict(self) -> dict[str, Any]:
        recipe = self.recipe
        return {
            "kind": "tune",
            "task": self.task,
            "budget": self.budget,
            "steps": self.steps,
            "cost": self.cost,
            "metric_name": self.metric_name,
            "interrupted": self.interrupted,
            "policy": self.policy.to_dict(),
            "branch_steps": self.branch_steps,
            "shared_steps": self.shared_steps,
            "judged_at": list(self.judged_at),
            "recipe": {"optimizer": recipe.optimizer, "optimizer_args": dict(recipe.optimizer_args),
                       "lr": recipe.lr, "schedule": recipe.schedule, "plateau": recipe.plateau},
            "final": {"val_loss": encode_float(self.final.val_loss),
                      "val_metric": encode_float(self.final.val_metric), "run": self.final.to_dict()},
            "summary": self.summary(),
            "effects": [effect.to_dict() for effect in self.effects],
            "finders": [finder.to_dict() for finder in self.finders],
            "trials": [trial.to_dict() for trial in self.trials],
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> TuneResult:
        trials = tuple(RunResult.from_dict(trial) for trial in data["trials"])
        final = RunResult.from_dict(data["final"]["run"])
        final = next((trial for trial in trials if trial == final), final)
        return TuneResult(
            task=data["task"], budget=data["budget"], steps=data["steps"],
            finders=tuple(FinderResult.from_dict(finder) for finder in data["finders"]),
            trials=trials, final=final, metric_name=data.get("metric_name"),
            interrupted=data.get("interrupted", False), policy=Policy.from_dict(data.get("policy", {})),
            branch_steps=data.get("branch_steps", 0), shared_steps=data.get("shared_steps", 0),
            judged_at=tuple(data.get("judged_at", ())),
        )

    def plot(self) -> Figure:
        """The winner's group by rate, the landscape, the winner's schedule and where the budget
        went; returns the figure."""
        from ..report import plot_overview

        return plot_overview(self)

    def _repr_html_(self) -> str:
        """The report of this result, shown by a notebook."""
        from ..report import result_html

        return result_html(self)
