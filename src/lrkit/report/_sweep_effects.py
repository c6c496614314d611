"""What each configuration of a sweep did, set against the best configuration of its optimizer
and schedule: judged only at steps it really reached, on the seeds both ran, so a run the search
stopped early is compared with the best at that same step, never with a later evaluation."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from .._format import loss, rate, seeds
from ._data import loss_at

if TYPE_CHECKING:
    from ..search import SweepResult
    from ..search._result import ConfigRecord
    from ..train import RunResult


@dataclass(frozen=True)
class ConfigEffect:
    """One configuration's row: its rate and seeds, where its runs ended (`losses` per seed,
    `val_loss` their mean, after `steps`), and its verdict against `best_lr`, the best rate of its
    group, compared at step `compared_at` (None when no comparison was possible); `interpolated`
    when the best rate had no evaluation at that step and its loss there was interpolated."""

    optimizer: str
    shape: str
    lr: float
    seeds: tuple[int, ...]
    losses: tuple[float, ...]
    steps: int
    val_loss: float
    val_metric: float | None
    state: str  # "complete", "pruned" or "diverged", as `ConfigRecord.state`
    verdict: str  # "winner", "best", "good", "slow", "oscillating", "overfitting", "diverged", "stopped"
    detail: str
    best_lr: float
    compared_at: int | None
    interpolated: bool

    @property
    def winner(self) -> bool:
        return self.verdict == "winner"


def config_effects(result: SweepResult) -> tuple[ConfigEffect, ...]:
    """Every configuration's effect: the winner's group first, each group by rate."""
    configs = result.configs()
    runs: dict[tuple[Any, ...], list[RunResult]] = {}
    for trial in result.trials:
        runs.setdefault((trial.config, trial.params["seed"]), []).append(trial.run)
    groups: dict[tuple[Any, ...], list[ConfigRecord]] = {}
    for config in configs:  # in ranking order, so each group's first is its best
        groups.setdefault(_group(config), []).append(config)
    winner = result.winner
    effects = []
    for members in groups.values():
        best = members[0]
        for config in sorted(members, key=lambda c: c.params["lr"]):
            verdict = _judge(config, best, config == winner, runs)
            p = config.params
            effects.append(ConfigEffect(
                p["optimizer"], p["schedule"] + (f" + {p['plateau']}" if p["plateau"] else ""), p["lr"],
                config.seeds, config.losses, config.steps, config.mean_loss, config.val_metric, config.state,
                verdict.verdict, verdict.detail, best.params["lr"], verdict.step, verdict.interpolated))
    return tuple(effects)


class _Verdict(NamedTuple):
    verdict: str
    detail: str
    step: int | None = None  # where it was compared
    interpolated: bool = False


def _group(config: ConfigRecord) -> tuple[Any, ...]:
    p = config.params
    return p["optimizer"], p["schedule"], p["plateau"]


def _judge(config: ConfigRecord, best: ConfigRecord, is_winner: bool,
           runs: dict[tuple[Any, ...], list[RunResult]]) -> _Verdict:
    """The verdict and its sentence, the step it rests on and whether it was interpolated."""
    if is_winner:
        count = len(config.seeds)
        detail = (f"the lowest mean validation loss of the configurations run in full on {count} "
                  f"seed{'s' * (count > 1)} ({seeds(config.seeds)}): the sweep's answer")
        return _Verdict("winner", detail, config.steps)
    if config.state == "diverged":
        where = " and ".join(f"at step {_blew_up(t.run)} on seed {t.params['seed']}"
                             for t in config.trials if t.state == "diverged")
        return _Verdict("diverged", f"the loss blew up {where}")
    if config is best:
        detail = (f"the lowest mean loss of its group over {seeds(config.seeds)}"
                  if config.state == "complete" else
                  f"the furthest of its group and the lowest there, stopped by the search at step "
                  f"{config.steps}")
        return _Verdict("best", detail, config.steps)
    return _overfitting(config, best) or _compared(config, best, runs)


def _blew_up(run: RunResult) -> int:
    return run.steps if run.diverged_at is None else run.diverged_at


def _overfitting(config: ConfigRecord, best: ConfigRecord) -> _Verdict | None:
    """A higher rate than the best that ran in full and climbed past its own lowest loss."""
    from ..search._overfit import overfit_from

    if config.state != "complete" or config.params["lr"] <= best.params["lr"]:
        return None
    for trial in config.trials:
        point = overfit_from(trial.run)
        if point is not None:
            return _Verdict("overfitting", (
                f"too high: on seed {trial.params['seed']} its validation loss fell to "
                f"{loss(point.val_loss)} at step {point.step}, then rose to "
                f"{loss(trial.run.val_loss)} by step {trial.run.steps} (overfitting)"))
    return None


def _compared(config: ConfigRecord, best: ConfigRecord,
              runs: dict[tuple[Any, ...], list[RunResult]]) -> _Verdict:
    """Its loss where it ended against the best's at that step, on the same seeds."""
    from ..tune._effects import GOOD_WITHIN

    lr, best_lr = config.params["lr"], best.params["lr"]
    stopped = "; the search stopped it there" if config.state == "pruned" else ""
    pairs = _pairs(config, best, runs)
    if not pairs:
        return _Verdict("stopped", f"stopped by the search at step {config.steps}; lr {rate(best_lr)} has no "
                                   "evaluations around that step to compare with")
    step = max(step for step, _, _, _ in pairs)
    mine = statistics.mean(m for _, m, _, _ in pairs)
    theirs = statistics.mean(t for _, _, t, _ in pairs)
    interpolated = any(i for _, _, _, i in pairs)
    where = f"at step {step} {_on(config, best)}"
    if interpolated:
        where += f" (lr {rate(best_lr)}'s loss there interpolated between its nearest evaluations)"
    if mine < theirs:
        why = stopped or ("; it ran on fewer seeds, and configurations confirmed on more seeds rank first"
                          if len(config.seeds) < len(best.seeds) else "")
        detail = f"{_gap(mine, theirs)} below lr {rate(best_lr)} {where}{why}"
        return _Verdict("good", detail, step, interpolated)
    if mine <= GOOD_WITHIN * theirs:
        detail = f"within {_gap(mine, theirs)} of lr {rate(best_lr)} {where}{stopped}"
        return _Verdict("good", detail, step, interpolated)
    verdict, words = ("oscillating", "too high") if lr > best_lr else ("slow", "too low")
    higher = f"{mine / theirs:.1f}x as high" if mine >= 2 * theirs > 0 else f"{_gap(mine, theirs)} higher"
    detail = (f"{words}: loss {loss(mine)} {where}, against {loss(theirs)} for lr {rate(best_lr)} "
              f"({higher}){stopped}")
    return _Verdict(verdict, detail, step, interpolated)


