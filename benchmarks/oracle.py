"""The oracle of ../shared/BENCHMARKS.md, computed once per task and cached as JSON.

{momentum SGD, Adam} x {constant, cosine to 0} x 11 rates 10^(-5 + 0.5k), each trained for the
task's full budget on seeds 0 and 1; the configuration with the lowest mean final validation loss
(a diverged run scores infinity) is retrained on seeds 2 and 3, and that mean is the oracle's score.
The cache is keyed by a fingerprint of the task, so a changed task is recomputed. The suite's
tasks (suite/, `suite:NAME`) have their own cache, suite_oracle.json, whose fingerprint also covers
the model's definition and the training code (the sources of lrkit.train and lrkit.optim): an
oracle is only an oracle for the code that trains the methods it is compared with. Every entry
records what it took to compute (wall seconds, runs, steps, the machine's cores).

    python benchmarks/oracle.py [TASK ...]                                  # fill the cache, print the table
    python benchmarks/oracle.py --suite [--quick] [--split design|test|both]
    python benchmarks/oracle.py --suite --replay          # keep entries whose runs replay exactly

A change to the training code that leaves every run's numbers as they were (a new function beside
the loop, say) need not cost a recompute: `--replay` retrains three runs of each stale entry (the
best configuration on its first search seed, and the first and last grid runs) and, when all three
reproduce their cached validation loss exactly, stamps the entry with the current fingerprint and
says so in the entry (`replayed`); any difference leaves the entry stale, to be recomputed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import suite
import torch

from lrkit.tasks import load_task
from lrkit.train import Recipe, run

CACHE = Path(__file__).with_name("oracle.json")
SUITE_CACHE = Path(__file__).with_name("suite_oracle.json")
TRAINING_CODE = ("lrkit.train", "lrkit.optim")
LEARNING_TASKS = [
    "digits-mlp", "digits-cnn", "cancer-logreg", "diabetes-mlp", "mnist1d-mlp", "fashion-mlp", "fashion-cnn",
]
# Task files written by hand (held_out/README.md), which the benchmarks score with --held-out.
HELD_OUT = [f"{Path(__file__).parent / 'held_out' / name}.py:make_task"
            for name in ("wine", "iris", "moons", "friedman")]
OPTIMIZERS = ("momentum", "adam")
SCHEDULES = ("constant", "cosine")
RATES = tuple(10 ** (-5 + 0.5 * k) for k in range(11))
SEARCH_SEEDS, SCORE_SEEDS = (0, 1), (2, 3)


def cache_key(task_ref: str) -> str:
    """A task's entry in the caches: its name (a task file's path differs between checkouts)."""
    if suite.is_suite(task_ref):
        return suite.resolve(task_ref).rpartition(":")[2]
    return load_task(task_ref).name if ":" in task_ref else task_ref


def fingerprint(task_name: str) -> str:
    """Changes whenever the task's data, model size or budget changes."""
    task = load_task(suite.resolve(task_name))
    digest = hashlib.sha256()
    digest.update(repr((task.steps, task.batch_size, task.n_train, task.n_val, task.loss_name)).encode())
    digest.update(repr(sum(p.numel() for p in task.build_model().parameters())).encode())
    for part in (task.train, task.val):
        if isinstance(part, tuple):
            for tensor in part:
                digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


