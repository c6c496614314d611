"""`lrkit tune` against the oracle and the anchors of ../shared/BENCHMARKS.md.

For every built-in learning task: the oracle (cached by oracle.py); `lrkit tune` at budgets 1, 2,
3 and 4 searching on seed 0, its recipe retrained on seeds 2 and 3; and the anchors, each on seeds
2 and 3: Adam at 1e-3; torch-lr-finder's steepest and minimum/10 suggestions, each followed by Adam
with cosine decay; Prodigy; D-Adaptation Adam; Schedule-Free AdamW; DoG. Every method is scored as
its mean final validation loss over the oracle's (ratio; 1.00 = the best of 44 configurations) and
its cost in full runs. Anchors are cached in anchors.json (keyed by the oracle's fingerprint).
Prints a table per task, a summary and writes a performance-profile plot. On the suite
(suite/, its oracle in suite_oracle.json, anchors in suite_anchors.json) the design and test
tasks are summed up side by side, raw and with each task's ratio clipped at 1 (a ratio below 1
is mostly the oracle's own seed noise); the headline is the test split.

    python benchmarks/bench_tune.py [--budgets 1,2,3,4] [--plot FILE] [--held-out | TASK ...]
    python benchmarks/bench_tune.py --suite [--quick] [--split design|test|both] [--anchors-only]
    python benchmarks/bench_tune.py --suite --split design --variant "families:per_family=true" ...

`--variant NAME:FIELD=VALUE;...` adds tune with those fields of its `Policy` (or its `schedules`)
changed, an ablation scored beside the default; a recipe chosen by several variants is trained
once per scoring seed.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import statistics
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import matplotlib
import suite
from bench_finder import ANCHORS, TLF_METHODS, final_loss, geomean, torch_lr_finder
from oracle import add_task_arguments, cache_key, load, task_refs
from rich.console import Console
from rich.table import Table

from lrkit.search import Policy
from lrkit.train import Recipe
from lrkit.tune import tune

matplotlib.use("Agg")

SEARCH_SEED, SCORE_SEEDS = 0, (2, 3)
BUDGETS = (1.0, 2.0, 3.0, 4.0)  # the 1, 2 and 4, and 3: the default budget
ANCHOR_CACHE = Path(__file__).with_name("anchors.json")
SUITE_ANCHOR_CACHE = Path(__file__).with_name("suite_anchors.json")
PROFILE = Path(__file__).parent.parent / "docs" / "img" / "tune_profile.png"
ANCHOR_METHODS = ("adam 1e-3", *TLF_METHODS, "prodigy", "dadapt-adam", "schedulefree-adamw", "dog")


def tuned(task_name: str, budget: float, changes: dict[str, Any]) -> dict[str, Any]:
    """`lrkit tune` on the search seed with the policy's fields (and `schedules`) that `changes`
    sets, in this worker process."""
    changes = dict(changes)
    schedules = changes.pop("schedules", None)
    result = tune(task_name, budget, seed=SEARCH_SEED, workers=1, policy=Policy.from_dict(changes),
                  schedules=None if schedules is None else tuple(schedules))
    recipe = result.recipe
    return {"recipe": recipe.to_dict(), "cost": result.cost, "search_val_loss": result.final.val_loss}


def score(task_name: str, recipe: dict[str, Any], seed: int) -> float:
    """The recipe retrained in full on a scoring seed: its final validation loss (inf if diverged)."""
    from lrkit.tasks import load_task
    from lrkit.train import run

    result = run(load_task(task_name), Recipe.from_dict({**recipe, "seed": seed}))
    return math.inf if result.diverged else result.val_loss


def anchors(task_name: str, pool: ProcessPoolExecutor) -> dict[str, dict[str, Any]]:
    """Each anchor's mean loss over the scoring seeds and its cost (torch-lr-finder's test + a run)."""
    finders = {seed: pool.submit(torch_lr_finder, task_name, seed) for seed in SCORE_SEEDS}
    jobs: dict[str, list] = {name: [pool.submit(final_loss, task_name, ANCHORS[name], seed)
                                    for seed in SCORE_SEEDS] for name in ANCHORS}
    steps = {seed: finders[seed].result() for seed in SCORE_SEEDS}
    for method in TLF_METHODS:
        recipes = {seed: ("adam", steps[seed]["suggestions"][method], "cosine") for seed in SCORE_SEEDS}
        jobs[method] = [pool.submit(final_loss, task_name, recipes[seed], seed) for seed in SCORE_SEEDS]
    from lrkit.tasks import load_task

    budget = load_task(task_name).steps
    tlf_cost = 1.0 + statistics.mean(s["steps"] for s in steps.values()) / budget
    return {method: {"val_loss": _mean([f.result() for f in futures]),
                     "cost": tlf_cost if method in TLF_METHODS else 1.0}
            for method, futures in jobs.items()}


def cached_anchors(task_names: list[str], oracle: dict, pool: ProcessPoolExecutor,
                   console: Console) -> dict[str, dict[str, Any]]:
    """Each task's anchors, from their cache while the oracle's fingerprint (which covers the
    training code for the suite) is the one they were run under."""
    out = {}
    for name in task_names:
        path = SUITE_ANCHOR_CACHE if suite.is_suite(name) else ANCHOR_CACHE
        cache = json.loads(path.read_text()) if path.exists() else {}
        key, fingerprint = cache_key(name), oracle[name]["fingerprint"]
        entry = cache.get(key)
        if entry is None or entry["fingerprint"] != fingerprint:
            console.print(f"[dim]running the anchors on {key}...[/dim]")
            entry = cache[key] = {"fingerprint": fingerprint, "methods": anchors(name, pool)}
            path.write_text(json.dumps(cache, indent=1) + "\n")
        out[name] = entry["methods"]
    return out


def _mean(losses: list[float]) -> float:
    return math.inf if any(not math.isfinite(v) for v in losses) else statistics.mean(losses)


def measure_tune(task_names: list[str], budgets: tuple[float, ...], variants: dict[str, dict[str, Any]],
                 pool: ProcessPoolExecutor, console: Console) -> dict[str, dict[str, Any]]:
    """Each variant of tune at each budget on each task, its recipe scored on the scoring seeds."""
    searches = {(name, label, b): pool.submit(tuned, name, b, policy) for name in task_names
                for label, policy in variants.items() for b in budgets}
    out: dict[str, dict[str, Any]] = {name: {} for name in task_names}
    scores: dict[tuple[str, str, int], Any] = {}  # one training per task, recipe and seed
    scoring = {}
    for (name, label, budget), future in searches.items():
        found = future.result()
        key = json.dumps(found["recipe"], sort_keys=True)
        futures = [scores.setdefault((name, key, seed), pool.submit(score, name, found["recipe"], seed))
                   for seed in SCORE_SEEDS]
        scoring[(name, label, budget)] = (found, futures)
    for (name, label, budget), (found, futures) in scoring.items():
        loss = _mean([f.result() for f in futures])
        recipe = found["recipe"]
        out[name][f"{label} @ {budget:g}"] = {"val_loss": loss, "cost": found["cost"],
                                              "recipe": f"{recipe['optimizer']} {recipe['lr']:.3g} "
                                                        f"{recipe['schedule'].split('(')[0]}"}
        console.print(f"[dim]{name} {label} @ {budget:g}: {recipe['optimizer']} lr {recipe['lr']:.3g} "
                      f"{recipe['schedule']} -> {loss:.4g}, cost {found['cost']:.2f}[/dim]")
    return out


def parse_variant(text: str) -> tuple[str, dict[str, Any]]:
    """`NAME:FIELD=VALUE;...` as (NAME, {FIELD: VALUE}), each value read as JSON (true, 0.2,
    ["cosine", "constant"]); a field is one of `Policy`'s or `schedules`."""
    name, _, assignments = text.partition(":")
    fields = {}
    for assignment in filter(None, assignments.split(";")):
        field, _, value = assignment.partition("=")
        fields[field.strip()] = json.loads(value)
    unknown = set(fields) - {*Policy().to_dict(), "schedules"}
    if unknown:
        raise SystemExit(f"unknown policy fields {sorted(unknown)}; fields: {', '.join(Policy().to_dict())}")
    return name, fields


