"""`lrkit tune` as a user runs it: the JSON holds the recipe `lrkit train` takes as it is."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import pytest

from lrkit.cli import main


def test_tune_writes_json_whose_recipe_lrkit_train_reproduces(tmp_path, capsys):
    out = tmp_path / "tune.json"
    assert main(["tune", "cancer-logreg", "--budget", "1", "--workers", "1", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert {"recipe", "final", "cost", "trials", "finders", "effects", "summary"} <= set(data)
    printed = capsys.readouterr().out
    command = next(line for line in printed.splitlines() if "lrkit train" in line).split(": ", 1)[1]
    argv = [*shlex.split(command)[1:], "--json", str(tmp_path / "run.json")]
    assert main(argv) == 0
    again = json.loads((tmp_path / "run.json").read_text())
    assert again["final"]["val_loss"] == pytest.approx(data["final"]["val_loss"], rel=1e-6)


@pytest.mark.parametrize("argv, message", [
    (["--budget", "0.5"], "budget must be at least 1"),
    (["--optimizers", "adamm"], "optimizer 'adamm' is unknown"),
    (["--schedules", "cosin"], "unknown schedule 'cosin'"),
    (["--workers", "0"], "workers must be >= 1"),
])
def test_bad_input_is_one_line_and_exit_code_2(argv, message):
    result = subprocess.run([sys.executable, "-m", "lrkit", "tune", "cancer-logreg", *argv],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
