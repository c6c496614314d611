"""Carry a tuned learning rate and warmup over to another batch size.

A rate tuned at one batch size is rarely right at another; these are the two published rules
for moving it, plus the matching change in warmup length, so a recipe can be rescaled by hand.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from ._base import ScheduleError, choice, count, positive

_RULES = ("linear", "sqrt")


def scale_lr(lr: float, from_batch: int, to_batch: int, rule: str = "linear") -> float:
    """The rate for `to_batch` given a rate `lr` tuned at `from_batch`.

    `"linear"` multiplies by `to_batch / from_batch`: Goyal et al. 2017, "Accurate, Large
    Minibatch SGD: Training ImageNet in 1 Hour" (arXiv:1706.02677), for SGD with momentum.
    `"sqrt"` multiplies by `sqrt(to_batch / from_batch)`, keeping the gradient noise constant:
    proposed by Krizhevsky 2014, "One weird trick for parallelizing convolutional neural networks"
    (arXiv:1404.5997), and Hoffer et al. 2017 (arXiv:1705.08741); it is the rule derived for Adam
    by Malladi et al. 2022, "On the SDEs and Scaling Rules for Adaptive Gradient Algorithms"
    (arXiv:2205.10287). Either rule holds only up to a problem-dependent batch size.
    """
    lr = positive(lr, "lr")
    ratio = _batch(to_batch, "to_batch") / _batch(from_batch, "from_batch")
    rule = choice(rule, "rule", _RULES)
    return lr * (ratio if rule == "linear" else math.sqrt(ratio))


def scale_warmup(steps: int, from_batch: int, to_batch: int) -> int:
    """The warmup length in steps at `to_batch` that covers the same number of examples.

    Goyal et al. 2017 (arXiv:1706.02677) keep the warmup fixed in epochs (5) as the batch grows,
    so its number of steps shrinks by `from_batch / to_batch`. Rounded up, so the warmup never
    sees fewer examples; 0 stays 0. The same conversion applies to any length that should stay
    fixed in epochs, such as the whole run.
    """
    steps = count(steps, "steps", minimum=0)
    from_batch, to_batch = _batch(from_batch, "from_batch"), _batch(to_batch, "to_batch")
    return -(-steps * from_batch // to_batch)


def _batch(value: Any, field: str) -> int:
    """A batch size: a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ScheduleError(f"{field} must be a batch size, a whole number >= 1, got {value!r}", field)
    return int(value)
