"""Closed-loop controllers: small state machines that turn observations into a rate multiplier.

An adapter multiplies the schedule's rate by `controller.multiplier`, so a controller (reduce on
plateau, ...) works on top of any schedule, warmup included. `DivergenceGuard` watches a plain
PyTorch loop and rolls back to the last good state when the loss blows up. Standard library only.
"""

from __future__ import annotations

from ._guard import DivergenceError, DivergenceGuard, GuardEvent
from ._parse import parse_controller
from ._plateau import Plateau
from ._protocol import Controller, ControllerError, controller_from_dict

__all__ = [
    "Controller",
    "ControllerError",
    "DivergenceError",
    "DivergenceGuard",
    "GuardEvent",
    "Plateau",
    "controller_from_dict",
    "parse_controller",
]
