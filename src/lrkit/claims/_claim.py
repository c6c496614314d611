"""What a claim is (its runs to plan and a rule to judge them) and the helpers every rule shares."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..train import Recipe
from ._jobs import Job, Runs
from ._result import Panel

SEEDS = (0, 1)
# The fast built-in learning tasks and the rate grids several claims share, so a run that two
# claims need is trained once.
TASKS = ("digits-mlp", "cancer-logreg", "diabetes-mlp", "mnist1d-mlp")


@dataclass(frozen=True)
class Judgement:
    """What a claim's rule concluded from its runs."""

    verdict: str
    finding: str
    measurements: dict[str, Any]
    panels: tuple[Panel, ...]


def no_follow_up(runs: Runs) -> list[Job]:
    """For claims whose runs are all known before any has trained."""
    return []


@dataclass(frozen=True)
class Claim:
    """A statement people repeat, the runs that test it and the rule that judges them.

    `plan()` gives the first runs; `follow_up(runs)` the runs that depend on them (one-cycle at
    the best constant rate found first); `judge(runs)` reads both and concludes.
    """

    id: str
    statement: str
    rule: str
    plan: Callable[[], list[Job]]
    judge: Callable[[Runs], Judgement]
    follow_up: Callable[[Runs], list[Job]] = no_follow_up


def verdict(checks: Sequence[bool]) -> str:
    """"supported" when every check holds, "refuted" when none does, "depends" otherwise."""
    if all(checks):
        return "supported"
    return "refuted" if not any(checks) else "depends"


def seeded(job: Job) -> list[Job]:
    """The job once per seed in SEEDS."""
    return [job.with_recipe(seed=seed) for seed in SEEDS]


def mean_loss(runs: Runs, job: Job) -> float:
    """Mean final validation loss of the job over SEEDS; infinity when any seed diverged."""
    return statistics.mean(runs[j].val_loss for j in seeded(job))


def best_rate(rates: Sequence[float], losses: Sequence[float]) -> float:
    """The rate of least loss on a log-spaced grid, refined by a parabola through the best grid
    point and its two neighbours in log10(rate), so two grids can differ by less than a grid step."""
    i = int(np.argmin(losses))
    if not 0 < i < len(rates) - 1 or not all(math.isfinite(v) for v in losses[i - 1:i + 2]):
        return rates[i]
    x = np.log10(rates[i - 1:i + 2])
    a, b, _ = np.polyfit(x, losses[i - 1:i + 2], 2)
    vertex = -b / (2 * a) if a > 0 else x[1]
    return float(10 ** np.clip(vertex, x[0], x[2]))


def log_grid(low_exponent: float, high_exponent: float, per_decade: int) -> tuple[float, ...]:
    """Rates 10^e for e from low to high in steps of 1/per_decade, rounded to 3 digits."""
    count = round((high_exponent - low_exponent) * per_decade) + 1
    return tuple(float(f"{10 ** (low_exponent + k / per_decade):.3g}") for k in range(count))


ADAM_RATES = log_grid(-4, -1, 2)
MOMENTUM_RATES = log_grid(-3, 0, 2)


def rate(value: float) -> str:
    """A learning rate as a learner reads it: 0.001, 0.03, 3e-05."""
    return f"{value:.2g}"


def spread(low: str, high: str) -> str:
    """'from low to high', or just 'low' when the two read the same."""
    return low if low == high else f"from {low} to {high}"


def join(parts: Iterable[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    parts = list(parts)
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def grid(task: str, optimizer: str, rates: Sequence[float], **job: Any) -> dict[float, Job]:
    """Seed-0 jobs of `optimizer` at constant `rates` on `task` (expand with `seeded`)."""
    return {lr: Job(task, Recipe(optimizer, lr), **job) for lr in rates}


def grid_jobs(grids: Iterable[dict[float, Job]]) -> list[Job]:
    """Every seed of every job in the grids."""
    return [job for jobs in grids for first in jobs.values() for job in seeded(first)]


def grid_losses(runs: Runs, jobs: dict[float, Job]) -> dict[float, float]:
    """Mean final validation loss at each rate of a grid."""
    return {lr: mean_loss(runs, job) for lr, job in jobs.items()}


def argmin(losses: dict[float, float]) -> float:
    """The key (a rate) of the least loss."""
    return min(losses, key=losses.__getitem__)


def smooth(losses: Sequence[float], window: int) -> np.ndarray:
    """Trailing mean of the per-batch losses over `window` steps (shorter at the start)."""
    values = np.asarray(losses, dtype=float)
    sums = np.cumsum(np.insert(values, 0, 0.0))
    steps = np.arange(1, len(values) + 1)
    return (sums[steps] - sums[np.maximum(steps - window, 0)]) / np.minimum(steps, window)


def thin(values: Sequence[float], points: int = 200) -> tuple[list[float], list[float]]:
    """(steps, values) at most about `points` of them, evenly spaced and always the last, so JSON stays
    small."""
    every = max(1, -(-len(values) // points))
    steps = sorted({*range(0, len(values), every), len(values) - 1})
    return [float(s) for s in steps], [float(values[s]) for s in steps]


def mean_evaluations(runs: Runs, job: Job) -> tuple[list[float], list[float]]:
    """(steps, validation loss averaged over the seeds) at the evaluations every seed reached."""
    evaluations = [runs[j].evaluations for j in seeded(job)]
    count = min(map(len, evaluations))
    steps = [float(e.step) for e in evaluations[0][:count]]
    return steps, [statistics.mean(e[i].val_loss for e in evaluations) for i in range(count)]


def change(new: float, old: float) -> float:
    """Relative change new/old - 1 of a loss: 0 when both runs diverged (inf), -1 when only the old did."""
    if math.isinf(old):
        return 0.0 if math.isinf(new) else -1.0
    return new / old - 1


def measures_and_panels(results: dict[str, tuple[dict[str, Any], tuple[Panel, ...]]]
                        ) -> tuple[dict[str, dict[str, Any]], tuple[Panel, ...]]:
    """Per-case (measures, panels) pairs as the measures by case and every panel in order."""
    return ({case: measures for case, (measures, _) in results.items()},
            tuple(panel for _, panels in results.values() for panel in panels))
