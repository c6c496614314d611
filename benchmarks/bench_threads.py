"""Why `run(..., threads=1)` is the default: wall seconds of a full run with one intra-op thread
beside torch's own default (one per core), side by side on every built-in task, on an idle
machine and with one other busy process (a second training run, a browser, a parallel search).

    python benchmarks/bench_threads.py [TASK ...]
"""

from __future__ import annotations

import multiprocessing
import statistics
import sys
import time

import torch
from rich.console import Console
from rich.table import Table

from lrkit.tasks import builtin_tasks, get_task
from lrkit.train import Recipe, run

REPEATS = 3


def seconds(task_name: str, threads: int | None) -> float:
    """Median wall seconds of a full-budget Adam run."""
    task = get_task(task_name)
    run(task, Recipe("adam", 1e-3), steps=20, threads=threads)  # warm caches and torch's start-up
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        run(task, Recipe("adam", 1e-3, "cosine"), threads=threads)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _spin() -> None:
    while True:
        pass


def main(names: list[str]) -> None:
    default_threads = torch.get_num_threads()
    table = Table(title=f"full run, wall seconds (median of {REPEATS}); torch's default is "
                        f"{default_threads} threads here")
    table.add_column("task")
    for condition in ("idle", "1 busy process"):
        for column in ("threads=1", f"default ({default_threads})", "default / 1"):
            table.add_column(f"{condition}: {column}", justify="right")
    rows = {name: [] for name in names}
    for busy in (False, True):
        spinner = multiprocessing.Process(target=_spin, daemon=True)
        if busy:
            spinner.start()
        try:
            for name in names:
                one, default = seconds(name, 1), seconds(name, None)
                rows[name] += [f"{one:.2f}", f"{default:.2f}", f"{default / one:.2f}"]
        finally:
            if busy:
                spinner.terminate()
    for name, cells in rows.items():
        table.add_row(name, *cells)
    Console(width=160).print(table)


if __name__ == "__main__":
    main(sys.argv[1:] or [name for name in builtin_tasks() if name != "quadratic"])
