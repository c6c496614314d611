"""`lrkit claims [--only a,c]`: test statements people repeat about the learning rate, with small runs."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..claims import CLAIMS, ClaimsResult, run_claims
from ..report import build_report
from ._output import write_json
from ._progress import progress_bar

VERDICT_STYLES = {"supported": "bold green", "refuted": "bold red", "depends": "bold yellow"}


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "claims", help="test common claims about the learning rate",
        description="Test statements people repeat about the learning rate with small real training runs, "
                    "and judge each by a stated rule: supported, refuted or depends.",
    )
    parser.add_argument("--only", metavar="LETTERS",
                        help=f"comma-separated claims to test, from {','.join(CLAIMS)} (default: all)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: the number of cores; 1 trains in this process)")
    parser.add_argument("--out", default="lrkit-report",
                        help="report folder: claims.json and the claims page go there, linked from the "
                             "report of its tune.json when there is one (default: lrkit-report)")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE", help="write the ClaimsResult as JSON")
    parser.set_defaults(run=run_command)


def run_command(args: argparse.Namespace, console: Console) -> int:
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


def claims_table(result: ClaimsResult) -> Table:
    """One row per claim: its letter and statement, the verdict in colour, and the finding."""
    table = Table(title=f"claims tested: {len(result.claims)} ({result.runs} training runs, "
                        f"{result.wall_seconds:.0f} s, worker processes: {result.workers})",
                  title_justify="left", show_lines=True)
    table.add_column("claim", ratio=2)
    table.add_column("verdict", no_wrap=True)
    table.add_column("finding", ratio=5)
    for claim in result.claims:
        table.add_row(f"({claim.id}) {claim.statement}",
                      f"[{VERDICT_STYLES[claim.verdict]}]{claim.verdict}[/]", claim.finding)
    return table
