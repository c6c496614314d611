"""`lrkit demo`: the main job on the default task: `lrkit tune digits-mlp`, its result as JSON
and as the HTML report (with its figures as PNG) in the output folder, and the schedule gallery."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ._output import Fit, save_figure, write_json
from ._tune import result_view, run_tune, show_command

if TYPE_CHECKING:
    from rich.console import Console

DEFAULT_TASK = "digits-mlp"

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
    parser = commands.add_parser("demo", description=__doc__)
    parser.add_argument("-o", "--out", default="lrkit-report",
                        help="folder for the output (default %(default)s)")
    parser.add_argument("--task", default=DEFAULT_TASK, help="task to run on (default %(default)s)")
    parser.add_argument("--budget", type=float, default=3.0,
                        help="full training runs to spend (default %(default)g)")
    parser.add_argument("--workers", type=int, help="worker processes (default: as tune picks them)")
    parser.set_defaults(run=run, optimizers=None, schedules=None, seed=0, steps=None, devices=None,
                        storage=None, study=None)


def run(args: argparse.Namespace, console: Console) -> int:
    from ..report import build_report

    out = Path(args.out)
    result = run_tune(args.task, args.budget, args)
    console.print(result_view(result))
    show_command(console, result)
    write_json(result.to_dict(), str(out / "tune.json"))
    show_gallery(out, console)  # before the report, so the report's pages link the gallery
    console.print(f"report written to {build_report(out / 'tune.json', out)}")
    return 0


def show_gallery(out: Path, console: Console) -> None:
    """Each common schedule's shape over the same steps: a table and one plot. The spec goes last:
    it wraps after a comma, or goes on a narrow terminal."""
    from rich.table import Table

    from ..report import plot_schedules
    from ..schedules import parse

    schedules = {name: parse(spec) for name, spec in GALLERY.items()}
    table = Table(title=f"schedule gallery over {GALLERY_STEPS} steps", title_justify="left")
    for column in ("schedule", "start", "min", "max", "end", "spec"):
        table.add_column(column, justify="left" if column in ("schedule", "spec") else "right")
    for name, schedule in schedules.items():
        values = schedule.values(GALLERY_STEPS)
        table.add_row(
            name, *(f"{v:.4g}" for v in (values[0], values.min(), values.max(), values[-1])), str(schedule)
        )
    console.print(Fit(table, prose={"spec"}, keep=5))
    path = save_figure(plot_schedules(schedules, GALLERY_STEPS), str(out / "schedules.png"))
    console.print(f"gallery plot written to {path}")
