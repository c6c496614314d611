"""The CLI starts without the heavy libraries a command does not use: only the command being run
is imported, and each imports torch, Optuna or matplotlib in its run function. Checked by which
modules a fresh interpreter holds afterwards, not by time (benchmarks/bench_startup.py times it)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lrkit.cli._app import COMMANDS, build_parser

HEAVY = ("torch", "optuna", "matplotlib")

PROBE = """
import contextlib, io, json, sys
from lrkit.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(json.loads(sys.argv[1]))
    except SystemExit:
        pass
print(json.dumps(sorted(sys.modules)))
"""


def modules_after(argv: list[str]) -> set[str]:
    """The modules a fresh interpreter has imported once `lrkit argv` has run."""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], capture_output=True, text=True,
                          timeout=120, check=True)
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("argv", [
    ["--help"],
    ["schedule", "--list"],
    ["schedule", "cosine(0.1, steps=100)"],
    *([name, "--help"] for name in ("tasks", "train", "find", "sweep", "tune", "schedule", "report", "claims",
                                    "bench", "demo")),
])
def test_commands_start_without_torch_optuna_or_matplotlib(argv):
    loaded = modules_after(argv)
    assert "lrkit.cli" in loaded
    assert not [name for name in HEAVY if name in loaded]


def test_lrkit_help_imports_no_command_module_nor_rich():
    loaded = modules_after(["--help"])
    cli_modules = {name for name in loaded if name.startswith("lrkit.cli._")}
    assert cli_modules == {"lrkit.cli._app", "lrkit.cli._output"}
    assert not [name for name in loaded if name.split(".")[0] in ("rich", "numpy")]


def test_the_command_list_is_the_same_whether_or_not_the_commands_are_built():
    # `lrkit --help` lists each command by its line in COMMANDS without importing its module; a
    # module's own add_parser gives the same line (or none) when its options are built.
    assert build_parser(()).format_help() == build_parser().format_help()
    assert all(summary in build_parser(()).format_help() for _, summary in COMMANDS.values())
