"""`lrkit find TASK`: the learning-rate range test, its suggestions, a plot."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ._output import save_figure, write_json
from ._progress import progress_bar
from ._train import OPTIMIZER_HELP, TASK_HELP

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ..finder import FinderResult


def add_parser(commands) -> None:
    parser = commands.add_parser("find",
                                 description="Ramp the rate up over a few steps and suggest one.")
    parser.add_argument("task", help=TASK_HELP)
    parser.add_argument("--optimizer", default="adam", help=OPTIMIZER_HELP)
    parser.add_argument("--start-lr", type=float, default=1e-7,
                        help="rate of the first step (default %(default)g)")
    parser.add_argument("--end-lr", type=float, default=10.0,
                        help="rate of the last step, if the loss has not diverged by then "
                             "(default %(default)g)")
    parser.add_argument("--steps", type=int, default=100, help="steps of the ramp (default %(default)s)")
    parser.add_argument("--mode", choices=("exp", "linear"), default="exp",
                        help="ramp the rate exponentially or linearly from --start-lr to --end-lr "
                             "(default %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the model and the batches (default %(default)s)")
    parser.add_argument("--plot", metavar="FILE", help="write the loss-vs-rate plot to FILE (default: none)")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="write the FinderResult as JSON to FILE, or to stdout without FILE "
                             "(default: none)")
    parser.set_defaults(run=run_command)


def run_command(args: argparse.Namespace, console: Console) -> int:
    from rich.console import Console

    from ..finder import find_lr
    from ..tasks import load_task

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
    if args.json != "-":
        console.print(suggestion_table(result))
        if result.diverged and result.suggestion is not None:
            console.print(f"next: lrkit train {args.task} --optimizer {args.optimizer} "
                          f"--lr {result.suggestion:.3g} --schedule cosine", highlight=False)
    if not result.diverged:
        Console(stderr=True, emoji=False).print(f"[bold yellow]warning:[/] {never_diverged(result, args)}",
                                   highlight=False, soft_wrap=True)
    return 0


def never_diverged(result: FinderResult, args: argparse.Namespace) -> str:
    """One line: the curve has no upper edge, so the suggestions only echo --end-lr."""
    return (f"the loss never diverged up to --end-lr {result.end_lr:g}, so every suggestion depends on where "
            f"the ramp stopped, not on where training fails; raise --end-lr: lrkit find {args.task} "
            f"--optimizer {args.optimizer} --end-lr {10 * result.end_lr:g}")


def suggestion_table(result: FinderResult) -> Table:
    """Every method's suggested rate, the recommended one marked (only when the loss diverged,
    since without an upper edge no rate is one to recommend)."""
    from rich.table import Table

    cost = "" if result.cost is None else f" ({result.cost:.2f} of a full run)"
    stop = "diverged" if result.diverged else f"reached end-lr {result.end_lr:g} without diverging"
    table = Table(title=f"range test on {result.task} with {result.optimizer}: {stop} "
                        f"after {result.steps} steps{cost}", title_justify="left")
    table.add_column("method")
    table.add_column("suggested lr", justify="right")
    for name, value in result.suggestions.items():
        label = f"{name} (recommended)" if name == result.method and result.diverged else name
        table.add_row(label, "-" if value is None else f"{value:.3g}")
    return table
