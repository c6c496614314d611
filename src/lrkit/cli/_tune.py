"""`lrkit tune TASK --budget 2`: pick the learning rate, schedule and optimizer within a budget."""

from __future__ import annotations

import argparse
import shlex
from typing import TYPE_CHECKING

from ._output import Fit, print_command, show
from ._progress import progress_bar
from ._sweep import _names
from ._train import TASK_HELP

if TYPE_CHECKING:
    from rich.console import Console, Group

    from ..tune import TuneResult

VERDICT_STYLE = {"best": "bold green", "good": "green", "slow": "yellow", "oscillating": "red",
                 "overfitting": "red", "diverged": "bold red"}


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "tune",
        description="Range tests, candidate rates around them, successive halving and a final run, "
                    "spending about BUDGET full training runs of TASK.",
    )
    parser.add_argument("task", help=TASK_HELP)
    parser.add_argument("--steps", type=int,
                        help="optimizer steps of one full run: a training function's length (needed), or "
                             "a task's instead of its own budget (default: the task's budget)")
    parser.add_argument("--budget", type=float, default=3.0,
                        help="full training runs to spend; 1 is a range test and one run "
                             "(default %(default)g)")
    parser.add_argument("--optimizers", help="comma-separated names (default adam,momentum)")
    parser.add_argument("--schedules",
                        help="comma-separated: the first is searched, the others get a full run at the "
                             "winning rate as the budget allows (default wsd,constant,cosine,...; wsd "
                             "searches constant-rate runs judged by decays)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the models and the batches of every run (default %(default)s)")
    parser.add_argument("--workers", type=int,
                        help="worker processes (default: one per core when runs are long enough to pay "
                             "for starting them, else none: training in this process)")
    parser.add_argument("--devices",
                        help="comma-separated devices, one worker and one run at a time on each, e.g. "
                             "cuda:0,cuda:1 (default: every visible GPU, else the CPU)")
    parser.add_argument("--storage",
                        help="Optuna RDB URL, e.g. postgresql://host/db, shared with other machines that run "
                             "the same command: each trains some of the runs (default: none, all here)")
    parser.add_argument("--study", help="study name in --storage (default: derived from the task and the "
                                        "settings, so the same command joins the same tune)")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="write the TuneResult as JSON to FILE, or to stdout without FILE "
                             "(default: none)")
    parser.set_defaults(run=run_command)


def run_command(args: argparse.Namespace, console: Console) -> int:
    from rich.markup import escape

    from ..tasks import Task, load_trainable
    from ..train import TrainableError

    if not isinstance(load_trainable(args.task), Task) and args.steps is None:  # a bad task fails here
        raise TrainableError(f"{args.task} is a training function: give the length of one run with --steps N")
    try:
        result = run_tune(args.task, args.budget, args)
    except TrainableError as error:  # the runs that ended are kept, then the one-line error
        if error.partial is not None and args.json not in (None, "-"):
            show(console, error.partial.to_dict(), result_view(error.partial), args.json)
            error.args = (f"{error}; the {len(error.partial.trials)} runs that ended are in {args.json}",)
        raise
    show(console, result.to_dict(), result_view(result), args.json)
    if args.json != "-":
        show_command(console, result)
    if args.json not in (None, "-"):
        print_command(console, f"wrote {escape(args.json)}; `", report_command(args.json),
                      "` builds the HTML report")
    return 130 if result.interrupted else 0  # what an interrupted command exits with


def run_tune(task: str, budget: float, args: argparse.Namespace) -> TuneResult:
    """`tune` with the command line's options, under a progress bar."""
    from ..tune import tune

    with progress_bar(f"tuning {task} (budget {budget:g})") as callback:
        return tune(task, budget, steps=args.steps,
                    optimizers=_names(args.optimizers) if args.optimizers else None,
                    schedules=_names(args.schedules) if args.schedules else None, seed=args.seed,
                    workers=args.workers, devices=_names(args.devices) if args.devices else None,
                    callback=callback, storage=args.storage, study=args.study)


def result_view(result: TuneResult) -> Group:
    """What every rate did (the metric and the steps give way on a narrow terminal), and the
    reasons in words."""
    from rich.console import Group
    from rich.table import Table

    table = Table(title=f"tune on {result.task}: every rate tried (cost {result.cost:.2f} of "
                        f"{result.budget:g} full runs)", title_justify="left")
    for column in ("optimizer", "schedule", "lr", "val loss", "verdict", result.metric_name or "metric",
                   "steps"):
        table.add_column(column, justify="right" if column in ("lr", "val loss", "steps") else "left")
    for effect in result.effects:
        style = VERDICT_STYLE.get(effect.verdict, "")
        metric = "-" if effect.val_metric is None else f"{effect.val_metric:.4g}"
        table.add_row(effect.optimizer, effect.shape, f"{effect.lr:.3g}", f"{effect.val_loss:.4g}",
                      f"[{style}]{effect.verdict}[/]", metric, str(effect.steps))
    return Group(Fit(table, keep=5), "\n".join(result.summary()))


def show_command(console: Console, result: TuneResult) -> None:
    """The winner as an `lrkit train` command on one unwrapped line, so it copies whole."""
    console.print()
    print_command(console, "[bold]train the winner:[/] ", result.train_command())


def report_command(json_file: str) -> str:
    """The `lrkit report` command that builds the HTML report of a tune's JSON file."""
    return f"lrkit report {shlex.quote(json_file)} -o lrkit-report"
