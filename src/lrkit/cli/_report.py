"""`lrkit report RESULTS.json [MORE.json ...] -o DIR`: the HTML report and PNG figures of results
already computed (from their JSON alone; nothing is trained)."""

from __future__ import annotations

import argparse

from rich.console import Console

from ..report import build_report


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "report", help="build the HTML report of results JSON files",
        description="Write a self-contained HTML report (inline SVG figures, no network) and the same "
                    "figures as PNG files, from the JSON of `lrkit train/find/sweep/tune/claims --json`. "
                    "The first file gets index.html, each other its own page; a claims.json next to the "
                    "first file joins in.",
    )
    parser.add_argument("results", nargs="+", metavar="RESULTS.json", help="results JSON files")
    parser.add_argument("-o", "--out", default="lrkit-report", help="folder to write (default lrkit-report)")
    parser.set_defaults(run=run_command)


def run_command(args: argparse.Namespace, console: Console) -> int:
    index = build_report(args.results, args.out)
    console.print(f"report written to {index} (figures as PNG files beside it)", highlight=False)
    return 0
