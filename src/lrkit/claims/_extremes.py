"""(a) Too high a rate diverges, too low a rate is slow.

SGD with momentum 0.9 at constant rates every half decade from 1e-4 to 30, two seeds each, on
three fast tasks. A run fails when lrkit flags it as diverged (a non-finite loss, or 5 steps in a
row above 10x its first loss) or when it ends with a validation loss above its first training
loss (it got worse than where it started). "Slow" compares the rate 100x below the best one
(or the grid's lowest) with the best: how many steps the best rate needed to reach the training
loss the low rate had at the end, and whether the low rate was still improving.
"""

from __future__ import annotations

import math
import statistics

import numpy as np

from ..train import Divergence
from ._claim import (
    Claim,
    Judgement,
    argmin,
    grid,
    grid_jobs,
    grid_losses,
    join,
    log_grid,
    measures_and_panels,
    seeded,
    smooth,
    thin,
    verdict,
)
from ._claim import rate as fmt
from ._jobs import Job, Runs
from ._result import Mark, Panel, Series

TASKS = ("digits-mlp", "cancer-logreg", "diabetes-mlp")
RATES = log_grid(-4, 1.5, 2)
SLOWER = 10  # "slow": the best rate reaches the low rate's final loss in a tenth of the steps or less


def _grid(task: str) -> dict[float, Job]:
    return grid(task, "momentum", RATES)


def plan() -> list[Job]:
    return grid_jobs(_grid(task) for task in TASKS)


def training_curve(runs: Runs, job: Job) -> np.ndarray:
    """Smoothed training loss (trailing mean over 5% of the budget), averaged over the seeds."""
    curves = [smooth(runs[j].train_loss, max(1, runs[j].budget // 20)) for j in seeded(job)]
    return np.mean([c[:min(map(len, curves))] for c in curves], axis=0)


def until_diverging(curve: np.ndarray, first: float) -> np.ndarray:
    """The curve up to where it passes lrkit's divergence bar (10x the first loss), then one infinity."""
    above = np.flatnonzero(curve > Divergence().factor * first)
    return curve if not len(above) else np.append(curve[:above[0]], np.inf)


def _task(runs: Runs, task: str) -> tuple[dict, tuple[Panel, ...]]:
    jobs = _grid(task)
    losses = grid_losses(runs, jobs)
    best = argmin(losses)
    start = statistics.mean(runs[j].train_loss[0] for j in seeded(jobs[best]))
    failed = [lr for lr in RATES if lr > best and not losses[lr] <= start]
    low = min(RATES, key=lambda lr: abs(math.log10(lr) - math.log10(best / 100)))
    low_curve, best_curve = training_curve(runs, jobs[low]), training_curve(runs, jobs[best])
    reached = np.flatnonzero(best_curve <= low_curve[-1])
    steps = int(reached[0]) + 1 if len(reached) else None
    half = len(low_curve) // 2
    m = {
        "best_lr": best, "best_loss": losses[best], "first_loss": start,
        "first_failed_lr": min(failed, default=None),
        "diverged_lrs": [lr for lr in RATES if any(runs[j].diverged for j in seeded(jobs[lr]))],
        "low_lr": low, "low_final_train_loss": float(low_curve[-1]),
        "low_still_improving": bool(low_curve[-1] < low_curve[half]),
        "best_steps_to_low_final": steps, "budget": len(low_curve),
        "losses": {fmt(lr): v for lr, v in losses.items()},
    }
    m["speedup"] = None if steps is None else len(low_curve) / steps
    m["fails_high"] = bool(failed)
    m["slow_low"] = m["low_still_improving"] and steps is not None and m["speedup"] >= SLOWER
    shown = [lr for lr in (low, best, m["first_failed_lr"]) if lr is not None]
    curves = [(f"lr {fmt(lr)}", until_diverging(training_curve(runs, jobs[lr]), start)) for lr in shown]
    panels = (
        Panel(f"{task}: final validation loss", "learning rate", "validation loss",
              (Series("SGD momentum", RATES, list(losses.values())),),
              (Mark("first loss", start, "y"), Mark("best", best)), x_log=True, y_log=True),
        Panel(f"{task}: training loss", "step", "training loss (smoothed)",
              tuple(Series(label, *thin(curve)) for label, curve in curves), y_log=True),
    )
    return m, panels


def judge(runs: Runs) -> Judgement:
    tasks, panels = measures_and_panels({task: _task(runs, task) for task in TASKS})
    high = [f"{t} from {fmt(m['first_failed_lr'])} ({m['first_failed_lr'] / m['best_lr']:.0f}x its best "
            f"rate {fmt(m['best_lr'])})" for t, m in tasks.items() if m["fails_high"]]
    low = [f"on {t} lr {fmt(m['low_lr'])} ended at the training loss that {fmt(m['best_lr'])} reached in "
           f"{m['best_steps_to_low_final']} of {m['budget']} steps ({m['speedup']:.0f}x sooner"
           + ("" if m["low_still_improving"] else ", and it had stopped improving") + ")"
           for t, m in tasks.items() if m["best_steps_to_low_final"] is not None]
    no_fail = [t for t, m in tasks.items() if not m["fails_high"]]
    finding = (
        (f"Training failed above the best rate on {join(high)}. " if high else "")
        + (f"On {join(no_fail)} no rate up to {fmt(RATES[-1])} failed. " if no_fail else "")
        + (f"About 100x below the best rate: {'; '.join(low)}." if low else "")
    )
    checks = [m[key] for m in tasks.values() for key in ("fails_high", "slow_low")]
    return Judgement(verdict(checks), finding.strip(), {"tasks": tasks}, panels)


CLAIM = Claim(
    "a",
    "Too high a learning rate diverges; too low a rate is slow.",
    "On each task (SGD with momentum, half-decade grid 1e-4..30, 2 seeds), 'too high fails' holds when some "
    "rate above the best diverges or ends above its first loss; 'too low is slow' holds when, at the rate "
    "100x below the best, the loss is still falling at the end and the best rate reached that final loss "
    f"in at most 1/{SLOWER} of the steps. Supported when both hold on every task, refuted when neither "
    "holds anywhere, depends otherwise.",
    plan,
    judge,
)
