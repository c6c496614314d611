"""How good is each range-test suggestion? Train at it and compare with the oracle.

For every built-in learning task: the oracle of ../shared/BENCHMARKS.md (cached by oracle.py),
then for each suggestion method a range test (Adam, 1e-7 to 10 over 100 steps) on seeds 2 and 3,
Adam with cosine decay trained for the full budget at the suggested rate on the same seed, and the
ratio of its mean final validation loss to the oracle's (a diverged run counts as infinity).
Methods: lrkit's own and steepest / minimum/10 / valley from lrkit's range test, and the
torch-lr-finder package's own run (`LRFinder.range_test` with its steepest suggestion, and a
tenth of its minimum). The anchors of BENCHMARKS.md sit beside them, one run each: Adam at
1e-3 constant, and the learning-rate-free optimizers at their packages' default rates. Cost is in
full-run units: the range test's steps / the task's budget, plus the final run (1.0). On
`quadratic` the SGD suggestion is set beside 2/L and 2/(L+mu).

    python benchmarks/bench_finder.py [TASK ...]
"""

from __future__ import annotations

import contextlib
import io
import math
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import matplotlib
import torch
from oracle import LEARNING_TASKS, load
from rich.console import Console
from rich.table import Table
from torch.utils.data import DataLoader

from lrkit.finder import find_lr
from lrkit.tasks import get_task, load_task
from lrkit.train import Recipe, run

matplotlib.use("Agg")

SEEDS = (2, 3)
START_LR, END_LR, FINDER_STEPS = 1e-7, 10.0, 100
LRKIT_METHODS = ("lrkit", "steepest", "minimum_tenth", "valley")
TLF_METHODS = ("torch-lr-finder steepest", "torch-lr-finder min/10")
# name -> (optimizer, rate, schedule): the anchors need no range test.
ANCHORS = {
    "adam 1e-3": ("adam", 1e-3, "constant"),
    "prodigy": ("prodigy", 1.0, "constant"),
    "dadapt-adam": ("dadapt-adam", 1.0, "constant"),
    "schedulefree-adamw": ("schedulefree-adamw", 0.0025, "constant"),
    "dog": ("dog", 1.0, "constant"),
}
METHODS = LRKIT_METHODS + TLF_METHODS + tuple(ANCHORS)


def warm_up() -> None:
    """Pay torch's one-off start-up costs (about a second for the first optimizer step) before
    anything is timed, so neither finder is charged for them."""
    torch.set_num_threads(1)
    model = torch.nn.Linear(4, 2)
    for optimizer in (torch.optim.Adam(model.parameters()), torch.optim.SGD(model.parameters(), lr=0.1)):
        model(torch.randn(8, 4)).square().mean().backward()
        optimizer.step()


def lrkit_finder(task_name: str, seed: int) -> dict[str, Any]:
    """lrkit's range test on the task: every suggestion, its cost in steps and seconds."""
    task = load_task(task_name)
    began = time.perf_counter()
    result = find_lr(task, "adam", seed=seed, start_lr=START_LR, end_lr=END_LR,
                     steps=FINDER_STEPS)
    return {"suggestions": {m: result.suggestions[m] for m in LRKIT_METHODS}, "steps": result.steps,
            "seconds": time.perf_counter() - began}


