"""`lrkit claims [--only a,c]`: test statements people repeat about the learning rate, with small runs."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ._output import Fit, write_json
from ._progress import progress_bar

if TYPE_CHECKING:
    from rich.console import Console

    from ..claims import ClaimsResult

VERDICT_STYLES = {"supported": "bold green", "refuted": "bold red", "depends": "bold yellow"}


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "claims",
        description="Test statements people repeat about the learning rate with small real training runs, "
                    "and judge each by a stated rule: supported, refuted or depends.",
    )
    # The letters are not listed here: knowing them imports the claims, and with them torch.
    parser.add_argument("--only", metavar="LETTERS",
                        help="comma-separated letters of the claims to test, e.g. b,c; an unknown letter "
                             "lists them (default: all)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="worker processes; 1 trains in this process (default: the number of cores, "
                             "%(default)s here)")
    parser.add_argument("-o", "--out", default="lrkit-report",
                        help="report folder: claims.json and the claims page go there, linked from the "
                             "report of its tune.json when there is one (default %(default)s)")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="also write the ClaimsResult as JSON to FILE, or to stdout without FILE "
                             "(default: only claims.json in the report folder)")
    parser.set_defaults(run=run_command)


def run_command(args: argparse.Namespace, console: Console) -> int:
    from ..claims import run_claims
    from ..report import build_report

    with progress_bar("testing claims") as callback:  # a bad letter fails before any run starts
        result = run_claims(args.only, workers=args.workers, callback=callback)
    out = Path(args.out)
    data = out / "claims.json"  # written first: a report that fails to build loses no result
    write_json(result.to_dict(), str(data))
    tuned = out / "tune.json"  # its report picks up the claims.json beside it as the claims page
    index = build_report([tuned] if tuned.is_file() else [data], out)
    page = index.with_name("claims.html") if tuned.is_file() else index
    if args.json:
        write_json(result.to_dict(), args.json)
        if args.json == "-":
            return 0
    console.print(claims_table(result))
    console.print(f"claims page written to {page} (each figure also as a PNG beside it)", highlight=False)
    return 0


def claims_table(result: ClaimsResult) -> Fit:
    """One row per claim: its letter and statement, the verdict in colour, and the finding (both
    wrap at words)."""
    from rich.table import Table

    table = Table(title=f"claims tested: {len(result.claims)} ({result.runs} training runs, "
                        f"{result.wall_seconds:.0f} s, worker processes: {result.workers})",
                  title_justify="left", show_lines=True)
    for column in ("claim", "verdict", "finding"):
        table.add_column(column)
    for claim in result.claims:
        table.add_row(f"({claim.id}) {claim.statement}",
                      f"[{VERDICT_STYLES[claim.verdict]}]{claim.verdict}[/]", claim.finding)
    return Fit(table, prose={"claim", "finding"})
