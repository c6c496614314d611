"""`lrkit tune --storage URL --study NAME` on several machines (processes here): they share one
tune, train every unit of it once, agree on the result, and a machine killed mid-unit costs only
that unit, retried by another. On a real PostgreSQL server and on a SQLite file."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

import lrkit
from lrkit.search._sweep import open_storage
from lrkit.tune import TuneError
from lrkit.tune._shared import DUPLICATE, ERROR, UNIT, WORKER, Units

# Every forward pass waits 5 ms, so a unit lasts long enough (0.1-1 s) to be killed while it trains.
SLOW_TASK = textwrap.dedent('''
    import time

    import torch

    from lrkit.tasks import Task


    class Slow(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))

        def forward(self, x):
            time.sleep(0.005)
            return self.net(x)


    def make_task():
        inputs = torch.randn(320, 8)
        targets = (inputs[:, 0] > 0).long() + (inputs[:, 1] > 0.5).long()
        return Task("slow", Slow, (inputs[:256], targets[:256]), (inputs[256:], targets[256:]),
                    metric="accuracy", steps=120, batch_size=32)
''')


# The same data and model as a training function: its paused runs cannot move between machines.
SLOW_FUNCTION = SLOW_TASK + textwrap.dedent('''

    def train(trial):
        task = make_task()
        model = task.build_model()
        optimizer = trial.optimizer(model.parameters())
        scheduler = trial.scheduler(optimizer)
        inputs, targets = task.train
        generator = torch.Generator().manual_seed(trial.seed)
        for step in range(trial.steps):
            batch = torch.randint(0, len(inputs), (32,), generator=generator)
            loss = torch.nn.functional.cross_entropy(model(inputs[batch]), targets[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            if (step + 1) % trial.eval_every == 0 or step + 1 == trial.steps:
                with torch.no_grad():
                    trial.report(step + 1, torch.nn.functional.cross_entropy(model(task.val[0]), task.val[1]))
''')


def _machine(task: str, url: str, study: str, out: Path) -> subprocess.Popen:
    """One machine's `lrkit tune` on the shared study, writing its result to `out`."""
    steps = ["--steps", "120"] if task.endswith(":train") else []
    command = [sys.executable, "-m", "lrkit", "tune", task, *steps, "--budget", "2", "--workers", "1",
               "--storage", url, "--study", study, "--json", str(out)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(machine: subprocess.Popen) -> None:
    _, stderr = machine.communicate(timeout=240)
    assert machine.returncode == 0, stderr


def _runs(result: dict) -> list:
    """What the runs trained (recipes, losses, evaluations), not how long they took."""
    return [{k: v for k, v in run.items() if k != "wall_seconds"} for run in result["trials"]]


def _trained(study: optuna.Study) -> dict[str, list[optuna.trial.FrozenTrial]]:
    """The trials that began training (a machine claimed them and did not give them back), by unit.
    (A retry's copy of a killed machine's trial carries its WORKER until a machine claims it.)"""
    units = collections.defaultdict(list)
    for trial in study.get_trials():
        attrs = trial.user_attrs
        if WORKER in attrs and DUPLICATE not in attrs and trial.state != TrialState.WAITING:
            units[attrs[UNIT]].append(trial)
    return units


def _check_shared(results: list[dict], study: optuna.Study, local: lrkit.TuneResult) -> None:
    """Both machines name the same result, which is a tune in one process's, every unit complete once."""
    assert results[0]["final"] == results[1]["final"]
    assert _runs(results[0]) == _runs(results[1]) == _runs(local.to_dict())
    assert results[0]["finders"] == results[1]["finders"] == local.to_dict()["finders"]
    complete = collections.Counter(t.user_attrs[UNIT] for t in study.get_trials()
                                   if t.state == TrialState.COMPLETE and UNIT in t.user_attrs)
    assert complete and set(complete.values()) == {1}
    judged = {"judge"} if local.judged_at else set()  # a function's runs are judged as they stand
    assert {key.split(":")[0] for key in complete} == {"range", "start", "go_on", "decay", *judged}


def _local(task: str) -> lrkit.TuneResult:
    return lrkit.tune(task, 2, steps=120 if task.endswith(":train") else None, workers=1)


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_url(request, tmp_path) -> str:
    """A SQLite file (machines on one host), and a real PostgreSQL server (machines anywhere)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tune.db'}"
    return request.getfixturevalue("postgres_url")


def test_two_machines_share_one_tune(storage_url, tmp_path):
    # (not "shared": the sweep tests use that name on the same PostgreSQL server)
    machines = [_machine("cancer-logreg", storage_url, "tune-two-machines", tmp_path / f"{name}.json")
                for name in "ab"]
    for machine in machines:
        _finish(machine)
    study = optuna.load_study(study_name="tune-two-machines", storage=storage_url)
    results = [json.loads((tmp_path / f"{name}.json").read_text()) for name in "ab"]
    _check_shared(results, study, _local("cancer-logreg"))
    assert all(len(trials) == 1 for trials in _trained(study).values())  # none trained twice


def _resuming(study: optuna.Study, pid: int) -> str | None:
    """The unit that process `pid` is training now, if it goes on with a paused run."""
    return next((t.user_attrs[UNIT] for t in study.get_trials(deepcopy=False) if t.state == TrialState.RUNNING
                 and t.user_attrs.get(UNIT, "").startswith("go_on:")
                 and t.user_attrs.get(WORKER, "").endswith(f":{pid}")), None)


@pytest.mark.parametrize("trainable", ["make_task", "train"])
def test_a_machine_killed_mid_unit_costs_that_unit_only(postgres_url, tmp_path, trainable):
    # Machine a alone is killed while it resumes a run from a checkpoint it made; then b and a
    # restarted (the same command) share the rest: neither has a's checkpoint files, only the study.
    # A training function's runs paused on a are trained again from their first step by whoever
    # goes on with them (a's process is gone): the result is the same, the steps are paid twice.
    (tmp_path / "slow_task.py").write_text(SLOW_FUNCTION)
    task, shared = f"{tmp_path / 'slow_task.py'}:{trainable}", f"killed-{trainable}"
    a = _machine(task, postgres_url, shared, tmp_path / "a.json")
    study = optuna.create_study(study_name=shared, storage=postgres_url, load_if_exists=True)
    killed, deadline = None, time.monotonic() + 120
    while killed is None and a.poll() is None and time.monotonic() < deadline:
        killed = _resuming(study, a.pid)
        time.sleep(0.02)
    assert killed is not None, "machine a never resumed a run"
    os.kill(a.pid, signal.SIGKILL)
    a.communicate()
    done_before = {t.number: t.user_attrs[UNIT] for t in study.get_trials() if t.state == TrialState.COMPLETE}
    machines = [_machine(task, postgres_url, shared, tmp_path / f"{name}.json") for name in "ab"]
    for machine in machines:
        _finish(machine)

    results = [json.loads((tmp_path / f"{name}.json").read_text()) for name in "ab"]
    _check_shared(results, study, _local(task))
    trained = _trained(study)
    assert {key for key, trials in trained.items() if len(trials) > 1} == {killed}  # only it trained twice
    first, retry = trained[killed]
    assert first.state == TrialState.FAIL and retry.state == TrialState.COMPLETE
    assert first.user_attrs[WORKER] != retry.user_attrs[WORKER]
    after = {t.number: t.user_attrs[UNIT] for t in study.get_trials() if t.state == TrialState.COMPLETE}
    assert done_before and done_before.items() <= after.items()  # completed before the kill: kept, not redone


def test_a_bad_storage_url_is_one_line_and_exit_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lrkit", "tune", "cancer-logreg", "--budget", "1",
                             "--storage", "postgresql://me@127.0.0.1:1/db"], capture_output=True, text=True)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot open the study storage" in lines[0]


def test_the_same_call_again_finds_the_tune_by_its_default_name_and_trains_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'tune.db'}"
    first = lrkit.tune("cancer-logreg", 1, workers=1, storage=url)
    (name,) = optuna.get_all_study_names(url)
    trials = optuna.load_study(study_name=name, storage=url).trials
    again = lrkit.tune("cancer-logreg", 1, workers=1, storage=url)
    assert optuna.get_all_study_names(url) == [name] and name.startswith("cancer-logreg-tune-")
    assert optuna.load_study(study_name=name, storage=url).trials == trials  # no unit made or trained again
    assert _runs(again.to_dict()) == _runs(first.to_dict())


def test_a_study_of_another_tune_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'tune.db'}"
    lrkit.tune("cancer-logreg", 1, workers=1, storage=url, study="one")
    with pytest.raises(TuneError, match="holds another tune"):
        lrkit.tune("cancer-logreg", 1, seed=1, workers=1, storage=url, study="one")


def test_two_machines_share_a_training_functions_tune_each_going_on_with_the_runs_it_holds(tmp_path):
    (tmp_path / "slow.py").write_text(SLOW_FUNCTION)
    function, url = f"{tmp_path / 'slow.py'}:train", f"sqlite:///{tmp_path / 'tune.db'}"
    machines = [_machine(function, url, "function", tmp_path / f"{name}.json") for name in "ab"]
    for machine in machines:
        _finish(machine)
    study = optuna.load_study(study_name="function", storage=url)
    results = [json.loads((tmp_path / f"{name}.json").read_text()) for name in "ab"]
    _check_shared(results, study, _local(function))
    trained = _trained(study)
    assert all(len(trials) == 1 for trials in trained.values())
    started = {key.split(":")[1]: trials[0].user_attrs[WORKER] for key, trials in trained.items()
               if key.startswith("start:") and "pause=end" not in key}
    for key, trials in trained.items():  # a run went on where it was alive: the machine that started it
        if key.startswith(("go_on:", "decay:")):
            assert trials[0].user_attrs[WORKER] == started[key.split(":")[1]]


def _units(tmp_path: Path) -> Units:
    storage = open_storage(f"sqlite:///{tmp_path / 'units.db'}")
    return Units(optuna.create_study(study_name="units", storage=storage))


def test_a_unit_enqueued_by_two_machines_at_once_is_trained_once(tmp_path):
    units = _units(tmp_path)
    for _ in range(2):  # both machines found the unit missing and enqueued it
        units.study.enqueue_trial({}, user_attrs={UNIT: "start:0:pause=5"})
    calls = []

    def work(keys):
        calls.append(keys)
        return {key: {"x": "1"} for key in keys}

    done = units.batch(["start:0:pause=5"], work)
    assert calls == [["start:0:pause=5"]] and done["start:0:pause=5"].user_attrs["x"] == "1"
    first, second = units.study.get_trials()
    assert (first.state, second.state) == (TrialState.COMPLETE, TrialState.FAIL)  # the later one given back
    assert second.user_attrs[DUPLICATE] and WORKER not in second.user_attrs


def test_a_unit_that_raises_is_failed_with_its_error_and_retried_by_the_next_command(tmp_path):
    units = _units(tmp_path)

    def broken(keys):
        raise RuntimeError("out of cheese")

    with pytest.raises(RuntimeError, match="out of cheese"):
        units.batch(["range:adam"], broken)
    (failed,) = units.study.get_trials()
    assert failed.state == TrialState.FAIL and failed.user_attrs[ERROR] == "RuntimeError: out of cheese"
    with pytest.raises(TuneError, match="range:adam of study 'units' failed: RuntimeError: out of cheese"):
        units._recover([failed], {"range:adam"})  # what a machine waiting for the unit sees
    done = units.batch(["range:adam"], lambda keys: {key: {} for key in keys})  # the same command again
    assert done["range:adam"].number == 1


def test_a_unit_stopped_by_ctrl_c_is_failed_at_once_for_another_machine(tmp_path):
    units = _units(tmp_path)

    def stopped(keys):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        units.batch(["go_on:1:from=5:pause=15"], stopped)
    (failed,) = units.study.get_trials()
    assert failed.state == TrialState.FAIL and ERROR not in failed.user_attrs
    units._recover([failed], {"go_on:1:from=5:pause=15"})  # another machine enqueues it again, no waiting
    assert [t.state for t in units.study.get_trials()] == [TrialState.FAIL, TrialState.WAITING]
