"""Runs of one task in worker processes (spawned, one torch thread each), started fresh or
resumed from the checkpoint where halving paused them."""

from __future__ import annotations

import functools
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from pathlib import Path

from .._workers import children_ignore_interrupts, quiet_on_interrupt
from ..tasks import Task, load_task
from ..train import Recipe, RunResult, resume, run


@functools.lru_cache(maxsize=4)
def _load(task: str) -> Task:
    return load_task(task)


def _task(task: Task | str) -> Task:
    return _load(task) if isinstance(task, str) else task


def _start(task: Task | str, recipe: Recipe, eval_every: int, pause_at: int | None,
           checkpoint: str) -> RunResult:
    return run(_task(task), recipe, eval_every=eval_every, pause_at=pause_at,
               checkpoint=checkpoint if pause_at else None)


def _go_on(task: Task | str, paused: RunResult, eval_every: int, pause_at: int | None,
           checkpoint: str) -> RunResult:
    return resume(_task(task), paused, checkpoint, eval_every=eval_every, pause_at=pause_at,
                  save_to=checkpoint)


class Runner:
    """Trains recipes of one task; each run keeps one checkpoint file in `folder` by its index."""

    def __init__(self, task: Task | str, workers: int, folder: Path, eval_every: int,
                 on_done: Callable[[RunResult], None]) -> None:
        self.task, self.folder, self.eval_every, self.on_done = task, folder, eval_every, on_done
        self.finished: dict[int, RunResult] = {}  # every run by index, as it last ended
        self.pool: Executor | None = None
        if workers > 1:
            self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=quiet_on_interrupt)

    def start(self, recipes: list[tuple[int, Recipe]], pause_at: int | None) -> dict[int, RunResult]:
        """Fresh runs of (index, recipe), paused at `pause_at` (None: run to the end)."""
        return self._map(_start, [(index, recipe) for index, recipe in recipes], pause_at)

    def go_on(self, paused: dict[int, RunResult], pause_at: int | None) -> dict[int, RunResult]:
        """Resume paused runs up to `pause_at` (None: to the end)."""
        return self._map(_go_on, list(paused.items()), pause_at)

    def _map(self, job, items: list, pause_at: int | None) -> dict[int, RunResult]:
        def args(index: int, item) -> tuple:
            return (self.task, item, self.eval_every, pause_at, str(self.folder / f"{index}.pt"))

        results = {}
        if self.pool is None:
            for index, item in items:
                results[index] = self._done(index, job(*args(index, item)))
            return results
        with children_ignore_interrupts():  # the pool starts its workers as jobs are submitted
            futures = {self.pool.submit(job, *args(index, item)): index for index, item in items}
        for future in as_completed(futures):
            results[futures[future]] = self._done(futures[future], future.result())
        return results

    def _done(self, index: int, result: RunResult) -> RunResult:
        self.finished[index] = result
        self.on_done(result)
        return result

    def close(self) -> None:
        """Stop the workers. A Ctrl-C while they stop is not passed on: every run has ended by
        then, and raising would lose them all."""
        if self.pool is not None:
            try:
                self.pool.shutdown(cancel_futures=True)
            except KeyboardInterrupt:
                self.pool.shutdown(wait=False, cancel_futures=True)
