"""Reduce-on-plateau as a multiplier on any schedule, so warmup followed by plateau control works.

It counts exactly like torch's `ReduceLROnPlateau` (with `eps=0`, `min_lr=min_scale` and a base
rate of 1), and can optionally raise the rate again when a reduction did not help.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._protocol import ConfigMixin, ControllerError, register

_ACTIONS = ("none", "reduce", "raise")


@dataclass
class _PlateauState:
    """Everything `Plateau` changes while observing; `state_dict()` is exactly these fields."""

    best: float | None = None  # None: nothing observed yet (torch's +/-inf start value)
    num_bad: int = 0
    cooldown_counter: int = 0
    multiplier: float = 1.0
    reductions: int = 0
    last_action: str = "none"
    improved_since_change: bool = False


@register
@dataclass(frozen=True, kw_only=True, eq=False)
class Plateau(ConfigMixin):
    """Multiply the schedule's rate by `factor` when the watched value stops improving.

    An evaluation improves on the best value so far when, for `mode="min"`,
    `value < best * (1 - threshold)` (`threshold_mode="rel"`) or `value < best - threshold`
    (`"abs"`); `mode="max"` mirrors this with `>` and `1 + threshold` / `+ threshold`. A value
    that is NaN or infinite never improves. Each evaluation without improvement counts as bad;
    the first `cooldown` evaluations after a change count none. When more than `patience` bad
    evaluations accumulate, the multiplier becomes `max(multiplier * factor, min_scale)`; the
    bad count then restarts and so does the cooldown, even when `min_scale` already held the
    multiplier where it was.

    This is torch's `ReduceLROnPlateau` with `eps=0` (Plateau has no `eps`: any decrease, however
    small, is applied) on a base rate of 1, with one difference: torch takes an infinity in the
    improving direction (-inf in `"min"` mode) as a new best, Plateau does not, so `best` stays
    finite (None before the first finite value) and `state_dict()` is strict JSON. Like torch,
    `"rel"` scales `best` itself, so with negative values the bar is looser than `best` and a
    slightly worse value can count as an improvement; use `threshold_mode="abs"` for a value that
    can be negative.

    Args:
        factor: multiplier applied at each reduction, in (0, 1).
        patience: bad evaluations tolerated; the next one triggers a change. An integer >= 0.
        threshold: how much better than `best` a value must be to count, >= 0 (< 1 for `"rel"`).
        threshold_mode: `"rel"` (a fraction of `best`) or `"abs"` (in the value's own units).
        mode: `"min"` when smaller is better (a loss), `"max"` when larger is (an accuracy).
        cooldown: evaluations after each change that cannot count as bad. An integer >= 0.
        min_scale: the floor of the multiplier, in [0, 1].
        raise_factor: None, or a number > 1. When a change is due and the previous change was a
            reduction that brought no improvement at all since it was made, the multiplier becomes
            `min(multiplier * raise_factor, 1)` instead of being reduced again: the smaller rate
            did not help, so go back up. The change after a raise is a reduction again, so with
            `raise_factor = 1 / factor` and no progress the multiplier alternates between two
            levels; a smaller `raise_factor` (0.1 down, 3 up) makes it drift down in a sawtooth.
            The multiplier never exceeds 1, the schedule's own rate.
        monitor: `"metric"` or `"loss"`, the keyword of `observe` that is watched; calls where it
            is None are ignored, so a loop may call `observe(step, loss=...)` every step while the
            plateau watches the validation metric.
    """

    type_name: ClassVar[str] = "plateau"

    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    threshold_mode: str = "rel"
    mode: str = "min"
    cooldown: int = 0
    min_scale: float = 0.0
    raise_factor: float | None = None
    monitor: str = "metric"
    _state: _PlateauState = field(default_factory=_PlateauState, init=False, repr=False)

    def __post_init__(self) -> None:
        factor = _number("factor", self.factor)
        _check("factor", factor, 0.0 < factor < 1.0, "0 < factor < 1")
        _count("patience", self.patience)
        _choice("threshold_mode", self.threshold_mode, ("rel", "abs"))
        threshold = _number("threshold", self.threshold)
        if self.threshold_mode == "rel":
            _check("threshold", threshold, 0.0 <= threshold < 1.0, "0 <= threshold < 1 for 'rel'")
        else:
            _check("threshold", threshold, 0.0 <= threshold < math.inf, "finite, >= 0")
        _choice("mode", self.mode, ("min", "max"))
        _count("cooldown", self.cooldown)
        min_scale = _number("min_scale", self.min_scale)
        _check("min_scale", min_scale, 0.0 <= min_scale <= 1.0, "0 <= min_scale <= 1")
        if self.raise_factor is not None:
            raise_factor = _number("raise_factor", self.raise_factor)
            _check(
                "raise_factor", raise_factor, 1.0 < raise_factor < math.inf, "None or finite > 1"
            )
            object.__setattr__(self, "raise_factor", raise_factor)
        _choice("monitor", self.monitor, ("metric", "loss"))
        object.__setattr__(self, "factor", factor)
        object.__setattr__(self, "threshold", threshold)
        object.__setattr__(self, "min_scale", min_scale)

    @property
    def multiplier(self) -> float:
        """The factor on the schedule's rate: 1 until the first reduction, never below min_scale."""
        return self._state.multiplier

    @property
    def reductions(self) -> int:
        """How many times a reduction lowered the multiplier (not counting ones min_scale held)."""
        return self._state.reductions

    def observe(
        self,
        step: int,
        *,
        loss: float | None = None,
        metric: float | None = None,
        grad_norm: float | None = None,
    ) -> None:
        """Count one evaluation of the watched value; `step` and the other values are ignored."""
        value = metric if self.monitor == "metric" else loss
        if value is None:
            return
        state = self._state
        value = float(value)
        if self._improves(value):
            state.best = value
            state.num_bad = 0
            state.improved_since_change = True
        else:
            state.num_bad += 1
        if state.cooldown_counter > 0:
            state.cooldown_counter -= 1
            state.num_bad = 0
        if state.num_bad > self.patience:
            self._change()
            state.cooldown_counter = self.cooldown
            state.num_bad = 0

    def state_dict(self) -> dict[str, Any]:
        """The state as JSON values; `best` is None until a finite value has been observed."""
        return dataclasses.asdict(self._state)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a `state_dict()`; checks every key and value before changing anything."""
        names = [f.name for f in dataclasses.fields(_PlateauState)]
        missing = [name for name in names if name not in state]
        extra = sorted(set(state) - set(names))
        if missing or extra:
            raise ControllerError(
                f"bad plateau state: missing keys {missing}, unexpected keys {extra}"
            )
        best = state["best"]
        if best is not None:
            best = _number("best", best)
            _check("best", best, math.isfinite(best), "None or a finite number")
        multiplier = _number("multiplier", state["multiplier"])
        _check(
            "multiplier",
            multiplier,
            self.min_scale <= multiplier <= 1.0,
            f"{self.min_scale!r} <= multiplier <= 1",
        )
        _choice("last_action", state["last_action"], _ACTIONS)
        improved = state["improved_since_change"]
        _check("improved_since_change", improved, isinstance(improved, bool), "true or false")
        restored = _PlateauState(
            best=best,
            num_bad=_count("num_bad", state["num_bad"]),
            cooldown_counter=_count("cooldown_counter", state["cooldown_counter"]),
            multiplier=multiplier,
            reductions=_count("reductions", state["reductions"]),
            last_action=state["last_action"],
            improved_since_change=improved,
        )
        for name in names:
            setattr(self._state, name, getattr(restored, name))

    def _improves(self, value: float) -> bool:
        best = self._state.best
        if not math.isfinite(value):
            return False
        if best is None:
            return True
        rel = self.threshold_mode == "rel"
        if self.mode == "min":
            return value < (best * (1.0 - self.threshold) if rel else best - self.threshold)
        return value > (best * (1.0 + self.threshold) if rel else best + self.threshold)

    def _change(self) -> None:
        state = self._state
        if (
            self.raise_factor is not None
            and state.last_action == "reduce"
            and not state.improved_since_change
        ):
            state.multiplier = min(state.multiplier * self.raise_factor, 1.0)
            state.last_action = "raise"
        else:
            reduced = max(state.multiplier * self.factor, self.min_scale)
            if reduced < state.multiplier:
                state.reductions += 1
            state.multiplier = reduced
            state.last_action = "reduce"
        state.improved_since_change = False


def _check(name: str, value: object, ok: bool, allowed: str) -> None:
    if not ok:
        raise ControllerError(f"{name}={value!r} is invalid; allowed: {allowed}")


def _number(name: str, value: object) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    _check(name, value, ok, "a number")
    return float(value)


def _count(name: str, value: object) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    _check(name, value, ok, "an integer >= 0")
    return value


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    _check(name, value, value in allowed, " or ".join(repr(a) for a in allowed))
