"""`lrkit tasks`: the built-in tasks with their size and budget."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ._output import Fit, write_json

if TYPE_CHECKING:
    from rich.console import Console

NUMBERS = ("train", "val", "steps", "batch", "params")  # right-aligned
COLUMNS = ("name", *NUMBERS, "metric", "loss", "description")
ALWAYS = 1 + len(NUMBERS)  # description, loss and metric give way on a narrow terminal, in this order


def add_parser(commands) -> None:
    parser = commands.add_parser("tasks", description=__doc__)
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="write the list as JSON to FILE, or to stdout without FILE (default: a table)")
    parser.set_defaults(run=run_command)


def run_command(args: argparse.Namespace, console: Console) -> int:
    # Sizes and parameter counts exist once each task is built (its data and one model), so the
    # listing needs torch; `lrkit tasks --help` does not.
    from ..tasks import builtin_tasks, get_task

    summaries = [get_task(name).summary() for name in builtin_tasks()]
    if args.json:
        write_json(summaries, args.json)
        return 0
    console.print(tasks_table(summaries))
    return 0


def tasks_table(summaries: list[dict[str, Any]]) -> Fit:
    """One row per task; its description wraps at words, or goes when the terminal is narrow."""
    from rich.table import Table

    table = Table(title="built-in tasks (data ships with installed packages)", title_justify="left")
    for column in COLUMNS:
        table.add_column(column, justify="right" if column in NUMBERS else "left")
    for s in summaries:
        table.add_row(s["name"], str(s["n_train"]), str(s["n_val"]), str(s["steps"]), str(s["batch_size"]),
                      str(s["n_params"]), s["metric"] or "-", s["loss"], s["description"])
    return Fit(table, prose={"description"}, keep=ALWAYS)
