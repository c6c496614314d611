"""Optimizers by name: torch's own and learning-rate-free ones from their authors' packages.

``create_optimizer("adam", model.parameters(), 1e-3)`` builds one; ``list_optimizers()`` lists
them with their recommended learning rates and whether their package is installed. The
learning-rate-free packages (``pip install 'lrkit[free]'``) are imported only when asked for.

The one rule to know: call ``train_mode(optimizer)`` before training steps and
``eval_mode(optimizer)`` before evaluating or saving a checkpoint, for every optimizer.
Schedule-free optimizers keep the weights to evaluate apart from the weights where gradients are
taken; they start in eval mode, refuse to step until ``train_mode``, and give wrong validation
results without ``eval_mode``. For every other optimizer both calls do nothing.
"""

from __future__ import annotations

from lrkit.optim._modes import eval_mode, train_mode
from lrkit.optim._registry import OptimizerError, OptimizerInfo, create_optimizer, list_optimizers

__all__ = [
    "OptimizerError",
    "OptimizerInfo",
    "create_optimizer",
    "eval_mode",
    "list_optimizers",
    "train_mode",
]
