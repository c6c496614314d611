"""Step-function and smooth decays: constant, step, multistep, exponential, inverse-time,
polynomial, linear and piecewise-constant. Rates are absolute; lengths are in steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ._base import (
    Schedule,
    ScheduleError,
    count,
    flag,
    increasing,
    optional_count,
    positive,
    rate,
    set_fields,
)


def _check_gamma(gamma: float, steps: int | None, field: str = "gamma") -> float:
    """A decay factor > 0; a rising one (> 1) needs `steps` so the rate stays finite."""
    gamma = positive(gamma, field)
    if gamma > 1 and steps is None:
        raise ScheduleError(f"{field}={gamma!r} > 1 makes the rate grow without end; give steps=N", field)
    return gamma


def _decay_bounds(start: float, end: float) -> tuple[float, float]:
    return (min(start, end), max(start, end))


@dataclass(frozen=True)
class Constant(Schedule, name="constant"):
    """The same rate at every step.  lr(t) = lr."""

    summary = "the same rate at every step"

    lr: float
    steps: int | None = None

    def _check(self) -> None:
        set_fields(self, lr=rate(self.lr, "lr"), steps=optional_count(self.steps, "steps"))

    def _rate(self, t, ops):
        return self.lr + 0.0 * t

    def bounds(self) -> tuple[float, float]:
        return (self.lr, self.lr)


@dataclass(frozen=True)
class StepDecay(Schedule, name="step"):
    """Multiply by gamma every step_size steps (torch StepLR).
    lr(t) = lr * gamma^floor(t / step_size)."""

    summary = "multiply by gamma every step_size steps"

    lr: float
    step_size: int
    gamma: float = 0.1
    steps: int | None = None

    def _check(self) -> None:
        steps = optional_count(self.steps, "steps")
        set_fields(
            self, lr=rate(self.lr, "lr"), step_size=count(self.step_size, "step_size"),
            gamma=_check_gamma(self.gamma, steps), steps=steps,
        )

    def _rate(self, t, ops):
        return self.lr * ops.pow(self.gamma, ops.floor(t / self.step_size))

    def bounds(self) -> tuple[float, float]:
        end = 0.0 if self.steps is None else self(self.steps)
        return _decay_bounds(self.lr, end)

    def _phase_starts(self, n: int) -> list[int]:
        return list(range(self.step_size, n, self.step_size))


@dataclass(frozen=True)
class MultiStep(Schedule, name="multistep"):
    """Multiply by gamma at each milestone (torch MultiStepLR).  lr(t) = lr * gamma^#{m <= t}."""

    summary = "multiply by gamma at each milestone"

    lr: float
    milestones: tuple[int, ...]
    gamma: float = 0.1
    steps: int | None = None

    def _check(self) -> None:
        steps = optional_count(self.steps, "steps")
        set_fields(
            self, lr=rate(self.lr, "lr"), milestones=increasing(self.milestones, "milestones"),
            gamma=positive(self.gamma, "gamma"), steps=steps,
        )

    def _rate(self, t, ops):
        return self.lr * ops.pow(self.gamma, ops.count(self.milestones, t))

    def bounds(self) -> tuple[float, float]:
        return _decay_bounds(self.lr, self.lr * self.gamma ** len(self.milestones))

    def _phase_starts(self, n: int) -> list[int]:
        return [m for m in self.milestones if m < n]


@dataclass(frozen=True)
class Exponential(Schedule, name="exponential"):
    """Exponential decay, per step (torch ExponentialLR: lr * gamma^t) or Keras-style
    (ExponentialDecay: lr * decay_rate^(t / decay_steps), floored when staircase)."""

    summary = "multiply by gamma every step (or decay_rate every decay_steps)"

    lr: float
    gamma: float | None = None
    decay_rate: float | None = None
    decay_steps: int | None = None
    staircase: bool = False
    steps: int | None = None

    def _check(self) -> None:
        steps = optional_count(self.steps, "steps")
        keras_style = self.decay_rate is not None or self.decay_steps is not None
        if (self.gamma is not None) == keras_style:
            raise ScheduleError("give either gamma (per step) or decay_rate with decay_steps")
        if keras_style:
            if self.decay_rate is None or self.decay_steps is None:
                raise ScheduleError("decay_rate and decay_steps go together; give both")
            set_fields(
                self, decay_rate=_check_gamma(self.decay_rate, steps, "decay_rate"),
                decay_steps=count(self.decay_steps, "decay_steps"),
            )
        else:
            if self.staircase:
                raise ScheduleError(
                    "staircase needs decay_rate with decay_steps; a per-step gamma has no stairs"
                )
            set_fields(self, gamma=_check_gamma(self.gamma, steps))
        set_fields(self, lr=rate(self.lr, "lr"), staircase=flag(self.staircase, "staircase"), steps=steps)

    def _rate(self, t, ops):
        if self.gamma is not None:
            return self.lr * ops.pow(self.gamma, t)
        progress = t / self.decay_steps
        if self.staircase:
            progress = ops.floor(progress)
        return self.lr * ops.pow(self.decay_rate, progress)

    def bounds(self) -> tuple[float, float]:
        end = 0.0 if self.steps is None else self(self.steps)
        return _decay_bounds(self.lr, end)


