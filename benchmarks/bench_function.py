"""A training function tuned by `lrkit tune` against the same training tuned as a Task, and
one worker against two.

Quality: for each task, its own training loop written as a plain function `train(trial)` (the
task's model, batches and evaluation, through `trial.optimizer`, `trial.scheduler` and
`trial.report`: `TaskLoop`, which trains exactly what `lrkit.train.run` trains for the same
recipe) is tuned at the budget, beside the Task itself; each winner is retrained on seeds 2 and 3
and scored against the oracle (../shared/BENCHMARKS.md). A third column tunes the Task with the
function's policy (runs judged as they stand, no trunk run on: what a function's runs cannot
branch costs), which separates that from the range test through the trial.

Speed: one budget-2 tune of a task whose runs take about 10 s, in this process and on two worker
processes, as a Task and as a function, with the wall-time ratio.

    python benchmarks/bench_function.py [--budget 2] [--suite --split test|design|both] [TASK ...]
    python benchmarks/bench_function.py --speed-only [--speed-task suite:mnist1d-gru]
"""

from __future__ import annotations

import argparse
import functools
import math
import statistics
import time
from dataclasses import replace

import suite
from bench_finder import geomean
from oracle import add_task_arguments, load, task_refs
from rich.console import Console
from rich.table import Table

from lrkit.search import Policy
from lrkit.tasks import load_task
from lrkit.train import Recipe, evaluate, run
from lrkit.train._batches import batches
from lrkit.tune import tune

SEARCH_SEED, SCORE_SEEDS = 0, (2, 3)
QUICK_TEST = tuple(f"{suite.PREFIX}{name}" for name in suite.QUICK["test"])
SPEED_TASK = f"{suite.PREFIX}mnist1d-gru"
SPEED_STEPS = 3000  # 6x its budget: a run takes about 10 s on the 2-core machine
FUNCTION_POLICY = {"cool_down": 0.0, "continue_trunk": False}


class TaskLoop:
    """A task's training written as a user's function `train(trial)`: the same model, batches,
    loss and evaluation as `lrkit.train.run`, so one recipe trains the same numbers both ways.
    A class, not a closure, so worker processes get it by reference and load the task themselves."""

    def __init__(self, task_ref: str) -> None:
        self.task_ref = task_ref

    def __call__(self, trial) -> None:
        task = _loaded(self.task_ref)
        model = task.build_model().to(trial.device)
        optimizer = trial.optimizer([p for p in model.parameters() if p.requires_grad])
        scheduler = trial.scheduler(optimizer)
        loss_fn, stream = task.loss_fn(), batches(task.train, task.batch_size, trial.seed, trial.device)
        for step in range(trial.steps):
            inputs, targets = next(stream)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
            scheduler.step()
            if (step + 1) % trial.eval_every == 0 or step + 1 == trial.steps:
                trial.report(step + 1, evaluate(model, task, trial.device).val_loss)


@functools.lru_cache(maxsize=2)
def _loaded(task_ref: str):
    """The task, loaded once per process (a user's function would hold its data the same way)."""
    return load_task(suite.resolve(task_ref))


def score(task_ref: str, recipe: Recipe) -> float:
    """The recipe retrained in full on the scoring seeds: mean final validation loss (inf if any diverged)."""
    task = load_task(suite.resolve(task_ref))
    losses = [run(task, replace(recipe, seed=seed)).val_loss for seed in SCORE_SEEDS]
    return statistics.mean(losses) if all(math.isfinite(v) for v in losses) else math.inf


