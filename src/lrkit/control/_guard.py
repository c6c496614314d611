"""`DivergenceGuard`: catch a NaN, infinite or spiking loss, go back to the last good state with a
lower learning rate, and go on; stop with `DivergenceError` when that keeps failing.

It works on any objects with torch's `state_dict()` / `load_state_dict()` (duck typed), so this
module, like the rest of the control layer, imports no torch.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import LrkitError
from ._plateau import _check, _count, _number
from ._snapshot import Snapshot, Stateful

# The rates a torch scheduler computes the next rate from: `base_lrs` (most of them), `max_lrs`
# (CyclicLR) and, in the param groups, `initial_lr`, `max_lr` and `min_lr` (OneCycleLR).
_SCHEDULER_RATES = ("base_lrs", "max_lrs")
_GROUP_RATES = ("lr", "initial_lr", "max_lr", "min_lr")
_STATE_KEYS = ("step", "lr_scale", "level", "seen")


class DivergenceError(LrkitError):
    """Training kept diverging after the guard's recoveries; the message says where and what to do."""


@dataclass(frozen=True)
class GuardEvent:
    """One intervention: at check `step` the loss was `loss` ("nan", "inf" or a "spike": `reason`),
    so the guard did `action` ("restore" or "stop"). `snapshot_step` is the check whose state was
    restored, `lr_scale` the guard's factor on the rate after the event."""

    step: int
    loss: float
    reason: str
    action: str
    snapshot_step: int
    lr_scale: float

    def __str__(self) -> str:
        what = "restored" if self.action == "restore" else "stopped; last good state was"
        return (
            f"step {self.step}: loss {self.loss:g} ({self.reason}), {what} the snapshot of step "
            f"{self.snapshot_step}, rate x{self.lr_scale:g}"
        )


@dataclass(frozen=True)
class _Mark:
    """What the guard knew when it took the snapshot it would go back to."""

    step: int
    level: float | None
    seen: int
    lr_scale: float


