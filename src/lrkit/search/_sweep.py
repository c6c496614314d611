"""`sweep`: a strategy over a space on one Optuna study, in-process or with worker processes,
stored so that a killed sweep resumes and other machines can join it."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import pickle
import sys
import time
from multiprocessing.queues import SimpleQueue
from pathlib import Path

import optuna
import sqlalchemy
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState

from .._workers import children_ignore_interrupts, quiet_on_interrupt, usable_workers
from ..errors import LrkitError
from ..events import Callback, Event, ignore
from ..tasks import Task, load_task
from ..tasks._same_data import check_same_data, fingerprint
from ._attrs import PLANNED
from ._descending import descend
from ._plan import Plan, make_plan
from ._result import SweepResult, best_first
from ._space import SearchError, Space
from ._trials import enqueue_plan, quiet_optuna, trial_records, work

HEARTBEAT_SECONDS = 2  # a running trial's worker proves it is alive this often...
GRACE_SECONDS = 6  # ...and a trial silent this long is failed and enqueued again
PLAN_WAIT_SECONDS = 30  # how long a joining worker waits for the study's creator to enqueue the plan


def sweep(
    task: Task | str,
    space: Space,
    strategy: str = "grid",
    *,
    trials: int | None = None,
    confirm: int | None = None,
    workers: int = 1,
    storage: str | None = None,
    study: str | None = None,
    out: str | Path = "lrkit-report",
    seed: int = 0,
    callback: Callback = ignore,
) -> SweepResult:
    """Search `space` on `task` with `strategy` (grid, random, descending, sha, hyperband, tpe).

    Trials live in an Optuna study: by default a SQLite file `sweep.db` in `out`, or any RDB URL
    (`postgresql://...`) shared by workers on other machines. The study's name defaults to one
    derived from the task, space, strategy and seed, so running the same sweep again resumes it
    and redoes no finished trial. Once the plan is done, its `confirm` best configurations (default
    2 for random, sha, hyperband and tpe) are retrained on one more seed and the winner is the best
    mean, so a configuration that was lucky on one seed does not win. `workers` > 1 runs trials in
    that many processes, with torch's threads split between them. `task` may be a built-in name
    or `path/to/file.py:function`.
    """
    task_object = load_task(task) if isinstance(task, str) else task
    plan = make_plan(strategy, space, task_object.steps, trials, seed, confirm)
    if workers < 1:
        raise SearchError(f"workers must be >= 1, got {workers}")
    if strategy == "descending" and workers > 1:
        raise SearchError("descending is sequential (each rate depends on the last); use --workers 1")
    workers = usable_workers(workers)
    url = storage or _default_storage(Path(out))
    name = study or default_study_name(task_object, space, strategy, trials, seed, plan.confirm)
    optuna_study = open_study(url, name, plan)
    threads = max(1, (os.cpu_count() or 1) // workers)
    if strategy == "descending":
        descend(optuna_study, task_object, space, plan, threads=threads, callback=callback)
    elif workers == 1:
        work(optuna_study, task_object, space, plan, threads=threads,
             on_trial=lambda: _report(optuna_study, plan, callback))
    else:
        _run_pool(task, task_object, space, plan, url, name, workers, threads, optuna_study, callback)
    return collect(optuna_study, task_object, strategy, space)


def collect(study: optuna.Study, task: Task, strategy: str, space: Space) -> SweepResult:
    """The sweep's result as the study holds it now."""
    records = best_first(trial_records(study))
    return SweepResult(task.name, strategy, space, study.study_name, records)


def default_study_name(task: Task, space: Space, strategy: str, trials: int | None, seed: int,
                       confirm: int) -> str:
    key = json.dumps([task.name, task.steps, space.to_dict(), strategy, trials, seed, confirm],
                     sort_keys=True)
    return f"{task.name}-{strategy}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"


def _default_storage(out: Path) -> str:
    out.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(out / 'sweep.db').resolve()}"


def open_storage(url: str) -> RDBStorage:
    """An RDB storage with heartbeats, so a trial whose worker died is retried, not lost."""
    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    _check_driver(url)
    try:
        with quiet_optuna():
            storage = RDBStorage(url, engine_kwargs=engine, heartbeat_interval=HEARTBEAT_SECONDS,
                                 grace_period=GRACE_SECONDS,
                                 heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=3))
    except Exception as error:  # SQLAlchemy's errors for a bad URL, a missing driver, no server
        raise SearchError(f"cannot open the study storage {url!r}: {str(error).splitlines()[0]}") from None
    if url.startswith("sqlite"):
        _serialise_sqlite_writers(storage.engine)
    return storage


def _check_driver(url: str) -> None:
    """Name the missing database driver and the extra that installs it, before SQLAlchemy's long error."""
    try:
        dialect = sqlalchemy.engine.make_url(url).get_dialect()
    except Exception:  # not a URL at all: RDBStorage's own message says so
        return
    try:
        dialect.import_dbapi()
    except ImportError as error:
        fix = ("pip install 'lrkit[postgres]'" if dialect.name == "postgresql" and dialect.driver == "psycopg"
               else f"install the Python package that provides {error.name!r}")
        raise SearchError(f"the storage {url!r} needs the {dialect.name} driver {dialect.driver!r}, which is "
                          f"not installed: {fix}") from None


