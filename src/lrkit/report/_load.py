"""Reading any lrkit results JSON (train, find, sweep, tune, claims) back into its result object."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import LrkitError

KINDS = ("run", "finder", "sweep", "tune", "claims")
# A claims result written next to a tune result joins its report without being named.
COMPANION = "claims.json"


class ReportError(LrkitError):
    """A report input that is missing, not JSON, or not an lrkit result; the message names the file."""


def kind_of(data: Mapping[str, Any]) -> str:
    """The kind of result a dict holds: its "kind" field, or (older kinds have none) its keys."""
    if data.get("kind") in KINDS:
        return data["kind"]
    if "strategy" in data and "trials" in data:
        return "sweep"
    if "lrs" in data and "suggestions" in data:
        return "finder"
    if "recipe" in data and "train_loss" in data:
        return "run"
    raise ReportError("not an lrkit result: expected the JSON that `lrkit train/find/sweep/tune/claims "
                      "--json` writes")


def result_from_dict(data: Mapping[str, Any]) -> Any:
    """The result object a dict describes, whatever its kind."""
    kind = kind_of(data)
    try:
        return _result_class(kind).from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ReportError(f"a {kind} result with a missing or bad field: {error!r}") from None


def load_results(path: str | Path) -> Any:
    """Read one results JSON file into its result object (RunResult, FinderResult, SweepResult,
    TuneResult or ClaimsResult)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ReportError(f"{path}: cannot read it ({error})") from None
    except json.JSONDecodeError as error:
        raise ReportError(f"{path}: not JSON ({error})") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: not an lrkit result (a JSON {type(data).__name__}, not an object)")
    try:
        return result_from_dict(data)
    except ReportError as error:
        raise ReportError(f"{path}: {error}") from None


def companion(path: Path) -> Path | None:
    """The `claims.json` lying next to a results file, if there is one (and it is not that file)."""
    found = path.parent / COMPANION
    return found if found.is_file() and found.resolve() != path.resolve() else None


def _result_class(kind: str) -> Any:
    if kind == "run":
        from ..train import RunResult

        return RunResult
    if kind == "finder":
        from ..finder import FinderResult

        return FinderResult
    if kind == "sweep":
        from ..search import SweepResult

        return SweepResult
    if kind == "tune":
        from ..tune import TuneResult

        return TuneResult
    from ..claims import ClaimsResult

    return ClaimsResult
