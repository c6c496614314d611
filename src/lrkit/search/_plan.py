"""Each strategy as Optuna parts: the trials planned up front (enqueued, so any number of workers
share them and each is done exactly once), the sampler for trials chosen as the study goes, and
the pruner that stops bad trials early."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna

from ._attrs import CONFIRM_SEED
from ._policy import SHA, Policy
from ._space import SearchError, Space
from ._strategies import STRATEGIES

# Halving keeps 1 in 3 trials at each rung (`SHA.keep`); the first rung is 1/27 of the budget (4
# rungs), so that sha costs about a quarter of a one-seed grid. Measured (benchmarks/bench_search.py):
# a first rung at 1/9 costs twice as much and is closer to the oracle on some tasks, further on others.
REDUCTION = round(1 / SHA.keep)
# Strategies that judge configurations on the space's seeds and then retrain their finalists on one
# more seed, so that one lucky seed cannot name the winner. Measured (benchmarks/bench_search.py):
# on digits-mlp the best configuration on seed 0 is 1.5x the oracle on other seeds.
CONFIRMING = ("random", "sha", "asha", "hyperband", "tpe")
DEFAULT_CONFIRM = 2


@dataclass(frozen=True)
class Plan:
    """How one strategy runs: `planned` trials' params (None: the sampler picks `n_trials`)."""

    strategy: str
    planned: tuple[dict[str, Any], ...] | None
    n_trials: int
    sampler: optuna.samplers.BaseSampler
    pruner: optuna.pruners.BasePruner
    confirm: int = 0  # finalists retrained on one more seed once the plan is done
    rungs: tuple[int, ...] = ()  # steps where a trial is judged (evaluated exactly there)
    policy: Policy = SHA  # how sha's stages rank, keep, rescue and pair runs

    @property
    def staged(self) -> bool:
        """Synchronous halving: every configuration runs to a rung before the best third go on."""
        return self.strategy == "sha"

    @property
    def eval_every(self) -> int | None:
        """Evaluate at every multiple of the first rung, so each rung is judged at its own step
        rather than at the next of the run's default evaluations (up to 35% later)."""
        return self.rungs[0] if self.rungs else None


def make_plan(strategy: str, space: Space, budget: int, n_trials: int | None, seed: int,
              confirm: int | None = None) -> Plan:
    """The Optuna parts of `strategy` on `space` for runs of `budget` steps; `confirm` finalists
    (default: 2 for random, sha, asha, hyperband and tpe, 0 otherwise) are retrained on one more
    seed. `sha` runs its rungs in stages (each configuration to the first rung, the best third of
    those to the next, ...); `asha` and `hyperband` are Optuna's asynchronous pruners."""
    if strategy not in STRATEGIES:
        raise SearchError(f"unknown strategy {strategy!r}; strategies: {', '.join(STRATEGIES)}")
    if n_trials is not None and n_trials < 1:
        raise SearchError(f"trials must be >= 1, got {n_trials}")
    if confirm is not None and confirm < 0:
        raise SearchError(f"confirm must be >= 0 (finalists to retrain on another seed), got {confirm}")
    if confirm is None:
        confirm = DEFAULT_CONFIRM if strategy in CONFIRMING else 0
    none = optuna.pruners.NopPruner()
    if strategy == "grid":
        planned = grid_params(space)
        return Plan(strategy, planned, len(planned), optuna.samplers.RandomSampler(seed), none, confirm)
    if strategy == "descending":  # run by its own sequential driver, one planned trial at a time
        return Plan(strategy, (), 0, optuna.samplers.RandomSampler(seed), none, confirm)
    count = n_trials or _default_trials(strategy, space)
    if strategy == "tpe":
        return Plan(strategy, None, count, optuna.samplers.TPESampler(seed=seed), none, confirm)
    planned = random_params(space, count, seed)
    first_rung = max(1, budget // REDUCTION**3)
    # Rungs end where a third of the budget is left to save: judging at 99% of a run saves nothing.
    rungs = tuple(first_rung * REDUCTION**k for k in range(8) if first_rung * REDUCTION ** (k + 1) <= budget)
    pruner = {
        "random": none,
        "sha": none,
        "asha": optuna.pruners.SuccessiveHalvingPruner(min_resource=first_rung, reduction_factor=REDUCTION),
        "hyperband": optuna.pruners.HyperbandPruner(min_resource=first_rung, max_resource=budget,
                                                     reduction_factor=REDUCTION),
    }[strategy]
    return Plan(strategy, planned, len(planned), optuna.samplers.RandomSampler(seed), pruner, confirm,
                rungs if strategy != "random" else ())


def _default_trials(strategy: str, space: Space) -> int:
    """With listed rates, every configuration once. With a range, as many configurations as a
    per-decade grid for random and TPE, and twice (sha) or three times (asha, hyperband) that
    for the halving strategies, which stop most of them early."""
    grid = len(space.combinations()) * len(space.grid_rates())
    if space.lrs is not None:
        return grid
    return grid * {"sha": 2, "asha": 3, "hyperband": 3}.get(strategy, 1)


def params(optimizer: str, schedule: str, plateau: str | None, lr: float, seed: int) -> dict[str, Any]:
    return {"optimizer": optimizer, "schedule": schedule, "plateau": plateau, "lr": lr, "seed": seed}


def grid_params(space: Space, per_decade: int = 1) -> tuple[dict[str, Any], ...]:
    """Every combination at every grid rate, on every seed."""
    return tuple(
        params(optimizer, schedule, plateau, lr, seed)
        for optimizer, schedule, plateau in space.combinations()
        for lr in space.grid_rates(per_decade)
        for seed in space.seeds
    )


def random_params(space: Space, count: int, seed: int) -> tuple[dict[str, Any], ...]:
    """`count` configurations in random order, each on every seed: with listed rates, drawn from
    the grid without repeats until it is used up; with a range, at log-uniform rates."""
    rng = np.random.default_rng(seed)
    combos = space.combinations()
    if space.lrs is not None:
        grid = [(*combo, lr) for combo in combos for lr in space.lrs]
        order = np.concatenate([rng.permutation(len(grid)) for _ in range(-(-count // len(grid)))])
        chosen = [grid[int(i)] for i in order[:count]]
    else:
        low, high = (math.log(v) for v in space.lr_range)
        chosen = []
        for _ in range(count):
            optimizer, schedule, plateau = combos[int(rng.integers(len(combos)))]
            lr = float(min(max(math.exp(rng.uniform(low, high)), space.lr_range[0]), space.lr_range[1]))
            chosen.append((optimizer, schedule, plateau, lr))
    return tuple(params(*config, s) for config in chosen for s in space.seeds)


def suggest(trial: optuna.trial.BaseTrial, space: Space) -> dict[str, Any]:
    """The trial's configuration: fixed for planned trials, chosen by the sampler otherwise; a
    confirmation trial's seed (outside the space's seeds) is a user attribute."""
    if space.lrs is not None:
        lr = trial.suggest_categorical("lr", list(space.lrs))
    else:
        lr = trial.suggest_float("lr", *space.lr_range, log=True)
    return params(
        trial.suggest_categorical("optimizer", list(space.optimizers)),
        trial.suggest_categorical("schedule", list(space.schedules)),
        trial.suggest_categorical("plateau", list(space.plateaus)),
        lr,
        trial.user_attrs.get(CONFIRM_SEED) if CONFIRM_SEED in trial.user_attrs
        else trial.suggest_categorical("seed", list(space.seeds)),
    )
