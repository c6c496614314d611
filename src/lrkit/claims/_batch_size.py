"""(h) A larger batch wants a larger learning rate (the linear scaling rule).

SGD with momentum 0.9 at constant rates every quarter decade from 0.003 to 1, two seeds each, on
three tasks: at the task's batch size b for its full budget, and at 4b for a quarter of the steps
(the same number of epochs, as in Goyal et al. 2017). The best rate at each batch size is the grid's
best refined by a parabola in log(rate); the linear rule (`lrkit.scale_lr`) predicts a 4x rate, the
square-root rule 2x.
"""

from __future__ import annotations

import dataclasses
import math

from ..schedules import scale_lr
from ._claim import Claim, Judgement, best_rate, grid, grid_jobs, grid_losses, join, log_grid, spread, verdict
from ._claim import rate as fmt
from ._jobs import Job, Runs
from ._result import Mark, Panel, Series

TASKS = ("digits-mlp", "digits-cnn", "cancer-logreg")
RATES = log_grid(-2.5, 0, 4)
SCALE = 4
LARGER = 1.5  # "larger": the best rate at least 1.5x higher at SCALE x the batch


def _grids(task: str) -> dict[int, dict[float, Job]]:
    """Jobs at the task's batch (scale 1) and at SCALE x it for 1/SCALE of the steps."""
    base = grid(task, "momentum", RATES)
    return {1: base, SCALE: {lr: dataclasses.replace(job, batch_scale=SCALE, budget=1 / SCALE)
                             for lr, job in base.items()}}


def plan() -> list[Job]:
    return grid_jobs(jobs for task in TASKS for jobs in _grids(task).values())


def judge(runs: Runs) -> Judgement:
    tasks, panels = {}, []
    rules = {"linear": scale_lr(1.0, 1, SCALE), "square-root": scale_lr(1.0, 1, SCALE, "sqrt")}
    for task in TASKS:
        losses = {scale: grid_losses(runs, jobs) for scale, jobs in _grids(task).items()}
        best = {scale: best_rate(RATES, list(values.values())) for scale, values in losses.items()}
        ratio = best[SCALE] / best[1]
        closer = min(rules, key=lambda rule: abs(math.log(ratio / rules[rule])))
        tasks[task] = {"best_lr": best[1], "best_lr_larger_batch": best[SCALE], "ratio": ratio,
                       "closer_rule": closer, "larger": ratio >= LARGER}
        panels.append(Panel(
            f"{task}, SGD momentum, same epochs", "learning rate", "final validation loss",
            tuple(Series(f"batch x{scale}", RATES, list(v.values())) for scale, v in losses.items()),
            tuple(Mark(f"best at batch x{scale}: {fmt(lr)}", lr) for scale, lr in best.items()),
            x_log=True, y_log=True,
        ))
    ratios = [m["ratio"] for m in tasks.values()]
    grew = spread(f"{min(ratios):.2g}x", f"{max(ratios):.2g}x")
    moves = join(f"{t} {fmt(m['best_lr'])} -> {fmt(m['best_lr_larger_batch'])}" for t, m in tasks.items())
    closer = "; ".join(f"the {rule} rule was closer on {join(names)}" for rule in rules
                       if (names := [t for t, m in tasks.items() if m["closer_rule"] == rule]))
    finding = (
        f"With a {SCALE}x larger batch (same epochs), the best rate grew {grew}: {moves}. The linear rule "
        f"predicts {rules['linear']:g}x, the square-root rule {rules['square-root']:g}x; {closer}."
    )
    return Judgement(verdict([m["larger"] for m in tasks.values()]), finding,
                     {"tasks": tasks, "scale": SCALE, "rules": rules}, tuple(panels))


CLAIM = Claim(
    "h",
    "A larger batch wants a larger learning rate (linear scaling rule).",
    "On each task, 'larger' holds when the best rate (parabola-refined on a quarter-decade grid, 2 seeds) "
    f"at {SCALE}x the batch, trained for the same epochs, is at least {LARGER:g}x the best rate at the "
    "task's batch. Supported when it holds on every task, refuted on none, depends otherwise; the finding "
    "says whether the linear (4x) or square-root (2x) rule came closer.",
    plan,
    judge,
)