@cache
def code_version() -> str:
    """A hash of the training code's sources (every .py file of lrkit.train and lrkit.optim)."""
    digest = hashlib.sha256()
    for package in TRAINING_CODE:
        spec = find_spec(package)
        folder = Path(next(iter(spec.submodule_search_locations)))  # type: ignore[union-attr]
        for path in sorted(folder.rglob("*.py")):
            digest.update(f"{package}/{path.relative_to(folder)}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def suite_fingerprint(task_ref: str) -> str:
    """`fingerprint`, the model's definition (its repr: layers, activations, dropout, decay),
    the loss and metric, and the training code's version."""
    task = load_task(suite.resolve(task_ref))
    with torch.random.fork_rng(devices=[]):
        model = repr(task.build_model())
    parts = (fingerprint(task_ref), model, task.loss_name, task.metric_name, code_version())
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def train_score(task_name: str, optimizer: str, schedule: str, lr: float, seed: int) -> dict[str, Any]:
    """One full-budget run; its final validation loss (inf if diverged) and metric."""
    torch.set_num_threads(1)
    result = run(load_task(suite.resolve(task_name)), Recipe(optimizer, lr, schedule, seed=seed))
    return {"optimizer": optimizer, "schedule": schedule, "lr": lr, "seed": seed,
            "val_loss": result.val_loss if math.isfinite(result.val_loss) else None,
            "val_metric": result.val_metric, "diverged_at": result.diverged_at,
            "steps": result.steps}


def _loss(entry: dict[str, Any]) -> float:
    return math.inf if entry["val_loss"] is None else entry["val_loss"]


def compute(task_name: str, workers: int = 2) -> dict[str, Any]:
    """The grid on the search seeds, then the winner on the scoring seeds."""
    began = time.perf_counter()
    jobs = [(task_name, o, s, lr, seed) for o in OPTIMIZERS for s in SCHEDULES for lr in RATES
            for seed in SEARCH_SEEDS]
    with ProcessPoolExecutor(workers) as pool:
        grid = list(pool.map(train_score, *zip(*jobs)))
        means = {}
        for entry in grid:
            means.setdefault((entry["optimizer"], entry["schedule"], entry["lr"]), []).append(_loss(entry))
        best = min(means, key=lambda key: statistics.mean(means[key]))
        scored = list(pool.map(train_score, *zip(*[(task_name, *best, seed) for seed in SCORE_SEEDS])))
    metrics = [entry["val_metric"] for entry in scored]
    runs = grid + scored
    return {
        "fingerprint": suite_fingerprint(task_name) if suite.is_suite(task_name) else fingerprint(task_name),
        "best": {"optimizer": best[0], "schedule": best[1], "lr": best[2],
                 "search_val_loss": statistics.mean(means[best])},
        "val_loss": statistics.mean(_loss(entry) for entry in scored),
        "val_metric": None if None in metrics else statistics.mean(metrics),
        "runs": len(runs),
        "cost": {"wall_seconds": round(time.perf_counter() - began, 1), "runs": len(runs),
                 "steps": sum(entry["steps"] for entry in runs), "workers": workers,
                 "cores": os.cpu_count(), "code_version": code_version()},
        "grid": grid,
        "scored": scored,
    }


def load(task_names: list[str] | None = None, workers: int = 2, log=print) -> dict[str, dict[str, Any]]:
    """The oracle for each task (a built-in name, `file.py:function` or `suite:NAME`), from the
    cache when its fingerprint still matches (suite tasks: suite_oracle.json, the others:
    oracle.json)."""
    caches = {path: json.loads(path.read_text()) if path.exists() else {} for path in (CACHE, SUITE_CACHE)}
    out = {}
    for name in task_names or LEARNING_TASKS:
        in_suite = suite.is_suite(name)
        path = SUITE_CACHE if in_suite else CACHE
        entry = caches[path].get(cache_key(name))
        current = suite_fingerprint(name) if in_suite else fingerprint(name)
        if entry is None or entry["fingerprint"] != current:
            log(f"computing the oracle for {cache_key(name)}{_why_stale(entry, in_suite)}: "
                f"{len(RATES) * 4 * 2 + 2} full runs...")
            entry = caches[path][cache_key(name)] = compute(name, workers)
            path.write_text(json.dumps(caches[path], indent=1) + "\n")
        out[name] = entry
    return out


REPLAYED = 3


def replay(task_names: list[str], workers: int = 2, log=print) -> None:
    """Re-stamp each stale suite entry whose replayed runs equal its cached ones (see the module doc)."""
    cache = json.loads(SUITE_CACHE.read_text()) if SUITE_CACHE.exists() else {}
    for name in task_names:
        entry, current = cache.get(cache_key(name)), suite_fingerprint(name)
        if entry is None or entry["fingerprint"] == current:
            continue
        best = entry["best"]
        wanted = (best["optimizer"], best["schedule"], best["lr"], SEARCH_SEEDS[0])
        picks = [next(run for run in entry["grid"] if _config(run) == wanted),
                 entry["grid"][0], entry["grid"][-1]][:REPLAYED]
        with ProcessPoolExecutor(workers) as pool:
            again = list(pool.map(train_score, *zip(*[(name, *_config(run)) for run in picks])))
        same = all(new["val_loss"] == old["val_loss"] for new, old in zip(again, picks))
        log(f"{cache_key(name)}: {len(picks)} replayed runs {'equal' if same else 'DIFFER'}"
            f"{'' if same else ' (left stale: recompute it)'}")
        if same:
            entry["replayed"] = {"code_version_from": entry["cost"].get("code_version"),
                                 "code_version": code_version(), "runs": len(picks)}
            entry["fingerprint"] = current
            SUITE_CACHE.write_text(json.dumps(cache, indent=1) + "\n")


def _config(run: dict[str, Any]) -> tuple[str, str, float, int]:
    return run["optimizer"], run["schedule"], run["lr"], run["seed"]


def _why_stale(entry: dict[str, Any] | None, in_suite: bool) -> str:
    if entry is None:
        return ""
    if in_suite and entry.get("cost", {}).get("code_version") != code_version():
        return " (the training code changed)"
    return " (the task changed)"


def task_refs(arguments: argparse.Namespace) -> list[str]:
    """The tasks a benchmark's command line names: the suite's (--suite, --quick, --split), the
    held-out files (--held-out), the given references, or the built-in learning tasks."""
    if arguments.suite:
        return [f"{suite.PREFIX}{name}" for name in suite.names(arguments.split, arguments.quick)]
    if arguments.held_out:
        return HELD_OUT
    return arguments.tasks or LEARNING_TASKS


def add_task_arguments(parser: argparse.ArgumentParser) -> None:
    """The options `task_refs` reads."""
    parser.add_argument("tasks", nargs="*", help="built-in names, file.py:function or suite:NAME (default: "
                                                 "the built-in learning tasks)")
    parser.add_argument("--held-out", action="store_true", help="the task files of held_out/ instead")
    parser.add_argument("--suite", action="store_true", help="the suite's tasks instead (suite/tasks.py)")
    parser.add_argument("--quick", action="store_true", help="with --suite: its quick subset")
    parser.add_argument("--split", choices=(*suite.SPLITS, "both"), default="both",
                        help="with --suite: design tasks, test tasks or both (default)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_task_arguments(parser)
    parser.add_argument("--workers", type=int, default=2, help="processes, one thread each (default 2)")
    parser.add_argument("--replay", action="store_true", help="with --suite: re-stamp stale entries whose "
                                                              "replayed runs are equal, before anything else")
    arguments = parser.parse_args()
    if arguments.replay:
        replay(task_refs(arguments), arguments.workers)
    for name, entry in load(task_refs(arguments), arguments.workers).items():
        best, cost = entry["best"], entry.get("cost", {})
        took = f"  ({cost['wall_seconds']:.0f} s, {cost['runs']} runs)" if cost else ""
        edge = "  at the grid's edge" if best["lr"] in (RATES[0], RATES[-1]) else ""
        print(f"{cache_key(name):24s} {best['optimizer']:8s} {best['schedule']:8s} lr={best['lr']:.0e}  "
              f"val_loss={entry['val_loss']:.4f}  metric={entry['val_metric']}{took}{edge}")
