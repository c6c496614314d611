"""The one decision core of successive halving, shared by tune's pipeline and sweep's sha stages:
how runs rank, which go on at a rung, which stopped rate finishes in place of a finalist that went
past its best point, which runs are twins, and whether another schedule beats the winner. Every
threshold comes from a `Policy` (`_policy.py`); running the runs is the caller's business.

Every run of a search trains on one seed. Rates near the edge of stability vary most from seed to
seed, so a small lead of a higher rate of the same optimizer and schedule is more likely luck than
a better rate: such a near tie goes to the lower rate.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import replace
from typing import TypeVar

from ..train import RunResult
from ._groups import group_of
from ._overfit import distance_at, ended_above_best, rescue
from ._policy import TUNE, Policy

K = TypeVar("K", bound=Hashable)


def near_tie(lower: RunResult, higher: RunResult, policy: Policy = TUNE) -> bool:
    """`lower` is a lower rate of `higher`'s optimizer and schedule whose loss is within `policy.tie`."""
    return (group_of(lower) == group_of(higher) and lower.recipe.lr < higher.recipe.lr
            and lower.val_loss <= higher.val_loss + policy.tie * abs(higher.val_loss))


def ranked(runs: Mapping[K, RunResult], policy: Policy = TUNE) -> list[K]:
    """The keys of the runs that did not diverge, best first: each place goes to the lowest rate
    that is in a near tie with the best run left, or to that run when none is."""
    left = sorted((key for key, run in runs.items() if not run.diverged and math.isfinite(run.val_loss)),
                  key=lambda key: runs[key].val_loss)
    order = []
    while left:
        lead = runs[left[0]]
        tied = [key for key in left if near_tie(runs[key], lead, policy)]
        pick = min(tied, key=lambda key: runs[key].recipe.lr, default=left[0])
        order.append(pick)
        left.remove(pick)
    return order


def twins(run: RunResult, other: RunResult, step: int, policy: Policy = TUNE) -> bool:
    """Whether two runs had run the same rates so far: the same but for the schedule and a rate
    within `policy.twin`, and within it of the same distance (sum of rates) by `step`. Constant
    and cosine from one rate are twins until cosine has decayed; so are two rates of one schedule
    that a range put side by side."""
    if run.recipe == other.recipe or replace(run.recipe, schedule=None, lr=1.0) != replace(
            other.recipe, schedule=None, lr=1.0):
        return False
    pairs = ((run.recipe.lr, other.recipe.lr), (distance_at(run, step), distance_at(other, step)))
    return all(_within(a, b, policy.twin) for a, b in pairs)


def _within(a: float, b: float, fraction: float) -> bool:
    near, far = sorted((a, b))
    return far > 0 and near >= (1 - fraction) * far


def places(count: int, policy: Policy = TUNE, least: int = 1) -> int:
    """How many of `count` runs go on past a rung: `policy.keep` of them, rounded up, at least `least`."""
    return max(least, math.ceil(count * policy.keep - 1e-9))


def survivors(runs: Mapping[K, RunResult], count: int, step: int, policy: Policy = TUNE) -> list[K]:
    """The `count` runs that go on past the rung at `step`, best first. With `policy.per_family`
    the best of each optimizer comes first while places last: judged this early, an optimizer that
    starts fast leads one that ends better, so optimizers meet where the runs end. A run whose
    twin is already kept takes no place: the two are one piece of evidence."""
    order = ranked(runs, policy)
    first = {}
    if policy.per_family:
        for key in order:
            first.setdefault(runs[key].recipe.optimizer, key)
    kept: list[K] = list(first.values())[:count]
    for key in order:
        if len(kept) >= count:
            break
        if key not in kept and not any(twins(runs[key], runs[other], step, policy) for other in kept):
            kept.append(key)
    return sorted(kept, key=order.index)


def rescues(finalists: list[K], runs: Mapping[K, RunResult], policy: Policy = TUNE, spare: float = math.inf,
            finished: bool = False) -> dict[K, K]:
    """For each finalist that went past its best point, the stopped lower rate (`rescue`) to finish
    in its place, by key: while paused (tune), one overfitting already, paid from `spare` steps;
    once `finished` (sha), also one that ended `policy.settle` above its own lowest."""
    swaps: dict[K, K] = {}
    for key in finalists:
        taken = {*finalists, *swaps.values()}
        stopped = {other: run for other, run in runs.items() if other not in taken}
        best = ended_above_best(runs[key], policy) if finished else None
        swap = rescue(runs[key], list(stopped.values()), best, policy)
        if swap is None:
            continue
        extra = (swap.budget if finished else runs[key].steps) - swap.steps
        if extra <= spare:
            spare -= extra
            swaps[key] = next(other for other, run in stopped.items() if run is swap)
    return swaps


def settled(winner: RunResult, alternatives: list[RunResult], policy: Policy = TUNE) -> RunResult:
    """The search's winner, unless a full run of another schedule at its rate ended more than
    `policy.tie` below it: each ran on one seed, and a smaller lead is as likely luck."""
    full = [run for run in alternatives if run.steps == run.budget and not run.diverged]
    best = min(full, key=lambda run: run.val_loss, default=None)
    if best is not None and best.val_loss < winner.val_loss - policy.tie * abs(winner.val_loss):
        return best
    return winner
