"""A matplotlib figure as SVG markup to inline in a page (scalable, its ids its own) and as PNG."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from ._html import escape

_ROOT = re.compile(r"<svg\b[^>]*>")
_SIZE = re.compile(r'\s(width|height)="([^"]*)"')
_IDS = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def inline_svg(figure: Any, prefix: str, label: str) -> str:
    """The figure as an `<svg>` element: no XML prologue, as wide as the page but never wider than
    drawn (a one-panel figure stays readable), text kept as text, and every id prefixed so
    figures on one page cannot collide."""
    buffer = io.StringIO()
    with _svg_text():
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    root = _ROOT.search(svg)
    size = dict(_SIZE.findall(root.group(0)))
    tag = _SIZE.sub("", root.group(0)).replace(
        "<svg", f'<svg role="img" aria-label="{escape(label)}" style="max-width: {size["width"]}"', 1)
    svg = tag + svg[root.end():]
    return _IDS.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)


def save_png(figure: Any, path: Path) -> Path:
    """Write the figure as a PNG file."""
    figure.savefig(path, format="png", dpi=130)
    return path


def close(figure: Any) -> None:
    """Free a figure made for a report (pyplot keeps every figure until it is closed)."""
    import matplotlib.pyplot as plt

    plt.close(figure)


def _svg_text():
    import matplotlib

    return matplotlib.rc_context({"svg.fonttype": "none"})

