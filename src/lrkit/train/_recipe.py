"""`Recipe`: how to train — optimizer and its arguments, peak rate, schedule, controller, seed."""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..control import Controller, parse_controller
from ..errors import LrkitError
from ..optim import list_optimizers
from ..schedules import TEMPLATES, Schedule, parse, resolve


class RecipeError(LrkitError):
    """A recipe with a bad field; the message names it and what is allowed."""


@dataclass(frozen=True)
class Recipe:
    """Everything that decides a run besides the task.

    `schedule` is a template name (`cosine`, `warmup_cosine`, ... filled with `lr` and the run's
    length), a full spec with absolute rates, or None for a constant `lr`. `plateau` is a
    controller spec such as "plateau(factor=0.5, patience=3)", watching the validation loss.
    """

    optimizer: str = "adam"
    lr: float = 1e-3
    schedule: str | None = None
    plateau: str | None = None
    optimizer_args: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0

    def __post_init__(self) -> None:
        names = {info.name for info in list_optimizers()}
        if self.optimizer not in names:
            raise RecipeError(f"unknown optimizer {self.optimizer!r}; known: {', '.join(sorted(names))}")
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)):
            raise RecipeError(f"lr must be a number, got {self.lr!r}")
        if not math.isfinite(self.lr) or self.lr <= 0:
            raise RecipeError(f"lr must be a positive finite rate, got {self.lr!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise RecipeError(f"seed must be an integer, got {self.seed!r}")
        object.__setattr__(self, "lr", float(self.lr))
        object.__setattr__(self, "optimizer_args", MappingProxyType(dict(self.optimizer_args)))
        if self.schedule is not None and self.schedule.strip() not in TEMPLATES:
            object.__setattr__(self, "schedule", str(parse(self.schedule)))
        if self.plateau is not None:
            object.__setattr__(self, "plateau", str(parse_controller(self.plateau)))

    def build_schedule(self, steps: int) -> Schedule:
        """The schedule this recipe runs over `steps` steps, with absolute rates."""
        return resolve(self.schedule, self.lr, steps)

    def build_controller(self) -> Controller | None:
        return None if self.plateau is None else parse_controller(self.plateau)

    def resolved(self, steps: int) -> Recipe:
        """The same recipe with its schedule written out as a full spec for `steps` steps."""
        return Recipe(
            self.optimizer, self.lr, str(self.build_schedule(steps)), self.plateau,
            dict(self.optimizer_args), self.seed,
        )

    def command(self, task: str, steps: int | None = None) -> str:
        """This recipe as an `lrkit train` command line, quoted for a POSIX shell."""
        parts = ["lrkit", "train", task or "TASK", "--optimizer", self.optimizer, "--lr", f"{self.lr:.6g}"]
        for flag, value in (("--schedule", self.schedule), ("--plateau", self.plateau),
                            ("--steps", steps), ("--seed", self.seed)):
            if value:
                parts += [flag, str(value)]
        return " ".join(shlex.quote(part) for part in parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "optimizer": self.optimizer,
            "optimizer_args": dict(self.optimizer_args),
            "lr": self.lr,
            "schedule": self.schedule,
            "plateau": self.plateau,
            "seed": self.seed,
        }

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Recipe:
        return Recipe(
            optimizer=data["optimizer"], lr=data["lr"], schedule=data.get("schedule"),
            plateau=data.get("plateau"), optimizer_args=data.get("optimizer_args", {}),
            seed=data.get("seed", 0),
        )

    def __reduce__(self):
        """Pickled through its dict (a read-only mapping proxy does not pickle), so recipes and
        RunResults travel to worker processes."""
        return (Recipe.from_dict, (self.to_dict(),))

    def __hash__(self) -> int:
        return hash((self.optimizer, self.lr, self.schedule, self.plateau, self.seed,
                     tuple(sorted(self.optimizer_args.items()))))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Recipe) and self.to_dict() == other.to_dict()
