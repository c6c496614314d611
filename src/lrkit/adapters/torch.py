"""`LRSchedule`: an lrkit schedule as a real `torch.optim.lr_scheduler.LRScheduler`.

It drops in wherever torch's schedulers go (plain loops, Lightning, Hugging Face): call
`optimizer.step()` then `scheduler.step()` once per update. The rate is always the closed form
`schedule(step) * controller.multiplier * scale` — never a recursive update that drifts — and groups
whose initial rate differs from the optimizer's default keep that ratio (discriminative rates).
With `count="updates"` the step is the number of optimizer updates actually applied; `retarget`
moves the schedule's end without a jump; `lr_as_tensor` keeps a compiled optimizer step from
recompiling. `RateRecorder` audits the rates the updates used.
"""

from __future__ import annotations

import math
import operator
import warnings
import weakref
from typing import Any, Literal

import torch
from torch.optim.lr_scheduler import LRScheduler

from ..control import Controller
from ..schedules import Schedule, ScheduleError, parse
from ._torch_horizon import Horizon
from ._torch_recorder import Mismatch, RateRecorder

__all__ = ["LRSchedule", "Mismatch", "RateRecorder"]

_DRIFT = (
    "LRSchedule.step() was called without an optimizer update since its previous step (called "
    "before optimizer.step(), after a step GradScaler skipped, or once per micro-batch), so the "
    "schedule ran ahead of the updates applied; build it with count='updates' to follow them"
)