def torch_lr_finder(task_name: str, seed: int, optimizer: str = "adam") -> dict[str, Any]:
    """torch-lr-finder's own range test and suggestion, used as its README shows."""
    from torch_lr_finder import LRFinder

    task = load_task(task_name)
    torch.manual_seed(seed)
    model = task.build_model()
    optimizer_class = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
    finder = LRFinder(model, optimizer_class(model.parameters(), lr=START_LR), task.loss_fn(), device="cpu")
    loader = DataLoader(task.train_dataset(), batch_size=task.batch_size, shuffle=True)
    quiet = io.StringIO()  # its progress bar and prints would bury the tables
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        began = time.perf_counter()
        finder.range_test(loader, end_lr=END_LR, num_iter=FINDER_STEPS)
        seconds = time.perf_counter() - began
        figure, ax = matplotlib.pyplot.subplots()
        try:
            _, steepest = finder.plot(skip_start=10, skip_end=5, suggest_lr=True, show_lr=None, ax=ax)
        except (ValueError, IndexError):
            steepest = None
    matplotlib.pyplot.close(figure)
    lrs, losses = finder.history["lr"], finder.history["loss"]
    lowest = min(range(len(losses)), key=losses.__getitem__)
    return {"suggestions": {TLF_METHODS[0]: steepest, TLF_METHODS[1]: lrs[lowest] / 10},
            "steps": len(lrs), "seconds": seconds}


def final_loss(task_name: str, recipe: tuple[str, float | None, str], seed: int) -> float:
    """One full-budget run of (optimizer, lr, schedule): its final validation loss."""
    optimizer, lr, schedule = recipe
    if lr is None:
        return math.inf
    result = run(load_task(task_name), Recipe(optimizer, lr, schedule, seed=seed))
    return result.val_loss if result.diverged_at is None and math.isfinite(result.val_loss) else math.inf


def geomean(values: list[float]) -> float:
    return math.exp(statistics.mean(math.log(v) for v in values)) if all(v < math.inf for v in values) \
        else math.inf


def measure(task_names: list[str], pool: ProcessPoolExecutor) -> dict[str, dict[str, Any]]:
    """Per task and method: suggested rates, mean final loss over the seeds, cost."""
    finder_jobs = {(name, seed, kind): pool.submit(kind_fn, name, seed)
                   for name in task_names for seed in SEEDS
                   for kind, kind_fn in (("lrkit", lrkit_finder), ("tlf", torch_lr_finder))}
    finders = {key: future.result() for key, future in finder_jobs.items()}
    finder_of = {m: "lrkit" if m in LRKIT_METHODS else "tlf" for m in LRKIT_METHODS + TLF_METHODS}
    recipes = {}
    for name in task_names:
        for seed in SEEDS:
            for method in METHODS:
                if method in ANCHORS:
                    recipes[(name, seed, method)] = ANCHORS[method]
                else:
                    lr = finders[(name, seed, finder_of[method])]["suggestions"][method]
                    recipes[(name, seed, method)] = ("adam", lr, "cosine")
    training = {key: pool.submit(final_loss, key[0], key[2], key[1])
                for key in {(n, s, recipe) for (n, s, _), recipe in recipes.items()}}
    out: dict[str, dict[str, Any]] = {}
    for name in task_names:
        budget = load_task(name).steps
        out[name] = {}
        for method in METHODS:
            losses = [training[(name, seed, recipes[(name, seed, method)])].result() for seed in SEEDS]
            finder = [finders[(name, s, finder_of[method])] for s in SEEDS] if method in finder_of else []
            steps = statistics.mean(f["steps"] for f in finder) if finder else 0
            out[name][method] = {
                "lrs": [recipes[(name, seed, method)][1] for seed in SEEDS],
                "val_loss": statistics.mean(losses) if math.inf not in losses else math.inf,
                "cost": 1.0 + steps / budget,
                "seconds": statistics.mean(f["seconds"] for f in finder) if finder else None,
            }
    return out


def _rate_text(lrs: list[float | None]) -> str:
    return "none" if None in lrs else geomean_text(lrs)


def geomean_text(lrs: list[float]) -> str:
    return f"{math.exp(statistics.mean(math.log(lr) for lr in lrs)):.1e}"


