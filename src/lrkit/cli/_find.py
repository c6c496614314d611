"""`lrkit find TASK`: the learning-rate range test, its suggestions, a plot."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from ..finder import FinderResult, find_lr
from ..tasks import load_task
from ._output import save_figure, write_json
from ._progress import progress_bar
from ._train import TASK_HELP


def add_parser(commands) -> None:
    parser = commands.add_parser("find", help="run the learning-rate range test",
                                 description="Ramp the rate up over a few steps and suggest one.")
    parser.add_argument("task", help=TASK_HELP)
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument("--start-lr", type=float, default=1e-7)
    parser.add_argument("--end-lr", type=float, default=10.0)
    parser.add_argument("--steps", type=int, default=100, help="steps of the ramp (default 100)")
    parser.add_argument("--mode", choices=("exp", "linear"), default="exp")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", metavar="FILE", help="write the loss-vs-rate plot")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE", help="write the result as JSON")
    parser.set_defaults(run=run_command)


def run_command(args: argparse.Namespace, console: Console) -> int:
    task = load_task(args.task)
    with progress_bar(f"range test on {task.name}") as callback:
        result = find_lr(task, args.optimizer, seed=args.seed, start_lr=args.start_lr,
                         end_lr=args.end_lr, steps=args.steps, mode=args.mode, callback=callback)
    if args.plot:
        path = save_figure(result.plot(), args.plot)
        if args.json != "-":
            console.print(f"plot written to {path}")
    if args.json:
        write_json(result.to_dict(), args.json)
        if args.json == "-":
            return 0
    console.print(suggestion_table(result))
    if result.suggestion is not None:
        console.print(f"next: lrkit train {args.task} --optimizer {args.optimizer} "
                      f"--lr {result.suggestion:.3g} --schedule cosine", highlight=False)
    return 0


def suggestion_table(result: FinderResult) -> Table:
    """Every method's suggested rate, the recommended one marked."""
    cost = "" if result.cost is None else f" ({result.cost:.2f} of a full run)"
    table = Table(title=f"range test on {result.task} with {result.optimizer}: {result.stop_reason} "
                        f"after {result.steps} steps{cost}", title_justify="left")
    table.add_column("method")
    table.add_column("suggested lr", justify="right")
    for name, value in result.suggestions.items():
        label = f"{name} (recommended)" if name == result.method else name
        table.add_row(label, "-" if value is None else f"{value:.3g}")
    return table
