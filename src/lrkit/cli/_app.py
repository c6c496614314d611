"""Argument parsing and the one rule of the CLI: bad input is one line on stderr and exit code 2.

Only the command being run is imported (its module, then in its run function what it needs), so
`lrkit --help`, `lrkit COMMAND --help` and `lrkit schedule` start without torch or Optuna.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Collection, Sequence

from ..errors import LrkitError

# Each command: the module that defines it (with `add_parser(commands)`) and its line in `lrkit --help`.
COMMANDS: dict[str, tuple[str, str]] = {
    "tasks": ("_tasks", "list the built-in tasks"),
    "train": ("_train", "train a task with one recipe"),
    "find": ("_find", "run the learning-rate range test"),
    "sweep": ("_sweep", "search rates, optimizers and schedules"),
    "tune": ("_tune", "find the learning rate, schedule and optimizer within a budget"),
    "schedule": ("_schedule", "preview a schedule spec"),
    "report": ("_report", "build the HTML report of results JSON files"),
    "claims": ("_claims", "test common claims about the learning rate"),
    "bench": ("_bench", "compare tune with the oracle and the anchors"),
    "demo": ("_demo", "run the main job (tune) on the default task"),
}


class UsageError(LrkitError):
    """The command line itself was wrong (unknown flag, missing argument)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but its errors raise (one line, exit 2) instead of printing the usage block, and
    a word that starts with a minus and a digit is a value: `--lr -0.1,0.1` reaches the check that
    says rates must be positive (argparse took it for an unknown option)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\.?\d")  # lrkit has no option like -1

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see `{self.prog} --help`)")


def build_parser(commands: Collection[str] = COMMANDS) -> argparse.ArgumentParser:
    """The `lrkit` parser; the options of `commands` are built (which imports their modules), the
    other commands are only listed with their line."""
    parser = _Parser(prog="lrkit", description="Measure the learning rate instead of guessing it.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name, (module, summary) in COMMANDS.items():
        if name in commands:
            importlib.import_module(f"{__package__}.{module}").add_parser(_Commands(subparsers))
        else:
            subparsers.add_parser(name, help=summary)
    return parser


class _Commands:
    """The subparsers as a command's module sees them: its line in `lrkit --help` is COMMANDS'."""

    def __init__(self, subparsers: argparse._SubParsersAction) -> None:
        self.subparsers = subparsers

    def add_parser(self, name: str, **options) -> argparse.ArgumentParser:
        options.setdefault("help", COMMANDS[name][1])
        return self.subparsers.add_parser(name, **options)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 bad input, 130 interrupted)."""
    from ._output import make_console

    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser(argv[:1]).parse_args(argv)
        return args.run(args, make_console()) or 0
    except (LrkitError, OSError) as error:
        from rich.markup import escape

        message = str(error).replace("\n", " ")
        make_console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False)
        return 2
    except KeyboardInterrupt as interrupt:
        make_console(stderr=True).print(str(interrupt) or "interrupted", highlight=False)
        return 130