def report(oracle: dict[str, Any], results: dict[str, dict[str, Any]], console: Console) -> None:
    per_task = Table(title="final validation loss / the oracle's (seeds 2, 3); suggestions trained with "
                           "Adam + cosine for the full budget, anchors one run each")
    rates = Table(title="suggested rates (geometric mean over seeds 2, 3)")
    for table in (per_task, rates):
        table.add_column("task")
    per_task.add_column("oracle", justify="right")
    for method in METHODS:
        per_task.add_column(method, justify="right")
    for method in LRKIT_METHODS + TLF_METHODS:
        rates.add_column(method, justify="right")
    ratios: dict[str, list[float]] = {m: [] for m in METHODS}
    for name, by_method in results.items():
        best = oracle[name]
        for method in METHODS:
            ratios[method].append(by_method[method]["val_loss"] / best["val_loss"])
        b = best["best"]
        winner = f"{best['val_loss']:.4f} ({b['optimizer']} {b['schedule']} {b['lr']:.0e})"
        per_task.add_row(name, winner, *(f"{ratios[m][-1]:.2f}" for m in METHODS))
        rates.add_row(name, *(_rate_text(by_method[m]["lrs"]) for m in LRKIT_METHODS + TLF_METHODS))
    console.print(per_task)
    console.print(rates)

    summary = Table(title="summary over tasks (ratio to the oracle; lower is better, 1.00 is the oracle)")
    for column in ("method", "geomean ratio", "worst ratio", "tasks within 5%", "mean cost (runs)",
                   "range test (s)"):
        summary.add_column(column, justify="left" if column == "method" else "right")
    for method in METHODS:
        values = ratios[method]
        cost = statistics.mean(results[n][method]["cost"] for n in results)
        seconds = [results[n][method]["seconds"] for n in results]
        within = f"{sum(v <= 1.05 for v in values)} of {len(values)}"
        summary.add_row(method, f"{geomean(values):.3f}", f"{max(values):.2f}", within, f"{cost:.2f}",
                        "" if None in seconds else f"{statistics.mean(seconds):.2f}")
    grid_runs = statistics.mean(len(oracle[n]["grid"]) for n in results)
    summary.add_row("oracle (grid)", "1.000", "1.00", f"{len(results)} of {len(results)}",
                    f"{grid_runs:.0f} + 1", "")
    console.print(summary)


def quadratic_report(console: Console) -> None:
    """The SGD suggestion on the quadratic beside the two rates theory gives."""
    task = get_task("quadratic")
    table = Table(title="quadratic (SGD): suggestions beside theory")
    for column in ("method", "suggested lr", "/ (2/L)", "/ (2/(L+mu))"):
        table.add_column(column, justify="left" if column == "method" else "right")
    largest, best = task.info["lr_max_stable"], task.info["lr_best"]
    table.add_row("2/L (largest stable)", f"{largest:.4g}", "1.00", f"{largest / best:.2f}")
    table.add_row("2/(L+mu) (best fixed)", f"{best:.4g}", f"{best / largest:.2f}", "1.00")
    ours = find_lr(task, "sgd", start_lr=1e-4, end_lr=10.0, steps=FINDER_STEPS).suggestions
    theirs = torch_lr_finder("quadratic", 0, "sgd")["suggestions"]
    for method, value in {**ours, **theirs}.items():
        cells = ("none", "", "") if value is None else (f"{value:.4g}", f"{value / largest:.2f}",
                                                        f"{value / best:.2f}")
        table.add_row(method, *cells)
    console.print(table)


def main(argv: list[str]) -> None:
    console = Console(width=200)
    task_names = argv or LEARNING_TASKS
    oracle = load(task_names, log=lambda text: console.print(text, style="dim"))
    began = time.perf_counter()
    warm_up()
    with ProcessPoolExecutor(2, initializer=warm_up) as pool:
        results = measure(task_names, pool)
    report(oracle, results, console)
    quadratic_report(console)
    console.print(f"[dim]measured in {time.perf_counter() - began:.0f} s on {torch.get_num_threads()} "
                  "threads, 2 worker processes[/dim]")


if __name__ == "__main__":
    main(sys.argv[1:])
