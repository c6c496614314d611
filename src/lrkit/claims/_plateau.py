"""(e) Reducing the rate on a plateau (by 2x or 10x) helps.

Adam on two tasks, first at constant rates (the half-decade grid of claim c); then, at the best
constant rate and at 10x it (a rate too high), the same runs with lrkit's plateau controller
watching the validation loss (20 evaluations a run): the rate is halved, or cut 10x, after 3
evaluations without improvement. Compared by mean final validation loss over two seeds.
"""

from __future__ import annotations

import statistics

from ..train import Recipe
from ._claim import (
    ADAM_RATES,
    Claim,
    Judgement,
    argmin,
    change,
    grid,
    grid_jobs,
    grid_losses,
    join,
    mean_evaluations,
    mean_loss,
    seeded,
    verdict,
)
from ._claim import rate as fmt
from ._jobs import Job, Runs
from ._result import Panel, Series

TASKS = ("digits-mlp", "mnist1d-mlp")
CONTROLLERS = {"halve": "plateau(factor=0.5, patience=2)", "cut 10x": "plateau(factor=0.1, patience=2)"}
MARGIN = 0.02  # "helps": a final validation loss at least 2% lower than at the constant rate
TOO_HIGH = 10


def plan() -> list[Job]:
    return grid_jobs(grid(task, "adam", ADAM_RATES) for task in TASKS)


def _tested(runs: Runs, task: str) -> dict[str, float]:
    """The rates the controllers are tried at: the best constant rate and TOO_HIGH x it."""
    best = argmin(grid_losses(runs, grid(task, "adam", ADAM_RATES)))
    return {"best": best, "too high": float(f"{best * TOO_HIGH:.3g}")}


def _job(task: str, lr: float, plateau: str | None) -> Job:
    return Job(task, Recipe("adam", lr, plateau=plateau))


def follow_up(runs: Runs) -> list[Job]:
    return [job for task in TASKS for lr in _tested(runs, task).values()
            for plateau in (None, *CONTROLLERS.values()) for job in seeded(_job(task, lr, plateau))]


def _lesson(average: dict[str, float]) -> str:
    """What the average changes at the tuned and the too-high rate say."""
    if min(average.values()) > -MARGIN:
        return "Plateau control did not help on average at either rate."
    if average["too high"] < average["best"]:
        return "Cutting the rate when the validation loss stalls matters most when the rate is too high."
    return "It helped at the tuned rate at least as much as at the too-high one."


def judge(runs: Runs) -> Judgement:
    tasks, panels, checks, lines = {}, [], [], []
    changes_at: dict[str, list[float]] = {"best": [], "too high": []}
    for task in TASKS:
        tasks[task] = {}
        for where, lr in _tested(runs, task).items():
            variants = {"constant": None, **CONTROLLERS}
            losses = {name: mean_loss(runs, _job(task, lr, spec)) for name, spec in variants.items()}
            tasks[task][where] = {"lr": lr, **losses}
            changes = {name: change(losses[name], losses["constant"]) for name in CONTROLLERS}
            checks += [value <= -MARGIN for value in changes.values()]
            changes_at[where] += list(changes.values())
            lines.append(f"{task} at its {where} rate {fmt(lr)}: "
                         + join(f"{name} {value:+.0%}" for name, value in changes.items()))
            panels.append(Panel(
                f"{task}, Adam at {fmt(lr)} ({where})", "step", "validation loss",
                tuple(Series(name, *mean_evaluations(runs, _job(task, lr, spec)))
                      for name, spec in variants.items()),
                y_log=True,
            ))
    average = {where: statistics.mean(values) for where, values in changes_at.items()}
    finding = (
        "Change in final validation loss with plateau control, against the same constant rate: "
        + "; ".join(lines) + f". On average: {average['best']:+.0%} at the tuned rate, "
        f"{average['too high']:+.0%} at {TOO_HIGH}x it. "
        + _lesson(average)
    )
    return Judgement(verdict(checks), finding, {"tasks": tasks, "controllers": CONTROLLERS,
                                                "mean_change": average}, tuple(panels))


CLAIM = Claim(
    "e",
    "Reducing the learning rate by 2x or 10x when the loss plateaus helps.",
    f"Plateau control helps in a case when its mean final validation loss (2 seeds) is at least {MARGIN:.0%} "
    f"below the constant rate's; cases: 2 tasks x the best constant Adam rate and {TOO_HIGH}x it x "
    "halving or cutting 10x. Supported when it helps in every case, refuted in none, depends otherwise.",
    plan,
    judge,
    follow_up,
)
