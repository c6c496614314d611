"""Writing results: JSON to a file or stdout, figures to image files, with clear errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..errors import LrkitError


class OutputError(LrkitError):
    """A result could not be written where the user asked."""


def write_json(data: Any, destination: str) -> None:
    """Write `data` as JSON to `destination` ('-' means stdout)."""
    text = json.dumps(data, indent=2)
    if destination == "-":
        sys.stdout.write(text + "\n")
        return
    _write(Path(destination), lambda path: path.write_text(text + "\n"))


def show(console: Any, data: Any, table: Any, json_destination: str | None) -> int:
    """Write the JSON where asked, then print the table unless the JSON went to stdout."""
    if json_destination:
        write_json(data, json_destination)
        if json_destination == "-":
            return 0
    console.print(table)
    return 0


def save_figure(figure: Any, destination: str) -> Path:
    """Save a matplotlib figure; the format follows the file's extension."""
    path = Path(destination)
    _write(path, lambda p: figure.savefig(p, dpi=130))
    return path


def _write(path: Path, write) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
    except (OSError, ValueError) as error:
        raise OutputError(f"cannot write {path}: {error}") from None
