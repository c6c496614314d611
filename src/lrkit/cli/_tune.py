"""`lrkit tune TASK --budget 2`: pick the learning rate, schedule and optimizer within a budget."""

from __future__ import annotations

import argparse

from rich.console import Console, Group
from rich.table import Table

from ..tasks import load_task
from ..tune import TuneResult, tune
from ._output import show
from ._progress import progress_bar
from ._sweep import _names
from ._train import TASK_HELP

VERDICT_STYLE = {"best": "bold green", "good": "green", "slow": "yellow", "oscillating": "red",
                 "overfitting": "red", "diverged": "bold red"}


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "tune", help="find the learning rate, schedule and optimizer within a budget",
        description="Range tests, candidate rates around them, successive halving and a final run, "
                    "spending about BUDGET full training runs of TASK.",
    )
    parser.add_argument("task", help=TASK_HELP)
    parser.add_argument("--budget", type=float, default=3.0,
                        help="full training runs to spend (default 3; 1 is a range test and one run)")
    parser.add_argument("--optimizers", help="comma-separated names (default adam,momentum)")
    parser.add_argument("--schedules",
                        help="comma-separated: the first is searched, the others get a full run at the "
                             "winning rate as the budget allows (default cosine,constant,wsd,...)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int,
                        help="worker processes (default: one per core when runs are long enough to pay "
                             "for starting them, else none: training in this process)")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE", help="write the TuneResult as JSON")
    parser.set_defaults(run=run_command)


def run_command(args: argparse.Namespace, console: Console) -> int:
    load_task(args.task)  # a bad task fails here, before any work
    result = run_tune(args.task, args.budget, args)
    show(console, result.to_dict(), result_view(result), args.json)
    if args.json != "-":
        show_command(console, result)
    return 130 if result.interrupted else 0  # what an interrupted command exits with


def run_tune(task: str, budget: float, args: argparse.Namespace) -> TuneResult:
    """`tune` with the command line's options, under a progress bar."""
    with progress_bar(f"tuning {task} (budget {budget:g})") as callback:
        return tune(task, budget, optimizers=_names(args.optimizers) if args.optimizers else None,
                    schedules=_names(args.schedules) if args.schedules else None, seed=args.seed,
                    workers=args.workers, callback=callback)


def result_view(result: TuneResult) -> Group:
    """The winner as a command, what every rate did, and the reasons in words."""
    table = Table(title=f"tune on {result.task}: every rate tried (cost {result.cost:.2f} of "
                        f"{result.budget:g} full runs)", title_justify="left")
    for column in ("optimizer", "schedule", "lr", "steps", "val loss", result.metric_name or "metric",
                   "verdict"):
        table.add_column(column, justify="right" if column in ("lr", "steps", "val loss") else "left")
    for effect in result.effects:
        style = VERDICT_STYLE.get(effect.verdict, "")
        metric = "-" if effect.val_metric is None else f"{effect.val_metric:.4g}"
        table.add_row(effect.optimizer, effect.shape, f"{effect.lr:.3g}", str(effect.steps),
                      f"{effect.val_loss:.4g}", metric, f"[{style}]{effect.verdict}[/]")
    return Group(table, "\n".join(result.summary()))


def show_command(console: Console, result: TuneResult) -> None:
    """The winner as an `lrkit train` command on one unwrapped line, so it copies whole."""
    console.print(f"\n[bold]train the winner:[/] {result.train_command()}", soft_wrap=True, highlight=False)
