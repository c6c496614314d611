"""`tune` end to end on real tasks: the budget holds, the winner retrains to the same numbers, the
JSON round-trips, every rate tried gets a verdict, and bad input is one clear error."""

from __future__ import annotations

import json
import math
import textwrap

import pytest
import torch

import lrkit
from lrkit.events import Event
from lrkit.tasks import Task, get_task
from lrkit.train import run
from lrkit.tune import TuneError, TuneResult, tune


@pytest.fixture(scope="module")
def events():
    return []


@pytest.fixture(scope="module")
def tuned(events):
    return tune("cancer-logreg", budget=2, workers=1, callback=events.append)


def test_budget_two_searches_both_optimizers_and_stays_within_it(tuned):
    assert 1.5 < tuned.cost <= 2.0
    assert {finder.optimizer for finder in tuned.finders} == {"adam", "momentum"}
    assert {trial.recipe.optimizer for trial in tuned.trials} == {"adam", "momentum"}
    # 8 candidates on constant-rate trunks; the finalist's trunk stops 20% short of the end, where
    # its decay (a full warmup-stable-decay run, sharing the trunk's steps) is kept beside it.
    assert len(tuned.trials) == 9 and tuned.shared_steps == 0.8 * tuned.steps
    assert [t.recipe.schedule.split("(")[0] for t in tuned.trials].count("wsd") == 1
    assert tuned.final.steps == tuned.final.budget == tuned.steps and not tuned.final.diverged
    full = [t for t in tuned.trials if t.steps == t.budget and not t.diverged]
    assert tuned.final.val_loss == min(t.val_loss for t in full)


