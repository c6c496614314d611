"""One shape for every kind of result, so each report section is written once: the recipe it
recommends, the runs behind it, their effects, range tests, and the budget asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._format import loss, rate, seeds, spec

if TYPE_CHECKING:  # the result packages load torch and optuna; `import lrkit.report` stays light
    from ..finder import FinderResult
    from ..search import SweepResult
    from ..search._result import ConfigRecord
    from ..train import Recipe, RunResult
    from ..tune import RateEffect
    from ._sweep_effects import ConfigEffect


@dataclass(frozen=True)
class ReportView:
    """What a report shows of one result. `recipe` is the recommendation (None if there is none),
    `final` its run (None for a range test), `runs` every training run made, `steps` the length of a
    full run (None when unknown) and `budget` what was asked in full runs (None when not budgeted).
    A sweep also has `config_effects` (its verdicts by configuration, in place of `effects`),
    `curve_runs` (the runs drawn: each configuration's furthest run on each seed, as halving
    trains a configuration again at each rung) and `scores` (its winner's mean over seeds)."""

    kind: str
    task: str
    title: str
    recipe: Recipe | None
    final: RunResult | None
    runs: tuple[RunResult, ...]
    effects: tuple[RateEffect, ...]
    finders: tuple[FinderResult, ...]
    summary: tuple[str, ...]
    metric_name: str | None
    steps: int | None
    budget: float | None = None
    config_effects: tuple[ConfigEffect, ...] = ()
    curve_runs: tuple[RunResult, ...] = ()
    scores: tuple[tuple[str, str], ...] = ()
    branch_steps: int = 0  # a wsd tune's decays that judged runs at the rungs (in no run)
    shared_steps: int = 0  # steps its finalists' decays share with their trunks (in both)


def view_of(result: Any) -> ReportView:
    """The view of a RunResult, FinderResult, SweepResult or TuneResult."""
    from ..finder import FinderResult
    from ..search import SweepResult
    from ..train import RunResult
    from ..tune import TuneResult

    if isinstance(result, TuneResult):
        return ReportView("tune", result.task, f"tune on {result.task}", result.recipe, result.final,
                          result.trials, result.effects, result.finders, tuple(result.summary()),
                          result.metric_name, result.steps, result.budget,
                          branch_steps=result.branch_steps, shared_steps=result.shared_steps)
    if isinstance(result, SweepResult):
        return _sweep_view(result)
    if isinstance(result, RunResult):
        return ReportView("run", result.task, f"one run on {result.task}", result.recipe, result,
                          (result,), (), (), (final_sentence(result),), result.metric_name, result.budget)
    if isinstance(result, FinderResult):
        return _finder_view(result)
    raise TypeError(f"no report for a {type(result).__name__}")


def final_sentence(run: RunResult) -> str:
    """A run's outcome in one sentence."""
    from ..search._groups import schedule_name

    recipe = run.recipe
    if run.diverged:
        return f"{recipe.optimizer} at lr {rate(recipe.lr)} diverged at step {run.diverged_at}."
    metric = "" if run.val_metric is None else f", {run.metric_name or 'metric'} {loss(run.val_metric)}"
    plateau = f" and {spec(recipe.plateau)}" if recipe.plateau else ""
    return (f"{recipe.optimizer} at lr {rate(recipe.lr)} with schedule {schedule_name(run)}{plateau}: "
            f"validation loss {loss(run.val_loss)}{metric} after {run.steps} steps.")


def _sweep_view(result: SweepResult) -> ReportView:
    from ._sweep_effects import config_effects

    runs = tuple(trial.run for trial in result.trials)
    configs = result.configs()
    winner, best = result.winner, result.best
    scores = () if winner is None else _scores(winner, best.run.metric_name)
    return ReportView("sweep", result.task, f"{result.strategy} sweep on {result.task}", result.recipe,
                      None if best is None else best.run, runs, (), (), tuple(result.summary()),
                      runs[0].metric_name if runs else None, runs[0].budget if runs else None,
                      config_effects=config_effects(result) if runs else (),
                      curve_runs=tuple(trial.run for config in configs for trial in config.trials),
                      scores=scores)


def _scores(winner: ConfigRecord, metric_name: str | None) -> tuple[tuple[str, str], ...]:
    """The winner's validation loss (and metric): its mean over seeds, each seed's value."""
    each = ", ".join(loss(value) for value in winner.losses)
    over = (f" on {seeds(winner.seeds)}" if len(winner.seeds) == 1
            else f", the mean over {seeds(winner.seeds)} ({each})")
    items = [("validation loss", f"{loss(winner.val_loss)}{over}, after {winner.steps} steps")]
    if winner.val_metric is not None:
        items.append((f"validation {metric_name or 'metric'}",
                      loss(winner.val_metric) + ("" if len(winner.seeds) == 1 else " (mean)")))
    return tuple(items)


def _finder_view(result: FinderResult) -> ReportView:
    from ..train import Recipe

    suggestion = result.suggestion
    recipe = None if suggestion is None else Recipe(result.optimizer, float(f"{suggestion:.3g}"), "cosine")
    said = (f"The range test of {result.optimizer} ({result.steps} steps, {result.stop_reason}) "
            + ("found no rate where the loss falls." if suggestion is None
               else f"suggests lr {rate(suggestion)} ({result.method}); train with it and a cosine decay."))
    return ReportView("finder", result.task, f"range test on {result.task or 'a model'}", recipe, None,
                      (), (), (result,), (said,), None, result.budget)
