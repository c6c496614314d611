"""`lrkit report RESULTS.json [MORE.json ...] -o DIR`: the HTML report and PNG figures of results
already computed (from their JSON alone; nothing is trained)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

EXPECTED = "`lrkit report` reads the JSON files that `lrkit train/find/sweep/tune/claims --json` write"


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "report",
        description="Write a self-contained HTML report (inline SVG figures, no network) and the same "
                    "figures as PNG files, from the JSON of `lrkit train/find/sweep/tune/claims --json`. "
                    "The first file gets index.html, each other its own page; a claims.json next to the "
                    "first file joins in.",
    )
    parser.add_argument("results", nargs="+", metavar="RESULTS.json", help="results JSON files")
    parser.add_argument("-o", "--out", default="lrkit-report",
                        help="folder to write the report to (default %(default)s)")
    parser.set_defaults(run=run_command)


def run_command(args: argparse.Namespace, console: Console) -> int:
    from ..report import build_report

    for path in args.results:
        check_input(Path(path))
    index = build_report(args.results, args.out)
    console.print(f"report written to {index} (figures as PNG files beside it)", highlight=False)
    return 0


def check_input(path: Path) -> None:
    """One line naming `path` and what the command reads, if `path` is not a JSON text file (an
    image, a folder, a missing file), before any page is written."""
    from ..report import ReportError

    try:
        json.loads(path.read_bytes())
        return
    except FileNotFoundError:
        why = "no such file"
    except IsADirectoryError:
        why = "a folder, not a file"
    except OSError as error:
        why = f"cannot read it ({error.strerror})"
    except UnicodeDecodeError:
        why = "not text (a binary file, such as an image)"
    except json.JSONDecodeError as error:
        why = f"not JSON (at line {error.lineno}, column {error.colno})"
    raise ReportError(f"{path}: {why}; {EXPECTED}")
