"""Argument parsing and the one rule of the CLI: bad input is one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import rich.markup
from rich.console import Console

from ..errors import LrkitError
from . import _bench, _claims, _demo, _find, _report, _schedule, _sweep, _tasks, _train, _tune

COMMANDS = (_tasks, _train, _find, _sweep, _tune, _schedule, _report, _claims, _bench, _demo)


class UsageError(LrkitError):
    """The command line itself was wrong (unknown flag, missing argument)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but its errors raise (one line, exit 2) instead of printing the usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    """The full `lrkit` parser with one subcommand per module in COMMANDS."""
    parser = _Parser(prog="lrkit", description="Measure the learning rate instead of guessing it.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    for module in COMMANDS:
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 bad input, 130 interrupted)."""
    console = Console()
    errors = Console(stderr=True)
    try:
        args = build_parser().parse_args(argv)
        return args.run(args, console) or 0
    except (LrkitError, OSError) as error:
        message = str(error).replace("\n", " ")
        errors.print(f"[bold red]error:[/] {rich.markup.escape(message)}", highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt as interrupt:
        errors.print(str(interrupt) or "interrupted", highlight=False, soft_wrap=True)
        return 130