def _gap(mine: float, theirs: float) -> str:
    """How far apart two losses are, as a percentage of the second (or as a difference from 0)."""
    if theirs > 0:
        return f"{100 * abs(mine / theirs - 1):.1f}%"
    return f"{abs(mine - theirs):.3g}"


def _on(config: ConfigRecord, best: ConfigRecord) -> str:
    """Which seeds the comparison used."""
    shared = [seed for seed in config.seeds if seed in best.seeds]
    if shared:
        return f"on {seeds(shared)}"
    return f"(its {seeds(config.seeds)} against lr {rate(best.params['lr'])}'s {seeds(best.seeds)})"


def _pairs(config: ConfigRecord, best: ConfigRecord,
           runs: dict[tuple[Any, ...], list[RunResult]]) -> list[tuple[int, float, float, bool]]:
    """(step, its loss, the best's loss, interpolated) for each seed of `config`: at the last
    evaluation of its furthest run, against the best configuration on the same seed (on all the
    best's seeds when they share none)."""
    best_config = best.trials[0].config
    pairs = []
    for trial in config.trials:
        run = trial.run
        step = run.evaluations[-1].step if run.evaluations else run.steps
        seed = trial.params["seed"]
        against = [seed] if seed in best.seeds else list(best.seeds)
        found = [value for other in against
                 if (value := loss_at(runs[(best_config, other)], step)) is not None]
        if found and math.isfinite(run.val_loss):
            pairs.append((step, run.val_loss, statistics.mean(v for v, _ in found), any(i for _, i in found)))
    return pairs