def quality(task_refs_: list[str], budget: float, console: Console) -> None:
    oracle = load(task_refs_)
    table = Table(title=f"tune at budget {budget:g}: final val loss / oracle's (seeds 2, 3) and cost in full "
                        "runs; function / task beside them")
    for column in ("task", "as Task", "as function", "function / Task", "Task, function's policy"):
        table.add_column(column, justify="left" if column == "task" else "right")
    ratios: dict[str, list[float]] = {"task": [], "function": [], "policy": []}
    for ref in task_refs_:
        task = load_task(suite.resolve(ref))
        runs = {
            "task": tune(suite.resolve(ref), budget, seed=SEARCH_SEED, workers=1),
            "function": tune(TaskLoop(ref), budget, steps=task.steps, seed=SEARCH_SEED, workers=1),
            "policy": tune(suite.resolve(ref), budget, seed=SEARCH_SEED, workers=1,
                           policy=Policy.from_dict(FUNCTION_POLICY)),
        }
        scores = {kind: score(ref, result.recipe) / oracle[ref]["val_loss"] for kind, result in runs.items()}
        for kind, value in scores.items():
            ratios[kind].append(value)
        cells = {kind: f"{scores[kind]:.3f} ({runs[kind].cost:.2f})" for kind in runs}
        table.add_row(ref.removeprefix(suite.PREFIX), cells["task"], cells["function"],
                      f"{scores['function'] / scores['task']:.3f}", cells["policy"])
    within = sum(f <= 1.05 * t for f, t in zip(ratios["function"], ratios["task"]))
    means = {kind: geomean(values) for kind, values in ratios.items()}
    clipped = {kind: geomean([max(value, 1.0) for value in values]) for kind, values in ratios.items()}
    table.add_row("geomean", f"{means['task']:.3f}", f"{means['function']:.3f}",
                  f"{means['function'] / means['task']:.3f}", f"{means['policy']:.3f}")
    table.add_row("geomean, clipped at 1", f"{clipped['task']:.3f}", f"{clipped['function']:.3f}", "",
                  f"{clipped['policy']:.3f}")
    console.print(table)
    close = {kind: sum(value <= 1.05 for value in values) for kind, values in ratios.items()}
    console.print(f"function within 5% of Task on {within} of {len(task_refs_)} tasks; within 5% of the "
                  f"oracle: Task {close['task']}, function {close['function']}, Task with the function's "
                  f"policy {close['policy']}")


def speed(task_ref: str, steps: int, budget: float, console: Console) -> None:
    table = Table(title=f"wall time of one budget-{budget:g} tune of {task_ref.removeprefix(suite.PREFIX)} "
                        f"({steps} steps a run), in this process and on two workers")
    for column in ("trainable", "1 worker (s)", "2 workers (s)", "2 / 1", "a run (s)", "same winner"):
        table.add_column(column, justify="left" if column == "trainable" else "right")
    for kind, trainable in (("Task", suite.resolve(task_ref)), ("function", TaskLoop(task_ref))):
        seconds, results = {}, {}
        for workers in (1, 2):
            started = time.perf_counter()
            results[workers] = tune(trainable, budget, steps=steps, seed=SEARCH_SEED, workers=workers,
                                    devices=["cpu"])
            seconds[workers] = time.perf_counter() - started
        final = results[1].final
        table.add_row(kind, f"{seconds[1]:.1f}", f"{seconds[2]:.1f}", f"{seconds[2] / seconds[1]:.2f}",
                      f"{final.wall_seconds:.1f}", str(results[1].recipe == results[2].recipe))
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_task_arguments(parser)
    parser.add_argument("--budget", type=float, default=2.0, help="tune's budget (default 2)")
    parser.add_argument("--speed-only", action="store_true", help="only the one-against-two-workers timing")
    parser.add_argument("--quality-only", action="store_true", help="only the function-against-Task scores")
    parser.add_argument("--speed-task", default=SPEED_TASK, help=f"the timed task (default {SPEED_TASK})")
    parser.add_argument("--speed-steps", type=int, default=SPEED_STEPS,
                        help=f"its steps a run (default {SPEED_STEPS})")
    arguments = parser.parse_args()
    console = Console(width=140)
    if not arguments.speed_only:
        refs = task_refs(arguments) if arguments.suite or arguments.tasks else list(QUICK_TEST)
        quality(refs, arguments.budget, console)
    if not arguments.quality_only:
        speed(arguments.speed_task, arguments.speed_steps, arguments.budget, console)


if __name__ == "__main__":
    main()
