"""`lrkit schedule SPEC --steps N`: preview a schedule as a table, JSON or a plot."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ._output import Fit, save_figure, write_json

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def add_parser(commands) -> None:
    parser = commands.add_parser("schedule", description="Preview a learning-rate schedule spec.")
    parser.add_argument("spec", nargs="?", help='e.g. "warmup(200) >> cosine(lr=0.1, steps=5000)"')
    parser.add_argument("--steps", type=int, help="steps to show (default: the schedule's length)")
    parser.add_argument("--plot", metavar="FILE",
                        help="write a plot (png, svg or pdf) to FILE (default: none)")
    parser.add_argument("--log", action="store_true",
                        help="log scale for the plot's rate axis (default: linear)")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="write JSON to FILE, or to stdout without FILE (default: a table)")
    parser.add_argument("--list", action="store_true",
                        help="list every schedule and its parameters (default: preview SPEC)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    from ..report import plot_schedule, summarize_schedule
    from ..schedules import ScheduleError, parse

    if args.list:
        console.print(_catalogue_table())
        return 0
    if not args.spec:
        raise ScheduleError("give a schedule spec, e.g. 'cosine(lr=0.1, steps=1000)', or --list")
    schedule = parse(args.spec)
    steps = args.steps if args.steps is not None else schedule.length
    if steps is None:
        raise ScheduleError(f"{schedule} never ends; say how many steps to show with --steps N")
    if steps < 1:
        raise ScheduleError(f"--steps must be at least 1, got {steps}")
    points = summarize_schedule(schedule, steps)
    if args.plot:
        path = save_figure(plot_schedule(schedule, steps, log=args.log), args.plot)
        if args.json != "-":
            console.print(f"plot written to {path}")
    if args.json:
        write_json(
            {
                "spec": str(schedule),
                "schedule": schedule.to_dict(),
                "steps": steps,
                "points": [point.to_dict() for point in points],
            },
            args.json,
        )
        if args.json == "-":
            return 0
    console.print(str(schedule), highlight=False, soft_wrap=True)
    console.print(_points_table(points))
    return 0


def _points_table(points) -> Table:
    from rich.table import Table

    table = Table()
    table.add_column("step", justify="right")
    table.add_column("learning rate", justify="right")
    table.add_column("")
    for point in points:
        table.add_row(str(point.step), f"{point.lr:.6g}", point.label)
    return table


def _catalogue_table() -> Fit:
    """Each schedule's spec with its parameters (wrapping after a comma, never inside a name) and
    what it does (left out on a narrow terminal)."""
    from rich.table import Table

    from ..schedules import catalogue

    table = Table(title="schedules (rates are absolute, lengths in steps)", title_justify="left")
    table.add_column("spec", style="bold")
    table.add_column("what it does")
    for entry in catalogue():
        table.add_row(entry.parameters, entry.description)
    return Fit(table, prose={"spec", "what it does"}, keep=1)