def report(oracle: dict, results: dict[str, dict[str, Any]], methods: list[str], groups: dict[str, list[str]],
           console: Console, plot: Path) -> None:
    """A row per task (ratio to the oracle, cost), then each group's summary side by side."""
    ratio = {(n, m): results[n][m]["val_loss"] / oracle[n]["val_loss"] for n in results for m in methods}
    per_task = Table(title="final validation loss / the oracle's (seeds 2, 3), cost in full runs")
    per_task.add_column("task")
    per_task.add_column("split")
    for method in methods:
        per_task.add_column(method, justify="right")
    for group, names in groups.items():
        for name in names:
            per_task.add_row(cache_key(name), group,
                             *(f"{ratio[name, m]:.3f} ({results[name][m]['cost']:.1f})" for m in methods))
    console.print(per_task)
    summary = Table(title="summary over tasks (1.00 = the oracle: the best of 44 full runs per seed); "
                          "geomean, then geomean of max(r, 1), tasks within 5%, worst, mean cost")
    summary.add_column("method")
    for group, names in groups.items():
        for column in ("geomean", "clipped", "within 5%", "worst", "cost"):
            summary.add_column(f"{group} ({len(names)})\n{column}" if column == "geomean" else column,
                               justify="right")
    for method in methods:
        cells = []
        for names in groups.values():
            values = [ratio[n, method] for n in names]
            worst = max(names, key=lambda n: ratio[n, method])
            cells += [f"{geomean(values):.3f}", f"{geomean([max(v, 1.0) for v in values]):.3f}",
                      f"{sum(v <= 1.05 for v in values)}", f"{ratio[worst, method]:.2f} {cache_key(worst)}",
                      f"{statistics.mean(results[n][method]['cost'] for n in names):.2f}"]
        summary.add_row(method, *cells)
    console.print(summary)
    profile_plot({group: {m: [ratio[n, m] for n in names] for m in methods}
                  for group, names in groups.items()}, plot)
    console.print(f"performance profile written to {plot}")


