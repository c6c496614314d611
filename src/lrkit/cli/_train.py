"""`lrkit train TASK --optimizer sgd --lr 0.03 --schedule SPEC`: one run, its curves and numbers."""

from __future__ import annotations

import argparse
import warnings
from typing import TYPE_CHECKING

from ._output import show
from ._progress import progress_bar

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

TASK_HELP = ("a built-in task (see `lrkit tasks`), path/to/file.py:function returning a Task, or "
             "path/to/file.py:train, a training function train(trial) (give --steps)")


# Examples, not the list: the registry imports torch, which `--help` should not wait for.
OPTIMIZER_HELP = ("optimizer name such as adam, adamw, momentum or sgd; a wrong name lists them all "
                  "(default %(default)s)")


def add_parser(commands) -> None:
    parser = commands.add_parser("train", description="Train TASK once with the given recipe.")
    parser.add_argument("task", help=TASK_HELP)
    parser.add_argument("--optimizer", default="adam", help=OPTIMIZER_HELP)
    parser.add_argument("--lr", type=float,
                        help="peak learning rate (default: the peak of a full --schedule spec, else 1e-3)")
    parser.add_argument("--schedule", help="a template (cosine, warmup_cosine, ...) filled with --lr and the "
                                           "run's steps, or a full spec such as 'cosine(lr=0.1, steps=500)' "
                                           "(default: constant --lr)")
    parser.add_argument("--fit-schedule", action="store_true",
                        help="stretch or squeeze a full spec over the run's steps (default: the spec as "
                             "written, with a warning when its length differs from the run's)")
    parser.add_argument("--plateau", help='controller spec, e.g. "plateau(factor=0.5, patience=3)" '
                                          "(default: none)")
    parser.add_argument("--steps", type=int, help="training steps (default: the task's budget)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the model and the batches (default %(default)s)")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="write the RunResult as JSON to FILE, or to stdout without FILE (default: none)")
    parser.set_defaults(run=run_command)


def run_command(args: argparse.Namespace, console: Console) -> int:
    from rich.console import Console

    from ..tasks import Task, load_trainable
    from ..train import Recipe, RunInterrupted, ScheduleLengthWarning, run

    task = load_trainable(args.task)
    recipe = Recipe(args.optimizer, args.lr, args.schedule, args.plateau, seed=args.seed,
                    fit=args.fit_schedule)
    if not isinstance(task, Task):
        return _train_function(task, recipe, args, console)
    errors = Console(stderr=True, emoji=False)
    mismatch = recipe.mismatch(task.steps if args.steps is None else args.steps)
    if mismatch is not None:
        errors.print(f"[bold yellow]warning:[/] {mismatch}", highlight=False, soft_wrap=True)
    try:
        with progress_bar(f"training {task.name}") as callback, warnings.catch_warnings():
            warnings.simplefilter("ignore", ScheduleLengthWarning)  # said once above, as one line
            result = run(task, recipe, steps=args.steps, callback=callback)
    except RunInterrupted as interrupt:
        result = interrupt.result
        show(console, result.to_dict(), result_table(result), args.json)
        kept = {None: "shown above", "-": "written to stdout"}.get(args.json, f"written to {args.json}")
        errors.print(f"interrupted at step {result.steps} of {result.budget}: the partial result is {kept}",
                     highlight=False, soft_wrap=True)
        return 130
    return show(console, result.to_dict(), result_table(result), args.json)


def _train_function(function, recipe, args: argparse.Namespace, console: Console) -> int:
    """One run of a training function `train(trial)` with the recipe, over --steps steps."""
    from ..train import TrainableError, run_function

    if args.steps is None:
        raise TrainableError(f"{args.task} is a training function: give the length of its run with --steps N")
    with progress_bar(f"training {args.task}"):
        result = run_function(function, recipe, args.steps, name=args.task)
    return show(console, result.to_dict(), result_table(result), args.json)


def result_table(result) -> Table:
    """The numbers of one run, with the recipe written as `lrkit train` accepts it."""
    from rich.table import Table

    table = Table(
        show_header=False,
        title=f"{result.task}: {result.recipe.optimizer} at lr {result.recipe.lr:g}",
        title_justify="left",
    )
    table.add_column(style="bold")
    table.add_column()
    table.add_row("schedule", result.recipe.schedule or "constant")
    if result.recipe.fit:
        table.add_row("fitted", f"to the run's {result.budget} steps (--fit-schedule)")
    if result.recipe.plateau:
        table.add_row("plateau", result.recipe.plateau)
    table.add_row("steps", f"{result.steps} of {result.budget}")
    if result.interrupted:
        table.add_row("interrupted", f"by Ctrl-C at step {result.steps}")
    if result.diverged:
        table.add_row("diverged", f"at step {result.diverged_at} (loss {result.train_loss[-1]:.4g})")
    table.add_row("final validation loss", f"{result.val_loss:.4g}")
    if result.val_metric is not None:
        table.add_row(f"final validation {result.metric_name}", f"{result.val_metric:.4g}")
    table.add_row("wall time", f"{result.wall_seconds:.1f} s")
    return table