def _serialise_sqlite_writers(engine: sqlalchemy.Engine) -> None:
    """Make every SQLite transaction take the write lock when it begins (`BEGIN IMMEDIATE`).

    Optuna hands a waiting trial to a worker by reading its state and then marking it running;
    PostgreSQL locks the row in between, SQLite's default deferred transactions do not, so two
    worker processes could both take the same trial. (The recipe is SQLAlchemy's own, for pysqlite.)
    """

    @sqlalchemy.event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None

    @sqlalchemy.event.listens_for(engine, "begin")
    def _begin_immediate(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()  # connections opened before the listeners would not have them


def open_study(url: str, name: str, plan: Plan) -> optuna.Study:
    """Create the study and enqueue its planned trials, or join the one that exists."""
    storage = open_storage(url)
    try:
        study = optuna.create_study(storage=storage, study_name=name, sampler=plan.sampler,
                                    pruner=plan.pruner, direction="minimize")
        study.set_user_attr("lrkit_strategy", plan.strategy)
        enqueue_plan(study, plan)
        return study
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(storage=storage, study_name=name, sampler=plan.sampler, pruner=plan.pruner)
    if study.user_attrs.get("lrkit_strategy", plan.strategy) != plan.strategy:
        raise SearchError(f"study {name!r} was made by strategy {study.user_attrs['lrkit_strategy']!r}, "
                          f"not {plan.strategy!r}; pick another --study name")
    for _ in range(PLAN_WAIT_SECONDS * 2):  # the creator may still be enqueueing the plan
        if plan.planned is None or study.user_attrs.get(PLANNED):
            return study
        time.sleep(0.5)
    enqueue_plan(study, plan)  # the creator died before it finished: finish its plan
    return study


def _report(study: optuna.Study, plan: Plan, callback: Callback) -> None:
    """Trials finished so far and the best final loss, from the trials' states and values only
    (parsing every stored RunResult once a second would take CPU from the workers)."""
    finished = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
    values = [t.value for t in finished if t.state == TrialState.COMPLETE]
    total = max(plan.n_trials, len(finished))
    callback(Event("trial", len(finished), total, {"best": min(values) if values else None}))


def _run_pool(task: Task | str, task_object: Task, space: Space, plan: Plan, url: str, name: str,
              workers: int, threads: int, study: optuna.Study, callback: Callback) -> None:
    """This process works on the study beside `workers - 1` spawned ones (it has torch and the
    task loaded already; a spawned worker spends seconds importing them). Progress is read from
    the study after each of this process's trials and while the others finish."""
    if not isinstance(task, str):
        try:
            pickle.dumps(task)
        except Exception:
            raise SearchError("this Task cannot be sent to worker processes (its model factory is a "
                              "lambda or local function); pass it as 'path/to/file.py:function'") from None
    context = multiprocessing.get_context("spawn")
    errors = context.SimpleQueue()  # a worker's LrkitError (its task file gave other data), raised here
    expected = fingerprint(task_object) if isinstance(task, str) else None
    args = (task, expected, space, plan, url, name, threads, errors)
    processes = [context.Process(target=worker_main, args=args) for _ in range(workers - 1)]
    with children_ignore_interrupts():
        for process in processes:
            process.start()

    def report() -> None:
        if not errors.empty():
            raise errors.get()
        _report(study, plan, callback)

    try:
        work(study, task_object, space, plan, threads=threads, on_trial=report)
        while any(process.is_alive() for process in processes):
            report()
            time.sleep(1.0)
        for process in processes:
            process.join()
        report()
    except BaseException:
        for process in processes:  # stopped: end the workers; their trials are retried on resume
            process.terminate()
        raise
    failed = [process.exitcode for process in processes if process.exitcode]
    if failed:
        raise SearchError(f"{len(failed)} worker process(es) failed (exit codes {failed}); "
                          "run the same command again to resume")


def worker_main(task: Task | str, expected: str | None, space: Space, plan: Plan, url: str, name: str,
                threads: int, errors: SimpleQueue) -> None:
    """A worker process: load the task (checked to hold the data its parent has, `expected`), join
    the study and run trials until the plan is done. A Ctrl-C ends it silently (its trial is
    retried when the sweep is resumed); an LrkitError goes to the parent through `errors`."""
    quiet_on_interrupt()
    try:
        task_object = check_same_data(load_task(task), expected, task) if isinstance(task, str) else task
    except LrkitError as error:
        errors.put(error)
        sys.exit(2)
    study = optuna.load_study(storage=open_storage(url), study_name=name, sampler=plan.sampler,
                              pruner=plan.pruner)
    work(study, task_object, space, plan, threads=threads)

