"""`LrkitCallback`: run an lrkit schedule, a controller and the divergence guard in a Lightning Trainer.

When training starts the callback binds an `LRSchedule` to each of the trainer's optimizers and
steps it from that optimizer's own step hook, so the schedule counts real updates: gradient
accumulation, skipped batches and manual optimization need no bookkeeping. The rate is logged under
the keys Lightning's `LearningRateMonitor` uses (`lr-SGD`, `lr-Adam-1`, `lr-AdamW/pg2`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import torch
from lightning.pytorch import Callback, LightningModule, Trainer

from ..control import Controller, DivergenceGuard, parse_controller
from ..errors import LrkitError
from ..schedules import Schedule, parse
from .torch import LRSchedule

_INTERVALS = ("step", "epoch", None)


class LrkitCallback(Callback):
    """Set every optimizer's rate to `schedule(update) * controller.multiplier` during `fit`.

    Args:
        schedule: a Schedule or a spec string; its rates are absolute (the optimizer's `lr` only
            sets the ratio between param groups).
        controller: None, a Controller or a controller spec such as "plateau(factor=0.5, patience=2)";
            it sees the `monitor` metric after each validation, and a change applies from the next update.
        guard: True, or a dict of `DivergenceGuard` keyword arguments, to check each update's loss and
            roll the module, optimizer and schedule back to the last good state when it diverges
            (one optimizer only). The guard is `callback.guard` once training starts.
        monitor: the logged validation metric the controller watches.
        logging_interval: "step" (each update), "epoch" (at each epoch's start) or None (no logging).
    """

    def __init__(
        self,
        schedule: Schedule | str,
        controller: Controller | str | None = None,
        *,
        guard: bool | dict[str, Any] = False,
        monitor: str = "val_loss",
        logging_interval: str | None = "step",
    ) -> None:
        if logging_interval not in _INTERVALS:
            raise LrkitError(f"logging_interval must be 'step', 'epoch' or None, got {logging_interval!r}")
        self.schedule = parse(schedule) if isinstance(schedule, str) else schedule
        self.controller = parse_controller(controller) if isinstance(controller, str) else controller
        self.guard_options = ({} if guard is True else dict(guard)) if guard else None
        self.monitor = monitor
        self.logging_interval = logging_interval
        self.schedulers: list[LRSchedule] = []
        self.guard: DivergenceGuard | None = None
        self._names: list[list[str]] = []
        self._hooks: list[Any] = []
        self._loss: torch.Tensor | None = None  # the current update's loss, summed over micro-batches
        self._rolled_back = False
        self._resume: dict[str, Any] = {}

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.lr_scheduler_configs:
            raise LrkitError(
                "LrkitCallback sets the learning rate itself: return only the optimizer(s) from "
                "configure_optimizers, not an lr_scheduler"
            )
        optimizers = trainer.optimizers
        steps = self._resume.pop("steps", None) or [0] * len(optimizers)
        if len(steps) != len(optimizers):
            raise LrkitError(
                f"the checkpoint holds schedules for {len(steps)} optimizers; "
                f"this Trainer has {len(optimizers)}"
            )
        self.schedulers = [
            LRSchedule(optimizer, self.schedule, self.controller, last_epoch=step - 1)
            for optimizer, step in zip(optimizers, steps)
        ]
        self._hooks = [
            optimizer.register_step_post_hook(lambda *_, scheduler=scheduler: self._after_update(scheduler))
            for optimizer, scheduler in zip(optimizers, self.schedulers)
        ]
        self._names = _monitor_names(optimizers)
        if self.guard_options is not None:
            if len(optimizers) != 1:
                raise LrkitError(
                    f"the divergence guard watches one optimizer; this Trainer has {len(optimizers)}"
                )
            self.guard = DivergenceGuard(pl_module, optimizers[0], self.schedulers[0], **self.guard_options)
            if "guard" in self._resume:
                self.guard.load_state_dict(self._resume.pop("guard"))

    def on_train_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.logging_interval == "epoch":
            self._log(pl_module, on_step=False)

    def on_train_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int
    ) -> None:
        if self.logging_interval == "step":
            self._log(pl_module, on_step=True)

    def on_before_backward(self, trainer: Trainer, pl_module: LightningModule, loss: torch.Tensor) -> None:
        if self.guard is not None:
            loss = loss.detach()  # Lightning has already divided it by accumulate_grad_batches
            self._loss = loss if self._loss is None else self._loss + loss

    def on_before_optimizer_step(
        self, trainer: Trainer, pl_module: LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        # After backward, inside optimizer.step(): a rollback clears the gradients (to None), so
        # the update that follows leaves every parameter as the snapshot had it, and the schedule
        # stays at the snapshot's step for the next update.
        if self.guard is not None and self._loss is not None:
            loss, self._loss = self._loss, None
            self._rolled_back = self.guard.check(loss)

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.controller is None or trainer.sanity_checking or not self._hooks:
            return
        value = trainer.callback_metrics.get(self.monitor)
        if value is None:
            logged = ", ".join(sorted(trainer.callback_metrics)) or "nothing"
            raise LrkitError(
                f"LrkitCallback watches {self.monitor!r}, which is not among the logged metrics ({logged}); "
                f"log it in validation_step with self.log({self.monitor!r}, ...) or pass monitor=..."
            )
        self.controller.observe(trainer.global_step, metric=float(value))
        for scheduler in self.schedulers:
            scheduler.refresh()  # a new multiplier applies from the next update, not the one after

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._release()

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        self._release()

    def state_dict(self) -> dict[str, Any]:
        """The updates each schedule has counted and the controller's and guard's state."""
        return {
            "steps": [scheduler.last_epoch for scheduler in self.schedulers],
            "controller": None if self.controller is None else self.controller.state_dict(),
            "guard": None if self.guard is None else self.guard.state_dict(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue a checkpointed run; the schedules and guard resume when training starts."""
        if self.controller is not None and state_dict["controller"] is not None:
            self.controller.load_state_dict(state_dict["controller"])
        self._resume = {"steps": state_dict["steps"]}
        if state_dict["guard"] is not None:
            self._resume["guard"] = state_dict["guard"]

    def _log(self, pl_module: LightningModule, *, on_step: bool) -> None:
        for scheduler, names in zip(self.schedulers, self._names):
            for group, name in zip(scheduler.optimizer.param_groups, names):
                pl_module.log(name, float(group["lr"]), on_step=on_step, on_epoch=not on_step, batch_size=1)

    def _after_update(self, scheduler: LRSchedule) -> None:
        if self._rolled_back:
            self._rolled_back = False
        else:
            scheduler.step()

    def _release(self) -> None:
        for hook in self._hooks:
            hook.remove()
        self._hooks = []
        self._loss = None
        self._rolled_back = False


def _monitor_names(optimizers: list[torch.optim.Optimizer]) -> list[list[str]]:
    """LearningRateMonitor's keys: `lr-<Class>`, `-1`, `-2` for repeats, `/<group name or pgN>`."""
    seen: Counter[type] = Counter()
    names = []
    for optimizer in optimizers:
        repeat = seen[type(optimizer)]
        seen[type(optimizer)] += 1
        base = f"lr-{type(optimizer).__name__}" + (f"-{repeat}" if repeat else "")
        groups = optimizer.param_groups
        keys = []
        for i, group in enumerate(groups, start=1):
            suffix = group.get("name", f"pg{i}" if len(groups) > 1 else None)
            keys.append(base if suffix is None else f"{base}/{suffix}")
        names.append(keys)
    return names
