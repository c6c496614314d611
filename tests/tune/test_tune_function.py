"""`tune` on a user's training function `train(trial)`: the same search as for a Task, its cost
counted the same way, the winner reproducible by `lrkit train`, and every failure one line with
the runs that ended kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

import lrkit
from lrkit.train import TrainableError, run_function
from lrkit.tune import TuneError, TuneResult, tune
from lrkit.tune._function_runner import default_devices

STEPS = 135  # rungs at 5, 15, 45 and 135 steps

TRAIN = textwrap.dedent('''
    import os
    import signal

    import torch
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    X = torch.tensor(data.data, dtype=torch.float32)
    X = (X - X.mean(0)) / X.std(0)
    y = torch.tensor(data.target)
    starts = []


    def train(trial):
        starts.append(os.getpid())
        if os.environ.get("RAISE_AT") and len(starts) == int(os.environ["RAISE_AT"]):
            raise RuntimeError("out of cheese")
        if os.environ.get("INTERRUPT_AT") and len(starts) == int(os.environ["INTERRUPT_AT"]):
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, as the main thread gets it
        if os.environ.get("DEVICES_LOG"):
            with open(os.environ["DEVICES_LOG"], "a") as log:
                log.write(f"{os.getpid()} {trial.device}\\n")
        model = torch.nn.Sequential(torch.nn.Linear(30, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
        optimizer = trial.optimizer(model.parameters())
        scheduler = trial.scheduler(optimizer)
        loss_fn = torch.nn.CrossEntropyLoss()
        for step in range(trial.steps):
            batch = torch.randint(0, 400, (32,))
            loss = loss_fn(model(X[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            if (step + 1) % trial.eval_every == 0 or step + 1 == trial.steps:
                with torch.no_grad():
                    trial.report(step + 1, loss_fn(model(X[400:]), y[400:]).item())
''')


@pytest.fixture(scope="module")
def train_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("function") / "loop.py"
    path.write_text(TRAIN)
    return path


@pytest.fixture(scope="module")
def tuned(train_file):
    return tune(f"{train_file}:train", budget=2, steps=STEPS, workers=1)


def test_a_function_is_searched_like_a_task_within_its_budget(tuned):
    assert 1.5 < tuned.cost <= 2.0
    assert {finder.optimizer for finder in tuned.finders} == {"adam", "momentum"}
    assert all(finder.suggestion for finder in tuned.finders)
    # 8 candidates on constant-rate trunks judged as they stand; the finalist's trunk turned into
    # its decay in place, kept beside it: its steps counted once.
    assert len(tuned.trials) == 9 and tuned.shared_steps == 110
    assert tuned.final.steps == tuned.final.budget == STEPS and tuned.final.recipe.schedule.startswith("wsd(")
    assert tuned.branch_steps == 0 and tuned.judged_at == ()
    paused = [trial for trial in tuned.trials if trial.steps < trial.budget and not trial.diverged]
    assert paused and all(trial.steps in (5, 15, 45, 110) for trial in paused)


def test_the_winner_retrains_to_the_same_numbers(tuned, train_file):
    function = lrkit.tasks.load_trainable(f"{train_file}:train")
    again = run_function(function, tuned.final.recipe, STEPS, eval_every=5)
    assert again.val_loss == tuned.final.val_loss
    assert again.lr == tuned.final.lr


def test_the_result_round_trips_through_json(tuned):
    back = TuneResult.from_dict(json.loads(json.dumps(tuned.to_dict())))
    assert back.to_dict() == tuned.to_dict()
    command = tuned.train_command()
    assert f"{tuned.task} --optimizer" in command and f"--steps {STEPS}" in command


def test_a_function_needs_its_steps(train_file):
    with pytest.raises(TuneError, match=r"needs steps=N.*--steps N"):
        tune(f"{train_file}:train", budget=2)


def test_a_function_that_raises_is_one_line_and_the_runs_that_ended_are_kept(train_file, monkeypatch):
    monkeypatch.setenv("RAISE_AT", "6")  # the range tests are starts 1 and 2
    message = r"^.*loop\.py:train raised RuntimeError: out of cheese$"
    with pytest.raises(TrainableError, match=message) as caught:
        tune(f"{train_file}:train", budget=2, steps=STEPS, workers=1)
    assert caught.value.partial is not None and len(caught.value.partial.trials) == 3


def test_ctrl_c_keeps_the_runs_that_ended(train_file, monkeypatch):
    monkeypatch.setenv("INTERRUPT_AT", "7")
    result = tune(f"{train_file}:train", budget=2, steps=STEPS, workers=1)
    assert result.interrupted and len(result.trials) == 4


def test_the_cli_tunes_a_function_and_trains_its_winner(train_file, tmp_path):
    out = tmp_path / "tune.json"
    command = [sys.executable, "-m", "lrkit", "tune", f"{train_file}:train", "--steps", str(STEPS),
               "--budget", "2", "--workers", "1", "--json", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    winner = result["recipe"]
    train = [sys.executable, "-m", "lrkit", "train", f"{train_file}:train", "--optimizer",
             winner["optimizer"], "--lr", repr(winner["lr"]), "--schedule", winner["schedule"],
             "--steps", str(STEPS), "--json", "-"]
    retrained = subprocess.run(train, capture_output=True, text=True, timeout=300)
    assert retrained.returncode == 0, retrained.stderr
    assert json.loads(retrained.stdout)["final"]["val_loss"] == result["final"]["val_loss"]


def test_the_cli_says_in_one_line_what_failed_and_keeps_the_runs_that_ended(train_file, tmp_path):
    out = tmp_path / "tune.json"
    command = [sys.executable, "-m", "lrkit", "tune", f"{train_file}:train", "--steps", str(STEPS),
               "--budget", "2", "--workers", "1", "--json", str(out)]
    raising = {**os.environ, "RAISE_AT": "6"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=raising)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].endswith(
        f"loop.py:train raised RuntimeError: out of cheese; the 3 runs that ended are in {out}")
    assert "Traceback" not in done.stderr and len(json.loads(out.read_text())["trials"]) == 3
    missing = subprocess.run([*command[:5], "--budget", "2"], capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "give the length of one run with --steps N" in missing.stderr


def test_each_worker_trains_on_its_own_device_and_the_search_is_the_same(train_file, tmp_path, monkeypatch,
                                                                       tuned):
    log = tmp_path / "devices.log"
    monkeypatch.setenv("DEVICES_LOG", str(log))
    result = tune(f"{train_file}:train", budget=2, steps=STEPS, workers=2, devices=["cpu:0", "cpu:1"])
    seen = {}
    for line in log.read_text().splitlines():
        pid, device = line.split()
        seen.setdefault(pid, set()).add(device)
    workers = {pid: devices for pid, devices in seen.items() if pid != str(os.getpid())}
    assert sorted(next(iter(devices)) for devices in workers.values()) == ["cpu:0", "cpu:1"]
    assert all(len(devices) == 1 for devices in workers.values())
    assert [t.val_loss for t in result.trials] == [t.val_loss for t in tuned.trials]
    assert result.final.recipe == tuned.final.recipe


def test_every_visible_gpu_is_a_device_by_default(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert default_devices() == ["cuda:0", "cuda:1"]
    from lrkit.tune._pipeline import _default_workers
    from lrkit.tune._plan import make_plan

    plan = make_plan(STEPS, 2)
    assert _default_workers("x.py:train", plan, 8, 0.01, default_devices(), lambda event: None) == 2


def test_a_function_reporting_too_rarely_for_a_range_test_is_told_how_often(tmp_path):
    def rare(trial):
        optimizer = trial.optimizer([torch.nn.Parameter(torch.zeros(1))])
        scheduler = trial.scheduler(optimizer)
        for _ in range(trial.steps):
            optimizer.step()
            scheduler.step()
        trial.report(trial.steps, 1.0)

    with pytest.raises(TrainableError, match=r"reported 1 losses in a 13-step range test; report every "
                                             r"trial.eval_every steps"):
        tune(rare, budget=2, steps=STEPS, workers=1)


def test_a_function_that_never_steps_its_scheduler_is_told_to(tmp_path):
    def unscheduled(trial):
        for step in range(trial.steps):
            trial.report(step + 1, 1.0)

    with pytest.raises(TrainableError, match=r"never called scheduler.step\(\)"):
        tune(unscheduled, budget=2, steps=STEPS, workers=1)


def _device_of_this_worker() -> tuple[int, str]:
    import time

    from lrkit.tune._runner import _DEVICE

    time.sleep(1.0)  # both jobs run at once, so each lands on a worker of its own
    return os.getpid(), _DEVICE["name"]


def test_each_task_worker_takes_a_device_of_its_own(tmp_path):
    from lrkit.tasks import get_task
    from lrkit.tune._runner import Runner

    runner = Runner("cancer-logreg", get_task("cancer-logreg"), 2, ["cpu:0", "cpu:1"], tmp_path, 10,
                    lambda result: None)
    try:
        jobs = [runner.pool.submit(_device_of_this_worker) for _ in range(2)]
        seen = dict(job.result(timeout=120) for job in jobs)
    finally:
        runner.close()
    assert len(seen) == 2 and sorted(seen.values()) == ["cpu:0", "cpu:1"]


@pytest.mark.parametrize(("devices", "message"), [
    (["gpu0"], r"^'gpu0' is not a device; give names such as cuda:0,cuda:1 or cpu$"),
    (["cpu", "cuda:7"], r"^device cuda:7 is not on this machine \(\d CUDA devices visible\)"),
])
def test_a_device_this_machine_lacks_is_one_line_before_any_work(devices, message):
    with pytest.raises(TuneError, match=message):
        tune("cancer-logreg", budget=2, devices=devices)
