"""How long each `lrkit` command takes to start, beside `python -c pass` and `python -c "import torch"`.

    python benchmarks/bench_startup.py [--runs N]

Each command runs N times in a fresh process (`python -m lrkit ...`, output discarded); the table
shows the median wall time and its ratio to the two baselines. Target (issue 18): `--help`, every
`<command> --help` and `lrkit schedule` start in a fraction of `import torch`; a command that trains
pays for torch only when it runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from rich.table import Table

from lrkit.cli._output import make_console

BASELINES = {
    "python -c pass": ["-c", "pass"],
    'python -c "import torch"': ["-c", "import torch"],
}
COMMANDS = (
    ["--help"],
    ["schedule", "--list"],
    ["schedule", "cosine(0.1, steps=100)"],
    ["schedule", "--help"],
    ["tasks", "--help"],
    ["tasks"],
    ["train", "--help"],
    ["find", "--help"],
    ["sweep", "--help"],
    ["tune", "--help"],
    ["report", "--help"],
    ["claims", "--help"],
    ["demo", "--help"],
    ["bench", "--help"],
)


def median_seconds(argv: list[str], runs: int) -> float:
    """Median wall time of `python argv` over `runs` fresh processes (each must exit 0)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, *argv], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command, median taken (default 5)")
    args = parser.parse_args()
    base = {name: median_seconds(argv, args.runs) for name, argv in BASELINES.items()}
    python, torch = base["python -c pass"], base['python -c "import torch"']
    table = Table(title=f"start time, median of {args.runs} runs", title_justify="left")
    table.add_column("command", no_wrap=True)
    for column in ("seconds", "x python", "x import torch"):
        table.add_column(column, justify="right", no_wrap=True)
    for name, seconds in base.items():
        table.add_row(name, f"{seconds:.3f}", f"{seconds / python:.1f}", f"{seconds / torch:.2f}")
    for argv in COMMANDS:
        seconds = median_seconds(["-m", "lrkit", *argv], args.runs)
        name = "lrkit " + " ".join(f'"{a}"' if " " in a else a for a in argv)
        table.add_row(name, f"{seconds:.3f}", f"{seconds / python:.1f}", f"{seconds / torch:.2f}")
    make_console().print(table)


if __name__ == "__main__":
    main()
