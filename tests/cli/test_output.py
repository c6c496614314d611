"""Terminal output at any width, on a terminal or in a pipe (pytest's captured stdout is a pipe):
names in tables stay whole, prose wraps at words or gives way, and every printed `lrkit ...`
command is on one line that the CLI's own parser accepts."""

from __future__ import annotations

import re
import shlex

import pytest
from rich.table import Table

from lrkit.cli import main
from lrkit.cli._app import build_parser
from lrkit.cli._demo import GALLERY, show_gallery
from lrkit.cli._output import make_console
from lrkit.schedules import catalogue
from lrkit.tasks import builtin_tasks

WIDTHS = (80, 60)


def printed(capsys, monkeypatch, width: int, argv: list[str]) -> str:
    monkeypatch.setenv("COLUMNS", str(width))
    assert main(argv) == 0
    return capsys.readouterr().out


def commands_in(text: str) -> list[str]:
    """Every `lrkit ...` command printed: between backticks, or to the end of its line."""
    found = []
    for line in text.splitlines():
        quoted = re.findall(r"`(lrkit [^`]*)`", line)
        found += quoted or re.findall(r"lrkit (?:train|find|sweep|tune|report)\b.*$", line)
    return found


def parses(command: str) -> None:
    argv = shlex.split(command)
    assert argv[0] == "lrkit"
    build_parser().parse_args(argv[1:])


@pytest.mark.parametrize("width", WIDTHS)
def test_tasks_table_keeps_every_name_whole_within_the_width(capsys, monkeypatch, width):
    out = printed(capsys, monkeypatch, width, ["tasks"])
    for name in builtin_tasks():
        assert re.search(rf"^(│ )?{name} ", out, re.MULTILINE), name
    assert "…" not in out and max(map(len, out.splitlines())) <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_schedule_list_keeps_each_schedule_name_whole(capsys, monkeypatch, width):
    out = printed(capsys, monkeypatch, width, ["schedule", "--list"])
    for entry in catalogue():
        first_word = re.escape(entry.parameters.split(", ")[0])
        assert re.search(rf"^(│ )?{first_word}", out, re.MULTILINE), entry.name
    assert "…" not in out and max(map(len, out.splitlines())) <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_gallery_keeps_schedule_names_whole(tmp_path, monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    console = make_console()
    with console.capture() as capture:
        show_gallery(tmp_path, console)
    out = capture.get().split("gallery plot written")[0]  # a path is never cut, at any width
    for name in GALLERY:
        assert re.search(rf"^(│ )?{re.escape(name)}  ", out, re.MULTILINE), name
    assert "…" not in out and max(map(len, out.splitlines())) <= width


def test_a_table_too_wide_for_the_console_prints_whole_at_its_own_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "30")
    table = Table("optimizer", "schedule", title="made elsewhere, printed through the CLI's console")
    table.add_row("sgd_nesterov_momentum", "warmup_cosine_restarts")
    console = make_console()
    with console.capture() as capture:
        console.print(table)
    out = capture.get()
    assert "…" not in out
    assert re.search(r"^sgd_nesterov_momentum\s+warmup_cosine_restarts", out, re.MULTILINE)


@pytest.mark.parametrize("width", (60, 40))
def test_tune_prints_its_commands_on_one_line_each_and_they_run(tmp_path, capsys, monkeypatch, width):
    data = tmp_path / "my runs" / "tune.json"  # a space: the printed command quotes the path
    out = printed(capsys, monkeypatch, width, ["tune", "cancer-logreg", "--budget", "1", "--workers", "1",
                                               "--json", str(data)])
    commands = commands_in(out)
    assert [command.split()[1] for command in commands] == ["train", "report"]
    for command in commands:
        parses(command)
    report = shlex.split(commands[1])
    assert report[1:] == ["report", str(data), "-o", "lrkit-report"]
    monkeypatch.chdir(tmp_path)
    assert main(report[1:]) == 0
    assert (tmp_path / "lrkit-report" / "index.html").is_file()


def test_a_long_title_wraps_at_words_to_the_width_not_to_a_narrow_table(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    title = "range test on cancer-logreg with adam: diverged after 40 steps (0.20 of a full run)"
    table = Table("method", "lr", title=title, title_justify="left")
    table.add_row("valley", "0.0134")
    console = make_console()
    with console.capture() as capture:
        console.print(table)
    lines = capture.get().splitlines()
    assert " ".join(lines[:3]).split() == title.split()  # whole words, on three lines of the 40
    assert max(map(len, lines)) <= 40 and len(lines[0]) > 30
