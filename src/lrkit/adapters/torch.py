"""`LRSchedule`: an lrkit schedule as a real `torch.optim.lr_scheduler.LRScheduler`.

It drops in wherever torch's schedulers go (plain loops, Lightning, Hugging Face, SequentialLR):
call `optimizer.step()` then `scheduler.step()` once per update. The rate is always the closed form
`schedule(step) * controller.multiplier * scale` — never a recursive update that drifts — times
each group's ratio to the optimizer's default rate (discriminative rates; groups added later are
scheduled too). With `count="updates"` the step is the number of optimizer updates actually
applied; `retarget` moves the schedule's end without a jump; `lr_as_tensor` keeps a compiled
optimizer step from recompiling. `RateRecorder` audits the rates the updates used.
"""

from __future__ import annotations

import operator
import warnings
import weakref
from typing import Any, Literal

import torch
from torch.optim.lr_scheduler import EPOCH_DEPRECATION_WARNING, LRScheduler

from ..control import Controller
from ..schedules import TEMPLATES, Schedule, ScheduleError, parse, template
from ._torch_groups import adopt_groups, default_rate, group_ratios, write_rates, written_rate
from ._torch_horizon import Horizon
from ._torch_recorder import Mismatch, RateRecorder

__all__ = ["LRSchedule", "Mismatch", "RateRecorder"]

_DRIFT = (
    "LRSchedule.step() was called without an optimizer update since its previous step (called "
    "before optimizer.step(), after a step GradScaler skipped, or once per micro-batch), so the "
    "schedule ran ahead of the updates applied; build it with count='updates' to follow them"
)


