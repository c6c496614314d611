"""`lrkit sweep TASK --strategy sha --lr 1e-5:1 ...`: a learning-rate search on Optuna."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from .._format import loss, rate
from ._output import show
from ._progress import progress_bar
from ._train import TASK_HELP

if TYPE_CHECKING:
    from rich.console import Console, Group
    from rich.table import Table

    from ..search import SweepResult
    from ..search._result import ConfigRecord

SHOWN = 20  # rows of the final table


def add_parser(commands) -> None:
    from ..search import STRATEGIES

    parser = commands.add_parser(
        "sweep",
        description="Search learning rates (and optimizers, schedules) for TASK. Trials are kept in an "
                    "Optuna study: run the same command again to resume, or start more workers with "
                    "the same --storage and --study to share the work. Prints the winner (the lowest "
                    "mean validation loss over its seeds), how it beat the runner-up, and its `lrkit "
                    "train` command.",
    )
    parser.add_argument("task", help=TASK_HELP)
    parser.add_argument("--strategy", choices=STRATEGIES, default="grid", metavar="STRATEGY",
                        help="grid (every rate listed or per decade), random, descending (from the "
                             "highest rate down until it gets worse), sha (successive halving in stages), "
                             "asha and hyperband (Optuna's pruners), tpe (Bayesian); default grid")
    parser.add_argument("--lr", default="1e-4:1e-1",
                        help="LOW:HIGH log range or a list a,b,c (default 1e-4:1e-1)")
    parser.add_argument("--optimizers", default="adam", help="comma-separated names (default adam)")
    parser.add_argument("--schedules", default="constant",
                        help="comma-separated templates (constant, cosine, warmup_cosine, wsd, one_cycle, "
                             "...), each filled with a trial's rate and the task's steps (default constant)")
    parser.add_argument("--plateau",
                        help='also try each configuration with plateau control, e.g. "plateau(factor=0.5, '
                             'patience=3)" (default: without only)')
    parser.add_argument("--seeds", default="0",
                        help="comma-separated seeds every configuration is trained on (default 0)")
    parser.add_argument("--trials", type=int,
                        help="configurations to try for random, sha, asha, hyperband and tpe (default: "
                             "with listed rates, each configuration once; with a range, as many as a "
                             "per-decade grid has, x2 for sha, x3 for asha and hyperband)")
    parser.add_argument("--confirm", type=int,
                        help="best configurations retrained on one more seed before the winner is named "
                             "(default 2 for random, sha, asha, hyperband, tpe; 0 for grid, descending)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help=f"worker processes (default: the number of cores, {os.cpu_count() or 1} here)")
    parser.add_argument("--storage",
                        help="Optuna RDB URL, e.g. postgresql://host/db (default: a SQLite file sweep.db in "
                             "--out)")
    parser.add_argument("--study", help="study name (default: derived from the task and the search, so the "
                                        "same command resumes)")
    parser.add_argument("--out", default="lrkit-report", help="folder for the default storage (default "
                                                              "lrkit-report)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the samplers (default 0)")
    parser.add_argument("--all", action="store_true",
                        help=f"list every configuration (default: the best {SHOWN})")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="write the SweepResult (every trial) as JSON to FILE, or to stdout without "
                             "FILE (default: none)")
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
    shown = None if args.all else SHOWN
    show(console, result.to_dict(), result_view(result, shown, args.json), args.json)
    if args.json != "-":
        show_command(console, result, args.task)
    return 0


def result_view(result: SweepResult, shown: int | None = SHOWN, json_file: str | None = None) -> Group:
    """The configurations as the winner is chosen (winner first), then the winner in words."""
    from rich.console import Group

    return Group(result_table(result, shown, json_file), "", *result.summary())


def result_table(result: SweepResult, shown: int | None = SHOWN, json_file: str | None = None) -> Table:
    """One row per configuration in the order the winner is chosen: run in full on more seeds
    first, then by mean validation loss; those the search stopped by how far they got and their
    loss there; the diverged last. Each with its seeds and what all its trials cost."""
    from rich import box
    from rich.table import Table

    configs = result.configs()
    table = Table(title=f"{result.strategy} sweep on {result.task}: {len(result.trials)} trials of "
                        f"{len(configs)} configurations, cost {result.cost:.2f} full runs (study "
                        f"{result.study})", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True)
    with_plateau = any(config.params["plateau"] for config in configs)
    columns = ["#", "optimizer", "schedule", *(["plateau"] if with_plateau else []), "lr", "seeds",
               "val loss", "metric", "outcome", "cost"]
    for column in columns:
        table.add_column(column, justify="left" if column in ("optimizer", "schedule", "plateau", "seeds",
                                                              "outcome") else "right")
    rows = configs if shown is None else configs[:shown]
    for place, config in enumerate(rows, 1):
        p = config.params
        plateau = [p["plateau"] or "-"] if with_plateau else []
        table.add_row(str(place), p["optimizer"], p["schedule"], *plateau, rate(p["lr"]),
                      ",".join(map(str, config.seeds)), loss(config.mean_loss), loss(config.val_metric),
                      _outcome(config, place == 1 and result.winner is not None), f"{config.cost:.2f}")
    notes = ["val loss and metric: the mean over the seeds where each run ended"]
    if len(rows) < len(configs):
        where = (f"every trial is in {json_file}" if json_file and json_file != "-"
                 else "--json FILE writes every trial")
        left = len(configs) - len(rows)
        notes.append(f"{left} more configuration{'s' * (left != 1)}: --all lists them; {where}")
    table.caption = "\n".join(notes)
    table.caption_justify = "left"
    return table


def show_command(console: Console, result: SweepResult, task: str) -> None:
    """The winner as an `lrkit train` command on one unwrapped line, so it copies whole."""
    recipe = result.recipe
    if recipe is not None:
        console.print(f"\n[bold]train the winner:[/] {recipe.command(task)}", soft_wrap=True, highlight=False)


def _outcome(config: ConfigRecord, winner: bool) -> str:
    if winner:
        return "winner"
    if config.state == "diverged":
        steps = [t.run.diverged_at for t in config.trials if t.run.diverged_at is not None]
        return f"diverged at {min(steps)}" if steps else "diverged"
    if config.state == "pruned":
        return f"stopped at {config.steps}"
    return "full"


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _seeds(text: str) -> tuple[int, ...]:
    from ..search import SearchError

    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise SearchError(f"--seeds must be whole numbers separated by commas, got {text!r}") from None
