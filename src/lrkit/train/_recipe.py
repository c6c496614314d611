"""`Recipe`: how to train — optimizer and its arguments, peak rate, schedule, controller, seed."""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from types import MappingProxyType
from typing import Any

from ..control import Controller, parse_controller
from ..errors import LrkitError
from ..optim import list_optimizers
from ..schedules import TEMPLATES, Schedule, parse, resolve


class RecipeError(LrkitError):
    """A recipe with a bad field; the message names it and what is allowed."""


class RateMismatchError(RecipeError):
    """A given `lr` disagrees with the peak rate of the full spec that trains."""


class ScheduleLengthWarning(UserWarning):
    """A full schedule spec ends at another step than the run it trains (see `Recipe.mismatch`)."""


DEFAULT_LR = 1e-3


def _check_rate(lr: Any, spec: Schedule | None) -> float:
    """The recipe's rate: `lr` as given, or a full spec's peak when `lr` is None; a given `lr`
    that disagrees with the spec's peak is refused (the spec is what trains)."""
    peak = None if spec is None else spec.bounds()[1]
    if lr is None:
        if peak is not None and not peak > 0:
            raise RecipeError(f"the schedule {spec} never rises above 0; give it a positive rate")
        return DEFAULT_LR if peak is None else peak
    if isinstance(lr, bool) or not isinstance(lr, (int, float)):
        raise RecipeError(f"lr must be a number, got {lr!r}")
    if not math.isfinite(lr) or lr <= 0:
        raise RecipeError(f"lr must be a positive finite rate, got {lr!r}")
    if peak is not None and not math.isclose(lr, peak, rel_tol=1e-9):
        raise RateMismatchError(f"lr {lr:g} disagrees with the peak rate {peak:g} of the schedule {spec}; "
                          "leave lr out (the full spec sets the rate) or give a template such as "
                          "'cosine' that lr fills")
    return float(lr)


