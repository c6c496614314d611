"""`RunResult`: what one training run did, as plain frozen data with a lossless JSON round trip."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._json import decode_float, decode_floats, encode_float, encode_floats
from ._recipe import Recipe

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class Evaluation:
    """Validation loss (and metric, when the task has one) after `step` updates."""

    step: int
    val_loss: float
    val_metric: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "val_loss": encode_float(self.val_loss),
                "val_metric": encode_float(self.val_metric)}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Evaluation:
        return Evaluation(data["step"], decode_float(data["val_loss"]), decode_float(data["val_metric"]))


@dataclass(frozen=True)
class RunResult:
    """One run of `recipe` on `task`: per-step training loss and rate, evaluations, final numbers.

    `diverged_at` is the step at which the loss became non-finite or stayed far above its start;
    a diverged run's final validation loss is infinity (it scores as the worst possible).
    `interrupted` marks a run that Ctrl-C ended after `steps` of its `budget` steps.
    """

    task: str
    recipe: Recipe
    budget: int
    steps: int
    train_loss: tuple[float, ...]
    lr: tuple[float, ...]
    evaluations: tuple[Evaluation, ...]
    diverged_at: int | None
    wall_seconds: float
    metric_name: str | None = None
    interrupted: bool = False

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def final(self) -> Evaluation:
        """The last evaluation; infinity for a diverged run."""
        if self.diverged or not self.evaluations:
            return Evaluation(self.steps, math.inf, None)
        return self.evaluations[-1]

    @property
    def val_loss(self) -> float:
        return self.final.val_loss

    @property
    def val_metric(self) -> float | None:
        return self.final.val_metric

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "recipe": self.recipe.to_dict(),
            "budget": self.budget,
            "steps": self.steps,
            "diverged_at": self.diverged_at,
            "wall_seconds": self.wall_seconds,
            "metric_name": self.metric_name,
            "interrupted": self.interrupted,
            "final": {"val_loss": encode_float(self.val_loss), "val_metric": encode_float(self.val_metric)},
            "evaluations": [evaluation.to_dict() for evaluation in self.evaluations],
            "train_loss": encode_floats(self.train_loss),
            "lr": list(self.lr),
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> RunResult:
        return RunResult(
            task=data["task"],
            recipe=Recipe.from_dict(data["recipe"]),
            budget=data["budget"],
            steps=data["steps"],
            train_loss=decode_floats(data["train_loss"]),
            lr=tuple(data["lr"]),
            evaluations=tuple(Evaluation.from_dict(e) for e in data["evaluations"]),
            diverged_at=data["diverged_at"],
            wall_seconds=data["wall_seconds"],
            metric_name=data.get("metric_name"),
            interrupted=data.get("interrupted", False),
        )

    def plot(self) -> Figure:
        """The losses over steps above, the rate applied below; returns the figure."""
        from ..report import plot_run

        return plot_run(self)

    def _repr_html_(self) -> str:
        """The report of this result, shown by a notebook."""
        from ..report import result_html

        return result_html(self)
