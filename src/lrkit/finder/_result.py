"""`FinderResult`: the range test's curve, why it stopped, and every suggestion by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._json import decode_floats, encode_floats


@dataclass(frozen=True)
class FinderResult:
    """Rates tried (one per step), raw and smoothed training loss, the probe loss after each
    update (loss on one fixed set of examples), and the stop reason: "diverged" when the loss
    blew up, "completed" when it never did up to `end_lr` (then every suggestion depends on
    where the ramp stopped: `diverged` is False and a higher `end_lr` is the remedy).
    `suggestions` maps each method's name to its rate (None when the curve gives that method
    nothing to go on); `suggestion` is the recommended one."""

    lrs: tuple[float, ...]
    losses: tuple[float, ...]
    smoothed: tuple[float, ...]
    probe: tuple[float, ...]
    stop_reason: str
    start_lr: float
    end_lr: float
    mode: str
    optimizer: str = ""
    task: str = ""
    suggestions: dict[str, float | None] = field(default_factory=dict)
    method: str = "lrkit"
    budget: int | None = None  # the task's full training budget in steps, when run on a task

    @property
    def diverged(self) -> bool:
        """Whether the loss blew up before `end_lr`; without that the curve shows no upper edge."""
        return self.stop_reason == "diverged"

    @property
    def steps(self) -> int:
        """Training steps the test spent."""
        return len(self.lrs)

    @property
    def cost(self) -> float | None:
        """The test's cost in full training runs of its task (None without a task budget)."""
        return None if not self.budget else self.steps / self.budget

    @property
    def suggestion(self) -> float | None:
        return self.suggestions.get(self.method)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "optimizer": self.optimizer,
            "start_lr": self.start_lr,
            "end_lr": self.end_lr,
            "mode": self.mode,
            "stop_reason": self.stop_reason,
            "diverged": self.diverged,
            "steps": self.steps,
            "budget": self.budget,
            "cost": self.cost,
            "method": self.method,
            "suggestion": self.suggestion,
            "suggestions": dict(self.suggestions),
            "lrs": list(self.lrs),
            "losses": encode_floats(self.losses),
            "smoothed": encode_floats(self.smoothed),
            "probe": encode_floats(self.probe),
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> FinderResult:
        return FinderResult(
            lrs=tuple(data["lrs"]), losses=decode_floats(data["losses"]),
            smoothed=decode_floats(data["smoothed"]), probe=decode_floats(data["probe"]),
            stop_reason=data["stop_reason"],
            start_lr=data["start_lr"], end_lr=data["end_lr"], mode=data["mode"],
            optimizer=data.get("optimizer", ""), task=data.get("task", ""),
            suggestions=dict(data.get("suggestions", {})), method=data.get("method", "lrkit"),
            budget=data.get("budget"),
        )

    def plot(self, ax=None):
        """Loss against rate (log axis) with every suggestion marked; returns the figure."""
        from ..report import plot_finder

        return plot_finder(self, ax=ax)

    def _repr_html_(self) -> str:
        """The report of this result, shown by a notebook."""
        from ..report import result_html

        return result_html(self)
