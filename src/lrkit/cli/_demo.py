"""`lrkit demo`: the main job on the default settings (for now, the schedule gallery)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..report import plot_schedules
from ..schedules import parse
from ._output import save_figure

GALLERY_STEPS = 1000
GALLERY = {
    "constant": "constant(lr=0.1)",
    "step decay": "step(lr=0.1, step_size=300, gamma=0.3)",
    "cosine": "cosine(lr=0.1, steps=1000, min_lr=0.001)",
    "warmup + cosine": "warmup(100) >> cosine(lr=0.1, steps=900)",
    "SGDR": "cosine_restarts(lr=0.1, period=100, mult=2, decay=0.7)",
    "cyclic (triangular2)": 'cyclic(base_lr=0.005, max_lr=0.1, up=125, mode="triangular2")',
    "one-cycle": "one_cycle(max_lr=0.1, steps=1000)",
    "warmup-stable-decay": 'wsd(lr=0.1, steps=1000, warmup=100, decay=200, shape="1-sqrt")',
}


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "demo", help="run the main job on the default settings", description=__doc__
    )
    parser.add_argument("--out", default="lrkit-report", help="folder for the output")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    schedules = {name: parse(spec) for name, spec in GALLERY.items()}
    table = Table(title=f"schedule gallery over {GALLERY_STEPS} steps", title_justify="left")
    for column in ("schedule", "spec", "start", "min", "max", "end"):
        table.add_column(column, justify="left" if column in ("schedule", "spec") else "right")
    for name, schedule in schedules.items():
        values = schedule.values(GALLERY_STEPS)
        table.add_row(
            name, str(schedule), *(f"{v:.4g}" for v in (values[0], values.min(), values.max(), values[-1]))
        )
    console.print(table)
    path = save_figure(plot_schedules(schedules, GALLERY_STEPS), str(Path(args.out) / "schedules.png"))
    console.print(f"gallery plot written to {path}")
    return 0
