"""`lrkit schedule` and `lrkit demo` as a user runs them: output, files, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lrkit.cli import main
from lrkit.schedules import catalogue, parse

SPEC = "warmup(200) >> cosine(lr=0.1, steps=5000, min_lr=1e-4)"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_table_shows_start_phase_boundary_end_min_and_max(capsys):
    assert main(["schedule", SPEC]) == 0
    out = capsys.readouterr().out
    assert str(parse(SPEC)) in out
    for label in ("start", "phase start", "end", "min", "max"):
        assert label in out
    assert "5199" in out and "0.1" in out


def test_json_to_stdout_is_the_schedule_and_its_points(capsys):
    assert main(["schedule", SPEC, "--steps", "300", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["spec"] == str(parse(SPEC))
    assert parse(data["spec"]) == parse(SPEC)
    points = {point["label"]: point for point in data["points"]}
    assert points["start"] == {"step": 0, "lr": 0.0, "label": "start"}
    assert points["phase start"]["step"] == 200
    assert points["end"]["step"] == 299


def test_json_and_plot_files_are_written(tmp_path, capsys):
    out_json, out_png = tmp_path / "s.json", tmp_path / "plots" / "s.png"
    assert main(["schedule", SPEC, "--json", str(out_json), "--plot", str(out_png)]) == 0
    assert json.loads(out_json.read_text())["steps"] == 5200
    assert out_png.read_bytes().startswith(PNG_MAGIC)
    assert out_png.stat().st_size > 10_000  # a drawn figure, not an empty canvas


def test_list_names_every_schedule(capsys):
    assert main(["schedule", "--list"]) == 0
    out = capsys.readouterr().out
    for entry in catalogue():
        assert entry.name in out or entry.parameters in out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["schedule", "cosin(0.1, 10)"], "did you mean 'cosine'"),
        (["schedule", "cosine(0.1, 10"], "position 14"),
        (["schedule", "cosine(lr=-1, steps=10)"], "lr must be"),
        (["schedule", "constant(0.1)"], "--steps"),
        (["schedule", "cosine(0.1, 10)", "--steps", "0"], "at least 1"),
        (["schedule"], "give a schedule spec"),
        (["schedule", "cosine(0.1, 10)", "--steps", "ten"], "invalid int value"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_exit_code_2(capsys, argv, fragment):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert fragment in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert "Traceback" not in captured.err


def test_unwritable_output_is_a_clear_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["schedule", SPEC, "--plot", str(blocker / "x.png")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_the_installed_command_exits_2_without_a_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "lrkit", "schedule", "cosine(lr=0.1, steps=0)"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "steps must be a whole number of steps >= 1" in result.stderr


def test_demo_tunes_the_default_task_and_writes_its_results_and_the_gallery(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--budget", "2", "--workers", "1"]) == 0
    for plot in ("curves.png", "finder.png", "schedule.png", "landscape.png", "budget.png", "schedules.png"):
        assert (tmp_path / plot).read_bytes().startswith(PNG_MAGIC)
    tuned = json.loads((tmp_path / "tune.json").read_text())
    assert tuned["task"] == "digits-mlp"
    assert f"{tuned['recipe']['lr']:.3g}" in (tmp_path / "index.html").read_text()
    out = capsys.readouterr().out
    assert "Winner:" in out and "lrkit train digits-mlp --optimizer" in out and "one-cycle" in out
