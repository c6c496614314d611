"""The sections of a results page, in reading order, each built from a ReportView when it has the
data for it: the answer, the effect table, curves by rate, range tests, the winner's schedule,
the landscape, and where the budget went."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from .._format import loss, rate, spec
from ._code import python_loop
from ._data import spending
from ._effects_table import config_effects_table, effect_rows, effects_table
from ._finder_plot import LABELS
from ._html import Section, code_block, escape, facts, table
from ._run_plots import plot_curves, plot_lr
from ._schedule import summarize_schedule
from ._search_plots import plot_budget, plot_landscape, plot_range_tests

if TYPE_CHECKING:
    from ._view import ReportView


def sections(view: ReportView) -> list[Section]:
    """Every section the view has data for, in reading order."""
    builders = (answer, effects, curves, range_tests, schedule, landscape_section, budget)
    return [section for build in builders if (section := build(view)) is not None]


def answer(view: ReportView) -> Section:
    """The recommendation, its numbers, and how to train with it (command line and Python)."""
    summary = "".join(f"<li>{escape(line)}</li>" for line in view.summary)
    body = _recipe_list(view) + f'<ul class="summary">{summary}</ul>'
    if view.recipe is not None:
        body += code_block(view.recipe.command(view.task, view.steps), "command line")
        if view.steps:
            every = view.final.evaluations[0].step if view.final and view.final.evaluations else None
            body += code_block(python_loop(view.recipe, view.steps, every), "Python (a plain PyTorch loop)")
    intro = ("What to train with, as measured." if view.recipe is not None
             else "No recommendation: nothing finished without diverging.")
    return Section("answer", "The answer", intro, body)


def effects(view: ReportView) -> Section | None:
    """Every rate tried with its pace, outcome and verdict."""
    if view.config_effects:
        return _config_effects(view)
    if not view.effects:
        return None
    counts = Counter(effect.verdict for effect in view.effects)
    tally = ", ".join(f"{count} {verdict}" for verdict, count in counts.items())
    intro = (f"Every rate tried ({tally}), set against the best rate of the same optimizer and schedule. "
             "Steps to target: when its validation loss first fell to the best rate's loss at the first "
             "evaluation. Too high: diverged, oscillating (a higher loss than the best at the same "
             "step) or overfitting (its validation loss climbed 5% above its own lowest); good: within 5% "
             "of the best; too low: slow. ★ marks the recommended run.")
    return Section("effects", "What each learning rate did", intro,
                   effects_table(effect_rows(view.effects, view.final), view.metric_name))


def _config_effects(view: ReportView) -> Section:
    """A sweep's configurations, each judged at a step it really reached."""
    counts = Counter(effect.verdict for effect in view.config_effects)
    tally = ", ".join(f"{count} {verdict}" for verdict, count in counts.items())
    intro = (f"Every configuration tried ({tally}), set against the best rate of the same optimizer and "
             "schedule, at the last step it reached and on the seeds both ran: a configuration the search "
             "stopped early is judged where it stopped, against the best rate's evaluation at that step "
             "(interpolated between the best rate's nearest evaluations when it had none there, and said "
             "so). Too high: diverged, oscillating (a higher loss at the same step) or overfitting; good: "
             "within 5% of the best; too low: slow. Val loss is the mean over its seeds where its runs "
             "ended, each seed's value under it. ★ marks the winner.")
    return Section("effects", "What each configuration did", intro,
                   config_effects_table(view.config_effects, view.metric_name))


def curves(view: ReportView) -> Section | None:
    """Loss over steps for every rate."""
    if not view.runs:
        return None
    intro = ("Loss over steps for every rate, a panel per optimizer and schedule: lines are the training "
             "loss (smoothed), dots the validation loss, a cross a divergence. Too high a rate falls fast "
             "and stalls or blows up, too low a rate crawls; runs that stop early were cut by the search.")
    if view.curve_runs:
        intro += " Each configuration is drawn by its furthest run on each seed."
    return Section("curves", "Training curves by rate", intro,
                   figure=plot_curves(view.curve_runs or view.runs, view.final))


