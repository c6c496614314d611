"""(f) Cyclical / one-cycle schedules train faster ("super-convergence").

SGD with momentum 0.9 at constant rates (the half-decade grid of claim d) picks the best constant
rate on each task; one-cycle then runs with that rate as its peak, over 1/8, 1/4, 1/2 and the whole
budget (a complete cycle each time, as one-cycle is used). The target is the constant run's final
validation loss; the steps to reach it are counted at the evaluations (every 5% of a run, mean of
two seeds), for one-cycle over whichever of its budgets got there first.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

from ._claim import (
    MOMENTUM_RATES,
    Claim,
    Judgement,
    argmin,
    grid,
    grid_jobs,
    grid_losses,
    join,
    mean_evaluations,
    mean_loss,
    verdict,
)
from ._claim import rate as fmt
from ._jobs import Job, Runs
from ._result import Mark, Panel, Series

TASKS = ("digits-mlp", "cancer-logreg", "mnist1d-mlp")
BUDGETS = (0.125, 0.25, 0.5, 1.0)
FASTER = 1.5  # "faster": the target in at most 2/3 of the constant rate's steps


def plan() -> list[Job]:
    return grid_jobs(grid(task, "momentum", MOMENTUM_RATES) for task in TASKS)


def _constant(runs: Runs, task: str) -> Job:
    jobs = grid(task, "momentum", MOMENTUM_RATES)
    return jobs[argmin(grid_losses(runs, jobs))]


def _cycles(constant: Job) -> dict[float, Job]:
    cycle = constant.with_recipe(schedule="one_cycle")
    return {budget: dataclasses.replace(cycle, budget=budget) for budget in BUDGETS}


def follow_up(runs: Runs) -> list[Job]:
    return grid_jobs(_cycles(_constant(runs, task)) for task in TASKS)


def steps_to(curve: tuple[list[float], list[float]], target: float) -> float:
    """The first evaluation step at which the loss is at or below `target` (inf if never)."""
    return next((step for step, loss in zip(*curve) if loss <= target), math.inf)


def judge(runs: Runs) -> Judgement:
    tasks, panels = {}, []
    for task in TASKS:
        constant = _constant(runs, task)
        target = mean_loss(runs, constant)
        curves = {"constant": mean_evaluations(runs, constant)}
        curves.update({f"one-cycle over {Fraction(budget)} of the steps": mean_evaluations(runs, job)
                       for budget, job in _cycles(constant).items()})
        steps = {name: steps_to(curve, target) for name, curve in curves.items()}
        cycle_steps = min(value for name, value in steps.items() if name != "constant")
        tasks[task] = {"peak_lr": constant.recipe.lr, "target": target, "constant_steps": steps["constant"],
                       "one_cycle_steps": cycle_steps, "speedup": steps["constant"] / cycle_steps,
                       "steps": steps}
        panels.append(Panel(
            f"{task}, SGD momentum, peak {fmt(constant.recipe.lr)}", "step", "validation loss",
            tuple(Series(name, *curve) for name, curve in curves.items()), (Mark("target", target, "y"),),
            y_log=True,
        ))
    lines = [f"{t}: constant {fmt(m['peak_lr'])} reached its final loss {m['target']:.3g} at step "
             f"{m['constant_steps']:.0f}, one-cycle with that peak "
             + (f"at step {m['one_cycle_steps']:.0f} ({m['speedup']:.2g}x as fast)"
                if math.isfinite(m["one_cycle_steps"]) else "never, at any of its budgets")
             for t, m in tasks.items()]
    faster = [t for t, m in tasks.items() if m["speedup"] >= FASTER]
    finding = (
        "; ".join(lines) + ". "
        + (f"One-cycle was at least {FASTER:g}x as fast on {join(faster)}." if faster else
           f"At the same peak rate, one-cycle was not {FASTER:g}x as fast on any task.")
    )
    return Judgement(verdict([t in faster for t in TASKS]), finding, {"tasks": tasks, "budgets": BUDGETS},
                     tuple(panels))


CLAIM = Claim(
    "f",
    "One-cycle (cyclical) schedules train faster than a constant rate (super-convergence).",
    "On each task, one-cycle is faster when, with the best constant rate as its peak, it reaches that "
    f"constant rate's final validation loss in at most 1/{FASTER:g} of the steps the constant rate needed "
    "(mean of 2 seeds, at evaluations every 5%). Supported when faster on every task, refuted on none, "
    "depends otherwise.",
    plan,
    judge,
    follow_up,
)