@dataclass(frozen=True)
class Recipe:
    """Everything that decides a run besides the task.

    `schedule` is a template name (`cosine`, `warmup_cosine`, ... filled with `lr` and the run's
    length), a full spec with absolute rates, or None for a constant `lr`. A full spec sets the
    rate itself: `lr` may be left out (it becomes the spec's peak rate) and, when given, must
    equal that peak, so a recipe always records the rate it trains at. Without a full spec, `lr`
    defaults to 1e-3. `fit=True` stretches or squeezes a full spec that ends at another step than
    the run over the run's steps (`run` warns about such a spec otherwise). `plateau` is a
    controller spec such as "plateau(factor=0.5, patience=3)", watching the validation loss.
    """

    optimizer: str = "adam"
    lr: float | None = None
    schedule: str | None = None
    plateau: str | None = None
    optimizer_args: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0
    fit: bool = False

    def __post_init__(self) -> None:
        names = {info.name for info in list_optimizers()}
        if self.optimizer not in names:
            raise RecipeError(f"unknown optimizer {self.optimizer!r}; known: {', '.join(sorted(names))}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise RecipeError(f"seed must be an integer, got {self.seed!r}")
        if not isinstance(self.fit, bool):
            raise RecipeError(f"fit must be True or False, got {self.fit!r}")
        object.__setattr__(self, "optimizer_args", MappingProxyType(dict(self.optimizer_args)))
        spec = None
        if self.schedule is not None and self.schedule.strip() not in TEMPLATES:
            spec = parse(self.schedule)
            object.__setattr__(self, "schedule", str(spec))
        object.__setattr__(self, "lr", _check_rate(self.lr, spec))
        if spec is None or spec.length is None:
            if self.fit and spec is not None:
                raise RecipeError(f"fit=True needs a schedule that ends, but {spec} never does; "
                                  "give it steps=N")
            object.__setattr__(self, "fit", False)  # a template or a constant rate fits every run already
        if self.plateau is not None:
            object.__setattr__(self, "plateau", str(parse_controller(self.plateau)))

    def build_schedule(self, steps: int) -> Schedule:
        """The schedule this recipe runs over `steps` steps, with absolute rates."""
        return resolve(self.schedule, self.lr, steps)

    def mismatch(self, steps: int) -> str | None:
        """One line when this recipe's full spec ends at another step than a run of `steps`
        steps and `fit` is off, since the run then cuts the spec short or holds its last rate;
        None when they agree (templates always do)."""
        if self.fit or self.schedule is None or self.schedule.strip() in TEMPLATES:
            return None
        spec = parse(self.schedule)
        length = spec.length
        if length is None or length == steps:
            return None
        if length < steps:
            effect = f"its last rate {spec(length):g} holds for the last {steps - length} steps"
        else:
            effect = f"its last {length - steps} steps are never reached"
        return (f"the schedule {spec} lasts {length} steps but the run has {steps}: {effect}; "
                "pass fit=True (--fit-schedule) to fit it to the run, or make the two agree")

    def build_controller(self) -> Controller | None:
        return None if self.plateau is None else parse_controller(self.plateau)

    def resolved(self, steps: int) -> Recipe:
        """The same recipe with its schedule written out as a full spec for `steps` steps."""
        return Recipe(
            self.optimizer, self.lr, str(self.build_schedule(steps)), self.plateau,
            dict(self.optimizer_args), self.seed, self.fit,
        )

    def command(self, task: str, steps: int | None = None) -> str:
        """This recipe as an `lrkit train` command line, quoted for a POSIX shell. The rate is
        written exactly (short when that loses nothing), so it agrees with a full spec's."""
        short = f"{self.lr:.6g}"
        parts = ["lrkit", "train", task or "TASK", "--optimizer", self.optimizer,
                 "--lr", short if float(short) == self.lr else repr(self.lr)]
        for flag, value in (("--schedule", self.schedule), ("--plateau", self.plateau),
                            ("--steps", steps), ("--seed", self.seed)):
            if value:
                parts += [flag, str(value)]
        if self.fit:
            parts.append("--fit-schedule")
        return " ".join(shlex.quote(part) for part in parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "optimizer": self.optimizer,
            "optimizer_args": dict(self.optimizer_args),
            "lr": self.lr,
            "schedule": self.schedule,
            "plateau": self.plateau,
            "seed": self.seed,
            "fit": self.fit,
        }

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Recipe:
        """The recipe of `to_dict()`. A file written before recipes checked their rate may pair
        an lr with a full spec at another rate; the spec is what trained, so it sets the rate."""
        fields_ = {
            "optimizer": data["optimizer"], "schedule": data.get("schedule"), "plateau": data.get("plateau"),
            "optimizer_args": data.get("optimizer_args", {}), "seed": data.get("seed", 0),
            "fit": data.get("fit", False),
        }
        try:
            return Recipe(lr=data["lr"], **fields_)
        except RateMismatchError:
            return Recipe(lr=None, **fields_)

    def __reduce__(self):
        """Pickled through its dict (a read-only mapping proxy does not pickle), so recipes and
        RunResults travel to worker processes."""
        return (Recipe.from_dict, (self.to_dict(),))

    def __hash__(self) -> int:
        return hash((self.optimizer, self.lr, self.schedule, self.plateau, self.seed, self.fit,
                     tuple(sorted(self.optimizer_args.items()))))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Recipe) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        """The call that builds this recipe: optimizer and lr, then every field not at its default."""
        shown: dict[str, Any] = {"optimizer": self.optimizer, "lr": self.lr}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name in shown:
                continue
            default = item.default_factory() if item.default is MISSING else item.default  # type: ignore[misc]
            if value != default:
                shown[item.name] = dict(value) if isinstance(value, Mapping) else value
        return f"Recipe({', '.join(f'{name}={value!r}' for name, value in shown.items())})"
