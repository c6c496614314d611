"""The training runs the claims ask for: one `Job` per run, run once even when two claims share it.

Jobs cross into spawned worker processes as plain dicts and come back as `RunResult.to_dict()`,
so nothing torch- or proxy-typed is pickled; a worker checks that each task it builds holds the
data the parent's does (its fingerprint). Each run uses one torch thread (`run`'s default),
which is fastest for these small models; parallelism comes from the processes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import multiprocessing
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from .._workers import usable_workers
from ..events import Callback, Event, ignore
from ..tasks import Task, get_task
from ..tasks._same_data import check_same_data, fingerprint
from ..train import Recipe, RunResult, run


@dataclass(frozen=True)
class Job:
    """One training run: `recipe` on the built-in `task` (built with `options`), for `budget` (a
    fraction) of the task's steps, at `batch_scale` times the task's batch size. With
    `eval_on="train"` the run's evaluations measure the training split instead of the validation
    split: the same seeded run, so they give the training loss of the job's "val" twin."""

    task: str
    recipe: Recipe
    budget: float = 1.0
    batch_scale: int = 1
    eval_on: str = "val"
    options: tuple[tuple[str, Any], ...] = ()

    def with_recipe(self, **changes: Any) -> Job:
        """This job with some fields of its recipe changed (another rate, seed, schedule...)."""
        return dataclasses.replace(self, recipe=dataclasses.replace(self.recipe, **changes))

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "recipe": self.recipe.to_dict(), "budget": self.budget,
                "batch_scale": self.batch_scale, "eval_on": self.eval_on, "options": dict(self.options)}


Runs = Mapping[Job, RunResult]


@functools.cache
def _task(name: str, options: tuple[tuple[str, Any], ...]) -> Task:
    return get_task(name, **dict(options))


@functools.cache
def _checked_task(name: str, options: tuple[tuple[str, Any], ...], expected: str | None) -> Task:
    return check_same_data(_task(name, options), expected, name)


@functools.cache
def _fingerprint(name: str, options: tuple[tuple[str, Any], ...]) -> str:
    return fingerprint(_task(name, options))


def train_job(job: dict[str, Any], expected: str | None = None) -> dict[str, Any]:
    """Run one job (as `Job.to_dict()` gives it) and return its `RunResult.to_dict()`; in a worker
    process, `expected` is the fingerprint of the task's data in the parent."""
    task = _checked_task(job["task"], tuple(sorted(job["options"].items())), expected)
    if job["batch_scale"] != 1:
        task = dataclasses.replace(task, batch_size=task.batch_size * job["batch_scale"])
    if job["eval_on"] == "train":
        task = dataclasses.replace(task, val=task.train)
    steps = max(2, round(task.steps * job["budget"]))
    return run(task, Recipe.from_dict(job["recipe"]), steps=steps).to_dict()


class Trainer:
    """Trains each distinct job once, on a process pool or (without one) in this process, and keeps
    every RunResult; each finished run is reported as Event("claims", done, total)."""

    def __init__(self, pool: Executor | None, callback: Callback = ignore) -> None:
        self.pool, self.callback = pool, callback
        self.runs: dict[Job, RunResult] = {}

    def train(self, jobs: Iterable[Job]) -> Runs:
        """Train the jobs not trained yet; returns every run so far, keyed by its job."""
        new = [job for job in dict.fromkeys(jobs) if job not in self.runs]
        total = len(self.runs) + len(new)
        if self.pool is None:
            for job in new:
                self._finished(job, train_job(job.to_dict()), total)
        else:
            futures = {}
            for job in new:  # each worker checks its task's data against this process's
                expected = _fingerprint(job.task, tuple(sorted(job.options)))
                futures[self.pool.submit(train_job, job.to_dict(), expected)] = job
            for future in as_completed(futures):
                self._finished(futures[future], future.result(), total)
        return self.runs

    def _finished(self, job: Job, data: dict[str, Any], total: int) -> None:
        self.runs[job] = RunResult.from_dict(data)
        self.callback(Event("claims", len(self.runs), total, {"task": job.task}))


@contextlib.contextmanager
def trainer(workers: int, callback: Callback = ignore) -> Iterator[Trainer]:
    """A Trainer on `workers` spawned processes (1, or a script that spawned workers would run
    again: in this process)."""
    if usable_workers(workers) == 1:
        yield Trainer(None, callback)
        return
    # Spawn, not fork: forking a parent that already runs torch threads can deadlock.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            yield Trainer(pool, callback)
        except BaseException:
            # An error or Ctrl-C stops here, instead of after every queued run has trained.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
