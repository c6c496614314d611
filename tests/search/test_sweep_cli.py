"""`lrkit sweep` as users run it: the table and JSON, one-line errors, a worker killed with
SIGKILL and started again, Ctrl-C with workers, and two workers sharing one study on a real
PostgreSQL server."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import optuna
import pytest
from optuna.trial import TrialState

from lrkit._format import loss, rate
from lrkit.cli import main
from lrkit.cli._app import build_parser
from lrkit.cli._sweep import result_table
from lrkit.search import Space, sweep

GRID = ["--strategy", "grid", "--lr", "0.001,0.01,0.1", "--optimizers", "momentum",
        "--schedules", "constant,cosine"]


def _lrkit(*args: str, **options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lrkit", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **options)


def test_sweep_prints_the_trials_and_writes_json(tmp_path, capsys):
    out = tmp_path / "sweep.json"
    assert main(["sweep", "cancer-logreg", *GRID, "--workers", "1", "--out", str(tmp_path),
                 "--json", str(out)]) == 0
    assert "grid sweep on cancer-logreg: 6 trials of 6 configurations" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert len(data["trials"]) == 6 and data["best"]["optimizer"] == "momentum"
    assert data["cost"] == pytest.approx(6.0)


def test_sweep_names_its_winner_first_with_its_evidence_and_its_train_command(tmp_path, capsys):
    out = tmp_path / "sweep.json"
    assert main(["sweep", "cancer-logreg", "--strategy", "random", "--lr", "1e-3:1", "--optimizers",
                 "momentum", "--trials", "3", "--confirm", "2", "--workers", "1", "--out", str(tmp_path),
                 "--json", str(out)]) == 0
    text = capsys.readouterr().out
    data = json.loads(out.read_text())
    best, runner_up = data["best"], data["runner_up"]
    rows = [line.split() for line in text.splitlines() if re.match(r"\s*\d+\s+momentum", line)]
    assert [row[0] for row in rows] == ["1", "2", "3"]
    assert rows[0][3:6] == [rate(best["lr"]), "0,1", loss(best["val_loss"])] and rows[0][-2] == "winner"
    assert rows[1][3:6] == [rate(runner_up["lr"]), "0,1", loss(runner_up["val_loss"])]
    words = " ".join(text.split())
    each = ", ".join(loss(value) for value in best["seed_losses"])
    assert (f"Winner: momentum at lr {rate(best['lr'])} with schedule constant: mean validation loss "
            f"{loss(best['val_loss'])} over seeds 0 and 1 ({each})") in words
    lead = 100 * (1 - best["val_loss"] / runner_up["val_loss"])
    assert f"Runner-up: momentum at lr {rate(runner_up['lr'])}" in words
    assert f"mean is {lead:.1f}% lower" in words
    command = f"lrkit train cancer-logreg --optimizer momentum --lr {best['lr']:.6g} --schedule constant"
    assert f"train the winner: {command}\n" in text  # on one line, so it copies whole
    assert "more configurations" not in text and "--json" not in text  # every row shown, no false hint


def test_the_footer_says_how_to_see_the_rows_left_out(tmp_path):
    space = Space(lrs=(0.01, 0.1, 1.0), optimizers=("momentum",))
    result = sweep("cancer-logreg", space, "grid", out=tmp_path)
    assert [row for row in result_table(result).columns[0].cells] == ["1", "2", "3"]
    assert "more configurations" not in result_table(result).caption
    assert result_table(result, 1).caption.endswith(
        "2 more configurations: --all lists them; --json FILE writes every trial")
    assert result_table(result, 2, "out.json").caption.endswith(
        "1 more configuration: --all lists them; every trial is in out.json")


def test_every_option_of_sweep_says_what_it_does_and_its_default():
    sweep_parser = build_parser()._subparsers._group_actions[0].choices["sweep"]
    for action in sweep_parser._actions:
        if action.dest in ("help", "task"):
            continue
        assert action.help, action.dest
        if action.default not in (None, False):
            assert "default" in action.help, action.dest


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--lr", "fast"], "--lr must be LOW:HIGH"),
        (["--optimizers", "adam,lion"], "unknown optimizer 'lion'"),
        (["--schedules", "cosinus"], "unknown schedule template 'cosinus'"),
        (["--seeds", "0,x"], "--seeds must be whole numbers"),
        (["--workers", "0"], "workers must be >= 1"),
        (["--storage", "postgresql://nobody@127.0.0.1:1/none"], "cannot open the study storage"),
        (["--plateau", "plateau(factor=7)"], "factor"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(tmp_path, capsys, args, words):
    assert main(["sweep", "cancer-logreg", "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def _complete(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    return [t for t in study.get_trials() if t.state == TrialState.COMPLETE]


def _midway(worker: subprocess.Popen, study_name: str, storage: str) -> dict[int, float]:
    """Wait until the sweep has finished a trial and is running another; the finished trials'
    values by number ({} if the sweep ended first)."""
    deadline = time.monotonic() + 600  # generous: a loaded machine trains slowly
    while time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.5)
        try:
            study = optuna.load_study(study_name=study_name, storage=storage)
        except KeyError:  # the study is not created yet
            continue
        if _complete(study) and any(t.state == TrialState.RUNNING for t in study.get_trials()):
            return {t.number: t.value for t in _complete(study)}
    return {}


def test_a_worker_killed_mid_sweep_resumes_without_redoing_finished_trials(tmp_path):
    command = ["sweep", "mnist1d-mlp", "--strategy", "grid", "--lr", "0.0003,0.001,0.003,0.01",
               "--workers", "1", "--study", "killed", "--out", str(tmp_path)]
    storage = f"sqlite:///{tmp_path / 'sweep.db'}"
    worker = _lrkit(*command)
    finished_before = _midway(worker, "killed", storage)
    if finished_before:
        os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    assert worker.returncode == -signal.SIGKILL and finished_before, "the sweep ended before the kill"

    again = _lrkit(*command, "--json", "-")
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    study = optuna.load_study(study_name="killed", storage=storage)
    complete = _complete(study)
    assert sorted(t.params["lr"] for t in complete) == [0.0003, 0.001, 0.003, 0.01]  # each once
    assert {t.number: t.value for t in complete if t.number in finished_before} == finished_before
    assert any(t.state == TrialState.FAIL for t in study.get_trials())  # the killed trial, retried
    assert len(json.loads(stdout)["trials"]) == 4


def test_ctrl_c_stops_a_sweep_with_workers_in_one_line_and_keeps_its_finished_trials(tmp_path):
    storage = f"sqlite:///{tmp_path / 'sweep.db'}"
    sweep = _lrkit("sweep", "mnist1d-mlp", "--strategy", "grid", "--lr", "0.0003,0.001,0.003,0.01,0.03,0.1",
                   "--workers", "2", "--study", "stopped", "--out", str(tmp_path), start_new_session=True)
    finished_before = _midway(sweep, "stopped", storage)
    if finished_before:
        os.killpg(sweep.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the sweep and its worker
    _, stderr = sweep.communicate(timeout=120)
    assert sweep.returncode == 130 and finished_before, "the sweep ended before the Ctrl-C"
    # One line (after the bar's own line break off a terminal): no traceback from the sweep or its worker.
    assert stderr.strip() == ("interrupted: the finished trials are kept in the study; run the same command "
                              "again to resume")
    study = optuna.load_study(study_name="stopped", storage=storage)
    assert {t.number: t.value for t in _complete(study) if t.number in finished_before} == finished_before


def test_two_workers_on_postgresql_do_every_planned_trial_exactly_once(postgres_url, tmp_path):
    command = ["sweep", "cancer-logreg", *GRID, "--lr", "0.0001,0.0003,0.001,0.003,0.01,0.03,0.1",
               "--workers", "1", "--storage", postgres_url, "--study", "shared", "--out", str(tmp_path)]
    workers = [_lrkit(*command, "--json", str(tmp_path / f"worker{i}.json")) for i in range(2)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr
    study = optuna.load_study(study_name="shared", storage=postgres_url)
    done = sorted((t.params["schedule"], t.params["lr"]) for t in _complete(study))
    planned = sorted((s, lr) for s in ("constant", "cosine")
                     for lr in (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1))
    assert done == planned
    trained = [t for t in study.get_trials() if "lrkit_run" in t.user_attrs]
    assert len(trained) == len(planned)  # no trial trained twice, none lost
    results = [json.loads((tmp_path / f"worker{i}.json").read_text()) for i in range(2)]
    assert all(len(r["trials"]) == len(planned) for r in results)  # each sees the whole study
