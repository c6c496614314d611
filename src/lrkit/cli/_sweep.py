"""`lrkit sweep TASK --strategy sha --lr 1e-5:1 ...`: a learning-rate search on Optuna."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from ._output import show
from ._progress import progress_bar
from ._train import TASK_HELP

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ..search import SweepResult

SHOWN = 20  # rows of the final table


def add_parser(commands) -> None:
    from ..search import STRATEGIES

    parser = commands.add_parser(
        "sweep", help="search rates, optimizers and schedules",
        description="Search learning rates (and optimizers, schedules) for TASK. Trials are kept in an "
                    "Optuna study: run the same command again to resume, or start more workers with "
                    "the same --storage and --study to share the work.",
    )
    parser.add_argument("task", help=TASK_HELP)
    parser.add_argument("--strategy", choices=STRATEGIES, default="grid")
    parser.add_argument("--lr", default="1e-4:1e-1",
                        help="LOW:HIGH log range or a list a,b,c (default 1e-4:1e-1)")
    parser.add_argument("--optimizers", default="adam", help="comma-separated names (default adam)")
    parser.add_argument("--schedules", default="constant",
                        help="comma-separated templates, filled with each trial's rate and budget")
    parser.add_argument("--plateau", help='also try plateau control, e.g. "plateau(factor=0.5, patience=3)"')
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    parser.add_argument("--trials", type=int, help="configurations to try (random, sha, hyperband, tpe)")
    parser.add_argument("--confirm", type=int,
                        help="best configurations retrained on one more seed before the winner is named "
                             "(default 2 for random, sha, hyperband, tpe; 0 for grid, descending)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: the number of cores)")
    parser.add_argument("--storage",
                        help="Optuna RDB URL, e.g. postgresql://host/db (default: sqlite in --out)")
    parser.add_argument("--study", help="study name (default: derived from the task and the search)")
    parser.add_argument("--out", default="lrkit-report", help="folder for the default storage")
    parser.add_argument("--seed", type=int, default=0, help="seed of the samplers")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE", help="write the SweepResult as JSON")
    parser.set_defaults(run=run_command)


def run_command(args: argparse.Namespace, console: Console) -> int:
    from ..search import Space, parse_rates, sweep
    from ..tasks import load_task

    space = Space(**parse_rates(args.lr), optimizers=_names(args.optimizers),
                  schedules=_names(args.schedules), seeds=_seeds(args.seeds),
                  plateaus=(None, args.plateau) if args.plateau else (None,))
    task = load_task(args.task)  # a bad task fails here, before any worker starts
    workers = 1 if args.strategy == "descending" else args.workers
    try:
        with progress_bar(f"{args.strategy} sweep on {task.name}") as callback:
            result = sweep(args.task, space, args.strategy, trials=args.trials, confirm=args.confirm,
                           workers=workers, storage=args.storage, study=args.study, out=args.out,
                           seed=args.seed, callback=callback)
    except KeyboardInterrupt:
        raise KeyboardInterrupt("interrupted: the finished trials are kept in the study; run the same "
                                "command again to resume") from None
    return show(console, result.to_dict(), result_table(result), args.json)


def result_table(result: SweepResult) -> Table:
    """The trials, best first, each with what it cost in full runs (a pruned trial's loss is where
    it stopped)."""
    from rich.table import Table

    table = Table(title=f"{result.strategy} sweep on {result.task}: {len(result.trials)} trials, "
                        f"cost {result.cost:.2f} full runs (study {result.study})", title_justify="left")
    with_plateau = any(t.params["plateau"] for t in result.trials)
    columns = ["#", "optimizer", "schedule", *(["plateau"] if with_plateau else []), "lr", "seed",
               "val loss", "metric", "outcome", "cost"]
    for column in columns:
        table.add_column(column, justify="left" if column in ("optimizer", "schedule", "plateau", "outcome")
                         else "right")
    for trial in result.trials[:SHOWN]:
        p, run = trial.params, trial.run
        metric = run.val_metric if trial.state == "complete" else None
        table.add_row(str(trial.number), p["optimizer"], p["schedule"],
                      *([p["plateau"] or "-"] if with_plateau else []), f"{p['lr']:.3g}", str(p["seed"]),
                      f"{run.val_loss:.4g}", "-" if metric is None else f"{metric:.4g}", trial.state,
                      f"{trial.cost:.2f}")
    if len(result.trials) > SHOWN:
        table.caption = f"{len(result.trials) - SHOWN} more in --json"
    return table


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _seeds(text: str) -> tuple[int, ...]:
    from ..search import SearchError

    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise SearchError(f"--seeds must be whole numbers separated by commas, got {text!r}") from None
