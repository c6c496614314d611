"""Runs made by hand for the tune tests: a rate, a schedule and a validation curve."""

from __future__ import annotations

from lrkit.train import Evaluation, Recipe, RunResult

BUDGET, EVERY = 270, 10


def make_run(lr: float, val: list[float], train: list[float] | None = None, optimizer: str = "adam",
             schedule: str = "cosine") -> RunResult:
    """A run stopped after len(val) evaluations, one every EVERY steps."""
    steps = EVERY * len(val)
    train = train or [1.0 / (1 + step) for step in range(steps)]
    rates = Recipe(optimizer, lr, schedule).build_schedule(BUDGET).values(BUDGET)[:steps]
    return RunResult("toy", Recipe(optimizer, lr, schedule), BUDGET, steps, tuple(train),
                     tuple(float(r) for r in rates),
                     tuple(Evaluation(EVERY * (i + 1), v, None) for i, v in enumerate(val)), None, 0.0)
