"""Figures of tested claims, drawn from a `ClaimResult`'s panels alone (so from JSON, with no training).

Stable names, for the HTML report and for users:
- `plot_claim(result) -> Figure`: one figure per claim, its panels in rows of three, titled with
  the claim's id, statement and verdict (coloured by `VERDICT_COLORS`).
- `plot_panel(panel, ax)`: one `lrkit.claims.Panel` into a given axes, for a page that lays the
  panels out itself.
They read only `ClaimResult.id/statement/verdict/panels` and each panel's `title`, `x_label`,
`y_label`, `x_log`, `y_log`, `series` (`label`, `x`, `y`) and `marks` (`label`, `value`, `axis`).
A series value that is not finite (a run that diverged) is drawn as an x on the top edge.
"""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING

from ._schedule_plot import _pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..claims import ClaimResult, Panel

VERDICT_COLORS = {"supported": "tab:green", "refuted": "tab:red", "depends": "tab:orange"}
_COLUMNS = 3
_MARK_STYLES = ("--", ":", "-.")


def plot_panel(panel: Panel, ax: Axes) -> None:
    """Draw one panel: its series as lines with points, its marks as dashed reference lines."""
    for index, series in enumerate(panel.series):
        color = f"C{index}"
        finite = [(x, y) for x, y in zip(series.x, series.y) if math.isfinite(y)]
        if finite:
            ax.plot(*zip(*finite), color=color, marker="o" if len(finite) <= 30 else None,
                    markersize=3, linewidth=1.4, label=series.label)
        failed = [x for x, y in zip(series.x, series.y) if not math.isfinite(y)]
        if failed:
            ax.plot(failed, [1.0] * len(failed), "x", color=color, markersize=7,
                    transform=ax.get_xaxis_transform(), clip_on=False,
                    label=None if finite else f"{series.label} (diverged)")
    for index, mark in enumerate(panel.marks):
        draw = ax.axvline if mark.axis == "x" else ax.axhline
        draw(mark.value, color="0.35", linestyle=_MARK_STYLES[index % len(_MARK_STYLES)], linewidth=1.0,
             label=mark.label)
    # Log axes label their decades only: minor labels (2x10^-2, 3x10^-2...) overlap on small panels.
    if panel.x_log:
        ax.set_xscale("log")
        ax.tick_params(axis="x", which="minor", labelbottom=False)
    if panel.y_log:
        ax.set_yscale("log")
        ax.tick_params(axis="y", which="minor", labelleft=False)
    ax.set_xlabel(panel.x_label)
    ax.set_ylabel(panel.y_label)
    ax.set_title(panel.title, fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)


def plot_claim(result: ClaimResult) -> Figure:
    """One figure for the claim: its panels in rows of three, titled with the statement and verdict."""
    count = max(1, len(result.panels))
    columns = min(_COLUMNS, count)
    rows = -(-count // columns)
    figure, axes = _pyplot().subplots(rows, columns, figsize=(4.6 * columns, 3.6 * rows + 0.6),
                                      layout="constrained", squeeze=False)
    flat = axes.ravel()
    for panel, ax in zip(result.panels, flat):
        plot_panel(panel, ax)
    for ax in flat[len(result.panels):]:
        ax.set_visible(False)
    title = f"({result.id}) {result.statement}  {result.verdict.upper()}"
    # About 14 characters of 10-point text per inch: wrapped, a long statement stays on the figure.
    figure.suptitle(textwrap.fill(title, width=int(14 * 4.6 * columns)), fontsize=10,
                    color=VERDICT_COLORS[result.verdict])
    return figure
