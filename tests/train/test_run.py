"""One training run on real tasks: determinism, divergence as a result, JSON, templates, events."""

from __future__ import annotations

import json
import math

import pytest
import torch

from lrkit.events import Event
from lrkit.schedules import SpecError, cosine, parse
from lrkit.tasks import get_task
from lrkit.train import Recipe, RecipeError, RunResult, run


@pytest.fixture(scope="module")
def digits():
    return get_task("digits-mlp")


def test_same_seed_same_curves_and_another_seed_differs(digits):
    first = run(digits, Recipe("adam", 3e-3, "cosine", seed=7), steps=60)
    again = run(digits, Recipe("adam", 3e-3, "cosine", seed=7), steps=60)
    other = run(digits, Recipe("adam", 3e-3, "cosine", seed=8), steps=60)
    assert first.train_loss == again.train_loss
    assert first.evaluations == again.evaluations
    assert first.train_loss != other.train_loss


def test_a_diverging_rate_is_a_result_not_an_exception(digits):
    result = run(digits, Recipe("sgd", 50.0), steps=200)
    assert result.diverged
    assert 0 <= result.diverged_at < 200
    assert result.val_loss == math.inf
    assert result.steps == result.diverged_at


def test_a_good_rate_trains(digits):
    result = run(digits, Recipe("adam", 1e-2, "cosine"), steps=200)
    assert not result.diverged
    assert result.val_loss < 0.5 * result.train_loss[0]
    assert result.val_metric > 0.9
    assert result.evaluations[-1].step == 200


def test_template_is_filled_with_the_rate_and_length_and_applied_each_step(digits):
    result = run(digits, Recipe("momentum", 0.05, "warmup_cosine"), steps=80)
    schedule = parse(result.recipe.schedule)
    assert schedule == parse("warmup(4) >> cosine(lr=0.05, steps=76)")
    assert list(result.lr) == [schedule(k) for k in range(80)]


def test_full_spec_is_used_as_is(digits):
    result = run(digits, Recipe("sgd", 0.1, str(cosine(0.1, 30))), steps=30)
    assert list(result.lr) == list(cosine(0.1, 30).values(30))


def test_plateau_lowers_the_rate_when_validation_stalls(digits):
    result = run(digits, Recipe("sgd", 1e-6, plateau="plateau(factor=0.5, patience=0, threshold=0.5)"),
                 steps=100, eval_every=10)
    assert result.lr[0] == 1e-6
    assert result.lr[-1] < 1e-6


def test_json_round_trip_is_lossless_and_strict(digits):
    for recipe in (Recipe("adam", 1e-3, "cosine"), Recipe("sgd", 50.0)):
        result = run(digits, recipe, steps=40)
        text = json.dumps(result.to_dict(), allow_nan=False)
        assert RunResult.from_dict(json.loads(text)) == result


def test_events_report_training_and_evaluation(digits):
    events: list[Event] = []
    run(digits, Recipe("adam", 1e-3), steps=50, eval_every=25, callback=events.append)
    train = [e.done for e in events if e.kind == "train"]
    evals = [e.done for e in events if e.kind == "eval"]
    assert train == sorted(train) and train[-1] == 50
    assert evals == [25, 50]


def test_threads_setting_is_restored(digits):
    before = torch.get_num_threads()
    run(digits, Recipe("adam", 1e-3), steps=5, threads=1)
    assert torch.get_num_threads() == before


def test_schedule_free_optimizer_trains_and_evaluates_in_eval_mode(digits):
    result = run(digits, Recipe("schedulefree-adamw", 2.5e-3), steps=100)
    assert not result.diverged and result.val_metric > 0.8


def test_gradient_descent_on_the_quadratic_obeys_two_over_l():
    task = get_task("quadratic")
    limit = task.info["lr_max_stable"]
    stable = run(task, Recipe("sgd", 0.9 * limit), steps=task.steps)
    unstable = run(task, Recipe("sgd", 1.1 * limit), steps=task.steps)
    assert not stable.diverged and stable.val_loss < 1e-3 * stable.train_loss[0]
    assert unstable.diverged


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"optimizer": "adma"}, "unknown optimizer"),
        ({"lr": 0.0}, "positive finite"),
        ({"lr": float("nan")}, "positive finite"),
        ({"lr": "0.1"}, "must be a number"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_bad_recipes_are_refused_with_a_clear_message(kwargs, fragment):
    with pytest.raises(RecipeError, match=fragment):
        Recipe(**kwargs)


def test_bad_schedule_or_plateau_specs_point_at_the_problem():
    with pytest.raises(SpecError, match="position"):
        Recipe("adam", 1e-3, "cosine(0.1")
    with pytest.raises(SpecError, match="plateau"):
        Recipe("adam", 1e-3, plateau="plateau(factr=0.5)")
