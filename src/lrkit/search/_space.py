"""What a sweep searches over: rates, optimizers, schedule templates, plateau control, seeds."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import LrkitError
from ..optim import list_optimizers
from ..schedules import TEMPLATES
from ..train import Recipe


class SearchError(LrkitError):
    """A sweep that cannot run as asked; the message names the argument and the fix."""


@dataclass(frozen=True)
class Space:
    """Rates as a log range `(low, high)` (`lr_range`) or an explicit list (`lrs`); optimizers by
    name; schedule templates filled per trial with its rate and budget (`cosine` is cosine from
    the trial's rate over the trial's steps); plateau controller specs (None for none); seeds."""

    lr_range: tuple[float, float] | None = (1e-4, 1e-1)
    lrs: tuple[float, ...] | None = None
    optimizers: tuple[str, ...] = ("adam",)
    schedules: tuple[str, ...] = ("constant",)
    plateaus: tuple[str | None, ...] = (None,)
    seeds: tuple[int, ...] = (0,)

    def __post_init__(self) -> None:
        if self.lrs is not None:
            lrs = tuple(float(lr) for lr in self.lrs)
            if not lrs or any(not math.isfinite(lr) or lr <= 0 for lr in lrs):
                raise SearchError(f"lrs must be positive finite rates, got {list(self.lrs)}")
            object.__setattr__(self, "lrs", tuple(sorted(set(lrs))))
            object.__setattr__(self, "lr_range", None)
        elif self.lr_range is not None:
            low, high = (float(v) for v in self.lr_range)
            if not (0 < low < high and math.isfinite(high)):
                raise SearchError(f"the rate range must be 0 < low < high, got {low!r}:{high!r}")
            object.__setattr__(self, "lr_range", (low, high))
        else:
            raise SearchError("give rates: a range (lr_range=(low, high)) or a list (lrs=[...])")
        known = {info.name for info in list_optimizers()}
        for name in self.optimizers:
            if name not in known:
                raise SearchError(f"unknown optimizer {name!r}; known: {', '.join(sorted(known))}")
        for name in self.schedules:
            if name not in TEMPLATES:
                raise SearchError(f"unknown schedule template {name!r}; templates: {', '.join(TEMPLATES)}")
        for field, values in (("optimizers", self.optimizers), ("schedules", self.schedules),
                              ("plateaus", self.plateaus), ("seeds", self.seeds)):
            if not values:
                raise SearchError(f"{field} must not be empty")
            object.__setattr__(self, field, tuple(values))
        for plateau in self.plateaus:
            if plateau is not None:
                Recipe(self.optimizers[0], 1.0, None, plateau)  # checks the controller spec

    def grid_rates(self, per_decade: int = 1) -> tuple[float, ...]:
        """The listed rates, or `per_decade` rates per decade across the range (whole decades
        included, e.g. 1e-4, 1e-3, 1e-2, 1e-1 for the default)."""
        if self.lrs is not None:
            return self.lrs
        low, high = (math.log10(v) for v in self.lr_range)
        count = max(2, round((high - low) * per_decade) + 1)
        return tuple(float(f"{v:.6g}") for v in np.logspace(low, high, count))

    def combinations(self) -> list[tuple[str, str, str | None]]:
        """Every (optimizer, schedule, plateau)."""
        return list(itertools.product(self.optimizers, self.schedules, self.plateaus))

    def to_dict(self) -> dict[str, Any]:
        return {"lr_range": None if self.lr_range is None else list(self.lr_range),
                "lrs": None if self.lrs is None else list(self.lrs),
                "optimizers": list(self.optimizers), "schedules": list(self.schedules),
                "plateaus": list(self.plateaus), "seeds": list(self.seeds)}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Space:
        lr_range = data.get("lr_range")
        return Space(lr_range=None if lr_range is None else tuple(lr_range),
                     lrs=None if data.get("lrs") is None else tuple(data["lrs"]),
                     optimizers=tuple(data["optimizers"]), schedules=tuple(data["schedules"]),
                     plateaus=tuple(data["plateaus"]), seeds=tuple(data["seeds"]))


def parse_rates(text: str) -> dict[str, Any]:
    """`"1e-5:1"` -> a log range, `"1e-3,1e-2"` -> a list: keyword arguments for `Space`."""
    try:
        if ":" in text:
            low, high = text.split(":")
            return {"lr_range": (float(low), float(high))}
        return {"lrs": tuple(float(part) for part in text.split(","))}
    except ValueError:
        raise SearchError(f"--lr must be LOW:HIGH (e.g. 1e-5:1) or a list (e.g. 1e-3,1e-2), got {text!r}") \
            from None
