"""Suggestions from a range-test curve: pure functions of (rates, smoothed losses).

`steepest` (torch-lr-finder), `minimum_tenth` (the fastai/Smith rule of thumb) and `valley`
(fastai's longest descent) are the ones people know, read off the smoothed training loss as
those tools do; `lrkit` is ours, read off the probe loss and chosen from measurements against a
full grid (docs/finder.md, benchmarks/bench_finder.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np


def _curve(lrs: Sequence[float], losses: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """The finite part of the curve (a diverged test may end in NaN/inf)."""
    lrs_array, losses_array = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)
    keep = np.isfinite(losses_array)
    return lrs_array[keep], losses_array[keep]


def steepest(
    lrs: Sequence[float], losses: Sequence[float], skip_start: int = 10, skip_end: int = 5
) -> float | None:
    """The rate where the loss falls fastest (torch-lr-finder's suggestion, same trimming)."""
    x, y = _curve(lrs, losses)
    if len(x) > skip_start + skip_end + 2:
        x, y = x[skip_start : len(x) - skip_end], y[skip_start : len(y) - skip_end]
    if len(x) < 3:
        return None
    return float(x[int(np.gradient(y).argmin())])


def minimum_tenth(lrs: Sequence[float], losses: Sequence[float]) -> float | None:
    """A tenth of the rate at the lowest loss."""
    x, y = _curve(lrs, losses)
    return float(x[int(y.argmin())] / 10) if len(x) else None


def valley(lrs: Sequence[float], losses: Sequence[float]) -> float | None:
    """fastai's valley: inside the longest stretch of descending loss, a point past its middle."""
    x, y = _curve(lrs, losses)
    n = len(x)
    if n < 3:
        return None
    longest = np.ones(n, dtype=int)
    start, end = 0, 0
    for i in range(1, n):
        for j in range(i):
            if y[i] < y[j] and longest[i] < longest[j] + 1:
                longest[i] = longest[j] + 1
        if longest[end] < longest[i]:
            end, start = i, i - longest[i]
    third = (end - start) / 3
    return float(x[min(n - 1, start + int(third) + int(third / 2))])


def lrkit(lrs: Sequence[float], probe: Sequence[float]) -> float | None:
    """A third of the rate after which the probe loss was lowest, before the curve blew up.

    Measured on the built-in tasks against a full grid: the probe minimum sits close to the
    largest rate that still trains, and a third of it landed nearest the grid's best rate for
    Adam with cosine decay (a half or a fifth did worse on the worst task).
    """
    x, y = _curve(lrs, probe)
    end = _blow_up(y)
    return float(x[int(y[:end].argmin())] / 3) if end else None


def _blow_up(probe: np.ndarray, back: float = 0.8) -> int:
    """Where the curve stops counting: the first point that lost `back` of the progress made so
    far, after the loss had fallen 10% below its start. On small tasks a rate past the edge
    sometimes lands on a lower loss by luck (iris with Adam: back up to 1.25 from 0.37 at lr 1.5,
    then 0.17 at 2.8); such a minimum is not a rate that trains."""
    best = math.inf
    for index, loss in enumerate(probe):
        if best < 0.9 * probe[0] and loss > best + back * (probe[0] - best):
            return index
        best = min(best, loss)
    return len(probe)


# Methods that read the smoothed training loss; `lrkit` reads the probe loss.
METHODS: dict[str, Callable[[Sequence[float], Sequence[float]], float | None]] = {
    "steepest": steepest,
    "minimum_tenth": minimum_tenth,
    "valley": valley,
}


def suggest_all(
    lrs: Sequence[float], smoothed: Sequence[float], probe: Sequence[float]
) -> dict[str, float | None]:
    """Every method's suggestion for one range test, lrkit's first."""
    values = {"lrkit": lrkit(lrs, probe), **{name: method(lrs, smoothed) for name, method in METHODS.items()}}
    return {name: value if value is None or math.isfinite(value) else None for name, value in values.items()}
