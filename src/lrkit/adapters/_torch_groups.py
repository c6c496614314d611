"""How `LRSchedule` sets each param group's rate: the closed form times the group's ratio.

A group present when the scheduler is built keeps the ratio of its initial rate to the optimizer's
default rate (discriminative rates). A group added later (`optimizer.add_param_group`, progressive
unfreezing) keeps the ratio of its own rate to the rate a default-rate group had when it was
added, so it goes on from its own rate and then moves as the schedule does: what torch's
chainable schedulers (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR) do with such a group.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ..schedules import ScheduleError


def default_rate(optimizer: torch.optim.Optimizer) -> float | None:
    """The optimizer's default rate as it was built, or None without one.

    A tensor default (`SGD(params, lr=torch.tensor(2.0))`) is the very tensor the groups that use
    it hold, and every scheduler writes their rate into it in place; its value then is the current
    rate, not the default. Such a group's `initial_lr`, copied by the first scheduler before it
    wrote anything, still holds the default.
    """
    default = optimizer.defaults.get("lr")
    if isinstance(default, torch.Tensor):
        for group in optimizer.param_groups:
            if group["lr"] is default and "initial_lr" in group:
                return float(group["initial_lr"])
    return None if default is None else float(default)


def group_ratios(optimizer: torch.optim.Optimizer, last_epoch: int) -> list[float]:
    """Each group's initial rate relative to the default rate (1.0 where there is no default).

    The initial rate is the group's `initial_lr` (set by the first scheduler, and kept in the
    optimizer's state_dict), else its `lr` for a fresh scheduler; resuming one (`last_epoch` >= 0)
    needs `initial_lr`, as in torch.
    """
    default = default_rate(optimizer)
    ratios = []
    for index, group in enumerate(optimizer.param_groups):
        if "initial_lr" not in group and last_epoch != -1:
            raise ScheduleError(
                f"param group {index} has no 'initial_lr', which resuming with last_epoch={last_epoch} "
                "needs: load the optimizer's saved state first, or leave last_epoch at -1"
            )
        ratios.append(_ratio(float(group.get("initial_lr", group["lr"])), default))
    return ratios


def adopt_groups(optimizer: torch.optim.Optimizer, ratios: list[float], written: float) -> list[float]:
    """The ratios of the groups added after the first `len(ratios)`: each group's rate over
    `written`, the rate a default-rate group held while it was added (over the default rate when
    that was 0). Each such group gets the `initial_lr` its ratio stands for, as torch gives the
    groups a scheduler starts with, so a scheduler built on a resumed optimizer finds it."""
    default = default_rate(optimizer)
    added = []
    for group in optimizer.param_groups[len(ratios):]:
        rate = float(group["lr"])
        ratio = rate / written if written > 0 and math.isfinite(written) else _ratio(rate, default)
        group.setdefault("initial_lr", ratio * default if default else rate)
        added.append(ratio)
    return added


def _ratio(rate: float, default: float | None) -> float:
    return rate / default if default and default > 0 and math.isfinite(rate) else 1.0


def written_rate(last_lr: list[float], ratios: list[float]) -> float:
    """The rate a default-rate group was last given, read back from the rates last written."""
    return next((lr / ratio for lr, ratio in zip(last_lr, ratios) if ratio), 0.0)


def write_rates(
    groups: list[dict[str, Any]], rate: float, ratios: list[float], as_tensor: bool
) -> list[float]:
    """Write `rate * ratio` into each group and return those rates: a tensor rate in place (never
    read back, so no device sync), a float rate as a float, or as a new 0-dim tensor with
    `as_tensor`. One pass, and the float case tested first: on the hot path of every step,
    `isinstance(x, torch.Tensor)` (through torch's metaclass) costs as much as the write itself."""
    rates = []
    for group, ratio in zip(groups, ratios):
        lr = rate * ratio
        rates.append(lr)
        held = group["lr"]
        if type(held) is float and not as_tensor:
            group["lr"] = lr
        elif isinstance(held, torch.Tensor):
            held.fill_(lr)
        elif as_tensor:
            group["lr"] = _rate_tensor(lr, group)
        else:
            group["lr"] = lr
    return rates


def _rate_tensor(lr: float, group: dict[str, Any]) -> torch.Tensor:
    """A 0-dim CPU tensor holding `lr`, as torch's compiled-optimizer recipe uses: float32 (the
    precision a float32 update applies anyway), float64 for groups with float64 parameters."""
    wide = any(param.dtype == torch.float64 for param in group["params"])
    return torch.tensor(lr, dtype=torch.float64 if wide else torch.float32)