def range_tests(view: ReportView) -> Section | None:
    """The range-test curves with every suggestion, and the suggestions as a table."""
    if not view.finders:
        return None
    methods = list(dict.fromkeys(name for finder in view.finders for name in finder.suggestions))
    rows = [[escape(finder.optimizer), str(finder.steps), escape(finder.stop_reason)]
            + [_rate(finder.suggestions.get(name)) + (" ★" if name == finder.method else "")
               for name in methods]
            for finder in view.finders]
    intro = ("The range test raises the rate every step and records the loss: it falls, flattens, then "
             "blows up. A line marks each method's suggestion; the solid one (★) is the one used.")
    headers = ["optimizer", "steps", "stopped", *(LABELS.get(name, name) for name in methods)]
    body = table(headers, rows, numeric=set(range(3, 3 + len(methods))))
    return Section("finder", "Range test", intro, body, plot_range_tests(view.finders))


def schedule(view: ReportView) -> Section | None:
    """The rate the recommended run applied over its steps, with the schedule's key points."""
    run = view.final
    if run is None or not run.lr:
        return None
    points = summarize_schedule(run.recipe.build_schedule(run.budget), run.budget)
    body = table(["step", "lr", "point"], [[str(p.step), rate(p.lr), escape(p.label)] for p in points],
                 numeric={0, 1})
    intro = (f"The rate the recommended run applied at each of its {run.steps} steps"
             + (", plateau control included (dashed: the schedule alone)" if run.recipe.plateau else "")
             + "; the table lists its start, phase starts, end, minimum and maximum.")
    return Section("schedule", "The winner's schedule", intro, body, plot_lr(run))


def landscape_section(view: ReportView) -> Section | None:
    """Validation loss against rate for each optimizer and schedule."""
    if len(view.runs) < 2:
        return None
    intro = ("Validation loss against rate for each optimizer and schedule, the measured U: too low on "
             "the left, too high on the right. Circles compare rates at the last step all runs of the "
             "group reached; stars are runs trained in full; crosses along the top diverged.")
    return Section("landscape", "The landscape", intro, figure=plot_landscape(view.runs))


def budget(view: ReportView) -> Section | None:
    """Where the compute went, in full training runs."""
    parts = spending(view)
    if len(parts) < 2:
        return None
    total = sum(part.cost for part in parts)
    rows = [[escape(p.label), escape(p.stage), f"{p.cost:.3f}", f"{100 * p.cost / total:.0f}%"]
            for p in parts]
    asked = "" if view.budget is None else f" of the {view.budget:g} asked"
    intro = (f"{total:.2f} full training runs of the task{asked}: the range tests, then each group's runs "
             "(a run stopped by the search costs only the steps it ran; a decay branched from a run's "
             "checkpoint, only its own steps).")
    return Section("budget", "Where the budget went", intro,
                   table(["part", "stage", "full runs", "share"], rows, numeric={2, 3}),
                   plot_budget(parts, view.budget))


def _recipe_list(view: ReportView) -> str:
    recipe = view.recipe
    if recipe is None:
        return ""
    arguments = "".join(f", {k}={v!r}" for k, v in recipe.optimizer_args.items())
    items = [("optimizer", recipe.optimizer + arguments),
             ("learning rate", rate(recipe.lr)), ("schedule", spec(recipe.schedule or "constant"))]
    if recipe.plateau:
        items.append(("plateau control", spec(recipe.plateau)))
    final = view.final
    if view.scores:
        items += view.scores
    elif final is not None:
        items.append(("validation loss", loss(final.val_loss) + f" after {final.steps} steps"))
        if final.val_metric is not None:
            items.append((f"validation {view.metric_name or 'metric'}", loss(final.val_metric)))
    return facts((key, escape(value)) for key, value in items)


def _rate(value: float | None) -> str:
    return "–" if value is None else rate(value)
