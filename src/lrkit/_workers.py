"""How lrkit's worker processes meet Ctrl-C, whichever layer starts them (layer 0: this imports
nothing of lrkit's): they end silently and the parent reports the interruption once."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator


def quiet_on_interrupt() -> None:
    """Ctrl-C reaches the whole process group: end this worker at once and silently, rather than
    with a traceback per worker; the parent keeps what had ended and reports the interruption."""
    signal.signal(signal.SIGINT, lambda *_: os._exit(130))


@contextlib.contextmanager
def children_ignore_interrupts() -> Iterator[None]:
    """Processes started inside ignore Ctrl-C until they call `quiet_on_interrupt`, so a Ctrl-C
    while they import lrkit and torch does not print a traceback each (a child inherits an
    ignored signal). Only the main thread may set handlers; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
