"""Cyclical learning rates (triangular family) and the one-cycle policy."""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

from ._base import (
    Schedule,
    ScheduleError,
    choice,
    count,
    flag,
    fraction,
    optional_count,
    positive,
    rate,
    set_fields,
)


@dataclass(frozen=True)
class Cyclic(Schedule, name="cyclic"):
    """Cyclical rates between base_lr and max_lr, rising for `up` steps and falling for `down`
    (torch CyclicLR, Smith 2017). Mode "triangular" keeps the amplitude, "triangular2" halves it
    every cycle, "exp_range" scales it by gamma^t."""

    summary = "triangular cycles between base_lr and max_lr"

    base_lr: float
    max_lr: float
    up: int
    down: int | None = None
    mode: str = "triangular"
    gamma: float = 1.0
    steps: int | None = None

    def _check(self) -> None:
        set_fields(
            self, base_lr=rate(self.base_lr, "base_lr"), max_lr=rate(self.max_lr, "max_lr"),
            up=count(self.up, "up"), down=count(self.up if self.down is None else self.down, "down"),
            mode=choice(self.mode, "mode", ("triangular", "triangular2", "exp_range")),
            gamma=fraction(self.gamma, "gamma", low=0.0, high=1.0, closed_low=False),
            steps=optional_count(self.steps, "steps"),
        )
        if self.base_lr > self.max_lr:
            raise ScheduleError(f"base_lr={self.base_lr!r} is above max_lr={self.max_lr!r}")

    def _rate(self, t, ops):
        # The same expression order as torch's CyclicLR, so the two agree to the last bits.
        total = float(self.up + self.down)
        up_ratio = self.up / total
        cycle = ops.floor(1 + t / total)
        x = 1.0 + t / total - cycle
        scale = ops.where(x <= up_ratio, x / up_ratio, (x - 1) / (up_ratio - 1))
        height = (self.max_lr - self.base_lr) * scale
        if self.mode == "triangular":
            amplitude = 1.0
        elif self.mode == "triangular2":
            # torch's 1 / 2.0 ** (cycle - 1), bit for bit (powers of two are exact), without its
            # overflow after cycle 1024: a never-ending schedule goes on at base_lr.
            amplitude = ops.pow(0.5, cycle - 1)
        else:
            amplitude = ops.pow(self.gamma, t)
        return self.base_lr + height * amplitude

    def bounds(self) -> tuple[float, float]:
        return (self.base_lr, self.max_lr)

    def _phase_starts(self, n: int) -> list[int]:
        period = self.up + self.down
        return sorted(
            start for k in range(0, n, period) for start in (k, k + self.up) if 0 < start < n
        )


@dataclass(frozen=True)
class OneCycle(Schedule, name="one_cycle"):
    """The one-cycle policy (torch OneCycleLR, Smith & Topin 2018): from max_lr/div_factor up to
    max_lr over pct_start of the steps, then down to max_lr/(div_factor*final_div_factor); with
    three_phase, back to the start rate before the final descent. Holds its last rate after
    `steps` where torch raises."""

    summary = "up to max_lr, then far below the start (super-convergence)"

    max_lr: float
    steps: int
    pct_start: float = 0.3
    anneal: str = "cos"
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False

    def _check(self) -> None:
        set_fields(
            self, max_lr=rate(self.max_lr, "max_lr"), steps=count(self.steps, "steps", minimum=2),
            pct_start=fraction(self.pct_start, "pct_start", low=0.0, high=1.0, closed_low=False),
            anneal=choice(self.anneal, "anneal", ("cos", "linear")),
            div_factor=positive(self.div_factor, "div_factor"),
            final_div_factor=positive(self.final_div_factor, "final_div_factor"),
            three_phase=flag(self.three_phase, "three_phase"),
        )
        phases = self._phases()
        ends = [end for end, _, _ in phases]
        if ends[0] <= 0 or any(b <= a for a, b in itertools.pairwise(ends)):
            raise ScheduleError(
                f"pct_start={self.pct_start!r} leaves a phase with no steps out of {self.steps}"
            )
        begins = (0.0, *ends[:-1])
        set_fields(
            self,
            # Torch puts step s in the first phase whose end >= s: for whole steps, s < floor(end) + 1.
            _boundaries=tuple(math.floor(end) + 1 for end in ends[:-1]),
            _pieces=tuple(
                functools.partial(_ANNEALS[self.anneal], begin, end, start_lr, end_lr)
                for begin, (end, start_lr, end_lr) in zip(begins, phases)
            ),
        )

    def _phases(self) -> list[tuple[float, float, float]]:
        """(end step, start rate, end rate) of each phase, as torch's OneCycleLR lays them out."""
        initial = self.max_lr / self.div_factor
        final = initial / self.final_div_factor
        rise_end = float(self.pct_start * self.steps) - 1
        if self.three_phase:
            return [
                (rise_end, initial, self.max_lr),
                (float(2 * self.pct_start * self.steps) - 2, self.max_lr, initial),
                (self.steps - 1, initial, final),
            ]
        return [(rise_end, initial, self.max_lr), (self.steps - 1, self.max_lr, final)]

    def _rate(self, t, ops):
        return ops.select(ops.minimum(t, self.steps - 1), self._boundaries, self._pieces)

    def bounds(self) -> tuple[float, float]:
        # Each phase moves monotonically between its two end rates; with div_factor or
        # final_div_factor below 1 the start or final rate is the highest or not the lowest.
        rates = [rate for _, start_lr, end_lr in self._phases() for rate in (start_lr, end_lr)]
        return (min(rates), max(rates))

    def _phase_starts(self, n: int) -> list[int]:
        return [math.floor(end) + 1 for end, _, _ in self._phases()[:-1] if math.floor(end) + 1 < n]


# One phase of OneCycle from `start` at step `begin` to `end_lr` at step `end`, with torch's
# expression order (so the two agree to the last bits).
def _cos_phase(begin: float, end: float, start: float, end_lr: float, t, ops):
    return end_lr + (start - end_lr) / 2.0 * (ops.cos(math.pi * ((t - begin) / (end - begin))) + 1)


def _linear_phase(begin: float, end: float, start: float, end_lr: float, t, ops):
    return (end_lr - start) * ((t - begin) / (end - begin)) + start


_ANNEALS = {"cos": _cos_phase, "linear": _linear_phase}
