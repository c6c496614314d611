"""How lrkit's worker processes start and meet Ctrl-C, whichever layer starts them (layer 0: this
imports nothing of lrkit's).

Workers are spawned (forking a parent that already runs torch threads can deadlock), and a spawned
worker runs the parent's script again up to the point where it is guarded by
`if __name__ == "__main__":`; a script that calls lrkit at its top level without that guard would
start the same work again in every worker, which Python stops with a long RuntimeError.
`usable_workers` sees such a script and trains in the calling process instead. On Ctrl-C, workers
end silently and the parent reports the interruption once.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

# Seconds spawned workers take before their first run: start Python, import torch (and the
# torch._dynamo its optimizers import on their first step) and lrkit, build the task. Measured on
# the 2-core machine shared with other jobs (load 3-8): 7-8 s for one worker, 10-16 s for two;
# `lrkit tune cancer-logreg --budget 2` took 10.8 s in one process and 19.7 s with two workers.
WORKER_START_SECONDS = 8.0


class WorkersWarning(UserWarning):
    """lrkit trains in the calling process instead of the worker processes that were asked for."""


def usable_workers(workers: int) -> int:
    """`workers`, or 1 when the calling script would be run again by each spawned worker (it calls
    lrkit at its top level, outside `if __name__ == "__main__":`); a warning then names its line."""
    if workers <= 1:
        return workers
    call = unguarded_call()
    if call is None:
        return workers
    path, line = call
    warnings.warn_explicit(
        f"lrkit trains in this process, not in {workers} worker processes: this script calls it outside "
        "`if __name__ == \"__main__\":`, which every spawned worker would run again; put the call under "
        "that guard to use the workers", WorkersWarning, path, line)
    return 1


def unguarded_call() -> tuple[str, int] | None:
    """The (file, line) where the main script, still running its top level, calls into lrkit from
    outside an `if __name__ == "__main__":` block; None when a spawned worker would not run that
    call again (a guarded call, a notebook, `python -c`, `python -m package`) or it cannot tell."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    name = getattr(getattr(main, "__spec__", None), "name", None) or ""
    if main is None or path is None or name == "__main__" or name.endswith(".__main__"):
        return None  # multiprocessing does not run these again in a spawned worker
    frame = inspect.currentframe()
    while frame is not None and not (frame.f_globals is vars(main) and frame.f_code.co_name == "<module>"):
        frame = frame.f_back
    if frame is None:
        return None  # the script's top level has finished (a thread, an atexit hook)
    line = frame.f_lineno
    try:
        tree = ast.parse(Path(path).read_bytes(), path)
    except (OSError, SyntaxError, ValueError):
        return None
    for statement in tree.body:
        if statement.lineno <= line <= (statement.end_lineno or statement.lineno):
            guarded = isinstance(statement, ast.If) and _is_main_test(statement.test) and \
                statement.body[0].lineno <= line <= (statement.body[-1].end_lineno or line)
            return None if guarded else (path, line)
    return None


def _is_main_test(test: ast.expr) -> bool:
    """`__name__ == "__main__"`, either way round."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    return {ast.unparse(test.left), ast.unparse(test.comparators[0])} == {"__name__", "'__main__'"}


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
