"""A tune result in words: the winner, why it won, what the rates around it did, the cost."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..search._groups import group_of, schedule_name
from ._effects import loss_at
from ._rank import TIE

if TYPE_CHECKING:
    from ._result import TuneResult


def explain(result: TuneResult) -> list[str]:
    """Sentences a learner can follow, from the result's numbers only."""
    recipe, final = result.recipe, result.final
    metric = "" if final.val_metric is None else f", {result.metric_name or 'metric'} {final.val_metric:.4g}"
    lines = []
    if result.interrupted:
        lines.append(f"Interrupted after {len(result.trials)} runs: the best run so far, at step "
                     f"{final.steps} of {final.budget}, not the answer of a finished search.")
    title = "Best so far" if result.interrupted else "Winner"
    lines += [f"{title}: {recipe.optimizer} at lr {recipe.lr:.3g} with schedule {recipe.schedule}"
              + (f" and {recipe.plateau}" if recipe.plateau else "")
              + f": validation loss {final.val_loss:.4g}{metric} after {final.steps} steps."]
    for finder in result.finders:
        if finder.suggestion:
            lines.append(f"The range test of {finder.optimizer} ({finder.steps} steps) suggested lr "
                         f"{finder.suggestion:.3g}; the search tried rates around it.")
    effects = result.effects
    high = [e for e in effects if e.verdict in ("diverged", "oscillating", "overfitting")]
    low = [e for e in effects if e.verdict == "slow"]
    for effect in high:
        lines.append(f"Too high: {effect.optimizer} at lr {effect.lr:.3g} ({effect.shape}) "
                     f"{effect.detail.removeprefix('too high: ')}.")
    for effect in low:
        lines.append(f"Too low: {effect.optimizer} at lr {effect.lr:.3g} ({effect.shape}) "
                     f"{effect.detail.removeprefix('too low: ')}.")
    overfit = [e for e in high if e.verdict == "overfitting" and e.steps < final.steps
               and (e.optimizer, e.schedule, e.plateau) == group_of(final) and e.best_lr == recipe.lr]
    if overfit:
        lines.append(f"A lower rate reaches its best point later in training, so lr {recipe.lr:.3g} was "
                     f"trained in full in place of the overfitting lr {min(e.lr for e in overfit):.3g}.")
    ahead = [e for e in effects if e.verdict in ("good", "overfitting") and e.best_lr == recipe.lr
             and e.lr > recipe.lr
             and (e.optimizer, e.schedule, e.plateau) == group_of(final)
             and e.val_loss < loss_at(final, e.compared_at)]
    for effect in ahead:
        lead = 1 - effect.val_loss / loss_at(final, effect.compared_at)
        lines.append(f"lr {effect.lr:.3g} was {100 * lead:.0f}% ahead of lr {recipe.lr:.3g} at step "
                     f"{effect.compared_at}, on one seed: a lead under {100 * TIE:.0f}% goes to the lower "
                     "rate, because rates near the edge of stability vary most from seed to seed.")
    for run in result.trials:
        if run.steps == run.budget and not run.diverged and run.val_loss < final.val_loss \
                and run.recipe.lr == recipe.lr and group_of(run) != group_of(final):
            shape = schedule_name(run) + (f" + {run.recipe.plateau}" if run.recipe.plateau else "")
            lines.append(f"{shape} at the same rate ended at {run.val_loss:.4g}, within "
                         f"{100 * TIE:.0f}% of the winner's {final.val_loss:.4g} on one seed: the searched "
                         "schedule stays, as a lead that small is as likely luck.")
    if not high:
        lines.append("No rate tried was too high; the best may lie above the rates tried.")
    searched = sum(trial.steps for trial in result.trials) / result.steps
    tested = sum(finder.steps for finder in result.finders) / result.steps
    lines.append(f"Cost: {result.cost:.2f} full runs of the {result.budget:g} budgeted (range tests "
                 f"{tested:.2f}, search and final run {searched:.2f}).")
    return lines
