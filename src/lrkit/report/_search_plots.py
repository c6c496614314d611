"""Figures of a search: validation loss against rate (the landscape), where the budget went, and
an overview of a tune or sweep in four panels."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ._data import Spend, group_label, landscape, spending
from ._finder_plot import plot_finder
from ._run_plots import figure_for, log_y, panels, plot_lr, plot_rate_curves
from ._schedule_plot import _pyplot
from ._view import view_of

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..finder import FinderResult
    from ..train import RunResult

_STAGE_COLOURS = {"range test": "C1", "training": "C0"}


def plot_landscape(runs: tuple[RunResult, ...], ax: Axes | None = None) -> Figure:
    """Validation loss against rate, a line per optimizer and schedule: circles compare the rates
    at the last step all of the group reached, stars are runs trained in full, crosses diverged."""
    figure, ax = figure_for(ax, (7, 4))
    top = ax.get_xaxis_transform()  # x in data, y in axes fractions: crosses sit along the top
    drawn: list[float] = []
    any_diverged = False
    for index, (label, points) in enumerate(landscape(runs).items()):
        colour = f"C{index % 10}"
        finite = [p for p in points if p.val_loss is not None and math.isfinite(p.val_loss)]
        full = [p for p in points if p.full]
        diverged = [p.lr for p in points if p.val_loss == math.inf]
        read = "interpolated at" if any(p.interpolated for p in finite) else "at"
        ax.plot([p.lr for p in finite], [p.val_loss for p in finite], "o-", color=colour, markersize=5,
                linewidth=1.3, label=f"{label} ({read} step {points[0].step})")
        ax.plot([p.lr for p in full], [p.final_loss for p in full], "*", color=colour, markersize=12,
                markeredgecolor="black", markeredgewidth=0.5)
        ax.plot(diverged, [0.96] * len(diverged), "x", color=colour, markersize=9, markeredgewidth=2,
                transform=top)
        drawn += [p.val_loss for p in finite] + [p.final_loss for p in full]
        any_diverged = any_diverged or bool(diverged)
    ax.plot([], [], "*", color="0.5", markersize=10, label="trained in full (final loss)")
    if any_diverged:
        ax.plot([], [], "x", color="0.5", markersize=8, markeredgewidth=2, label="diverged")
    ax.set_xscale("log")
    if drawn and min(drawn) > 0:
        log_y(ax)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("validation loss")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    return figure


def plot_budget(parts: list[Spend], budget: float | None = None, ax: Axes | None = None) -> Figure:
    """A bar per range test and per group of training runs, their total, and the budget asked."""
    figure, ax = figure_for(ax, (7, 0.9 + 0.4 * (len(parts) + 1)))
    total = sum(part.cost for part in parts)
    labels = [part.label for part in parts] + ["total"]
    colours = [_STAGE_COLOURS.get(part.stage, "C2") for part in parts] + ["0.55"]
    bars = ax.barh(labels, [part.cost for part in parts] + [total], color=colours)
    ax.bar_label(bars, fmt="%.2f", fontsize=8, padding=3)
    if budget:
        ax.axvline(budget, color="C3", linestyle="--", linewidth=1.2, label=f"budget {budget:g}")
        ax.legend(fontsize=8, loc="lower right")
    ax.invert_yaxis()
    ax.set_xlabel("cost in full training runs of the task")
    ax.set_xlim(0, max(total, budget or 0) * 1.15 or 1)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title(f"spent {total:.2f}" + (f" of {budget:g} budgeted" if budget else "") + " full runs",
                 fontsize=9)
    ax.grid(alpha=0.3, axis="x")
    return figure


def plot_range_tests(finders: tuple[FinderResult, ...], columns: int = 2) -> Figure:
    """Every range test side by side, each with its suggestions marked."""
    figure, axes = panels(len(finders), columns, (5, 3.6))
    for ax, finder in zip(axes, finders):
        plot_finder(finder, ax=ax)
    return figure


def plot_overview(result: Any) -> Figure:
    """A tune or sweep in four panels: the winner's group by rate, the landscape, the winner's
    rate over steps, and where the budget went."""
    view = view_of(result)
    figure, axes = _pyplot().subplots(2, 2, figsize=(11, 7.5), layout="constrained")
    winner = view.final
    group = [run for run in view.runs if winner is not None and group_label(run) == group_label(winner)]
    plot_rate_curves(group or list(view.runs), axes[0, 0], winner)
    axes[0, 0].set_title("the winner's group by rate" if group else "runs", fontsize=9)
    plot_landscape(view.runs, axes[0, 1])
    axes[0, 1].set_title("validation loss against rate", fontsize=9)
    if winner is not None:
        plot_lr(winner, axes[1, 0])
    else:
        axes[1, 0].set_visible(False)
    plot_budget(spending(view), view.budget, axes[1, 1])
    figure.suptitle(view.title, fontsize=11)
    return figure
