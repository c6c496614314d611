"""One tune shared by machines through an Optuna study (`tune(..., storage=URL)`).

Every machine runs the same pipeline: its decisions follow from the runs alone, so each reaches
the same batches. A batch (the range tests, a rung's starts, resumes, decays) becomes units of
work, one Optuna trial each, named by a key that every machine derives alike (`start:3:pause=74`).
Each machine enqueues the units not yet in the study, claims waiting ones one at a time (the
same atomic WAITING -> RUNNING step as Optuna's own pop), trains them, and stores the result and
the checkpoint of a paused run on the trial; then it reads the whole batch back from the study.
A unit whose machine was killed goes stale (no heartbeat) and is retried from the checkpoint its
run last stored; a completed unit is never trained again.

A training function's paused run has no checkpoint: it lives in the machine that trained it, so
only that machine goes on with it while it is present in the study (a trial of its own, with
heartbeats); once it is gone, another machine trains the run again from its first step, which
ends where the lost one would have (training is deterministic) at the cost of those steps.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import optuna
from optuna.trial import FrozenTrial, TrialState

from ..finder import FinderResult
from ..optim import list_optimizers
from ..search._attrs import RUN
from ..search._policy import Policy
from ..search._space import SearchError
from ..search._stages import duplicate
from ..search._sweep import open_storage
from ..search._trials import heartbeat, quiet_optuna
from ..tasks._same_data import fingerprint
from ..train import Recipe, RunResult
from ._function_runner import FunctionRunner
from ._plan import TuneError, TunePlan
from ._runner import Runner

if TYPE_CHECKING:
    from ._pipeline import _FunctionTrainable, _Progress, _TaskTrainable

UNIT = "lrkit_unit"  # trial: the key of the unit of work it is
CHECKPOINT = "lrkit_checkpoint"  # trial: the paused run's checkpoint file, base64
WORKER = "lrkit_worker"  # trial: the machine and process that claimed it (host:pid)
ERROR = "lrkit_error"  # trial: the error its unit raised
DUPLICATE = "lrkit_duplicate"  # trial: a second copy of a unit, given back untrained
PRESENT = "lrkit_present"  # trial: the machine (host:pid) it shows alive, while it runs
TUNE = "lrkit_tune"  # study: the settings and data it was made with, which every machine must share
POLL_SECONDS = 0.5  # how often a machine with nothing to claim looks at the batch again
STORAGE_RETRY_SECONDS = 1.0  # how long a machine whose storage failed to open waits to try again

# What a machine trains for a batch: its claimed unit keys -> each unit's attributes to store.
Work = Callable[[list[str]], dict[str, dict[str, str]]]


def open_units(url: str, name: str | None, trainable: _TaskTrainable | _FunctionTrainable,
               budget: float, seed: int, plan: TunePlan, policy: Policy) -> Units:
    """The tune's study in `url`, created or joined: `name`, or by default one derived from the
    task and every setting that shapes the tune, so machines given the same command meet there.
    A study made by another tune (or with other data) is refused rather than mixed in."""
    settings = json.dumps([trainable.name, trainable.steps, float(budget), seed, dataclasses.asdict(plan),
                           policy.to_dict()], sort_keys=True)
    digest = hashlib.sha256(settings.encode()).hexdigest()
    name = name or f"{Path(trainable.name).name.replace(':', '-')}-tune-{digest[:10]}"
    # A function's data cannot be read from outside it: each machine must run the same code.
    mark = f"{digest}:{fingerprint(trainable.task) if trainable.function is None else ''}"
    with quiet_optuna():
        study = optuna.create_study(storage=_open_storage(url), study_name=name, load_if_exists=True)
    if TUNE not in study.user_attrs and not study.get_trials(deepcopy=False):
        study.set_user_attr(TUNE, mark)
    if study.user_attrs.get(TUNE) != mark:
        raise TuneError(f"study {name!r} holds another tune or sweep (its task, data, budget, seed, "
                        "optimizers, schedules or policy differ); give every machine the same command, or "
                        "pick another --study")
    return Units(study)


def _open_storage(url: str) -> optuna.storages.RDBStorage:
    """`open_storage`, tried again after a moment if it fails: machines started together race to
    create the storage's tables, and the loser's first try fails on the winner's."""
    try:
        return open_storage(url)
    except SearchError:
        time.sleep(STORAGE_RETRY_SECONDS)
        return open_storage(url)


