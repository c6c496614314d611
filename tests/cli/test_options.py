"""Options as users type them: one spelling for the output folder everywhere, every option's help
with its default, negative rates reaching the check that names them, and report inputs that are
not results JSON refused in one line."""

from __future__ import annotations

import argparse
import importlib
import json

import pytest

from lrkit.cli import main
from lrkit.cli._app import COMMANDS, build_parser


def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    return captured.err


@pytest.mark.parametrize("command", ["report", "claims", "demo"])
@pytest.mark.parametrize("spelling", ["-o", "--out"])
def test_the_output_folder_is_dash_o_or_dash_dash_out(command, spelling):
    argv = [command, *(["r.json"] if command == "report" else []), spelling, "elsewhere"]
    assert build_parser([command]).parse_args(argv).out == "elsewhere"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_says_what_it_does_and_its_default(command):
    commands = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(f"lrkit.cli.{COMMANDS[command][0]}").add_parser(commands)
    parser = commands.choices[command]
    options = [action for action in parser._actions if action.option_strings and action.dest != "help"]
    assert options
    for action in options:
        text = (action.help or "") % {"default": action.default}
        assert "default" in text, action.option_strings
        if action.default not in (None, False):
            shown = f"{action.default:g}" if isinstance(action.default, float) else str(action.default)
            assert shown in text, action.option_strings


@pytest.mark.parametrize(("argv", "message"), [
    (["sweep", "cancer-logreg", "--lr", "-0.1,0.1"], "lrs must be positive"),
    (["sweep", "cancer-logreg", "--lr", "-1e-3:1e-1"], "the rate range must be 0 < low < high"),
    (["train", "cancer-logreg", "--lr", "-1e-3"], "lr must be a positive"),
    (["find", "cancer-logreg", "--start-lr", "-1e-7"], "must be positive"),
])
def test_a_negative_rate_is_the_error_that_names_it(capsys, argv, message):
    assert main(argv) == 2
    err = one_error_line(capsys)
    assert message in err and "expected one argument" not in err


@pytest.mark.parametrize(("content", "reason"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not text"),
    (b'{"kind": "tune",', "not JSON"),
    (None, "no such file"),
])
def test_a_report_input_that_is_not_results_json_is_one_line(tmp_path, capsys, content, reason):
    path = tmp_path / "figure.png"
    if content is not None:
        path.write_bytes(content)
    assert main(["report", str(path), "-o", str(tmp_path / "out")]) == 2
    err = one_error_line(capsys)
    assert str(path) in err and reason in err and "codec" not in err
    assert "`lrkit report` reads the JSON files that `lrkit train/find/sweep/tune/claims --json` write" in err
    assert not (tmp_path / "out").exists()


def test_a_report_input_that_is_a_folder_is_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert f"{tmp_path}: a folder" in one_error_line(capsys)


def test_report_of_valid_results_still_builds(tmp_path, capsys):
    run = tmp_path / "run.json"
    assert main(["train", "cancer-logreg", "--steps", "20", "--json", str(run)]) == 0
    assert json.loads(run.read_text())["steps"] == 20
    assert main(["report", str(run), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "index.html").is_file()