class LRSchedule(LRScheduler):
    """Apply `schedule` (a Schedule, a spec string or a template name) to `optimizer`, times a
    controller's multiplier and `scale` (1.0; a divergence guard lowers it; takes effect at the
    next `step()`).

    A template name (`"cosine"`, `"warmup_cosine"`, ...) is filled as the CLI fills it: with the
    optimizer's default rate and `steps`, the run's length. After construction the optimizer holds
    the rate for step 0. `count="calls"` moves one step per `step()`; `count="updates"` moves to
    the number of `optimizer.step()` calls that actually ran, so extra calls, gradient accumulation
    and steps GradScaler skipped cannot shift the schedule. `lr_as_tensor=True` holds each group's
    rate in a 0-dim tensor updated in place, for `torch.compile`d optimizer steps.
    `observe(metric=...)` feeds the controller.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedule: Schedule | str,
        controller: Controller | None = None,
        last_epoch: int = -1,
        *,
        steps: int | None = None,
        count: Literal["calls", "updates"] = "calls",
        lr_as_tensor: bool = False,
    ) -> None:
        self.schedule = _resolve(schedule, optimizer, steps)
        if count not in ("calls", "updates"):
            raise ScheduleError(f"count must be 'calls' or 'updates', got {count!r}")
        self.controller = controller
        self.count = count
        self.lr_as_tensor = lr_as_tensor
        self.scale = 1.0
        self.horizon = Horizon()
        self.ratios = group_ratios(optimizer, last_epoch)
        self._pending = 0  # optimizer updates applied since the last step()
        super().__init__(optimizer, last_epoch)
        _count_updates(self)

    def step(self, epoch: int | None = None) -> None:
        """Move the schedule on and write its rate into every param group.

        With count="calls" each call is one step, and a call with no update since the previous one
        warns (the schedule runs ahead). With count="updates" a call moves by the updates applied
        since the previous one, so extra calls change nothing. The deprecated `step(epoch)` jumps to
        `epoch`, with torch's deprecation warning.
        """
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            self._step_count += 1
            self._update_lr(epoch)
            return
        if self._step_count:
            self._step_count += 1
            if self.count == "updates":
                self.last_epoch += self._pending
            else:
                if not self._pending:
                    warnings.warn(_DRIFT, UserWarning, stacklevel=2)
                self.last_epoch += 1
        else:  # torch's initial step, from __init__ (and SequentialLR's)
            self._step_count = 1
            self.last_epoch += 1
        self._pending = 0
        self._write()

    def _update_lr(self, epoch: int | None = None) -> None:
        """torch's jump to an explicit step (`step(epoch)`, SequentialLR at a milestone): updates
        counted before the jump must not carry the schedule past it."""
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        self._pending = 0
        self._write()

    def refresh(self) -> None:
        """Write the current step's rate again without moving the schedule, e.g. after the
        controller's multiplier or `scale` changed and the next update should already use it."""
        self._write()

    def get_lr(self) -> list[float]:
        """The closed-form rate for `last_epoch`, one per param group."""
        rate = self.rate_at(self.last_epoch)
        return [rate * ratio for ratio in self.ratios]

    def current_rate(self) -> float:
        """The rate at the current step for a group at the optimizer's default rate."""
        return self.rate_at(self.last_epoch)

    def rate_at(self, step: int) -> float:
        """The rate at `step`: the schedule (through any retarget) times the controller's current
        multiplier and `scale`; what a `RateRecorder` compares the applied rates with."""
        horizon = self.horizon
        rate = self.schedule(horizon(step) if horizon.pieces else step)
        if self.controller is not None:
            rate *= self.controller.multiplier
        return rate * self.scale

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
        """Restore the step count, pending updates, scale, any retarget and the controller's state,
        and put the saved rates back into the param groups: the next update uses the rate it would
        have used without the interruption, whether the optimizer's state was loaded before this
        scheduler was built or after. The schedule stays the one this scheduler was built with: to
        resume with a new horizon, build it with the saved spec (`state_dict["schedule"]`) and
        call `retarget`."""
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
        write_rates(self.optimizer.param_groups, 1.0, self._last_lr, self.lr_as_tensor)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A copy (`copy.deepcopy`, pickle) counts the updates of its own optimizer: hooks are not
        part of an optimizer's pickled state, so the copy registers its own."""
        self.__dict__.update(state)
        _count_updates(self)

    def _write(self) -> None:
        """Write the current rate into every group (adopting groups added since the last write);
        `_last_lr` keeps the closed form as floats."""
        groups = self.optimizer.param_groups
        if len(groups) != len(self.ratios):
            self._adopt_groups()
        self._last_lr = write_rates(groups, self.rate_at(self.last_epoch), self.ratios, self.lr_as_tensor)

    def _adopt_groups(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) < len(self.ratios):
            raise ScheduleError(
                f"the optimizer has {len(groups)} param groups, fewer than the {len(self.ratios)} this "
                "scheduler sets; param groups can be added, not removed"
            )
        added = adopt_groups(self.optimizer, self.ratios, written_rate(self._last_lr, self.ratios))
        self.ratios = [*self.ratios, *added]
        self.base_lrs = [*self.base_lrs, *(group["initial_lr"] for group in groups[len(self.base_lrs):])]


def _resolve(schedule: Schedule | str, optimizer: torch.optim.Optimizer, steps: int | None) -> Schedule:
    """A Schedule, a spec, or a template name filled with the default rate and `steps` (as the
    CLI fills it; `steps` is the run's length, and a full spec keeps its own)."""
    if isinstance(schedule, Schedule):
        return schedule
    if not isinstance(schedule, str):
        raise ScheduleError(f"LRSchedule needs a Schedule or a spec string, got {schedule!r}")
    name = schedule.strip()
    if name not in TEMPLATES:
        return parse(schedule)
    if steps is None:
        raise ScheduleError(
            f"the template {name!r} is filled with the run's length: pass steps=N "
            f"(LRSchedule(optimizer, {name!r}, steps=N)) or write a full spec"
        )
    lr = default_rate(optimizer)
    if not lr or lr <= 0:
        lr = float(optimizer.param_groups[0].get("initial_lr", optimizer.param_groups[0]["lr"]))
    return template(name, lr, operator.index(steps))


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