class DivergenceGuard:
    """Watch the loss of a plain PyTorch loop and undo divergence: call `check(loss)` each step,
    before `backward()`, and skip the batch when it returns True.

    A loss is bad when it is NaN or infinite, or, once `warmup` good losses have been seen, a
    spike: above `spike_factor` times its smoothed level, the lower of the moving average of good
    losses (bias-corrected, weight `smoothing` on the past) and that average when the last
    snapshot was taken, so a slow climb the average follows is caught too. Spikes count only
    while that level is positive. On a bad loss the guard restores the last snapshot of `model`,
    `optimizer` and `scheduler`, multiplies the rate by `lr_factor` for good (it survives later
    restores and scheduler steps), clears the gradients and records a `GuardEvent` in `events`
    (also passed to `callback`). A snapshot is taken at construction and then at the first good
    loss, after warmup, at least `snapshot_every` checks after the last snapshot or restore: deep
    copies in memory, or one file in `snapshot_dir`. After `max_recoveries` restores with no new
    snapshot between them, the next bad loss raises `DivergenceError`.

    With lrkit's `LRSchedule` the rate is lowered through its `scale`; with a torch scheduler
    through its `base_lrs` (and the rates in the param groups it computes from); with none, in
    each param group's `lr`.
    """

    def __init__(
        self,
        model: Stateful,
        optimizer: Stateful,
        scheduler: Stateful | None = None,
        *,
        snapshot_every: int = 50,
        spike_factor: float | None = 4.0,
        smoothing: float = 0.95,
        warmup: int = 10,
        lr_factor: float = 0.5,
        max_recoveries: int = 3,
        snapshot_dir: str | os.PathLike[str] | None = None,
        callback: Callable[[GuardEvent], None] | None = None,
    ) -> None:
        objects = {"model": model, "optimizer": optimizer, "scheduler": scheduler}
        for name, obj in objects.items():
            stateful = hasattr(obj, "state_dict") and hasattr(obj, "load_state_dict")
            optional = name == "scheduler" and obj is None
            _check(name, type(obj).__name__, stateful or optional, "an object with state_dict()")
        torch_like = hasattr(optimizer, "param_groups") and hasattr(optimizer, "zero_grad")
        _check("optimizer", type(optimizer).__name__, torch_like, "a torch optimizer")
        every = snapshot_every
        _check("snapshot_every", every, _count("snapshot_every", every) >= 1, "an integer >= 1")
        if spike_factor is not None:
            spike_factor = _number("spike_factor", spike_factor)
            _check("spike_factor", spike_factor, 1.0 < spike_factor < math.inf, "None or finite > 1")
        smoothing = _number("smoothing", smoothing)
        _check("smoothing", smoothing, 0.0 <= smoothing < 1.0, "0 <= smoothing < 1")
        lr_factor = _number("lr_factor", lr_factor)
        _check("lr_factor", lr_factor, 0.0 < lr_factor < 1.0, "0 < lr_factor < 1")
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.snapshot_every = every
        self.spike_factor = spike_factor
        self.smoothing = smoothing
        self.warmup = _count("warmup", warmup)
        self.lr_factor = lr_factor
        self.max_recoveries = _count("max_recoveries", max_recoveries)
        self.callback = callback
        self.events: list[GuardEvent] = []
        self._snapshot = Snapshot(
            {name: obj for name, obj in objects.items() if obj is not None}, snapshot_dir
        )
        self._step = 0
        self._lr_scale = 1.0
        self._level: float | None = None  # the bias-corrected moving average of good losses
        self._seen = 0  # good losses in that average
        self._recoveries = 0  # restores since the last snapshot
        self._take_snapshot(0)

    @property
    def lr_scale(self) -> float:
        """The factor the guard has multiplied the rate by so far: 1 until the first recovery."""
        return self._lr_scale

    def check(self, loss: Any) -> bool:
        """Watch one step's loss (a number or a one-element tensor); True: it was bad, the last good
        state is back with a lower rate, so skip this batch. Raises `DivergenceError` to stop."""
        value = float(loss.item() if hasattr(loss, "item") else loss)
        step = self._step
        self._step += 1
        reason = self._problem(value)
        if reason is not None:
            self._recover(step, value, reason)
            return True
        judged = self._seen >= self.warmup  # could this loss have been found to be a spike?
        self._seen += 1
        weight = (1.0 - self.smoothing) / (1.0 - self.smoothing**self._seen)
        self._level = value if self._level is None else self._level + weight * (value - self._level)
        if judged and step - self._counted_from >= self.snapshot_every:
            self._take_snapshot(step)
        return False

    def state_dict(self) -> dict[str, Any]:
        """The guard's own state as JSON values, for a checkpoint beside the model's."""
        return {"step": self._step, "lr_scale": self._lr_scale, "level": self._level, "seen": self._seen}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a `state_dict()`. Load the model, optimizer and scheduler first: this
        takes a new snapshot of them as the state to go back to."""
        _check("state", sorted(state), sorted(state) == sorted(_STATE_KEYS), f"the keys {list(_STATE_KEYS)}")
        lr_scale = _number("lr_scale", state["lr_scale"])
        _check("lr_scale", lr_scale, 0.0 < lr_scale <= 1.0, "0 < lr_scale <= 1")
        level = state["level"]
        if level is not None:
            level = _number("level", level)
            _check("level", level, math.isfinite(level), "None or a finite number")
        self._step = _count("step", state["step"])
        self._seen = _count("seen", state["seen"])
        self._lr_scale, self._level = lr_scale, level
        self._take_snapshot(self._step)

    def _problem(self, value: float) -> str | None:
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf"
        reference = self._reference()
        if reference is not None and reference > 0.0 and value > self.spike_factor * reference:
            return "spike"
        return None

    def _reference(self) -> float | None:
        """The level a spike is measured against; None while spikes do not count."""
        if self.spike_factor is None or self._seen < self.warmup or self._level is None:
            return None
        return self._level if self._mark.level is None else min(self._level, self._mark.level)

    def _take_snapshot(self, step: int) -> None:
        self._snapshot.save()
        self._mark = _Mark(step, self._level, self._seen, self._lr_scale)
        self._counted_from = step
        self._recoveries = 0

    def _recover(self, step: int, value: float, reason: str) -> None:
        mark = self._mark
        if self._recoveries >= self.max_recoveries:
            self._report(GuardEvent(step, value, reason, "stop", mark.step, self._lr_scale))
            raise DivergenceError(self._stop_message(step, value, reason))
        self._snapshot.restore()
        lr_scale = self._lr_scale * self.lr_factor
        _lower_rate(self.optimizer, self.scheduler, lr_scale / mark.lr_scale)
        self.optimizer.zero_grad()
        self._lr_scale = lr_scale
        self._level, self._seen = mark.level, mark.seen
        self._counted_from = step + 1
        self._recoveries += 1
        self._report(GuardEvent(step, value, reason, "restore", mark.step, lr_scale))

    def _report(self, event: GuardEvent) -> None:
        self.events.append(event)
        if self.callback is not None:
            self.callback(event)

    def _stop_message(self, step: int, value: float, reason: str) -> str:
        what = {"nan": "NaN", "inf": "infinite"}.get(reason)
        if what is None:
            what = f"over {self.spike_factor:g}x its smoothed level {self._reference():g}"
        tried = (
            f"after {self._recoveries} recoveries from the snapshot of step {self._mark.step} (rate "
            f"lowered to x{self._lr_scale:g}, max_recoveries={self.max_recoveries})"
            if self._recoveries
            else "and max_recoveries=0 allows no recovery"
        )
        hint = "; if such jumps are normal for this loss, raise spike_factor" if reason == "spike" else ""
        return (
            f"training diverged at step {step}: loss {value:g} is {what} {tried}; start again with a "
            f"lower learning rate, a smaller lr_factor or more max_recoveries{hint}"
        )


def _lower_rate(optimizer: Any, scheduler: Any, ratio: float) -> None:
    """Multiply the rate by `ratio` where `scheduler` (or, without one, the optimizer) keeps it."""
    keys: tuple[str, ...] = ("lr",)
    attributes = ["_last_lr"]  # what the scheduler's get_last_lr() reports
    scale = getattr(scheduler, "scale", None)
    if isinstance(scale, (float, int)) and not isinstance(scale, bool):
        # lrkit's LRSchedule: one factor on its closed form, saved in its state_dict()
        scheduler.scale = scale * ratio
    elif scheduler is not None:
        keys = _GROUP_RATES
        attributes.extend(_SCHEDULER_RATES)
    for name in attributes:
        values = getattr(scheduler, name, None)
        if isinstance(values, list):
            setattr(scheduler, name, [value * ratio for value in values])
    for group in optimizer.param_groups:
        for key in keys:
            if key in group:
                group[key] = _times(group[key], ratio)


def _times(value: Any, ratio: float) -> Any:
    """value * ratio; a tensor rate is scaled in place, since the optimizer may hold on to it."""
    if hasattr(value, "mul_"):
        return value.mul_(ratio)
    return value * ratio