@dataclass(frozen=True)
class InverseTime(Schedule, name="inverse_time"):
    """Keras InverseTimeDecay.  lr(t) = lr / (1 + decay_rate * p), p = t / decay_steps
    (floored when staircase)."""

    summary = "lr / (1 + decay_rate * step / decay_steps)"

    lr: float
    decay_rate: float
    decay_steps: int
    staircase: bool = False
    steps: int | None = None

    def _check(self) -> None:
        set_fields(
            self, lr=rate(self.lr, "lr"), decay_rate=rate(self.decay_rate, "decay_rate"),
            decay_steps=count(self.decay_steps, "decay_steps"), staircase=flag(self.staircase, "staircase"),
            steps=optional_count(self.steps, "steps"),
        )

    def _rate(self, t, ops):
        progress = t / self.decay_steps
        if self.staircase:
            progress = ops.floor(progress)
        return self.lr / (1.0 + self.decay_rate * progress)

    def bounds(self) -> tuple[float, float]:
        end = 0.0 if self.steps is None else self(self.steps)
        return (end, self.lr)


@dataclass(frozen=True)
class Polynomial(Schedule, name="polynomial"):
    """Polynomial decay to end_lr over steps (torch PolynomialLR, optax polynomial_schedule).
    lr(t) = (lr - end_lr) * (1 - t / steps)^power + end_lr."""

    summary = "polynomial decay to end_lr over steps"

    lr: float
    steps: int
    power: float = 1.0
    end_lr: float = 0.0

    def _check(self) -> None:
        set_fields(
            self, lr=rate(self.lr, "lr"), steps=count(self.steps, "steps"),
            power=positive(self.power, "power"), end_lr=rate(self.end_lr, "end_lr"),
        )
        if self.end_lr > self.lr:
            raise ScheduleError(f"end_lr={self.end_lr!r} is above lr={self.lr!r}; it decays")

    def _rate(self, t, ops):
        return (self.lr - self.end_lr) * ops.pow(1.0 - t / self.steps, self.power) + self.end_lr

    def bounds(self) -> tuple[float, float]:
        return (self.end_lr, self.lr)


@dataclass(frozen=True)
class Linear(Schedule, name="linear"):
    """A straight ramp from start_lr to end_lr over steps (torch LinearLR with absolute rates).
    lr(t) = start_lr + (end_lr - start_lr) * t / steps."""

    summary = "straight ramp from start_lr to end_lr over steps"

    start_lr: float
    end_lr: float
    steps: int

    def _check(self) -> None:
        set_fields(
            self, start_lr=rate(self.start_lr, "start_lr"), end_lr=rate(self.end_lr, "end_lr"),
            steps=count(self.steps, "steps"),
        )

    def _rate(self, t, ops):
        # A weighted sum of two rates >= 0, never a difference: exact at both ends and accurate to a
        # few ulp everywhere. `start + (end - start) * t / steps` cancels where end_lr << start_lr and
        # ends off end_lr (linear(1.0, 1e-20, 10) ended at 0.0); `1 - t / steps` loses digits near the end.
        return self.start_lr * ((self.steps - t) / self.steps) + self.end_lr * (t / self.steps)

    def bounds(self) -> tuple[float, float]:
        return _decay_bounds(self.start_lr, self.end_lr)


@dataclass(frozen=True)
class Piecewise(Schedule, name="piecewise"):
    """Piecewise-constant rates (optax piecewise_constant_schedule with absolute values):
    rates[i] from boundaries[i-1] (inclusive) to boundaries[i]; the spec also accepts `values=`."""

    summary = "constant rates between step boundaries"

    rates: tuple[float, ...]
    boundaries: tuple[int, ...]
    steps: int | None = None
    aliases: ClassVar[dict[str, str]] = {"values": "rates"}

    def _check(self) -> None:
        if not isinstance(self.rates, (list, tuple)):
            raise ScheduleError(f"rates must be a list of rates, got {self.rates!r}")
        values = tuple(rate(value, "rates") for value in self.rates)
        bounds = increasing(self.boundaries, "boundaries")
        if len(values) != len(bounds) + 1:
            raise ScheduleError(
                f"needs one more value than boundaries, got {len(values)} values and "
                f"{len(bounds)} boundaries"
            )
        set_fields(self, rates=values, boundaries=bounds, steps=optional_count(self.steps, "steps"))

    def _rate(self, t, ops):
        return ops.take(self.rates, ops.count(self.boundaries, t))

    def bounds(self) -> tuple[float, float]:
        return (min(self.rates), max(self.rates))

    def _phase_starts(self, n: int) -> list[int]:
        return [b for b in self.boundaries if b < n]
