"""Search strategies against the oracle, and plain random search at the same cost.

For every built-in learning task: each strategy searches the oracle's space ({momentum, Adam} x
{constant, cosine} x rates 1e-5 ... 1) on seed 0; its winning configuration is retrained on seeds
2 and 3 and compared with the oracle's score (../shared/BENCHMARKS.md). Cost is every training step
the search spent over the task's budget, counted as for the grid (the winner's full runs are among
the search's own). Random search with as many full runs as each strategy's cost is scored the
same way. The grid is the oracle itself: 44 runs per seed, the
cost BENCHMARKS.md gives it, against which the strategies (searching on one seed) are set. Last,
one sweep timed with 1 and with 2 workers.

    python benchmarks/bench_search.py [--strategies sha,tpe] [--no-speedup] [--held-out | TASK ...]
    python benchmarks/bench_search.py --suite [--quick] [--split design|test|both] [--no-speedup]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import suite
from oracle import RATES, add_task_arguments, cache_key, load, task_refs
from rich.console import Console
from rich.table import Table

from lrkit.search import Space, sweep
from lrkit.tasks import load_task
from lrkit.train import Recipe, run

STRATEGIES = {"sha": None, "asha": None, "hyperband": None, "descending": None, "tpe": 12}  # name -> trials
SCORE_SEEDS = (2, 3)
WORKERS = 2
GRID_COST = 44  # full runs of the oracle's grid on one seed


def space(strategy: str) -> Space:
    """The oracle's space: its 11 rates for descending and the halving strategies (which then
    start from every configuration of the grid), their range for the samplers."""
    common = {"optimizers": ("momentum", "adam"), "schedules": ("constant", "cosine")}
    if strategy in ("descending", "sha", "asha", "hyperband"):
        return Space(lrs=RATES, **common)
    return Space(lr_range=(RATES[0], RATES[-1]), **common)


def search(task_name: str, strategy: str, trials: int | None, workers: int) -> dict[str, Any]:
    """One sweep on a fresh storage: the winner's params and the search's cost in full runs."""
    with tempfile.TemporaryDirectory() as out:
        began = time.perf_counter()
        result = sweep(task_name, space(strategy), strategy, trials=trials, out=out,
                       workers=1 if strategy == "descending" else workers)
        seconds = time.perf_counter() - began
    best = result.best
    return {"params": None if best is None else best.params, "cost": result.cost, "seconds": seconds,
            "trials": len(result.trials)}


def score(task_name: str, params: dict[str, Any] | None, seed: int) -> float:
    if params is None:
        return math.inf
    recipe = Recipe(params["optimizer"], params["lr"], params["schedule"], params["plateau"], seed=seed)
    result = run(load_task(task_name), recipe)
    return math.inf if result.diverged else result.val_loss


def scored(task_name: str, params: dict[str, Any] | None, pool: ProcessPoolExecutor) -> float:
    losses = list(pool.map(score, [task_name] * len(SCORE_SEEDS), [params] * len(SCORE_SEEDS), SCORE_SEEDS))
    return statistics.mean(losses)


def measure(task_name: str, oracle: dict[str, Any], strategies: list[str], pool: ProcessPoolExecutor,
            console: Console) -> dict:
    rows = {}
    for strategy in strategies:
        trials = STRATEGIES[strategy]
        found = search(task_name, strategy, trials, WORKERS)
        same_cost = max(1, round(found["cost"]))
        baseline = search(task_name, "random", same_cost, WORKERS)
        rows[strategy] = {
            "ratio": scored(task_name, found["params"], pool) / oracle["val_loss"],
            "cost": found["cost"], "trials": found["trials"], "seconds": found["seconds"],
            "random_ratio": scored(task_name, baseline["params"], pool) / oracle["val_loss"],
            "random_cost": baseline["cost"], "params": found["params"],
        }
        console.print(f"[dim]{cache_key(task_name)} {strategy}: ratio {rows[strategy]['ratio']:.3f} at cost "
                      f"{rows[strategy]['cost']:.1f} ({found['seconds']:.0f} s)[/dim]")
    return rows


def speedup(task_name: str) -> tuple[float, float]:
    """Wall seconds of the same sha sweep with 1 and with 2 workers."""
    one = search(task_name, "sha", None, 1)["seconds"]
    two = search(task_name, "sha", None, 2)["seconds"]
    return one, two


def main(task_names: list[str], strategies: list[str], timed: bool) -> None:
    console = Console(width=200)
    task_names = [suite.resolve(name) for name in task_names]  # suite:NAME -> the file lrkit loads
    oracle = load(task_names, log=lambda text: console.print(text, style="dim"))
    results = {}
    # Spawned, not forked: the parent runs sweeps (threads of torch, SQLAlchemy, heartbeats), and
    # a child forked from a threaded parent can deadlock.
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        for name in task_names:
            results[name] = measure(name, oracle[name], strategies, pool, console)
    table = Table(title="each strategy's winner retrained on seeds 2, 3: val loss / oracle's (cost in full "
                        "runs); random search at the same cost beside it")
    table.add_column("task")
    for strategy in strategies:
        table.add_column(strategy, justify="right")
        table.add_column("random @ same cost", justify="right")
    for name, rows in results.items():
        cells = []
        for strategy in strategies:
            row = rows[strategy]
            cells += [f"{row['ratio']:.2f} ({row['cost']:.1f})",
                      f"{row['random_ratio']:.2f} ({row['random_cost']:.1f})"]
        table.add_row(cache_key(name), *cells)
    console.print(table)

    summary = Table(title=f"summary over tasks (grid = the oracle: ratio 1.00 at cost {GRID_COST} per seed)")
    for column in ("strategy", "tasks", "geomean ratio", "clipped at 1", "worst ratio", "tasks within 5%",
                   "mean cost (runs)", "cost / grid", "random @ same cost: geomean", "worst"):
        summary.add_column(column, justify="left" if column in ("strategy", "tasks") else "right")
    for strategy in strategies:
        for group, names in suite.groups(task_names).items():
            ratios = [results[n][strategy]["ratio"] for n in names]
            randoms = [results[n][strategy]["random_ratio"] for n in names]
            cost = statistics.mean(results[n][strategy]["cost"] for n in names)
            summary.add_row(strategy, f"{group} ({len(names)})", f"{_geomean(ratios):.3f}",
                            f"{_geomean([max(r, 1.0) for r in ratios]):.3f}", f"{max(ratios):.2f}",
                            f"{sum(r <= 1.05 for r in ratios)} of {len(ratios)}", f"{cost:.1f}",
                            f"{cost / GRID_COST:.2f}", f"{_geomean(randoms):.3f}", f"{max(randoms):.2f}")
    console.print(summary)
    if not timed:
        return
    for name in ("digits-mlp", "digits-cnn"):
        one, two = speedup(name)
        console.print(f"sha sweep on {name}: {one:.1f} s with 1 worker (torch on both cores), {two:.1f} s "
                      f"with 2 workers (one core each): speedup {one / two:.2f}x")


def _geomean(values: list[float]) -> float:
    if any(not math.isfinite(v) for v in values):
        return math.inf
    return math.exp(statistics.mean(math.log(v) for v in values))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_task_arguments(parser)
    parser.add_argument("--strategies", default=",".join(STRATEGIES), help="comma-separated")
    parser.add_argument("--no-speedup", dest="timed", action="store_false",
                        help="skip the 1 vs 2 workers timing")
    arguments = parser.parse_args()
    chosen = arguments.strategies.split(",")
    unknown = sorted(set(chosen) - set(STRATEGIES))
    if unknown:
        parser.error(f"unknown strategies {unknown}; choose from {list(STRATEGIES)}")
    main(task_refs(arguments), chosen, arguments.timed)
