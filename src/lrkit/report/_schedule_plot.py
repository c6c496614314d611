"""Matplotlib figures of schedules: one schedule, or a gallery side by side."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from .._format import spec
from ..schedules import Schedule

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_schedule(schedule: Schedule, steps: int, ax: Axes | None = None, log: bool = False) -> Figure:
    """Plot the rate over steps 0..steps-1 with phase starts marked; returns the figure."""
    if ax is None:
        figure, ax = _pyplot().subplots(figsize=(7, 3.5), layout="constrained")
    else:
        figure = ax.figure
    values = schedule.values(steps)
    ax.plot(np.arange(steps), values, linewidth=1.6)
    for start in schedule.phase_starts(steps)[:50]:
        ax.axvline(start, color="0.8", linewidth=0.8, zorder=0)
    if log and values.min() > 0:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title(_wrap(spec(str(schedule))), fontsize=8)
    ax.grid(alpha=0.3)
    return figure


def plot_schedules(schedules: Mapping[str, Schedule], steps: int, columns: int = 2) -> Figure:
    """A gallery: one small panel per named schedule, all over the same number of steps."""
    rows = -(-len(schedules) // columns)
    figure, axes = _pyplot().subplots(
        rows, columns, figsize=(5 * columns, 2.6 * rows), layout="constrained", squeeze=False
    )
    for ax, (name, schedule) in zip(axes.flat, schedules.items()):
        plot_schedule(schedule, steps, ax=ax)
        ax.set_title(f"{name}\n{_wrap(spec(str(schedule)), 70)}", fontsize=7)
    for ax in list(axes.flat)[len(schedules):]:
        ax.set_visible(False)
    return figure


def _wrap(text: str, width: int = 90) -> str:
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)
