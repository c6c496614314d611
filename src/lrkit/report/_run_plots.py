"""Figures of training runs: loss curves by rate (one panel per optimizer and schedule), one run's
curves with its rate, and the rate a run applied step by step."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .._format import rate, spec
from ._data import group_runs
from ._schedule_plot import _pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..train import RunResult

SMOOTHING = 0.9  # the training loss is drawn as an exponential moving average with this factor


def plot_rate_curves(runs: list[RunResult], ax: Axes, winner: RunResult | None = None) -> None:
    """One group's runs on `ax`: smoothed training loss as lines, validation loss as dots, a cross
    where a run diverged; colours go from the lowest rate (dark) to the highest (light)."""
    import matplotlib

    colours = matplotlib.colormaps["plasma"](np.linspace(0, 0.85, max(len(runs), 2)))
    rates = [run.recipe.lr for run in runs]
    for run, colour in zip(runs, colours):
        bold = winner is not None and _same_config(run, winner)
        seed = f" seed {run.recipe.seed}" if rates.count(run.recipe.lr) > 1 else ""
        label = f"lr {rate(run.recipe.lr)}{seed}" + (" (winner)" if bold else "")
        loss = smoothed(run.train_loss)
        ax.plot(np.arange(1, len(loss) + 1), loss, color=colour, linewidth=2.2 if bold else 1.2, label=label)
        evaluations = [e for e in run.evaluations if math.isfinite(e.val_loss)]
        ax.plot([e.step for e in evaluations], [e.val_loss for e in evaluations], "o", color=colour,
                markersize=3.5, markeredgecolor="white", markeredgewidth=0.5)
        if run.diverged_at is not None:
            last = loss[-1] if len(loss) else evaluations[-1].val_loss if evaluations else 1.0
            ax.plot([run.diverged_at], [last], "x", color=colour, markersize=9, markeredgewidth=2)
    _log_if_positive(ax)
    ax.set_xlabel("step")
    # A training function reports validation losses only: its runs have no training curve.
    trained = any(run.train_loss for run in runs)
    ax.set_ylabel("loss (line: training, dots: validation)" if trained else "validation loss", fontsize=8)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncols=2 if len(runs) > 4 else 1)


def plot_curves(runs: tuple[RunResult, ...], winner: RunResult | None = None, columns: int = 2) -> Figure:
    """Training and validation loss over steps for every rate, a panel per optimizer and schedule."""
    groups = group_runs(runs)
    figure, axes = panels(len(groups), columns, (4.8, 3.4))
    for ax, (label, members) in zip(axes, groups.items()):
        plot_rate_curves(members, ax, winner)
        ax.set_title(label, fontsize=9)
    return figure


def plot_lr(run: RunResult, ax: Axes | None = None) -> Figure:
    """The rate the run applied at each step; with plateau control, its schedule dashed beneath."""
    from ..schedules import parse

    figure, ax = figure_for(ax, (7, 3.2))
    steps = np.arange(len(run.lr))
    if run.recipe.plateau and run.recipe.schedule:
        ax.plot(steps, parse(run.recipe.schedule).values(len(run.lr)), "--", color="0.6", linewidth=1.0,
                label="schedule alone")
    ax.plot(steps, run.lr, color="C0", linewidth=1.8, label="rate applied")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title(f"{run.recipe.optimizer}: {spec(run.recipe.schedule or 'constant')}"
                 + (f" + {spec(run.recipe.plateau)}" if run.recipe.plateau else ""), fontsize=8)
    ax.grid(alpha=0.3)
    if run.recipe.plateau:
        ax.legend(fontsize=8)
    return figure


def plot_run(run: RunResult) -> Figure:
    """One run: its losses over steps above, the rate it applied below."""
    figure, (top, bottom) = _pyplot().subplots(2, 1, figsize=(7, 5.5), sharex=True, layout="constrained",
                                               height_ratios=(3, 2))
    plot_rate_curves([run], top)
    top.set_title(f"{run.task}: {run.recipe.optimizer} at lr {rate(run.recipe.lr)}", fontsize=9)
    plot_lr(run, bottom)
    return figure


def _same_config(run: RunResult, other: RunResult) -> bool:
    """The same optimizer, rate, schedule and plateau control, whatever the seed."""
    a, b = run.recipe, other.recipe
    return (a.optimizer, a.lr, a.schedule, a.plateau) == (b.optimizer, b.lr, b.schedule, b.plateau)


def figure_for(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """Draw on `ax` when given, else on a new figure of `size` inches."""
    if ax is None:
        return _pyplot().subplots(figsize=size, layout="constrained")
    return ax.figure, ax


def panels(count: int, columns: int, size: tuple[float, float]) -> tuple[Figure, list[Axes]]:
    """A figure with `count` panels of `size` inches in rows of `columns`; spare cells hidden."""
    columns = max(1, min(columns, count))
    rows = max(1, -(-count // columns))
    figure, grid = _pyplot().subplots(rows, columns, figsize=(size[0] * columns, size[1] * rows),
                                      layout="constrained", squeeze=False)
    axes = list(grid.flat)
    for ax in axes[count:]:
        ax.set_visible(False)
    return figure, axes[:count]


def smoothed(values: tuple[float, ...], factor: float = SMOOTHING) -> np.ndarray:
    """Bias-corrected exponential moving average, cut where the values stop being finite."""
    array = np.asarray(values, dtype=float)
    bad = np.flatnonzero(~np.isfinite(array))
    array = array[: bad[0]] if len(bad) else array
    out, average = np.empty(len(array)), 0.0
    for i, value in enumerate(array):
        average = factor * average + (1 - factor) * value
        out[i] = average / (1 - factor ** (i + 1))
    return out


def _log_if_positive(ax: Axes) -> None:
    values = np.concatenate([line.get_ydata() for line in ax.get_lines()] or [np.array([])])
    if len(values) and np.all(values[np.isfinite(values)] > 0):
        log_y(ax)


def log_y(ax: Axes) -> None:
    """A log y axis with ticks at 1, 2 and 5 per decade labelled in plain numbers (0.05, not 5e-02)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
