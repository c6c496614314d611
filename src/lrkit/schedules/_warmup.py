"""Warmup in front of any schedule, warmup-stable-decay, and inverse square root."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._spec import format_call
from ._base import (
    Schedule,
    ScheduleError,
    choice,
    count,
    fraction,
    optional_count,
    rate,
    set_fields,
)


def _warmup_fields(steps: object, start: object, shape: object) -> dict[str, object]:
    """Checked and normalised steps, start and shape of a warmup."""
    fields = {
        "steps": count(steps, "steps"),
        "start": fraction(start, "start", low=0.0, high=1.0),
        "shape": choice(shape, "shape", ("linear", "exponential")),
    }
    if fields["shape"] == "exponential" and fields["start"] == 0:
        raise ScheduleError("an exponential warmup needs start > 0 (a factor of the first rate)")
    return fields


@dataclass(frozen=True)
class Warmup(Schedule, name="warmup"):
    """Ramp up to the first rate of `target` over `steps`, then run `target` from its step 0
    (torch LinearLR(start_factor=start) + SequentialLR; Keras CosineDecay's warmup). Linear:
    lr(t) = target(0) * (start + (1 - start) * t / steps);
    exponential: lr(t) = target(0) * start^(1 - t / steps).
    Written `warmup(steps, start=0.0) >> target` in a spec."""

    summary = "ramp up to the next schedule's first rate"

    target: Schedule
    steps: int
    start: float = 0.0
    shape: str = "linear"

    def _check(self) -> None:
        if not isinstance(self.target, Schedule):
            raise ScheduleError(f"warmup needs a schedule to warm up to, got {self.target!r}")
        set_fields(self, **_warmup_fields(self.steps, self.start, self.shape))
        set_fields(self, _peak=self.target(0), _pieces=(self._ramp, self._after))

    @property
    def length(self) -> int | None:
        inner = self.target.length
        return None if inner is None else self.steps + inner

    def _ramp(self, t, ops):
        progress = t / self.steps
        if self.shape == "linear":
            factor = self.start + (1.0 - self.start) * progress
        else:
            factor = ops.pow(self.start, 1.0 - progress)
        return self._peak * factor

    def _after(self, t, ops):
        return self.target._at(t - self.steps, ops)

    def _rate(self, t, ops):
        return ops.select(t, (self.steps,), self._pieces)

    def bounds(self) -> tuple[float, float]:
        low, high = self.target.bounds()
        return (min(low, self.start * self.target(0)), high)

    def _phase_starts(self, n: int) -> list[int]:
        inner = [self.steps + s for s in self.target.phase_starts(max(n - self.steps, 0))]
        return ([self.steps] if self.steps < n else []) + inner

    def prefix(self) -> str:
        """The `warmup(...)` part of the spec, without the target."""
        return format_call("warmup", self._arguments()[1:])

    def __str__(self) -> str:
        from ._compose import Join

        inner = str(self.target)
        if isinstance(self.target, (Join, Warmup)):
            inner = f"({inner})"
        return f"{self.prefix()} >> {inner}"


@dataclass(frozen=True)
class WarmupPrefix:
    """`warmup(steps, start, shape)` before it is given its target: `warmup(200) >> cosine(...)`."""

    steps: int
    start: float = 0.0
    shape: str = "linear"

    def __post_init__(self) -> None:
        # Checked here too, so `warmup(0)` fails where it is written, not at the later `>>`.
        try:
            fields = _warmup_fields(self.steps, self.start, self.shape)
        except ScheduleError as error:
            raise ScheduleError(f"warmup(): {error}", error.field) from None
        for key, value in fields.items():
            object.__setattr__(self, key, value)

    def __rshift__(self, target: Schedule) -> Warmup:
        return Warmup(target, self.steps, self.start, self.shape)


def warmup(steps: int, start: float = 0.0, shape: str = "linear") -> WarmupPrefix:
    """Warm up for `steps` from `start` x the next schedule's first rate: `warmup(200) >> s`."""
    return WarmupPrefix(steps, start, shape)


@dataclass(frozen=True)
class WarmupStableDecay(Schedule, name="wsd"):
    """Warmup-stable-decay (transformers' get_wsd_schedule with absolute rates): linear warmup from
    0 over `warmup` steps, lr until the last `decay` steps, then down to min_lr with a linear,
    cosine or 1-sqrt shape: lr(t) = min_lr + (lr - min_lr) * f(p), p the decay progress."""

    summary = "warmup, hold, then decay at the end (WSD)"

    lr: float
    steps: int
    warmup: int
    decay: int
    shape: str = "linear"
    min_lr: float = 0.0

    def _check(self) -> None:
        set_fields(
            self, lr=rate(self.lr, "lr"), steps=count(self.steps, "steps"),
            warmup=count(self.warmup, "warmup", minimum=0), decay=count(self.decay, "decay"),
            shape=choice(self.shape, "shape", ("linear", "cosine", "1-sqrt")),
            min_lr=rate(self.min_lr, "min_lr"),
        )
        if self.warmup + self.decay > self.steps:
            raise ScheduleError(
                f"warmup={self.warmup} + decay={self.decay} is longer than steps={self.steps}"
            )
        if self.min_lr > self.lr:
            raise ScheduleError(f"min_lr={self.min_lr!r} is above lr={self.lr!r}")
        set_fields(
            self, _boundaries=(self.warmup, self.steps - self.decay),
            _pieces=(self._warming, self._stable, self._decayed),
        )

    def _decayed(self, t, ops):
        progress = (t - (self.steps - self.decay)) / self.decay
        if self.shape == "linear":
            factor = 1.0 - progress
        elif self.shape == "cosine":
            factor = 0.5 * (1.0 + ops.cos(math.pi * progress))
        else:
            factor = 1.0 - ops.sqrt(progress)
        return self.min_lr + (self.lr - self.min_lr) * factor

    def _warming(self, t, ops):
        return self.lr * (t / max(self.warmup, 1))

    def _stable(self, t, ops):
        return self.lr + 0.0 * t

    def _rate(self, t, ops):
        return ops.select(t, self._boundaries, self._pieces)

    def bounds(self) -> tuple[float, float]:
        return (0.0 if self.warmup else self.min_lr, self.lr)

    def _phase_starts(self, n: int) -> list[int]:
        # Without a stable phase the decay starts where the warmup ends: one phase start, not two.
        return sorted({s for s in (self.warmup, self.steps - self.decay) if 0 < s < n})


@dataclass(frozen=True)
class InverseSqrt(Schedule, name="inverse_sqrt"):
    """Linear warmup, then decay with 1/sqrt(step) (transformers' get_inverse_sqrt_schedule):
    lr(t) = lr * t / warmup before `warmup`, then lr / sqrt((t + timescale - warmup) / timescale).
    timescale defaults to warmup (or 10,000 without warmup), as in transformers."""

    summary = "warmup, then lr / sqrt(step) decay"

    lr: float
    warmup: int
    timescale: int | None = None
    steps: int | None = None

    def _check(self) -> None:
        warmup_steps = count(self.warmup, "warmup", minimum=0)
        timescale = self.timescale if self.timescale is not None else (warmup_steps or 10_000)
        set_fields(
            self, lr=rate(self.lr, "lr"), warmup=warmup_steps,
            timescale=count(timescale, "timescale"), steps=optional_count(self.steps, "steps"),
        )
        set_fields(self, _pieces=(self._warming, self._decaying))

    def _warming(self, t, ops):
        return self.lr * (t / max(self.warmup, 1))

    def _decaying(self, t, ops):
        return self.lr / ops.sqrt((t + self.timescale - self.warmup) / self.timescale)

    def _rate(self, t, ops):
        return ops.select(t, (self.warmup,), self._pieces)

    def bounds(self) -> tuple[float, float]:
        return (0.0, self.lr)

    def _phase_starts(self, n: int) -> list[int]:
        return [self.warmup] if 0 < self.warmup < n else []
