"""What the CLI writes and how it prints: JSON to a file or stdout, figures to image files, and the
one rule of the terminal output: a name, a number, a path or a command is never wrapped or cut,
at any width, on a terminal or in a pipe.

The rule lives here alone. `make_console` gives every command a console that never folds a line
(the terminal wraps a long line itself, so a command or a path copies whole) and that lays out
every table it prints for its width: cells stay whole, only columns named as prose wrap (at words)
and, when the width is short, the columns after the first `keep` are left out from the right
(`Fit`). rich is imported when something is printed, so parsing arguments never loads it.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import LrkitError

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.measure import Measurement
    from rich.table import Table

PROSE_WIDTH = 20  # the least a prose column gets; with less room, columns go from the right instead
WIDE = 100_000  # a width no table reaches: measures a table's natural width


class OutputError(LrkitError):
    """A result could not be written where the user asked."""


def make_console(*, stderr: bool = False) -> Console:
    """A console that never folds a line and prints every table laid out by `Fit`."""
    from rich.console import Console, RenderHook

    class FitTables(RenderHook):
        def process_renderables(self, renderables: list) -> list:
            return [_fitted(renderable) for renderable in renderables]

    console = Console(stderr=stderr, soft_wrap=True, emoji=False)  # "file.py:train:" is no emoji
    console.push_render_hook(FitTables())
    return console


def print_command(console: Console, before: str, command: str, after: str = "") -> None:
    """A command the user can paste, between `before` (rich markup) and `after`, on one line
    however narrow the terminal; the command itself is never read as markup."""
    from rich.text import Text

    console.print(Text.assemble(Text.from_markup(before), command, after), soft_wrap=True, highlight=False)


class Fit:
    """A rich table laid out for the width it is printed at.

    Every column but those in `prose` keeps each cell whole (no wrapping, no ellipsis); a prose
    column wraps at words and is never squeezed below PROSE_WIDTH. Where the table is wider than
    the width, it first drops its vertical lines, then leaves out its columns after the first
    `keep` from the right; if it is still wider, it prints at its own width, since a console from
    `make_console` does not cut lines (the terminal wraps them; a pipe gets them whole).
    """

    def __init__(self, table: Table, *, prose: Collection[str] = (), keep: int | None = None) -> None:
        self.table, self.prose = table, frozenset(prose)
        self.keep = len(table.columns) if keep is None else keep

    def layouts(self) -> Iterator[Table]:
        """The table as given, then lighter: without vertical lines, then with fewer columns."""
        yield self.table
        compact = copy.copy(self.table)
        if compact.box is not None:
            from rich import box

            compact.box, compact.show_edge, compact.pad_edge = box.SIMPLE_HEAD, False, False
            compact.collapse_padding = True  # two spaces between columns
        for shown in range(len(self.table.columns), self.keep - 1, -1):
            # Columns are only ever left out at the end, so every kept one stays at its index.
            fewer = copy.copy(compact)
            fewer.columns = compact.columns[:shown]
            yield fewer

    def layout(self, console: Console, width: int) -> tuple[Table, int]:
        """The first layout that fits `width`, or the narrowest one with its own width."""
        _keep_whole(console, self.table, self.prose)  # every layout shares these columns
        wide = console.options.update_width(WIDE)
        for table in self.layouts():
            needed = console.measure(table, options=wide).minimum
            if needed <= width:
                return table, width
        return table, needed

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[RenderableType]:
        table, width = self.layout(console, options.max_width)
        wrapped = options.update(width=width, no_wrap=False, overflow="fold")  # the console folds nothing
        if table.title:  # wraps at words to the width, not to a narrow table's
            from rich.style import Style

            title = table.title
            if isinstance(title, str):
                title = console.render_str(title, style=Style.pick_first(table.title_style, "table.title"))
            justify = "default" if table.title_justify == "left" else table.title_justify  # no padding
            yield from console.render(title, wrapped.update(justify=justify))
            table = copy.copy(table)
            table.title = None
        yield from console.render(table, wrapped)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        from rich.measure import Measurement

        table, width = self.layout(console, options.max_width)
        return Measurement.get(console, options.update_width(width), table)


def _keep_whole(console: Console, table: Table, prose: frozenset[str]) -> None:
    """Set each column of `table` to keep its cells whole, or, for prose, to wrap them at words."""
    wide = console.options.update_width(WIDE)
    for column in table.columns:
        widest = max(console.measure(cell, options=wide).maximum for cell in (column.header, *column.cells))
        if column.header in prose:
            column.no_wrap, column.overflow, column.min_width = False, "fold", min(widest, PROSE_WIDTH)
        else:
            column.no_wrap, column.min_width = True, widest


def _fitted(renderable: Any) -> Any:
    """A table (also inside a group) as `Fit` lays it out; anything else as it is."""
    from rich.console import Group
    from rich.table import Table

    if isinstance(renderable, Table):
        return Fit(renderable)
    if isinstance(renderable, Group):
        return Group(*map(_fitted, renderable.renderables), fit=renderable.fit)
    return renderable


def write_json(data: Any, destination: str) -> None:
    """Write `data` as JSON to `destination` ('-' means stdout)."""
    text = json.dumps(data, indent=2)
    if destination == "-":
        sys.stdout.write(text + "\n")
        return
    _write(Path(destination), lambda path: path.write_text(text + "\n"))


def show(console: Any, data: Any, view: Any, json_destination: str | None) -> int:
    """Write the JSON where asked, then print the view unless the JSON went to stdout."""
    if json_destination:
        write_json(data, json_destination)
        if json_destination == "-":
            return 0
    console.print(view)
    return 0


def save_figure(figure: Any, destination: str) -> Path:
    """Save a matplotlib figure; the format follows the file's extension."""
    path = Path(destination)
    _write(path, lambda p: figure.savefig(p, dpi=130))
    return path


def _write(path: Path, write) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
    except (OSError, ValueError) as error:
        raise OutputError(f"cannot write {path}: {error}") from None
