"""Run an lrkit schedule (and controller) in a Hugging Face `Trainer`.

The Trainer steps any torch scheduler once per optimizer update (after gradient accumulation, not
after a step the gradient scaler skipped), so lrkit's `LRSchedule` is the whole adapter: pass
`optimizers=(optimizer, LRSchedule(optimizer, spec))`, or let `attach_schedule` put it on the
optimizer the Trainer builds itself. `ControllerCallback` feeds evaluation metrics to a controller.
"""

from __future__ import annotations

from typing import Any

from transformers import Trainer, TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from ..control import Controller, parse_controller
from ..errors import LrkitError
from ..schedules import Schedule
from .torch import LRSchedule


class ControllerCallback(TrainerCallback):
    """After each evaluation, give the `monitor` metric ("eval_" prefix optional, as in
    `metric_for_best_model`) to the Trainer's LRSchedule controller; a change applies from the next update."""

    def __init__(self, monitor: str = "eval_loss") -> None:
        self.monitor = monitor if monitor.startswith("eval_") else f"eval_{monitor}"

    def on_evaluate(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        metrics: dict[str, float] | None = None,
        lr_scheduler: Any = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(lr_scheduler, LRSchedule) or lr_scheduler.controller is None:
            raise LrkitError(
                "ControllerCallback needs the Trainer's lr_scheduler to be an LRSchedule with a controller"
            )
        value = (metrics or {}).get(self.monitor)
        if value is None:
            logged = ", ".join(sorted(metrics or {})) or "nothing"
            raise LrkitError(
                f"ControllerCallback watches {self.monitor!r}, which the evaluation did not report "
                f"(it reported: {logged}); pass monitor=..."
            )
        lr_scheduler.observe(metric=float(value))
        lr_scheduler.refresh()  # a new multiplier applies from the next update, not the one after


def attach_schedule(
    trainer: Trainer,
    schedule: Schedule | str,
    controller: Controller | str | None = None,
    *,
    monitor: str = "eval_loss",
) -> LRSchedule:
    """Make `trainer` follow `schedule` on its own optimizer (built now from its `args`, with its
    weight-decay groups, unless one was passed); a controller also gets a `ControllerCallback(monitor)`.

    The schedule's rates are absolute: `args.learning_rate` and `args.lr_scheduler_type` no longer
    matter. Not for FSDP or DeepSpeed, where the Trainer must build the optimizer after wrapping the model.
    """
    if trainer.lr_scheduler is not None:
        raise LrkitError(
            "this Trainer already has an lr_scheduler; build it without one to attach a schedule"
        )
    controller = parse_controller(controller) if isinstance(controller, str) else controller
    scheduler = LRSchedule(trainer.create_optimizer(), schedule, controller)
    trainer.lr_scheduler = scheduler
    if controller is not None:
        trainer.add_callback(ControllerCallback(monitor))
    return scheduler
