"""Sweeps on a real task: every strategy, resume, the process pool, JSON, and the rules each
strategy promises (the grid's plan, halving's pruning, descending's stop)."""

from __future__ import annotations

import itertools
import json
import math

import optuna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit.search import SearchError, Space, SweepResult, parse_rates, sweep
from lrkit.tasks import get_task

TASK = "cancer-logreg"  # 200 steps of logistic regression: a full run takes a tenth of a second


def _sweep(tmp_path, strategy, space=None, **options):
    space = space or Space(lrs=(1e-3, 1e-2, 1e-1), optimizers=("momentum",), schedules=("constant", "cosine"))
    return sweep(TASK, space, strategy, out=tmp_path, **options)


def test_default_grid_is_the_decades():
    assert Space().grid_rates() == (1e-4, 1e-3, 1e-2, 1e-1)
    assert parse_rates("1e-5:1") == {"lr_range": (1e-5, 1.0)}
    assert parse_rates("0.1,0.01") == {"lrs": (0.1, 0.01)}


def test_grid_tries_each_planned_trial_once_and_picks_the_lowest_mean_loss(tmp_path):
    result = _sweep(tmp_path, "grid")
    tried = sorted((t.params["schedule"], t.params["lr"]) for t in result.trials)
    assert tried == sorted((s, lr) for s in ("constant", "cosine") for lr in (1e-3, 1e-2, 1e-1))
    assert all(t.state == "complete" and t.run.steps == get_task(TASK).steps for t in result.trials)
    assert result.cost == pytest.approx(6.0)
    assert result.best.val_loss == min(t.val_loss for t in result.trials)
    assert [t.val_loss for t in result.trials] == sorted(t.val_loss for t in result.trials)


def test_running_the_same_sweep_again_resumes_without_retraining(tmp_path):
    first = _sweep(tmp_path, "grid")
    again = _sweep(tmp_path, "grid")
    assert again.study == first.study
    assert [t.to_dict() for t in again.trials] == [t.to_dict() for t in first.trials]


def test_asha_prunes_by_intermediate_validation_loss_and_keeps_every_run(tmp_path):
    space = Space(lr_range=(1e-5, 1.0), optimizers=("momentum", "adam"))
    result = _sweep(tmp_path, "asha", space, trials=18, confirm=0)
    assert len(result.trials) == 18
    pruned = [t for t in result.trials if t.state == "pruned"]
    assert pruned and all(t.run.steps < t.run.budget for t in pruned)
    assert all(t.run.evaluations for t in pruned)  # the reports the pruner judged by are kept
    assert result.cost < 18 / 2


@pytest.mark.parametrize("workers", [1, 2])
def test_sha_runs_every_configuration_to_a_rung_and_the_best_third_on_to_the_next(tmp_path, workers):
    rates = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)
    result = _sweep(tmp_path, "sha", Space(lrs=rates, optimizers=("momentum", "adam")), confirm=0,
                    workers=workers)
    budget = get_task(TASK).steps  # 200: rungs at 7, 21 and 63 steps, then the full run
    by_rung = [[t for t in result.trials if t.run.steps == steps or (t.state == "diverged" and rung == 0)]
               for rung, steps in enumerate((7, 21, 63, budget))]
    assert [len(trials) for trials in by_rung[:3]] == [12, 4, 2]
    for judged, promoted in itertools.pairwise(by_rung[:3]):
        scores = {t.config: t.run.val_loss for t in judged if t.state != "diverged"}
        assert {t.config for t in promoted} == set(sorted(scores, key=scores.__getitem__)[: len(promoted)])
    finalist = min(by_rung[2], key=lambda t: t.run.val_loss)
    full = by_rung[3]
    assert finalist.config in {t.config for t in full}
    rescued = [t.params for t in full if t.config != finalist.config]  # a lower rate if it went past its best
    assert len(rescued) <= 1 and all(p["optimizer"] == finalist.params["optimizer"]
                                     and p["lr"] < finalist.params["lr"] for p in rescued)
    assert result.best.state == "complete" and result.best is min(full, key=lambda t: t.run.val_loss)
    trained = [(t.config, t.run.steps) for t in result.trials]
    assert len(trained) == len(set(trained))  # no stage trained twice, even by two workers
    assert result.cost == pytest.approx(sum(t.run.steps for t in result.trials) / budget)


def test_sha_gives_twins_one_place_and_runs_the_leaders_twin_in_full(tmp_path):
    # Low rates of Adam: the finalist ends at its lowest, so no rescue takes the place beside it.
    space = Space(lrs=(1e-4, 3e-4, 1e-3, 3e-3), optimizers=("adam",), schedules=("constant", "cosine"))
    result = _sweep(tmp_path, "sha", space, confirm=0)
    budget = get_task(TASK).steps
    for steps in (21, 63):  # constant and cosine from one rate have not parted yet: one place each
        rates = [t.params["lr"] for t in result.trials if t.run.steps == steps]
        assert rates and len(rates) == len(set(rates))
    full = {(t.params["schedule"], t.params["lr"]) for t in result.trials if t.run.steps == budget}
    assert full == {("constant", result.best.params["lr"]), ("cosine", result.best.params["lr"])}


