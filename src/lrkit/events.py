"""The one progress interface every long operation reports through.

A callback receives `Event`s; the CLI renders them as progress bars, a notebook or a test can
listen to the same stream. Callbacks must be cheap: they run inside the training loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """`kind` says what moved ("train", "eval", "finder", "trial", ...), `done` of `total` units."""

    kind: str
    done: int
    total: int
    data: Mapping[str, Any] = field(default_factory=dict)


Callback = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The callback used when nobody listens."""
