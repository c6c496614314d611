"""The range-test figure: raw and smoothed loss against the rate, every suggestion marked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._format import rate
from ._schedule_plot import _pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..finder import FinderResult

_MARKERS = {"lrkit": "C3", "steepest": "C1", "minimum_tenth": "C2", "valley": "C4"}
# How each suggestion is named for a reader: the rule, not the function's name.
LABELS = {"lrkit": "lrkit", "steepest": "steepest", "minimum_tenth": "minimum / 10", "valley": "valley"}


def plot_finder(result: FinderResult, ax: Axes | None = None) -> Figure:
    """Loss against rate on a log axis; a vertical line per suggestion, lrkit's drawn boldest."""
    if ax is None:
        figure, ax = _pyplot().subplots(figsize=(7, 4), layout="constrained")
    else:
        figure = ax.figure
    lrs, raw, smooth, probe = (
        np.asarray(v, dtype=float) for v in (result.lrs, result.losses, result.smoothed, result.probe)
    )
    ax.plot(lrs, raw, color="0.75", linewidth=0.8, label="batch loss")
    ax.plot(lrs, smooth, color="C0", linewidth=1.8, label="smoothed")
    ax.plot(lrs, probe, color="C3", linewidth=1.2, label="probe loss")
    finite = np.concatenate([smooth[np.isfinite(smooth)], probe[np.isfinite(probe)]])
    if len(finite):
        low, start = finite.min(), finite[0]
        ax.set_ylim(low - 0.05 * (start - low + 1e-12), max(start, low) + 0.6 * (start - low + 1e-12))
    for name, value in result.suggestions.items():
        if value is not None:
            bold = name == result.method
            ax.axvline(
                value,
                color=_MARKERS.get(name, "k"),
                linewidth=2.2 if bold else 1.0,
                linestyle="-" if bold else "--",
                label=f"{LABELS.get(name, name)}: {rate(value)}",
            )
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    title = (
        f"range test{' on ' + result.task if result.task else ''} ({result.optimizer}, {result.stop_reason})"
    )
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return figure
