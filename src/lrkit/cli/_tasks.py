"""`lrkit tasks`: the built-in tasks with their size and budget."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from ..tasks import builtin_tasks, get_task
from ._output import write_json


def add_parser(commands) -> None:
    parser = commands.add_parser("tasks", help="list the built-in tasks", description=__doc__)
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE", help="write the list as JSON")
    parser.set_defaults(run=run_command)


def run_command(args: argparse.Namespace, console: Console) -> int:
    summaries = [get_task(name).summary() for name in builtin_tasks()]
    if args.json:
        write_json(summaries, args.json)
        return 0
    table = Table(title="built-in tasks (data ships with installed packages)", title_justify="left")
    for column in ("name", "train", "val", "steps", "batch", "loss", "metric", "params", "description"):
        table.add_column(
            column, justify="right" if column in ("train", "val", "steps", "batch", "params") else "left"
        )
    for s in summaries:
        table.add_row(
            s["name"],
            str(s["n_train"]),
            str(s["n_val"]),
            str(s["steps"]),
            str(s["batch_size"]),
            s["loss"],
            s["metric"] or "-",
            str(s["n_params"]),
            s["description"],
        )
    console.print(table)
    return 0
