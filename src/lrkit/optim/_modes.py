"""Switch an optimizer between training and evaluation points; a no-op for ordinary optimizers."""

from __future__ import annotations

import torch


def train_mode(optimizer: torch.optim.Optimizer) -> None:
    """Call ``optimizer.train()`` where it exists (schedule-free); call before training steps."""
    _switch(optimizer, "train")


def eval_mode(optimizer: torch.optim.Optimizer) -> None:
    """Call ``optimizer.eval()`` where it exists (schedule-free); call before evaluating, saving."""
    _switch(optimizer, "eval")


def _switch(optimizer: torch.optim.Optimizer, method: str) -> None:
    switch = getattr(optimizer, method, None)
    if callable(switch):
        switch()
