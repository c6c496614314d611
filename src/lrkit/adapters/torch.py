"""`LRSchedule`: an lrkit schedule as a real `torch.optim.lr_scheduler.LRScheduler`.

It drops in wherever torch's schedulers go (plain loops, Lightning, Hugging Face): call
`optimizer.step()` then `scheduler.step()` once per update. The rate is always the closed form
`schedule(step) * controller.multiplier` — never a recursive update that drifts — and groups whose
initial rate differs from the optimizer's default keep that ratio (discriminative rates).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.optim.lr_scheduler import LRScheduler

from ..control import Controller
from ..schedules import Schedule, ScheduleError, parse


class LRSchedule(LRScheduler):
    """Apply `schedule` (a Schedule or a spec string) to `optimizer`, times a controller's multiplier.

    After construction the optimizer holds the rate for step 0; each `step()` moves to the next.
    `observe(metric=...)` feeds the controller (e.g. a Plateau) at the current step.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedule: Schedule | str,
        controller: Controller | None = None,
        last_epoch: int = -1,
    ) -> None:
        self.schedule = parse(schedule) if isinstance(schedule, str) else schedule
        if not isinstance(self.schedule, Schedule):
            raise ScheduleError(f"LRSchedule needs a Schedule or a spec string, got {schedule!r}")
        self.controller = controller
        self.ratios = _group_ratios(optimizer, last_epoch)
        super().__init__(optimizer, last_epoch)

    def step(self, epoch: int | None = None) -> None:
        """Move to the next step and write its rate into every param group.

        The first step and the deprecated `step(epoch)` go through torch's own path (with its
        call-order check); later steps skip torch's generic bookkeeping, which costs more than
        the closed form itself.
        """
        if epoch is not None or self._step_count <= 1:
            super().step(epoch)
            return
        self._step_count += 1
        self.last_epoch += 1
        rate = self.current_rate()
        last = []
        for group, ratio in zip(self.optimizer.param_groups, self.ratios):
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(rate * ratio)
                last.append(group["lr"].clone())
            else:
                group["lr"] = rate * ratio
                last.append(group["lr"])
        self._last_lr = last

    def get_lr(self) -> list[float]:
        """The closed-form rate for `last_epoch`, one per param group."""
        rate = self.current_rate()
        return [rate * ratio for ratio in self.ratios]

    def current_rate(self) -> float:
        """The schedule's rate at the current step times the controller's multiplier."""
        multiplier = 1.0 if self.controller is None else self.controller.multiplier
        return self.schedule(self.last_epoch) * multiplier

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
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the step count and the controller's state; the schedule itself stays the one
        this scheduler was built with (so a resumed run may use a new horizon)."""
        self.last_epoch = int(state_dict["last_epoch"])
        self._step_count = int(state_dict["_step_count"])
        self.base_lrs = list(state_dict["base_lrs"])
        self._last_lr = list(state_dict["_last_lr"])
        self.ratios = list(state_dict["ratios"])
        controller_state = state_dict.get("controller")
        if (controller_state is None) != (self.controller is None):
            raise ScheduleError(
                "the saved scheduler and this one differ in having a controller; build it the same way"
            )
        if self.controller is not None:
            self.controller.load_state_dict(controller_state)


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
