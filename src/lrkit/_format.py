"""How numbers read in sentences, tables and reports, in one place so every page and summary
agrees: rates to 3 significant digits, losses to 4, never the words inf or nan."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

# A number with a fraction or an exponent inside a spec ("lr=0.0552290964136667", "1e-05"); whole
# numbers (steps) are left as written.
_DECIMAL = re.compile(r"(?<![\w.])\d+(?:\.\d+(?:e[-+]?\d+)?|e[-+]?\d+)")


def rate(value: float) -> str:
    """A learning rate as people read it: 3 significant digits (0.0552, 1e-05)."""
    return _finite(value) or f"{value:.3g}"


def loss(value: float | None) -> str:
    """A loss or metric: 4 significant digits; ∞ for a run that blew up, – where there is none."""
    if value is None:
        return "–"
    return _finite(value) or f"{value:.4g}"


def spec(text: str) -> str:
    """A schedule or controller spec with its decimals at 3 significant digits, for reading (the
    exact spec stays in commands and code)."""
    return _DECIMAL.sub(lambda match: f"{float(match.group()):.3g}", text)


def seeds(values: Sequence[int]) -> str:
    """"seed 0", "seeds 0 and 1", "seeds 0, 1 and 2"."""
    names = [str(value) for value in values]
    if len(names) == 1:
        return f"seed {names[0]}"
    return f"seeds {', '.join(names[:-1])} and {names[-1]}"


def _finite(value: float) -> str:
    """'' for a finite value, else how a page shows it."""
    if math.isfinite(value):
        return ""
    if math.isnan(value):
        return "–"
    return "∞" if value > 0 else "-∞"
