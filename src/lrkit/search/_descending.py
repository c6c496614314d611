"""The practitioners' rule as a strategy: start at a high rate and lower it while the validation
loss keeps improving; stop at the first worsening plus one step that confirms it.

Sequential by nature (each rate depends on the last), so it runs in-process with Optuna's
ask-and-tell interface, one planned trial at a time; a resumed sweep reuses every finished trial.
"""

from __future__ import annotations

import math
import statistics
import time

import optuna
from optuna.trial import TrialState

from ..events import Callback, Event
from ..tasks import Task
from ._attrs import PLANNED
from ._plan import Plan, params
from ._space import Space
from ._trials import quiet_optuna, run_trial


def descend(
    study: optuna.Study, task: Task, space: Space, plan: Plan, *, threads: int | None, callback: Callback
) -> None:
    """Walk each (optimizer, schedule, plateau) down the grid rates, highest first."""
    rates = sorted(space.grid_rates(), reverse=True)
    combos = space.combinations()
    for index, (optimizer, schedule, plateau) in enumerate(combos):
        best, worse = math.inf, 0
        for lr in rates:
            losses = [_loss(study, task, space, plan, params(optimizer, schedule, plateau, lr, seed),
                            threads)
                      for seed in space.seeds]
            loss = statistics.mean(losses)
            callback(Event("trial", index, len(combos), {"lr": lr, "val_loss": loss}))
            if loss < best:
                best, worse = loss, 0
            elif math.isfinite(best):
                worse += 1
                if worse == 2:
                    break


def _loss(study: optuna.Study, task: Task, space: Space, plan: Plan, wanted: dict,
          threads: int | None) -> float:
    """The final validation loss of the trial with these params: from the study when a finished
    one is there, else trained now (a diverged or pruned trial counts as infinity)."""
    while True:
        with quiet_optuna():
            optuna.storages.fail_stale_trials(study)
        same = [t for t in study.get_trials(deepcopy=False) if t.params == wanted]
        done = [t for t in same if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
        if done:
            return done[0].value if done[0].state == TrialState.COMPLETE else math.inf
        if any(t.state == TrialState.RUNNING for t in same):
            time.sleep(0.5)  # a killed earlier run's trial, failed and retried after its grace period
            continue
        if not any(t.state == TrialState.WAITING for t in same):
            study.enqueue_trial(wanted, user_attrs={PLANNED: True})
        with quiet_optuna():
            trial = study.ask()
        run_trial(task, space, trial, plan, threads=threads)
