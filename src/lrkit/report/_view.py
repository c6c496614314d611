"""One shape for every kind of result, so each report section is written once: the recipe it
recommends, the runs behind it, their effects, range tests, and the budget asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the result packages load torch and optuna; `import lrkit.report` stays light
    from ..finder import FinderResult
    from ..search import SweepResult
    from ..train import Recipe, RunResult
    from ..tune import RateEffect


@dataclass(frozen=True)
class ReportView:
    """What a report shows of one result. `recipe` is the recommendation (None if there is none),
    `final` its run (None for a range test), `runs` every training run made, `steps` the length of a
    full run (None when unknown) and `budget` what was asked in full runs (None when not budgeted)."""

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


def view_of(result: Any) -> ReportView:
    """The view of a RunResult, FinderResult, SweepResult or TuneResult."""
    from ..finder import FinderResult
    from ..search import SweepResult
    from ..train import RunResult
    from ..tune import TuneResult

    if isinstance(result, TuneResult):
        return ReportView("tune", result.task, f"tune on {result.task}", result.recipe, result.final,
                          result.trials, result.effects, result.finders, tuple(result.summary()),
                          result.metric_name, result.steps, result.budget)
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
    recipe = run.recipe
    if run.diverged:
        return f"{recipe.optimizer} at lr {recipe.lr:.3g} diverged at step {run.diverged_at}."
    metric = "" if run.val_metric is None else f", {run.metric_name or 'metric'} {run.val_metric:.4g}"
    return (f"{recipe.optimizer} at lr {recipe.lr:.3g} with schedule {recipe.schedule or 'constant'}: "
            f"validation loss {run.val_loss:.4g}{metric} after {run.steps} steps.")


def _sweep_view(result: SweepResult) -> ReportView:
    from ..tune import rate_effects

    runs = tuple(trial.run for trial in result.trials)
    best = result.best
    final = None if best is None else best.run
    first = f"A {result.strategy} sweep of {len(runs)} trials ({result.cost:.2f} full runs)"
    summary = (f"{first}; none completed.",) if final is None else (
        f"{first}; the best configuration, by its mean over seeds:", final_sentence(final))
    return ReportView("sweep", result.task, f"{result.strategy} sweep on {result.task}",
                      None if final is None else final.recipe, final, runs,
                      () if final is None else rate_effects(runs, final), (), summary,
                      runs[0].metric_name if runs else None, runs[0].budget if runs else None)


def _finder_view(result: FinderResult) -> ReportView:
    from ..train import Recipe

    rate = result.suggestion
    recipe = None if rate is None else Recipe(result.optimizer, float(f"{rate:.3g}"), "cosine")
    said = (f"The range test of {result.optimizer} ({result.steps} steps, {result.stop_reason}) "
            + ("found no rate where the loss falls." if rate is None
               else f"suggests lr {rate:.3g} ({result.method}); train with it and a cosine decay."))
    return ReportView("finder", result.task, f"range test on {result.task or 'a model'}", recipe, None,
                      (), (), (result,), (said,), None, result.budget)
