"""The tune summary at budgets 1, 2 and 3, on hand-made runs shaped as each budget's search makes
them: every sentence is checked against the runs it speaks of."""

from __future__ import annotations

import re

import pytest
from fake_runs import BUDGET, make_run

from lrkit._format import loss, rate
from lrkit.finder import FinderResult
from lrkit.search._groups import group_of, schedule_name
from lrkit.tune import TuneResult, tune

SUGGESTED = {"adam": 0.069, "momentum": 0.0262}


def finder(optimizer: str) -> FinderResult:
    """A 27-step range test that suggested SUGGESTED[optimizer]."""
    lrs = tuple(1e-6 * 10 ** (k / 4) for k in range(27))
    losses = tuple(1.0 - 0.01 * k for k in range(27))
    return FinderResult(lrs, losses, losses, losses, "diverged", 1e-6, 10.0, "exp", optimizer=optimizer,
                        task="toy", suggestions={"lrkit": SUGGESTED[optimizer]}, budget=BUDGET)


def curve(end: float, evaluations: int) -> list[float]:
    """A validation loss falling from 1 towards `end` over a full run, cut after `evaluations`."""
    return [end + (1 - end) * (1 - k / 27) ** 2 for k in range(1, evaluations + 1)]


def budget_one() -> TuneResult:
    run = make_run(0.069, curve(0.05, 27))
    return TuneResult("toy", 1.0, BUDGET, (finder("adam"),), (run,), run)


def halving(finalists: int) -> list:
    """Both optimizers at four rates around their suggestions, each stopped at the rung (1, 3 or 9
    evaluations) halving left it at: the lowest rates first, adam's highest too high at its rung;
    momentum's best, and with two finalists adam's best too, run in full (27 evaluations)."""
    plan = {("adam", 0.0069): (0.4, 1), ("adam", 0.0218): (0.2, 3),
            ("adam", 0.069): (0.06, 27 if finalists > 1 else 9), ("adam", 0.218): (0.3, 3),
            ("momentum", 0.00262): (0.5, 1), ("momentum", 0.00827): (0.3, 3),
            ("momentum", 0.0262): (0.05, 27), ("momentum", 0.0827): (0.1, 9)}
    return [make_run(lr, curve(end, evaluations), optimizer=optimizer)
            for (optimizer, lr), (end, evaluations) in plan.items()]


def budget_two() -> TuneResult:
    runs = halving(1)
    final = min((r for r in runs if r.steps == BUDGET), key=lambda r: r.val_loss)
    return TuneResult("toy", 2.0, BUDGET, (finder("adam"), finder("momentum")), tuple(runs), final)


def budget_three() -> TuneResult:
    runs = halving(2)
    final = min((r for r in runs if r.steps == BUDGET), key=lambda r: r.val_loss)
    other = make_run(final.recipe.lr, curve(final.val_loss * 0.97, 27), optimizer="momentum",
                     schedule="constant")
    runs.append(other)  # another schedule at the winner's rate, within the near tie
    return TuneResult("toy", 3.0, BUDGET, (finder("adam"), finder("momentum")), tuple(runs), final)