class Units:
    """A tune's units of work on a study that machines share: `batch` does a batch of them
    together with whichever machines are working on the study."""

    def __init__(self, study: optuna.Study) -> None:
        self.study = study
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    @contextlib.contextmanager
    def present(self) -> Iterator[None]:
        """This machine marked alive in the study while inside: a trial of its own that runs with
        heartbeats (a killed machine's goes stale, and the others see it gone: `alive`)."""
        storage = self.study._storage  # not ask(): that would take a waiting unit
        trial = optuna.Trial(self.study, storage.create_new_trial(self.study._study_id))
        trial.set_user_attr(PRESENT, self.worker)
        try:
            with heartbeat(trial):
                yield
        finally:
            with contextlib.suppress(Exception):  # the storage may be what failed
                self.study.tell(trial, state=TrialState.PRUNED)

    def alive(self) -> set[str]:
        """The machines present in the study now."""
        running = self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        return {t.user_attrs[PRESENT] for t in running if PRESENT in t.user_attrs}

    def batch(self, keys: list[str], work: Work, slots: int = 1,
              claimable: Callable[[str, set[str]], bool] | None = None) -> dict[str, FrozenTrial]:
        """Each unit of `keys` done once by some machine: enqueue those the study lacks, train the
        ones this machine claims with `work` (`slots` at a time), wait for the others; returns
        each unit's completed trial by key. A unit failed without an error (its machine was killed
        or stopped) is enqueued again; one whose training raised ends the tune here too."""
        self._enqueue(keys)
        wanted = set(keys)
        while True:
            with quiet_optuna():
                optuna.storages.fail_stale_trials(self.study)  # a killed machine's unit: FAIL, then retried
            trials = [t for t in self.study.get_trials(deepcopy=False) if _unit(t) in wanted]
            done = {_unit(t): t for t in reversed(trials) if t.state == TrialState.COMPLETE}
            waiting = [t for t in trials if t.state == TrialState.WAITING]  # a duplicate too: given back
            if len(done) == len(wanted) and not waiting:
                return done
            self._recover(trials, wanted - set(done))
            if claimable is not None:  # units this machine may take, given the machines alive
                alive = self.alive()
                waiting = [t for t in waiting if claimable(_unit(t), alive)]
            claimed = self._claim(waiting, slots)
            if claimed:
                self._run(claimed, work)
            else:
                time.sleep(POLL_SECONDS)

    def _enqueue(self, keys: list[str]) -> None:
        """A waiting trial for each unit with none that is waiting, running or complete. Two
        machines may enqueue the same unit at once: `_claim` gives the later trial back."""
        live = {_unit(t) for t in self.study.get_trials(deepcopy=False) if t.state != TrialState.FAIL}
        for key in keys:
            if key not in live:
                self.study.enqueue_trial({}, user_attrs={UNIT: key})

    def _recover(self, trials: list[FrozenTrial], pending: set[str]) -> None:
        """Enqueue again each pending unit whose trials all failed without an error (a retry that
        Optuna's stale-trial callback has not made, or would not make any more); raise the error
        of one that failed with one."""
        for key in sorted(pending):
            tried = [t for t in trials if _unit(t) == key]
            if any(t.state != TrialState.FAIL for t in tried):
                continue
            errors = [t.user_attrs[ERROR] for t in tried if ERROR in t.user_attrs]
            if errors:
                raise TuneError(f"unit {key} of study {self.study.study_name!r} failed: {errors[-1]}; fix it "
                                "and run the same command again to retry it")
            self._enqueue([key])

    def _claim(self, waiting: list[FrozenTrial], slots: int) -> list[tuple[str, optuna.Trial]]:
        """Up to `slots` of the waiting units, each taken atomically (another machine that took it
        first wins) and marked alive at once; a duplicate of an earlier live trial is given back."""
        storage, claimed = self.study._storage, []
        for frozen in waiting:
            if len(claimed) == slots:
                break
            try:
                if not storage.set_trial_state_values(frozen._trial_id, state=TrialState.RUNNING):
                    continue
            except optuna.exceptions.UpdateFinishedTrialError:
                continue
            storage.record_heartbeat(frozen._trial_id)
            trial = optuna.Trial(self.study, frozen._trial_id)
            if duplicate(self.study, trial, key=_unit):
                trial.set_user_attr(DUPLICATE, True)
                self.study.tell(trial, state=TrialState.FAIL)
                continue
            trial.set_user_attr(WORKER, self.worker)
            claimed.append((_unit(frozen), trial))
        return claimed

    def _run(self, claimed: list[tuple[str, optuna.Trial]], work: Work) -> None:
        """Train the claimed units with heartbeats, and store each one's attributes and COMPLETE.
        A unit that raises is failed with its error; one stopped (Ctrl-C) is failed without, so
        another machine enqueues it again at once instead of waiting for it to go stale."""
        trials = [trial for _, trial in claimed]
        try:
            with contextlib.ExitStack() as beats:
                for trial in trials:
                    beats.enter_context(heartbeat(trial))
                results = work([key for key, _ in claimed])
        except BaseException as error:
            message = f"{type(error).__name__}: {error}" if isinstance(error, Exception) else None
            for trial in trials:
                self._fail(trial, message)
            raise
        for key, trial in claimed:
            try:
                for name, value in results[key].items():
                    trial.set_user_attr(name, value)
                self.study.tell(trial, 0.0, skip_if_finished=True)
            except optuna.exceptions.UpdateFinishedTrialError:
                pass  # failed as stale while it trained (heartbeats starved): its retry stores the same

    def _fail(self, trial: optuna.Trial, error: str | None) -> None:
        with contextlib.suppress(Exception):  # the storage may be what failed
            if error is not None:
                trial.set_user_attr(ERROR, error)
            self.study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)