def profile_plot(ratios: dict[str, dict[str, list[float]]], path: Path) -> None:
    """Fraction of tasks within a factor tau of the oracle, tau from 1 to 2, one line per method;
    one panel per group of tasks (design and test side by side)."""
    import matplotlib.pyplot as plt
    import numpy as np

    taus = np.linspace(1, 2, 201)
    figure, axes = plt.subplots(1, len(ratios), figsize=(7 * len(ratios), 4.5), squeeze=False)
    for ax, (group, by_method) in zip(axes[0], ratios.items()):
        for method, values in by_method.items():
            fractions = [np.mean([v <= tau for v in values]) for tau in taus]
            width = 2.5 if method.startswith("tune") else 1.2
            ax.step(taus, fractions, where="post", label=method, linewidth=width)
        ax.set(xlabel="tau (ratio to the oracle's validation loss)", ylabel="fraction of tasks within tau",
               title=f"{group} tasks: higher and further left is better", ylim=(-0.02, 1.02))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(figure)


def main(task_names: list[str], budgets: tuple[float, ...], variants: dict[str, dict[str, Any]],
         plot: Path) -> None:
    console = Console(width=240)
    task_names = [suite.resolve(name) for name in task_names]  # suite:NAME -> the file lrkit loads
    oracle = load(task_names, log=lambda text: console.print(text, style="dim"))
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = measure_tune(task_names, budgets, variants, pool, console)
        for name, methods in cached_anchors(task_names, oracle, pool, console).items():
            results[name].update(methods)
    methods = [f"{label} @ {b:g}" for label in variants for b in budgets] + list(ANCHOR_METHODS)
    report(oracle, results, methods, suite.groups(task_names), console, plot)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_task_arguments(parser)
    parser.add_argument("--budgets", default=",".join(f"{b:g}" for b in BUDGETS), help="comma-separated")
    parser.add_argument("--anchors-only", action="store_true", help="the oracle and the anchors, no tune")
    parser.add_argument("--plot", type=Path, help="where the performance profile goes (default: docs/img/)")
    parser.add_argument("--variant", action="append", default=[], type=parse_variant,
                        help="NAME:FIELD=VALUE;... tune with those Policy fields (or schedules) changed")
    parser.add_argument("--only-variants", action="store_true", help="with --variant: leave the default out")
    arguments = parser.parse_args()
    stem = "tune_profile_suite" if arguments.suite else "tune_profile_held_out" if arguments.held_out \
        else PROFILE.stem
    budgets = () if arguments.anchors_only else tuple(float(b) for b in arguments.budgets.split(","))
    variants = dict(arguments.variant) if arguments.only_variants else {"tune": {}, **dict(arguments.variant)}
    main(task_refs(arguments), budgets, variants, arguments.plot or PROFILE.with_stem(stem))