def check(result: TuneResult) -> None:
    """Every sentence of the summary holds for the result's runs."""
    final, effects = result.final, result.effects
    suggested = {finder.optimizer: finder.suggestion for finder in result.finders}
    searched = group_of(final)
    if result.shared_steps and schedule_name(final) == "wsd":  # a wsd search compared constant trunks
        searched = (final.recipe.optimizer, "constant", None)
    lines = result.summary()
    several = len({trial.recipe for trial in result.trials}) > 1
    metric = "" if final.val_metric is None else f", {result.metric_name} {loss(final.val_metric)}"
    assert lines[0] == (f"{'Winner' if several else 'Recommended'}: {final.recipe.optimizer} at lr "
                        f"{rate(final.recipe.lr)} with schedule {schedule_name(final)}: validation loss "
                        f"{loss(final.val_loss)}{metric} after {final.steps} steps.")
    for line in lines[1:]:
        if match := re.fullmatch(r"The range test of (\w+) \(\d+ steps\) suggested lr (\S+); (.*)", line):
            optimizer, rest = match.group(1), match.group(3)
            rates = sorted({t.recipe.lr for t in result.trials if t.recipe.optimizer == optimizer})
            assert match.group(2) == rate(suggested[optimizer])
            if len(rates) > 1:
                assert rest == (f"the search tried {len(rates)} rates around it, from {rate(rates[0])} to "
                                f"{rate(rates[-1])}.")
                assert rates[0] < suggested[optimizer] < rates[-1]
            elif rate(rates[0]) == rate(suggested[optimizer]):
                assert rest == (f"only lr {rate(rates[0])} was trained, as the budget left no room to "
                                "compare rates.")
            else:
                ratio = rates[0] / suggested[optimizer]
                assert rest == (f"only lr {rate(rates[0])}, {ratio:.2g} x that, was trained, as the budget "
                                "left no room to compare rates and a rate too high costs far more than one "
                                "too low.")
        elif match := re.match(r"Too (high|low): (\w+) at lr ([\d.e-]+) ", line):
            verdicts = ("diverged", "oscillating", "overfitting") if match.group(1) == "high" else ("slow",)
            assert any((e.optimizer, rate(e.lr)) == match.group(2, 3) and e.verdict in verdicts
                       for e in effects), line
        elif line.startswith("No rate tried was too high"):
            assert not any(e.verdict in ("diverged", "oscillating", "overfitting") for e in effects)
        elif line.startswith("With one rate of"):
            assert line.startswith(f"With one rate of {final.recipe.optimizer} and {searched[1]} trained")
            assert len({t.recipe.lr for t in result.trials if group_of(t) == searched}) == 1
        elif match := re.fullmatch(r"lr (\S+) is the (highest|lowest) rate of (\w+) and (\w+) tried: the "
                                   r"best may lie (above|below) it\.", line):
            rates = {t.recipe.lr for t in result.trials if group_of(t)[:2] == match.group(3, 4)}
            assert match.group(1) == rate(final.recipe.lr) and match.group(4) == searched[1]
            assert final.recipe.lr == (max(rates) if match.group(2) == "highest" else min(rates))
            assert match.group(5) == ("above" if match.group(2) == "highest" else "below")
        elif match := re.fullmatch(r"lr (\S+) was (\d+)% ahead of lr (\S+) at step (\d+)(.*)", line):
            assert match.group(3) == rate(final.recipe.lr)
            if match.group(5).startswith(" at its full rate"):
                assert int(match.group(4)) in result.judged_at
            else:
                assert match.group(5).startswith(", on one seed: a lead under")
                assert int(match.group(2)) <= 100 * result.policy.tie
        elif line.startswith("Cost: "):
            runs = len(result.trials)
            tested = sum(f.steps for f in result.finders) / result.steps
            trained = (sum(t.steps for t in result.trials) - result.shared_steps) / result.steps
            decays = (f", decays judging the rungs {result.branch_steps / result.steps:.2f}"
                      if result.branch_steps else "")
            assert line == (f"Cost: {result.cost:.2f} full runs of the {result.budget:g} budgeted (range "
                            f"test{'s' * (len(result.finders) > 1)} {tested:.2f}, {runs} training "
                            f"run{'s' * (runs > 1)} {trained:.2f}{decays}).")
        elif match := re.fullmatch(r"The searched schedule, wsd, ended at (\S+) at this rate; (\w+) "
                                   r"ended more than (\d+)% below it, so it replaced it \(on one seed\)\.",
                                   line):
            winner = (final.recipe.optimizer, final.recipe.lr)
            searched_run = next(t for t in result.trials if schedule_name(t) == "wsd" and t.steps == t.budget
                                and (t.recipe.optimizer, t.recipe.lr) == winner)
            assert match.group(1) == loss(searched_run.val_loss) and match.group(2) == schedule_name(final)
            assert final.val_loss < searched_run.val_loss * (1 - int(match.group(3)) / 100)
        elif "at the same rate ended at" in line:
            assert any(t.recipe.lr == final.recipe.lr and group_of(t) != group_of(final)
                       for t in result.trials)
        else:
            pytest.fail(f"a sentence this test does not know: {line!r}")
    assert lines[-1].startswith("Cost: ")


@pytest.mark.parametrize("make", [budget_one, budget_two, budget_three],
                         ids=["budget 1", "budget 2", "budget 3"])
def test_every_summary_sentence_holds_for_the_runs(make):
    check(make())


@pytest.mark.parametrize("task", ["cancer-logreg", "digits-mlp"])
@pytest.mark.parametrize("budget", [1, 2, 3])
def test_every_sentence_holds_for_a_real_search(task, budget):
    result = tune(task, budget, workers=1)
    # The winner is a finalist's decay (wsd), or at budget 3 the winner's trunk run on (constant);
    # budget 1 is one cosine run.
    if budget > 1:
        assert schedule_name(result.final) in ("wsd", "constant") and result.shared_steps > 0
    check(result)


def test_budget_one_claims_no_search_and_no_comparison():
    lines = budget_one().summary()
    assert lines[0].startswith("Recommended: adam at lr 0.069")
    assert lines[1] == ("The range test of adam (27 steps) suggested lr 0.069; only lr 0.069 was trained, as "
                        "the budget left no room to compare rates.")
    assert lines[2] == ("With one rate of adam and cosine trained, nothing here shows whether a higher or a "
                        "lower rate would do better.")
    assert lines[3] == "Cost: 1.10 full runs of the 1 budgeted (range test 0.10, 1 training run 1.00)."
    text = " ".join(lines)
    assert "around it" not in text and "may lie above" not in text and "search" not in text


def test_budget_two_and_three_name_the_rates_searched_around_each_suggestion():
    for result in (budget_two(), budget_three()):
        lines = result.summary()
        assert lines[0].startswith("Winner: momentum at lr 0.0262")
        assert ("The range test of adam (27 steps) suggested lr 0.069; the search tried 4 rates around it, "
                "from 0.0069 to 0.218.") in lines
        assert any(line.startswith("Too high: adam at lr 0.218 (cosine)") for line in lines)
    assert any(line.startswith("constant at the same rate ended at") for line in budget_three().summary())