def _unit(trial: FrozenTrial) -> str | None:
    return trial.user_attrs.get(UNIT)


def range_tests(units: Units, trainable: _TaskTrainable, plan: TunePlan, seed: int, device: str,
                progress: _Progress) -> tuple[list[FinderResult], float | None]:
    """`_range_tests` shared: one unit per optimizer whose rate needs measuring (`range:adam`),
    so every machine builds its candidates from the same suggestions; and the fastest seconds
    per step among the range tests this machine ran (None if it ran none)."""
    free = {info.name for info in list_optimizers() if info.lr_free}
    measured = [optimizer for optimizer in plan.optimizers if optimizer not in free]
    timings: list[float] = []

    def work(keys: list[str]) -> dict[str, dict[str, str]]:
        out = {}
        for key in keys:
            started = time.perf_counter()
            finder = trainable.range_test(key.removeprefix("range:"), plan.finder_steps, seed, device)
            timings.append((time.perf_counter() - started) / max(1, finder.steps))
            out[key] = {RUN: json.dumps(finder.to_dict(), allow_nan=False)}
        return out

    done = units.batch([f"range:{optimizer}" for optimizer in measured], work)
    for optimizer in plan.optimizers:
        progress.finder_done(optimizer)
    finders = [FinderResult.from_dict(json.loads(done[f"range:{optimizer}"].user_attrs[RUN]))
               for optimizer in measured]
    return finders, min(timings, default=None)