def test_finalists_are_retrained_in_full_on_another_seed_and_the_winner_is_the_best_mean(tmp_path):
    result = _sweep(tmp_path, "random", Space(lr_range=(1e-4, 1.0)), trials=6, confirm=3)
    searched = [t for t in result.trials if t.params["seed"] == 0]
    confirmed = [t for t in result.trials if t.params["seed"] == 1]
    finalists = sorted((t for t in searched if t.state == "complete"), key=lambda t: t.val_loss)[:3]
    assert len(searched) == 6 and len(confirmed) == 3
    assert {t.config for t in confirmed} == {t.config for t in finalists}
    assert all(t.run.steps == t.run.budget for t in confirmed)
    losses = result.config_losses()
    assert result.best.config in {t.config for t in confirmed}
    assert result.best_val_loss == min(losses[t.config] for t in confirmed)
    configs = result.configs()  # as the winner is chosen: confirmed finalists by mean, then the rest
    assert configs[0] == result.winner and result.best in configs[0].trials and configs[0].seeds == (0, 1)
    assert [len(c.seeds) for c in configs] == sorted((len(c.seeds) for c in configs), reverse=True)
    assert [c.val_loss for c in configs[:3]] == sorted(c.val_loss for c in configs[:3])
    assert configs[0].val_loss == pytest.approx(sum(t.val_loss for t in configs[0].trials) / 2)
    assert result.runner_up == configs[1] and sum(c.cost for c in configs) == pytest.approx(result.cost)
    best = result.to_dict()["best"]
    assert best["seeds"] == [0, 1] and best["seed_losses"] == [t.val_loss for t in configs[0].trials]
    assert best["val_loss"] == result.best_val_loss
    assert result.to_dict()["runner_up"]["lr"] == configs[1].params["lr"]
    again = _sweep(tmp_path, "random", Space(lr_range=(1e-4, 1.0)), trials=6, confirm=3)  # resumed
    assert [t.to_dict() for t in again.trials] == [t.to_dict() for t in result.trials]


def test_a_diverging_trial_is_recorded_as_diverged(tmp_path):
    result = _sweep(tmp_path, "grid", Space(lrs=(0.1, 1e4), optimizers=("sgd",)))
    states = {t.params["lr"]: t.state for t in result.trials}
    assert states == {0.1: "complete", 1e4: "diverged"}
    assert result.best.params["lr"] == 0.1


def test_descending_lowers_the_rate_until_a_worsening_is_confirmed(tmp_path):
    rates = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 3e-4, 1e-4)
    result = _sweep(tmp_path, "descending", Space(lrs=rates, optimizers=("adam",)))
    tried = sorted((t.number, t.params["lr"], t.val_loss) for t in result.trials)
    lrs = [lr for _, lr, _ in tried]
    assert lrs == sorted(rates, reverse=True)[: len(lrs)]  # highest first, no rate skipped
    losses = [loss for _, _, loss in tried]
    best = min(range(len(losses)), key=losses.__getitem__)
    # It stopped exactly two rates after the best (one worse, one confirming), or at the last rate.
    assert len(lrs) == min(best + 3, len(rates))
    assert all(loss > losses[best] for loss in losses[best + 1 :])


def test_random_and_tpe_make_the_trials_asked_for(tmp_path):
    for strategy in ("random", "tpe"):
        result = _sweep(tmp_path / strategy, strategy, Space(lr_range=(1e-4, 1.0)), trials=5, confirm=1)
        assert len(result.trials) == 6
        assert all(1e-4 <= t.params["lr"] <= 1.0 for t in result.trials)


def test_two_worker_processes_share_the_plan(tmp_path):
    result = _sweep(tmp_path, "grid", workers=2)
    assert len(result.trials) == 6
    assert len({(t.params["schedule"], t.params["lr"]) for t in result.trials}) == 6
    study = optuna.load_study(study_name=result.study, storage=f"sqlite:///{tmp_path / 'sweep.db'}")
    complete = [t for t in study.get_trials() if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == 6


def test_json_round_trip(tmp_path):
    result = _sweep(tmp_path, "grid", Space(lrs=(0.1, 1e4), optimizers=("sgd",)))
    text = json.dumps(result.to_dict(), allow_nan=False)
    again = SweepResult.from_dict(json.loads(text))
    assert again == result and again.best.params == result.best.params
    assert json.loads(text)["best"]["lr"] == 0.1


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"space": {"optimizers": ("adamm",)}}, "unknown optimizer 'adamm'"),
        ({"space": {"schedules": ("cosinus",)}}, "unknown schedule template 'cosinus'"),
        ({"space": {"lr_range": (1.0, 0.1)}}, "0 < low < high"),
        ({"strategy": "bayes"}, "unknown strategy 'bayes'"),
        ({"workers": 0}, "workers must be >= 1"),
        ({"trials": 0, "strategy": "random"}, "trials must be >= 1"),
        ({"confirm": -1, "strategy": "sha"}, "confirm must be >= 0"),
        ({"storage": "nosuchdb://x"}, "cannot open the study storage"),
    ],
)
def test_bad_arguments_fail_before_any_training(tmp_path, arguments, words):
    with pytest.raises(SearchError, match=words):
        space = Space(**arguments.pop("space", {}))
        sweep(TASK, space, arguments.pop("strategy", "grid"), out=tmp_path, **arguments)


@settings(max_examples=40, deadline=None)
@given(st.floats(1e-8, 1e2), st.floats(1.01, 1e6), st.integers(1, 4))
def test_grid_rates_span_the_range_in_order(low, ratio, per_decade):
    rates = Space(lr_range=(low, low * ratio)).grid_rates(per_decade)
    assert list(rates) == sorted(rates) and len(rates) >= 2
    assert math.isclose(rates[0], low, rel_tol=1e-5) and math.isclose(rates[-1], low * ratio, rel_tol=1e-5)
