"""JSON helpers for results: non-finite floats survive a strict-JSON round trip as strings."""

from __future__ import annotations

import math
from collections.abc import Iterable

_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def encode_float(value: float | None) -> float | str | None:
    """A float as JSON: finite values as numbers, NaN/inf as "NaN"/"Infinity"/"-Infinity"."""
    if value is None or math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def decode_float(value: float | str | None) -> float | None:
    """Inverse of `encode_float`."""
    if isinstance(value, str):
        return _NON_FINITE[value]
    return None if value is None else float(value)


def encode_floats(values: Iterable[float]) -> list[float | str | None]:
    return [encode_float(value) for value in values]


def decode_floats(values: Iterable[float | str | None]) -> tuple[float, ...]:
    return tuple(decode_float(value) for value in values)  # type: ignore[misc]