class SharedRunner:
    """`Runner`'s interface over a study machines share: each call's runs are units that any
    machine may train with its own `runner`; a run paused on another machine goes on here from the
    checkpoint stored with it. `finished`, `branch_steps` and `shared_steps` count every
    machine's runs, as one `Runner` would have."""

    def __init__(self, runner: Runner | FunctionRunner, units: Units, slots: int = 1) -> None:
        self.runner, self.units, self.slots = runner, units, slots
        self.movable = isinstance(runner, Runner)  # a Task's paused run moves as its checkpoint
        self.holder: dict[int, str] = {}  # a function's paused run: the machine holding it alive
        self.presence = contextlib.ExitStack()
        if not self.movable:
            self.presence.enter_context(units.present())
        self.finished: dict[int, RunResult] = {}  # every run by index, as it last ended
        self.branch_steps = 0  # steps of the decays that judged runs at the rungs
        self.shared_steps = 0  # steps finalists' decays share with their trunks, counted in both
        self.paused_by: dict[int, FrozenTrial] = {}  # each paused run's last unit, holding its checkpoint
        self.on_disk: dict[int, str] = {}  # each run's unit whose checkpoint is in the runner's folder

    def start(self, recipes: list[tuple[int, Recipe]], pause_at: int | None) -> dict[int, RunResult]:
        """Fresh runs of (index, recipe), paused at `pause_at` (None: run to the end)."""
        chosen = dict(recipes)
        keys = {f"start:{index}:pause={_stop(pause_at)}": index for index in chosen}
        runs = self._batch(keys, lambda mine: self.runner.start([(index, chosen[index]) for index in mine],
                                                                pause_at),
                           saves=pause_at is not None, held=False)
        return self._kept(*runs)

    def go_on(self, paused: dict[int, RunResult], pause_at: int | None) -> dict[int, RunResult]:
        """Resume paused runs up to `pause_at` (None: to the end)."""
        keys = _keys("go_on", paused, f"pause={_stop(pause_at)}")
        runs = self._batch(keys, lambda mine: self.runner.go_on(self._here(paused, mine), pause_at),
                           saves=pause_at is not None)
        return self._kept(*runs)

    def judge(self, paused: dict[int, RunResult], steps: int) -> dict[int, RunResult]:
        """Each paused run as a decay of `steps` steps from its checkpoint ends it (`Runner.judge`)."""
        keys = _keys("judge", paused, f"steps={steps}")
        judged, _ = self._batch(keys, lambda mine: self.runner.judge(self._here(paused, mine), steps))
        self.branch_steps += sum(result.steps - paused[index].steps for index, result in judged.items())
        return judged

    def decay(self, paused: dict[int, RunResult], steps: int, first: int) -> dict[int, RunResult]:
        """Each paused trunk ended by a decay of `steps` steps, kept as runs `first`, `first + 1`, ...
        (`Runner.decay`; trained as `judge` trains, and numbered here)."""
        keys = _keys("decay", paused, f"steps={steps}")
        ended, _ = self._batch(keys, lambda mine: self.runner.end(self._here(paused, mine), steps))
        ends = {}
        for number, index in enumerate(sorted(ended), first):
            self.shared_steps += paused[index].steps
            ends[number] = ended[index]
            self.runner.on_done(ended[index])
        self.finished.update(ends)
        return ends

    def close(self) -> None:
        """Stop the runner's workers, and leave the study."""
        self.runner.close()
        self.presence.close()

    def _batch(self, keys: dict[str, int], train: Callable[[list[int]], dict[int, RunResult]],
               saves: bool = False, held: bool = True) -> tuple[dict[int, RunResult], set[int]]:
        """The runs of a batch of units by index, trained here or elsewhere, and the indices trained
        here. `saves`: the units pause runs, writing checkpoints into the runner's folder, stored
        with their results. `held`: the units go on with paused runs; a function's run is taken
        only by the machine holding it, or by any machine once that one is gone (it trains the run
        again from its first step)."""
        saves = saves and self.movable
        here: set[int] = set()

        def claimable(key: str, alive: set[str]) -> bool:
            holder = self.holder.get(keys[key])
            return holder is None or holder == self.units.worker or holder not in alive

        def work(mine: list[str]) -> dict[str, dict[str, str]]:
            indices = {keys[key]: key for key in mine}
            if saves:
                for index in indices:
                    self.on_disk.pop(index, None)  # rewritten by this unit's run
            results = train(list(indices))
            here.update(results)
            attrs = {}
            for index, result in results.items():
                attrs[indices[index]] = {RUN: json.dumps(result.to_dict(), allow_nan=False)}
                if saves and _paused(result):
                    self.on_disk[index] = indices[index]
                    checkpoint = Path(self.runner._checkpoint(index)).read_bytes()
                    attrs[indices[index]][CHECKPOINT] = base64.b64encode(checkpoint).decode()
            return attrs

        pinned = held and not self.movable
        trials = self.units.batch(list(keys), work, self.slots, claimable if pinned else None)
        results = {}
        for key, index in keys.items():
            results[index] = RunResult.from_dict(json.loads(trials[key].user_attrs[RUN]))
            self.holder[index] = trials[key].user_attrs.get(WORKER, "")
            if CHECKPOINT in trials[key].user_attrs:
                self.paused_by[index] = trials[key]
        return results, here

    def _kept(self, runs: dict[int, RunResult], here: set[int]) -> dict[int, RunResult]:
        """Runs that count as runs: kept in `finished`, and reported unless the runner trained them
        (it reported those itself)."""
        for index, run in runs.items():
            if index not in here:
                self.runner.on_done(run)
        self.finished.update(runs)
        return runs

    def _here(self, paused: dict[int, RunResult], indices: list[int]) -> dict[int, RunResult]:
        """The paused runs `indices`, each with its checkpoint in the runner's folder: written from
        the study when another machine (or an earlier process) paused it."""
        for index in indices if self.movable else ():
            made = self.paused_by[index]
            if self.on_disk.get(index) != _unit(made):
                Path(self.runner._checkpoint(index)).write_bytes(base64.b64decode(made.user_attrs[CHECKPOINT]))
                self.on_disk[index] = _unit(made)
        return {index: paused[index] for index in indices}


def _keys(kind: str, paused: dict[int, RunResult], detail: str) -> dict[str, int]:
    """Each paused run's unit of `kind` by its key: the run, the step it goes on from, and `detail`."""
    return {f"{kind}:{index}:from={run.steps}:{detail}": index for index, run in paused.items()}


def _paused(run: RunResult) -> bool:
    return not run.diverged and run.steps < run.budget


def _stop(pause_at: int | None) -> str:
    return "end" if pause_at is None else str(pause_at)
