"""(c) 0.001 is a good default for Adam.

Adam at a constant rate, every half decade from 1e-4 to 0.1, on each fast built-in task, two seeds
each; 0.001 is compared with the best rate of the grid by their mean final validation losses.
"""

from __future__ import annotations

from ._claim import (
    ADAM_RATES,
    TASKS,
    Claim,
    Judgement,
    argmin,
    best_rate,
    grid,
    grid_jobs,
    grid_losses,
    join,
    spread,
    verdict,
)
from ._claim import rate as fmt
from ._jobs import Job, Runs
from ._result import Mark, Panel, Series

DEFAULT = 1e-3
GOOD = 1.25  # within 25% of the best grid rate's loss


def plan() -> list[Job]:
    return grid_jobs(grid(task, "adam", ADAM_RATES) for task in TASKS)


def judge(runs: Runs) -> Judgement:
    tasks = {}
    for task in TASKS:
        losses = grid_losses(runs, grid(task, "adam", ADAM_RATES))
        best = argmin(losses)
        tasks[task] = {"best_lr": best, "best_lr_refined": best_rate(list(losses), list(losses.values())),
                       "best_loss": losses[best], "default_loss": losses[DEFAULT],
                       "ratio": losses[DEFAULT] / losses[best],
                       "losses": {fmt(lr): v for lr, v in losses.items()}}
    good = [task for task, m in tasks.items() if m["ratio"] <= GOOD]
    bad = [f"{task} ({m['ratio']:.1f}x the best loss, best at {fmt(m['best_lr'])})"
           for task, m in tasks.items() if task not in good]
    best_rates = sorted(m["best_lr"] for m in tasks.values())
    parts = [f"Adam's best constant rate on {join(TASKS)}: {spread(fmt(best_rates[0]), fmt(best_rates[-1]))}"]
    if good:
        parts.append(f"at 0.001 it was within {GOOD - 1:.0%} of the best on {join(good)}")
    if bad:
        parts.append(f"0.001 was too far off on {join(bad)}")
    finding = "; ".join(parts) + (
        ". 0.001 is a fair first try, not a substitute for a short rate search." if bad else ".")
    panel = Panel(
        "Adam, constant rate: final validation loss / the best rate's", "learning rate",
        "loss relative to the best rate",
        tuple(Series(task, ADAM_RATES, [v / m["best_loss"] for v in m["losses"].values()])
              for task, m in tasks.items()),
        (Mark("0.001", DEFAULT), Mark(f"{GOOD:g}x the best", GOOD, "y")),
        x_log=True, y_log=True,
    )
    return Judgement(verdict([task in good for task in TASKS]), finding, {"tasks": tasks}, (panel,))


CLAIM = Claim(
    "c",
    "0.001 is a good default learning rate for Adam.",
    f"On each task, 0.001 is good when its mean final validation loss (2 seeds) is within {GOOD:g}x that "
    "of the best rate on a half-decade grid from 1e-4 to 0.1. Supported when it is good on every task, "
    "refuted when on none, depends otherwise.",
    plan,
    judge,
)
