"""Render lrkit's progress events as rich progress bars (on stderr, so stdout stays clean)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ..events import Callback, Event


@contextlib.contextmanager
def progress_bar(description: str) -> Iterator[Callback]:
    """A callback that advances one bar; the bar's text shows the latest loss and rate. The bar
    appears with the first event, so an error raised before any work leaves the terminal clean."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, emoji=False)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[detail]}"), TimeElapsedColumn())
    progress = Progress(*columns, console=console, transient=True)
    bar = progress.add_task(description, total=None, detail="")

    def on_event(event: Event) -> None:
        if not progress.live.is_started:
            progress.start()
        if event.kind == "notice":  # a line above the bar, e.g. why no worker processes start
            progress.console.print(event.data["message"], highlight=False, soft_wrap=True)
            return
        detail = "  ".join(f"{key} {value:.4g}" for key, value in event.data.items()
                           if isinstance(value, float))
        progress.update(bar, completed=event.done, total=event.total, detail=detail)

    try:
        yield on_event
    finally:
        if progress.live.is_started:
            progress.stop()
