"""The PostgreSQL fixture serves an Optuna study to two worker processes at once."""

from __future__ import annotations

import multiprocessing as mp
import time
from typing import Any

import optuna
from optuna.trial import TrialState

STUDY = "fixture-two-workers"
ENQUEUED = [{"x": float(i)} for i in range(6)]


def objective(trial: optuna.Trial) -> float:
    """Trivial objective; the sleep lets the two workers overlap."""
    x = trial.suggest_float("x", -10.0, 10.0)
    time.sleep(0.05)
    return (x - 2.0) ** 2


def was_enqueued(study: optuna.Study, trial: optuna.Trial) -> bool:
    """Whether ask() popped an enqueued trial (rather than creating a fresh one)."""
    frozen = next(t for t in study.get_trials(deepcopy=False) if t.number == trial.number)
    return "fixed_params" in frozen.system_attrs


def worker(url: str, start: Any) -> None:
    """Take enqueued trials until none is waiting; a trial that lost the race for the last one is failed."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=STUDY, storage=url)
    start.wait()
    while study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        trial = study.ask()
        if not was_enqueued(study, trial):
            # The other worker popped the last waiting trial between our check and ask().
            study.tell(trial, state=TrialState.FAIL)
            break
        trial.set_user_attr("pid", mp.current_process().pid)
        study.tell(trial, objective(trial))


def test_two_processes_share_a_postgres_study(postgres_url: str) -> None:
    study = optuna.create_study(study_name=STUDY, storage=optuna.storages.RDBStorage(postgres_url))
    for params in ENQUEUED:
        study.enqueue_trial(params)

    ctx = mp.get_context("spawn")
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=worker, args=(postgres_url, start)) for _ in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    assert [proc.exitcode for proc in procs] == [0, 0]

    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert sorted(t.params["x"] for t in complete) == [p["x"] for p in ENQUEUED]
    assert all(t.state in (TrialState.COMPLETE, TrialState.FAIL) for t in trials)
    assert all(not t.params for t in trials if t.state == TrialState.FAIL)  # surplus trials suggest nothing
