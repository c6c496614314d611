"""`lrkit train TASK --optimizer sgd --lr 0.03 --schedule SPEC`: one run, its curves and numbers."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from ..tasks import load_task
from ..train import Recipe, run
from ._output import show
from ._progress import progress_bar

TASK_HELP = "a built-in task (see `lrkit tasks`) or path/to/file.py:function returning a Task"


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "train", help="train a task with one recipe", description="Train TASK once with the given recipe."
    )
    parser.add_argument("task", help=TASK_HELP)
    parser.add_argument("--optimizer", default="adam", help="optimizer name (default adam)")
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (default 1e-3)")
    parser.add_argument("--schedule", help="a template (cosine, warmup_cosine, ...) or a full spec")
    parser.add_argument("--plateau", help='controller spec, e.g. "plateau(factor=0.5, patience=3)"')
    parser.add_argument("--steps", type=int, help="training steps (default: the task's budget)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE", help="write the RunResult as JSON")
    parser.set_defaults(run=run_command)


def run_command(args: argparse.Namespace, console: Console) -> int:
    task = load_task(args.task)
    recipe = Recipe(args.optimizer, args.lr, args.schedule, args.plateau, seed=args.seed)
    with progress_bar(f"training {task.name}") as callback:
        result = run(task, recipe, steps=args.steps, callback=callback)
    return show(console, result.to_dict(), result_table(result), args.json)


def result_table(result) -> Table:
    """The numbers of one run, with the recipe written as `lrkit train` accepts it."""
    table = Table(
        show_header=False,
        title=f"{result.task}: {result.recipe.optimizer} at lr {result.recipe.lr:g}",
        title_justify="left",
    )
    table.add_column(style="bold")
    table.add_column()
    table.add_row("schedule", result.recipe.schedule or "constant")
    if result.recipe.plateau:
        table.add_row("plateau", result.recipe.plateau)
    table.add_row("steps", f"{result.steps} of {result.budget}")
    if result.diverged:
        table.add_row("diverged", f"at step {result.diverged_at} (loss {result.train_loss[-1]:.4g})")
    table.add_row("final validation loss", f"{result.val_loss:.4g}")
    if result.val_metric is not None:
        table.add_row(f"final validation {result.metric_name}", f"{result.val_metric:.4g}")
    table.add_row("wall time", f"{result.wall_seconds:.1f} s")
    return table
