"""`lrkit train` as users run it: the rate a full spec sets, the length warning, --fit-schedule,
and Ctrl-C keeping the partial run."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time

from lrkit.cli import main


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_lr_disagreeing_with_a_full_spec_is_one_line_naming_both_rates(capsys):
    assert main(["train", "digits-mlp", "--lr", "0.5", "--schedule", "cosine(lr=0.1, steps=100)"]) == 2
    err = capsys.readouterr().err
    assert "lr 0.5 disagrees with the peak rate 0.1" in err and err.count("\n") == 1


def test_a_full_spec_without_lr_records_the_rate_it_trains_at(tmp_path):
    out = tmp_path / "run.json"
    assert main(["train", "digits-mlp", "--schedule", "cosine(lr=0.1, steps=30)", "--steps", "30",
                 "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["recipe"]["lr"] == max(data["lr"]) == 0.1


def test_a_spec_of_another_length_is_said_once_in_one_line(tmp_path, capsys):
    command = ["train", "digits-mlp", "--schedule", "cosine(lr=0.1, steps=20)", "--steps", "30"]
    assert main([*command, "--json", str(tmp_path / "run.json")]) == 0
    lines = _lines(capsys.readouterr().err)  # the progress bar ends with a line break off a terminal
    assert len(lines) == 1 and "--fit-schedule" in lines[0]
    assert lines[0].startswith("warning: the schedule cosine(lr=0.1, steps=20) lasts 20 steps but the run "
                               "has 30")
    assert main([*command, "--fit-schedule", "--json", str(tmp_path / "fit.json")]) == 0
    assert _lines(capsys.readouterr().err) == []
    fitted = json.loads((tmp_path / "fit.json").read_text())
    assert fitted["recipe"]["fit"] and fitted["lr"][-1] < 0.01  # stretched: near the end of the cosine


TASK_FILE = '''
import pathlib
import torch
import lrkit

STARTED = pathlib.Path(__file__).with_suffix(".started")


class Net(torch.nn.Linear):
    calls = 0

    def forward(self, x):
        Net.calls += 1
        if Net.calls == 50:  # training is under way: the test may press Ctrl-C
            STARTED.write_text("")
        return super().forward(x)


def make_task():
    torch.manual_seed(0)
    x = torch.randn(512, 10)
    y = (x.sum(1) > 0).long()
    return lrkit.Task("endless", lambda: Net(10, 2), (x[:400], y[:400]), (x[400:], y[400:]),
                      metric="accuracy", steps=10_000_000, batch_size=32)
'''


def test_ctrl_c_keeps_the_partial_run_prints_it_writes_json_and_exits_130(tmp_path):
    task = tmp_path / "endless.py"
    task.write_text(TASK_FILE)
    out = tmp_path / "run.json"
    command = [sys.executable, "-m", "lrkit", "train", f"{task}:make_task", "--json", str(out)]
    train = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300  # generous: a loaded machine starts torch slowly
        started = task.with_suffix(".started")
        while not started.exists() and train.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        train.send_signal(signal.SIGINT)
        stdout, stderr = train.communicate(timeout=120)
    finally:
        if train.poll() is None:  # a failed test must not leave a run of 10M steps behind
            train.kill()
            train.wait()
    assert train.returncode == 130, stderr
    match = re.fullmatch(r"interrupted at step (\d+) of 10000000: the partial result is written to (.+)",
                         stderr.strip())
    assert match and match[2] == str(out), stderr
    data = json.loads(out.read_text())
    steps = int(match[1])
    assert data["interrupted"] and data["steps"] == steps == len(data["train_loss"]) > 0
    assert data["evaluations"][-1]["step"] == steps
    assert "interrupted" in stdout and f"{steps} of 10000000" in stdout
