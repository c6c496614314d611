"""List the suite: each task's split, size and budget; with --time, one full-budget run of Adam
at 1e-3 per task on one thread, timed (to check that the oracle's 48 runs per task fit a CPU).

    python benchmarks/suite [--time] [--quick] [--split design|test|both]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # run as a folder: make `suite` importable

from rich.console import Console
from rich.table import Table

from lrkit.train import Recipe, run
from suite import SPLITS, names, split_of
from suite.tasks import build


def main(chosen: list[str], timed: bool) -> None:
    console = Console(width=200)
    table = Table(title="the suite" + (" (one Adam 1e-3 run each, 1 thread)" if timed else ""))
    for column in ("task", "split", "params", "n_train", "n_val", "batch", "steps", "loss", *(
            ("seconds", "final val loss") if timed else ()), "what"):
        table.add_column(column, justify="left" if column in ("task", "split", "loss", "what") else "right")
    total = 0.0
    for name in chosen:
        task = build(name)
        info = task.summary()
        cells = [name, split_of(name), f"{info['n_params']:,}", str(task.n_train), str(task.n_val),
                 str(task.batch_size), str(task.steps), task.loss_name]
        if timed:
            result = run(task, Recipe("adam", 1e-3), threads=1)
            total += result.wall_seconds
            cells += [f"{result.wall_seconds:.2f}", f"{result.val_loss:.4g}"]
        table.add_row(*cells, task.description)
        if timed:
            console.print(f"{name}: {cells[-2]} s", style="dim")
    console.print(table)
    if timed:
        console.print(f"{len(chosen)} runs in {total:.0f} s; the oracle's 48 runs per task: about "
                      f"{48 * total / 60:.0f} min on one core")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time", action="store_true", help="time one full Adam run per task")
    parser.add_argument("--quick", action="store_true", help="only the quick subset")
    parser.add_argument("--split", choices=(*SPLITS, "both"), default="both")
    arguments = parser.parse_args()
    main(names(arguments.split, arguments.quick), arguments.time)
