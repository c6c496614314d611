"""`lrkit bench`: the benchmark suite of the checkout (benchmarks/bench_tune.py): lrkit tune at
budgets 1, 2, 3 (the default) and 4 and the anchors, against the oracle, on every built-in
learning task."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import LrkitError

if TYPE_CHECKING:
    from rich.console import Console

SCRIPT = Path("benchmarks") / "bench_tune.py"


class BenchError(LrkitError):
    """The suite cannot start; the message says where it must run from."""


def add_parser(commands) -> None:
    parser = commands.add_parser("bench", description=__doc__)
    parser.add_argument("tasks", nargs="*", help="built-in names or path/to/file.py:function (default: every "
                                                 "built-in learning task)")
    parser.add_argument("--held-out", action="store_true",
                        help="the task files written by hand in benchmarks/held_out/ instead (default: the "
                             "built-in tasks)")
    parser.add_argument("--budgets", default="1,2,3,4", help="comma-separated budgets (default %(default)s)")
    parser.add_argument("--checkout", default=".",
                        help="the lrkit checkout holding benchmarks/ (default %(default)s)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    script = Path(args.checkout) / SCRIPT
    if not script.is_file():
        raise BenchError(f"{script} not found: run `lrkit bench` in an lrkit checkout (or pass --checkout), "
                         "since the suite's oracle cache lives there")
    # The suite runs in benchmarks/, so a task file's path is made absolute first.
    tasks = [_absolute(task) if ":" in task else task for task in args.tasks]
    held_out = ["--held-out"] if args.held_out else []
    command = [sys.executable, script.name, "--budgets", args.budgets, *held_out, *tasks]
    return subprocess.run(command, cwd=script.parent, check=False).returncode


def _absolute(task: str) -> str:
    file, _, function = task.rpartition(":")
    return f"{Path(file).resolve()}:{function}"
