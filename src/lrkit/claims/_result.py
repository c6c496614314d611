"""`ClaimResult` and `ClaimsResult`: verdicts with their evidence, as frozen data with a JSON round trip.

The evidence of a claim is a tuple of `Panel`s, one subplot each: lines (`Series`) and reference
lines (`Mark`), with the axes' labels and scales. A report redraws a claim's figure from these
alone, with no training (`lrkit.report.plot_claim`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._json import decode_float, decode_floats, encode_float, encode_floats

VERDICTS = ("supported", "refuted", "depends")
_NON_FINITE = ("NaN", "Infinity", "-Infinity")  # how `encode_float` writes non-finite floats


@dataclass(frozen=True)
class Series:
    """One line of a panel: `y` against `x`; a non-finite `y` is a run that diverged."""

    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "x", tuple(float(v) for v in self.x))
        object.__setattr__(self, "y", tuple(float(v) for v in self.y))

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "x": encode_floats(self.x), "y": encode_floats(self.y)}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Series:
        return Series(data["label"], decode_floats(data["x"]), decode_floats(data["y"]))


@dataclass(frozen=True)
class Mark:
    """A reference line at `value` on the `axis` ("x": vertical, "y": horizontal), e.g. 2/L."""

    label: str
    value: float
    axis: str = "x"

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "value": encode_float(self.value), "axis": self.axis}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Mark:
        return Mark(data["label"], decode_float(data["value"]), data.get("axis", "x"))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Panel:
    """One subplot of a claim's figure."""

    title: str
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    marks: tuple[Mark, ...] = ()
    x_log: bool = False
    y_log: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title, "x_label": self.x_label, "y_label": self.y_label,
            "x_log": self.x_log, "y_log": self.y_log,
            "series": [s.to_dict() for s in self.series], "marks": [m.to_dict() for m in self.marks],
        }

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Panel:
        return Panel(
            data["title"], data["x_label"], data["y_label"],
            tuple(Series.from_dict(s) for s in data["series"]),
            tuple(Mark.from_dict(m) for m in data["marks"]),
            data["x_log"], data["y_log"],
        )


@dataclass(frozen=True)
class ClaimResult:
    """One claim tested: `id` ("a".."h"), the `statement` as people repeat it, the `rule` that turns
    the measurements into the `verdict` ("supported", "refuted" or "depends"), the `finding` in
    plain words, the `measurements` (a JSON-able dict of the numbers the verdict rests on), the
    `panels` to redraw its figure, and the `runs` it trained with their summed training `seconds`."""

    id: str
    statement: str
    rule: str
    verdict: str
    finding: str
    measurements: dict[str, Any] = field(default_factory=dict)
    panels: tuple[Panel, ...] = ()
    runs: int = 0
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")
        # Stored as JSON gives it back (lists, not tuples), so a round trip compares equal.
        object.__setattr__(self, "measurements", _decode_tree(json.loads(json.dumps(
            _encode_tree(self.measurements)))))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "statement": self.statement, "rule": self.rule, "verdict": self.verdict,
            "finding": self.finding, "measurements": _encode_tree(self.measurements),
            "panels": [panel.to_dict() for panel in self.panels], "runs": self.runs,
            "seconds": self.seconds,
        }

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> ClaimResult:
        return ClaimResult(
            data["id"], data["statement"], data["rule"], data["verdict"], data["finding"],
            _decode_tree(data["measurements"]), tuple(Panel.from_dict(p) for p in data["panels"]),
            data["runs"], data["seconds"],
        )

    def plot(self):
        """The claim's figure, one subplot per panel; returns a matplotlib Figure."""
        from ..report import plot_claim

        return plot_claim(self)


@dataclass(frozen=True)
class ClaimsResult:
    """Every claim tested in one `run_claims` call, in order, with its wall time, its worker
    processes and the distinct training `runs` made (a run two claims share is made and counted once)."""

    claims: tuple[ClaimResult, ...]
    wall_seconds: float = 0.0
    workers: int = 1
    runs: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "claims", "wall_seconds": self.wall_seconds, "workers": self.workers,
                "runs": self.runs, "claims": [claim.to_dict() for claim in self.claims]}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> ClaimsResult:
        if data.get("kind") != "claims":
            raise ValueError(f"not a claims result (kind {data.get('kind')!r})")
        return ClaimsResult(tuple(ClaimResult.from_dict(c) for c in data["claims"]),
                            data["wall_seconds"], data["workers"], data["runs"])


def _encode_tree(value: Any) -> Any:
    """Floats anywhere in nested dicts and lists as strict JSON (non-finite as strings); a string
    that reads like one of those would come back as a float, so it is refused."""
    if isinstance(value, Mapping):
        return {str(key): _encode_tree(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode_tree(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return encode_float(value)
    if isinstance(value, str) and value in _NON_FINITE:
        raise ValueError(f"a measurement cannot be the string {value!r}; store the float instead")
    return value


def _decode_tree(value: Any) -> Any:
    """Inverse of `_encode_tree`."""
    if isinstance(value, Mapping):
        return {key: _decode_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode_tree(item) for item in value]
    if isinstance(value, str) and value in _NON_FINITE:
        return decode_float(value)
    return value
