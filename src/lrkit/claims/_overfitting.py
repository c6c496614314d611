"""(g) A high learning rate causes overfitting.

Constant rates (the half-decade grids of claims c and d), two seeds each: Adam and SGD with
momentum on digits-mlp, Adam on mnist1d-mlp (whose small training set overfits readily). Every
run is made twice with the same seed: once evaluated on the validation split, once on the
training split (same data order, same updates), which gives the training loss on the whole
training set beside the validation loss at each of 20 evaluations. The gap is validation
loss minus training loss.

Two questions: in a fixed budget, do rates above the best one end with a larger gap? And at the
same training loss, is the validation loss worse at the higher rate? The second separates "the
rate overfits" from "the run got further in the same number of steps".
"""

from __future__ import annotations

import dataclasses

from ._claim import (
    ADAM_RATES,
    MOMENTUM_RATES,
    Claim,
    Judgement,
    argmin,
    grid,
    grid_jobs,
    grid_losses,
    join,
    mean_evaluations,
    measures_and_panels,
    verdict,
)
from ._claim import rate as fmt
from ._jobs import Job, Runs
from ._result import Mark, Panel, Series

CASES = (("digits-mlp", "adam"), ("digits-mlp", "momentum"), ("mnist1d-mlp", "adam"))
RATES = {"adam": ADAM_RATES, "momentum": MOMENTUM_RATES}
WORSE = 0.05  # at the same training loss, "worse" means a validation loss at least 5% higher


def _grids(task: str, optimizer: str) -> tuple[dict[float, Job], dict[float, Job]]:
    val = grid(task, optimizer, RATES[optimizer])
    return val, {lr: dataclasses.replace(job, eval_on="train") for lr, job in val.items()}


def plan() -> list[Job]:
    return grid_jobs(jobs for case in CASES for jobs in _grids(*case))


def at_training_loss(train: list[float], val: list[float], level: float) -> float:
    """Validation loss where the training loss first falls to `level`, interpolated linearly between
    the two evaluations around that point (a fast run can drop far between two evaluations)."""
    i = next(i for i, t in enumerate(train) if t <= level)
    if i == 0 or train[i - 1] == train[i]:
        return val[i]
    share = (train[i - 1] - level) / (train[i - 1] - train[i])
    return val[i - 1] + share * (val[i] - val[i - 1])


def _case(runs: Runs, task: str, optimizer: str) -> tuple[dict, tuple[Panel, ...]]:
    val_jobs, train_jobs = _grids(task, optimizer)
    rates = RATES[optimizer]
    val = {lr: mean_evaluations(runs, val_jobs[lr])[1] for lr in rates}
    train = {lr: mean_evaluations(runs, train_jobs[lr])[1] for lr in rates}
    gaps = {lr: val[lr][-1] - train[lr][-1] for lr in rates}
    best = argmin(grid_losses(runs, val_jobs))
    higher = min((lr for lr in rates if lr > best), default=None)
    m = {"best_lr": best, "higher_lr": higher, "widest_gap_lr": max(gaps, key=gaps.__getitem__),
         "gaps": {fmt(lr): gaps[lr] for lr in rates}, "train_loss": {fmt(lr): train[lr][-1] for lr in rates}}
    m["gap_grows"] = m["widest_gap_lr"] > best
    m["higher_worse_at_same_fit"] = False
    shown = [lr for lr in (best, higher) if lr is not None]
    if higher is not None:
        # A training loss both runs reach: where the best rate ended, or the least the higher rate got to.
        level = max(train[best][-1], min(train[higher]))
        at_level = {lr: at_training_loss(train[lr], val[lr], level) for lr in shown}
        m.update(matched_train_loss=level, matched_val_best=at_level[best],
                 matched_val_higher=at_level[higher],
                 higher_worse_at_same_fit=at_level[higher] >= (1 + WORSE) * at_level[best])
    panels = (
        Panel(f"{task}, {optimizer}: gap at the end", "learning rate", "validation - training loss",
              (Series("gap", rates, list(gaps.values())),), (Mark("best rate", best),), x_log=True),
        Panel(f"{task}, {optimizer}: validation against training loss", "training loss", "validation loss",
              tuple(Series(f"lr {fmt(lr)}", train[lr], val[lr]) for lr in shown),
              (Mark("same training loss", m["matched_train_loss"]),) if higher is not None else (),
              x_log=True),
    )
    return m, panels


def judge(runs: Runs) -> Judgement:
    cases, panels = measures_and_panels({f"{task} {optimizer}": _case(runs, task, optimizer)
                                         for task, optimizer in CASES})
    grows = [name for name, m in cases.items() if m["gap_grows"]]
    matched = {name: f"{name} ({m['matched_val_higher'] / m['matched_val_best'] - 1:+.0%})"
               for name, m in cases.items() if m["higher_lr"] is not None}
    worse = [text for name, text in matched.items() if cases[name]["higher_worse_at_same_fit"]]
    same = [text for name, text in matched.items() if not cases[name]["higher_worse_at_same_fit"]]
    parts = [f"In a fixed budget the gap was widest above the best rate on {join(grows)}: a higher rate fits "
             "the training set further in the same steps" if grows else
             "In a fixed budget the gap was never widest above the best rate"]
    if worse:
        parts.append(f"at the same training loss the next higher rate validated at least {WORSE:.0%} "
                     f"worse on {join(worse)}")
    if same:
        parts.append(f"at the same training loss it validated less than {WORSE:.0%} worse on "
                     f"{join(same)}, so there the overfitting followed how far training got, not the rate")
    return Judgement(verdict([m["gap_grows"] and m["higher_worse_at_same_fit"] for m in cases.values()]),
                     "; ".join(parts) + ".", {"cases": cases}, panels)


CLAIM = Claim(
    "g",
    "A high learning rate causes overfitting.",
    "For each task and optimizer (constant rates on a half-decade grid, 2 seeds), it holds when the "
    "end-of-run gap (validation minus training loss on the whole training set) is widest at a rate above "
    "the best one, and, at a training loss both reach, the next rate above the best has a validation loss "
    f"at least {WORSE:.0%} higher than the best rate. Supported when it holds in every case, refuted in "
    "none, depends otherwise.",
    plan,
    judge,
)