class LRSchedule(LRScheduler):
    """Apply `schedule` (a Schedule or a spec string) to `optimizer`, times a controller's multiplier
    and `scale` (1.0; a divergence guard lowers it; takes effect at the next `step()`).

    After construction the optimizer holds the rate for step 0. `count="calls"` moves one step per
    `step()`; `count="updates"` moves to the number of `optimizer.step()` calls that actually ran,
    so extra calls, gradient accumulation and steps GradScaler skipped cannot shift the schedule.
    `lr_as_tensor=True` holds each group's rate in a 0-dim tensor updated in place, for
    `torch.compile`d optimizer steps. `observe(metric=...)` feeds the controller.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedule: Schedule | str,
        controller: Controller | None = None,
        last_epoch: int = -1,
        *,
        count: Literal["calls", "updates"] = "calls",
        lr_as_tensor: bool = False,
    ) -> None:
        self.schedule = parse(schedule) if isinstance(schedule, str) else schedule
        if not isinstance(self.schedule, Schedule):
            raise ScheduleError(f"LRSchedule needs a Schedule or a spec string, got {schedule!r}")
        if count not in ("calls", "updates"):
            raise ScheduleError(f"count must be 'calls' or 'updates', got {count!r}")
        self.controller = controller
        self.count = count
        self.lr_as_tensor = lr_as_tensor
        self.scale = 1.0
        self.horizon = Horizon()
        self.ratios = _group_ratios(optimizer, last_epoch)
        self._pending = 0  # optimizer updates applied since the last step()
        super().__init__(optimizer, last_epoch)
        _count_updates(self)

    def step(self, epoch: int | None = None) -> None:
        """Move the schedule on and write its rate into every param group.

        With count="calls" each call is one step, and a call with no update since the previous one
        warns (the schedule runs ahead). With count="updates" a call moves by the updates applied
        since the previous one, so extra calls change nothing. The deprecated `step(epoch)` jumps to
        `epoch` through torch's own path.
        """
        if epoch is not None:
            super().step(epoch)
        elif self._step_count == 0:  # torch's initial step, from __init__
            self._step_count = 1
            self.last_epoch += 1
        else:
            self._step_count += 1
            if self.count == "updates":
                self.last_epoch += self._pending
            else:
                if self._pending == 0:
                    warnings.warn(_DRIFT, UserWarning, stacklevel=2)
                self.last_epoch += 1
        self._pending = 0
        self._write()

    def refresh(self) -> None:
        """Write the current step's rate again without moving the schedule, e.g. after the
        controller's multiplier or `scale` changed and the next update should already use it."""
        self._write()

    def get_lr(self) -> list[float]:
        """The closed-form rate for `last_epoch`, one per param group."""
        rate = self.current_rate()
        return [rate * ratio for ratio in self.ratios]

    def _get_closed_form_lr(self) -> list[float]:
        """torch's hook for a jump to an explicit step (`step(epoch)`, SequentialLR's milestones):
        updates counted before the jump must not carry the schedule past it."""
        self._pending = 0
        return self.get_lr()

    def current_rate(self) -> float:
        """The rate at the current step for a group at the optimizer's default rate."""
        return self.rate_at(self.last_epoch)

    def rate_at(self, step: int) -> float:
        """The rate at `step`: the schedule (through any retarget) times the controller's current
        multiplier and `scale`; what a `RateRecorder` compares the applied rates with."""
        multiplier = 1.0 if self.controller is None else self.controller.multiplier
        return self.schedule(self.horizon(step)) * multiplier * self.scale

    def retarget(self, total_steps: int) -> None:
        """End the schedule at `total_steps` instead of its own length: the current rate stays and
        the rest of the schedule is stretched or squeezed over the steps left, so a resumed run can
        be longer or shorter without a jump. After the end the final rate holds."""
        total = operator.index(total_steps)
        length = self.schedule.length
        if length is None:
            raise ScheduleError(f"{self.schedule} never ends, so it has no horizon to move; give it steps=N")
        if total <= self.last_epoch:
            raise ScheduleError(
                f"the new horizon must end after the current step {self.last_epoch}, got {total}"
            )
        self.horizon = self.horizon.stretched(self.last_epoch, total, length)

    def observe(self, **observation: float | None) -> None:
        """Pass an observation (loss=, metric=, grad_norm=) to the controller at the current step."""
        if self.controller is None:
            raise ScheduleError("this LRSchedule has no controller to observe; pass controller=...")
        self.controller.observe(self.last_epoch, **observation)

    def state_dict(self) -> dict[str, Any]:
        """Plain values only (loadable with `torch.load(..., weights_only=True)`)."""
        return {
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "base_lrs": [float(lr) for lr in self.base_lrs],
            "_last_lr": [float(lr) for lr in self._last_lr],
            "ratios": list(self.ratios),
            "schedule": str(self.schedule),
            "controller": None if self.controller is None else self.controller.state_dict(),
            "scale": self.scale,
            "horizon": self.horizon.to_list(),
            "pending": self._pending,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the step count, pending updates, scale, any retarget and the controller's state.
        The schedule stays the one this scheduler was built with: to resume with a new horizon,
        build it with the saved spec (`state_dict["schedule"]`) and call `retarget`."""
        horizon = Horizon.from_list(state_dict.get("horizon", []))
        if horizon.pieces and horizon.pieces[-1][3] != self.schedule.length:
            raise ScheduleError(
                f"the saved scheduler retargeted {state_dict.get('schedule')}, not {self.schedule}; "
                "build it with the saved spec"
            )
        controller_state = state_dict.get("controller")
        if (controller_state is None) != (self.controller is None):
            raise ScheduleError(
                "the saved scheduler and this one differ in having a controller; build it the same way"
            )
        self.last_epoch = int(state_dict["last_epoch"])
        self._step_count = int(state_dict["_step_count"])
        self.base_lrs = list(state_dict["base_lrs"])
        self._last_lr = list(state_dict["_last_lr"])
        self.ratios = list(state_dict["ratios"])
        self.scale = float(state_dict.get("scale", 1.0))
        self.horizon = horizon
        self._pending = int(state_dict.get("pending", 0))
        if self.controller is not None:
            self.controller.load_state_dict(controller_state)

    def _write(self) -> None:
        """Write the current rate into every group: tensors in place (never read back, so no device
        sync); `_last_lr` keeps the closed form as floats."""
        rate = self.current_rate()
        self._last_lr = [rate * ratio for ratio in self.ratios]
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            held = group["lr"]
            if isinstance(held, torch.Tensor):
                held.fill_(lr)
            elif self.lr_as_tensor:
                group["lr"] = _rate_tensor(lr, group)
            else:
                group["lr"] = lr


def _count_updates(scheduler: LRSchedule) -> None:
    """Add each `optimizer.step()` that runs to `scheduler._pending` (a post-hook: a step GradScaler
    skips never reaches it); the hook is removed when the scheduler is collected."""
    ref = weakref.ref(scheduler)

    def counted(optimizer: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
        alive = ref()
        if alive is not None:
            alive._pending += 1

    handle = scheduler.optimizer.register_step_post_hook(counted)
    weakref.finalize(scheduler, handle.remove)


def _rate_tensor(lr: float, group: dict[str, Any]) -> torch.Tensor:
    """A 0-dim CPU tensor holding `lr`, as torch's compiled-optimizer recipe uses: float32 (the
    precision a float32 update applies anyway), float64 for groups with float64 parameters."""
    wide = any(param.dtype == torch.float64 for param in group["params"])
    return torch.tensor(lr, dtype=torch.float64 if wide else torch.float32)


def _group_ratios(optimizer: torch.optim.Optimizer, last_epoch: int) -> list[float]:
    """Each group's initial rate relative to the optimizer's default rate (1.0 when no default)."""
    default = optimizer.defaults.get("lr")
    default = float(default) if default is not None else 0.0
    key = "lr" if last_epoch == -1 else "initial_lr"
    ratios = []
    for group in optimizer.param_groups:
        initial = float(group.get("initial_lr", group[key]))
        ratios.append(initial / default if default > 0 and math.isfinite(initial) else 1.0)
    return ratios