def test_the_winning_recipe_retrains_to_the_final_numbers(tuned):
    again = run(get_task("cancer-logreg"), tuned.recipe)
    assert again.val_loss == pytest.approx(tuned.final.val_loss, rel=1e-6)
    assert tuned.recipe.schedule.startswith("wsd(lr=")  # absolute rates, as `lrkit train` takes
    for field in ("train_loss", "lr", "evaluations"):  # the decay branched from the trunk is that run
        assert getattr(run(get_task("cancer-logreg"), tuned.recipe, eval_every=tuned.steps // 27), field) \
            == getattr(tuned.final, field)


def test_json_round_trip_keeps_everything(tuned):
    data = json.loads(json.dumps(tuned.to_dict()))
    assert set(data["recipe"]) == {"optimizer", "optimizer_args", "lr", "schedule", "plateau"}
    assert data["final"]["val_loss"] == tuned.final.val_loss and data["cost"] == tuned.cost
    back = TuneResult.from_dict(data)
    assert back.to_dict() == tuned.to_dict()
    assert back.final in back.trials  # the final run is one of the search's runs, counted once


def test_every_rate_tried_gets_a_verdict_against_its_groups_best(tuned):
    effects = tuned.effects
    assert len(effects) == len(tuned.trials)
    assert {e.verdict for e in effects} <= {"best", "good", "slow", "oscillating", "overfitting", "diverged"}
    groups = {(e.optimizer, e.schedule, e.plateau) for e in effects}
    assert sum(e.verdict == "best" for e in effects) == len(groups) == 3  # adam and momentum trunks, wsd
    for effect in effects:
        if effect.verdict == "slow":
            assert effect.lr < effect.best_lr
        if effect.verdict in ("oscillating", "overfitting"):
            assert effect.lr > effect.best_lr
    text = " ".join(tuned.summary())
    assert f"{tuned.recipe.lr:.3g}" in text and "Cost:" in text


def test_progress_events_count_up_to_their_total(tuned, events):
    assert events and all(isinstance(e, Event) and e.kind == "tune" for e in events)
    assert [e.done for e in events] == list(range(1, len(events) + 1))
    assert events[-1].done == events[-1].total


def test_cool_down_branches_judge_the_rungs_and_are_counted_in_the_cost():
    policy = lrkit.Policy(cool_down=0.1, per_family=True)
    tuned = tune("cancer-logreg", budget=2, workers=1, policy=policy)
    plan = lrkit.tune.make_plan(tuned.steps, 2, policy=policy)
    alive = (8, *plan.keep)
    assert tuned.branch_steps == sum(a * b for a, b in zip(alive, plan.cool_steps)) > 0
    trained = sum(f.steps for f in tuned.finders) + sum(t.steps for t in tuned.trials) + tuned.branch_steps
    trained -= tuned.shared_steps
    assert tuned.cost == trained / tuned.steps <= 2.0
    assert any("decays judging the rungs" in line for line in tuned.summary())
    back = TuneResult.from_dict(json.loads(json.dumps(tuned.to_dict())))
    assert (back.policy, back.branch_steps, back.cost) == (policy, tuned.branch_steps, tuned.cost)


def test_budget_one_is_one_range_test_and_one_run():
    result = tune("cancer-logreg", budget=1, workers=1)
    assert len(result.finders) == 1 and len(result.trials) == 1
    assert result.cost == pytest.approx(1 + result.finders[0].steps / result.steps)
    # Half the suggestion (Policy.single_run_scale): a rate too high costs far more than one too low.
    assert result.recipe.lr == pytest.approx(0.5 * result.finders[0].suggestion, rel=1e-2)
    assert f"only lr {result.recipe.lr:.3g}, 0.5 x that, was trained" in " ".join(result.summary())


def test_a_task_file_not_in_the_repository_tunes_in_worker_processes(tmp_path):
    path = tmp_path / "blobs.py"
    path.write_text(textwrap.dedent("""
        import torch
        from lrkit import Task

        def make_task():
            generator = torch.Generator().manual_seed(0)
            x = torch.randn(600, 8, generator=generator)
            y = (x[:, :2].sum(dim=1) > 0).long()
            return Task("blobs", lambda: torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(),
                        torch.nn.Linear(16, 2)), (x[:400], y[:400]), (x[400:], y[400:]),
                        metric="accuracy", steps=108, batch_size=32)
    """))
    result = lrkit.tune(f"{path}:make_task", budget=2, workers=2)
    assert result.task == f"{path}:make_task" and result.final.val_metric > 0.9
    assert f"lrkit train {path}:make_task --optimizer" in result.train_command()  # loads as given
    assert result.cost <= 2.0


def test_a_task_that_cannot_reach_workers_says_how_to_pass_it():
    task = Task("local", lambda: torch.nn.Linear(2, 2), (torch.zeros(8, 2), torch.zeros(8, dtype=torch.long)),
                (torch.zeros(8, 2), torch.zeros(8, dtype=torch.long)), steps=54)
    with pytest.raises(TuneError, match=r"path/to/file\.py:function"):
        tune(task, budget=2, workers=2)


def test_a_loss_that_is_never_finite_is_a_clear_error():
    pair = (torch.zeros(64, 2), torch.zeros(64, dtype=torch.long))
    task = Task("broken", lambda: torch.nn.Linear(2, 2), pair, pair,
                loss=lambda out, y: out.sum() * math.nan, steps=54)
    with pytest.raises(TuneError, match="found a rate where the loss falls"):
        tune(task, budget=2, workers=1)


def test_a_plateau_run_is_its_own_group_and_says_so():
    task = get_task("cancer-logreg")
    plain = run(task, lrkit.Recipe("momentum", 0.05, "constant"), steps=40)
    plateau = "plateau(factor=0.5, patience=1)"
    watched = run(task, lrkit.Recipe("momentum", 0.05, "constant", plateau), steps=40)
    effects = lrkit.tune.rate_effects((plain, watched), plain)
    assert [e.verdict for e in effects] == ["best", "best"]
    assert [e.shape for e in effects] == ["constant", "constant + plateau(factor=0.5, patience=1)"]
    assert type(effects[1]).from_dict(json.loads(json.dumps(effects[1].to_dict()))) == effects[1]


def test_steps_replace_the_tasks_budget_in_every_worker_too():
    result = tune("cancer-logreg", budget=2, steps=270, workers=2)
    assert result.steps == 270 and {trial.budget for trial in result.trials} == {270}
    assert result.final.steps == 270
