"""A tune result in words: the winner, why it won, what the rates around it did, the cost."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._format import loss, rate, spec
from ..search._groups import group_of, schedule_name
from ._effects import loss_at

if TYPE_CHECKING:
    from ._result import TuneResult


def explain(result: TuneResult) -> list[str]:
    """Sentences a learner can follow, from the result's numbers only."""
    recipe, final = result.recipe, result.final
    name = result.metric_name or "metric"
    metric = "" if final.val_metric is None else f", {name} {loss(final.val_metric)}"
    lines, tie = [], f"{100 * result.policy.tie:.0f}%"
    if result.interrupted:
        lines.append(f"Interrupted after {len(result.trials)} runs: the best run so far, at step "
                     f"{final.steps} of {final.budget}, not the answer of a finished search.")
    compared = len({trial.recipe for trial in result.trials}) > 1
    title = "Best so far" if result.interrupted else "Winner" if compared else "Recommended"
    plateau = f" and {spec(recipe.plateau)}" if recipe.plateau else ""
    lines += [f"{title}: {recipe.optimizer} at lr {rate(recipe.lr)} with schedule {schedule_name(final)}"
              f"{plateau}: validation loss {loss(final.val_loss)}{metric} after {final.steps} steps."]
    for finder in result.finders:
        if finder.suggestion:
            lines.append(_searched(result, finder.optimizer, finder.steps, finder.suggestion))
    effects = result.effects
    searched = _searched_group(result)
    high = [e for e in effects if e.verdict in ("diverged", "oscillating", "overfitting")]
    low = [e for e in effects if e.verdict == "slow"]
    for effect in high:
        lines.append(f"Too high: {effect.optimizer} at lr {rate(effect.lr)} ({effect.shape}) "
                     f"{effect.detail.removeprefix('too high: ')}.")
    for effect in low:
        lines.append(f"Too low: {effect.optimizer} at lr {rate(effect.lr)} ({effect.shape}) "
                     f"{effect.detail.removeprefix('too low: ')}.")
    overfit = [e for e in high if e.verdict == "overfitting" and e.steps < final.steps
               and (e.optimizer, e.schedule, e.plateau) == searched and e.best_lr == recipe.lr]
    if overfit:
        lines.append(f"A lower rate reaches its best point later in training, so lr {rate(recipe.lr)} was "
                     f"trained in full in place of the overfitting lr {rate(min(e.lr for e in overfit))}.")
    ahead = [e for e in effects if e.verdict in ("good", "overfitting") and e.best_lr == recipe.lr
             and e.lr > recipe.lr
             and (e.optimizer, e.schedule, e.plateau) == searched
             and e.val_loss < loss_at(final, e.compared_at)]
    for effect in ahead:
        lead = 1 - effect.val_loss / loss_at(final, effect.compared_at)
        said = (f"lr {rate(effect.lr)} was {100 * lead:.0f}% ahead of lr {rate(recipe.lr)} at step "
                f"{effect.compared_at}")
        if effect.compared_at in result.judged_at:
            lines.append(f"{said} at its full rate, on one seed; at that rung each run was judged by where "
                         "a decay from there ends (what if training ended there), and lr "
                         f"{rate(recipe.lr)} ranked above it.")
        elif lead < result.policy.tie:
            lines.append(f"{said}, on one seed: a lead under {tie} goes to the lower rate, because rates "
                         "near the edge of stability vary most from seed to seed.")
    for run in result.trials:
        if run.steps == run.budget and not run.diverged and run.val_loss < final.val_loss \
                and run.recipe.lr == recipe.lr and group_of(run) != group_of(final):
            shape = schedule_name(run) + (f" + {run.recipe.plateau}" if run.recipe.plateau else "")
            lines.append(f"{shape} at the same rate ended at {loss(run.val_loss)}, within "
                         f"{tie} of the winner's {loss(final.val_loss)} on one seed: the searched "
                         "schedule stays, as a lead that small is as likely luck.")
        elif _searched_decay(result, run) and schedule_name(final) != "wsd":
            lines.append(f"The searched schedule, wsd, ended at {loss(run.val_loss)} at this rate; "
                         f"{schedule_name(final)} ended more than {tie} below it, so it replaced it (on one "
                         "seed).")
    group = {trial.recipe.lr for trial in result.trials if group_of(trial) == searched}
    shape = f"{final.recipe.optimizer} and {searched[1]}"
    if len(group) < 2:
        lines.append(f"With one rate of {shape} trained, nothing here shows whether a higher or a lower rate "
                     "would do better.")
    elif recipe.lr in (max(group), min(group)):
        side, where = ("highest", "above") if recipe.lr == max(group) else ("lowest", "below")
        lines.append(f"lr {rate(recipe.lr)} is the {side} rate of {shape} tried: the best may lie "
                     f"{where} it.")
    lines.append(_cost(result))
    return lines


def _searched_decay(result: TuneResult, run) -> bool:
    """Whether `run` is the decay that ended the winner's trunk (a wsd search's own answer)."""
    recipe = result.recipe
    same_rate = (run.recipe.optimizer, run.recipe.lr) == (recipe.optimizer, recipe.lr)
    return (bool(result.shared_steps) and run.steps == run.budget and not run.diverged
            and schedule_name(run) == "wsd" and same_rate)


def _searched_group(result: TuneResult) -> tuple[str, str, str | None]:
    """The group whose rates the search compared: the winner's, or for a winner that a decay
    ended (a wsd search), the constant-rate trunks its rate was chosen among."""
    if result.shared_steps and schedule_name(result.final) == "wsd":
        return result.final.recipe.optimizer, "constant", None
    return group_of(result.final)


def _searched(result: TuneResult, optimizer: str, steps: int, suggestion: float) -> str:
    """What became of a range test's suggestion: the rates searched around it, or that rate alone."""
    rates = sorted({trial.recipe.lr for trial in result.trials if trial.recipe.optimizer == optimizer})
    said = f"The range test of {optimizer} ({steps} steps) suggested lr {rate(suggestion)}"
    if len(rates) > 1:
        return (f"{said}; the search tried {len(rates)} rates around it, from {rate(rates[0])} to "
                f"{rate(rates[-1])}.")
    if rates and rate(rates[0]) != rate(suggestion):
        return (f"{said}; only lr {rate(rates[0])}, {rates[0] / suggestion:.2g} x that, was trained, as the "
                "budget left no room to compare rates and a rate too high costs far more than one too low.")
    if rates:
        return f"{said}; only lr {rate(rates[0])} was trained, as the budget left no room to compare rates."
    return f"{said}; no run used it."


def _cost(result: TuneResult) -> str:
    """What the budget bought: range tests and training runs, in full runs of the task."""
    runs = len(result.trials) + (result.final not in result.trials)
    trained = (sum(trial.steps for trial in result.trials) - result.shared_steps) / result.steps
    if result.final not in result.trials:
        trained += result.final.steps / result.steps
    tests = len(result.finders)
    parts = [f"range test{'s' * (tests != 1)} {sum(f.steps for f in result.finders) / result.steps:.2f}"] \
        if tests else []
    parts.append(f"{runs} training run{'s' * (runs != 1)} {trained:.2f}")
    if result.branch_steps:
        parts.append(f"decays judging the rungs {result.branch_steps / result.steps:.2f}")
    return f"Cost: {result.cost:.2f} full runs of the {result.budget:g} budgeted ({', '.join(parts)})."
