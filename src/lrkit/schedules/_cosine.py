"""Cosine annealing and cosine with warm restarts (SGDR)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._base import Schedule, ScheduleError, count, fraction, optional_count, rate, set_fields


def _half_cosine(progress, ops):
    """1 at progress 0, 0 at progress 1, following half a cosine period."""
    return (1.0 + ops.cos(math.pi * progress)) / 2.0


def _check_min(lr: float, min_lr: float) -> None:
    if min_lr > lr:
        raise ScheduleError(f"min_lr={min_lr!r} is above lr={lr!r}")


@dataclass(frozen=True)
class Cosine(Schedule, name="cosine"):
    """Cosine annealing from lr to min_lr over steps, then min_lr (torch CosineAnnealingLR's
    closed form up to T_max; torch then rises again, lrkit holds min_lr).
    lr(t) = min_lr + (lr - min_lr) * (1 + cos(pi * t / steps)) / 2."""

    summary = "half a cosine from lr down to min_lr over steps"

    lr: float
    steps: int
    min_lr: float = 0.0

    def _check(self) -> None:
        set_fields(
            self, lr=rate(self.lr, "lr"), steps=count(self.steps, "steps"),
            min_lr=rate(self.min_lr, "min_lr"),
        )
        _check_min(self.lr, self.min_lr)

    def _rate(self, t, ops):
        return self.min_lr + (self.lr - self.min_lr) * _half_cosine(t / self.steps, ops)

    def bounds(self) -> tuple[float, float]:
        return (self.min_lr, self.lr)


@dataclass(frozen=True)
class CosineRestarts(Schedule, name="cosine_restarts"):
    """Cosine annealing with warm restarts, SGDR (torch CosineAnnealingWarmRestarts). Cycle i
    lasts period * mult^i steps and peaks at max(lr * decay^i, min_lr); within a cycle,
    lr(t) = min_lr + (peak_i - min_lr) * (1 + cos(pi * t_cycle / period_i)) / 2."""

    summary = "cosine cycles that restart at the peak (SGDR)"

    lr: float
    period: int
    mult: int = 1
    min_lr: float = 0.0
    decay: float = 1.0
    steps: int | None = None

    def _check(self) -> None:
        set_fields(
            self, lr=rate(self.lr, "lr"), period=count(self.period, "period"),
            mult=count(self.mult, "mult"), min_lr=rate(self.min_lr, "min_lr"),
            decay=fraction(self.decay, "decay", low=0.0, high=1.0, closed_low=False),
            steps=optional_count(self.steps, "steps"),
        )
        _check_min(self.lr, self.min_lr)
        if self.mult > 1:
            # Cycle starts as exact integers, up to where float steps stop being exact.
            starts = [0]
            while starts[-1] < 2**53:
                starts.append(starts[-1] + self.period * self.mult ** (len(starts) - 1))
            set_fields(self, _cycle_starts=tuple(starts))

    def _cycle(self, t, ops):
        """Index i of the cycle containing step t, mult^i, and the step where that cycle starts."""
        if self.mult == 1:
            cycle = ops.floor(t / self.period)
            return cycle, 1, cycle * self.period
        cycle = ops.count(self._cycle_starts, t) - 1
        return cycle, self.mult**cycle, ops.take(self._cycle_starts, cycle)

    def _rate(self, t, ops):
        cycle, power, start = self._cycle(t, ops)
        period = self.period * power
        peak = self.lr if self.decay == 1 else ops.maximum(self.lr * ops.pow(self.decay, cycle), self.min_lr)
        return self.min_lr + (peak - self.min_lr) * _half_cosine((t - start) / period, ops)

    def bounds(self) -> tuple[float, float]:
        return (self.min_lr, self.lr)

    def _phase_starts(self, n: int) -> list[int]:
        starts, length = [], self.period
        start = length
        while start < n:
            starts.append(start)
            length *= self.mult
            start += length
        return starts
