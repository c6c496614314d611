"""A Recipe records the rate it trains at, reads like the call that builds it, and round-trips."""

from __future__ import annotations

import json
import pickle
import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit.cli import main
from lrkit.schedules import TEMPLATES, parse
from lrkit.tasks import get_task
from lrkit.train import Recipe, RecipeError, run


def test_a_full_spec_without_lr_trains_and_records_its_peak_rate():
    recipe = Recipe("sgd", schedule="warmup(5) >> cosine(lr=0.1, steps=25)")
    assert recipe.lr == 0.1
    result = run(get_task("digits-mlp"), recipe, steps=30)
    assert result.recipe.lr == max(result.lr) == 0.1


def test_an_lr_that_disagrees_with_the_full_spec_is_one_clear_error():
    with pytest.raises(RecipeError, match=r"lr 0\.5 disagrees with the peak rate 0\.1 .*leave lr out"):
        Recipe("adam", 0.5, "cosine(lr=0.1, steps=100)")
    assert Recipe("adam", 0.1, "cosine(lr=0.1, steps=100)").lr == 0.1  # agreeing is fine


def test_without_a_full_spec_lr_defaults_to_1e_3():
    assert Recipe().lr == Recipe("adam", schedule="cosine").lr == 1e-3


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(TEMPLATES)), lr=st.floats(1e-6, 10.0), steps=st.integers(2, 5000))
def test_a_template_written_out_keeps_its_rate_and_round_trips(name, lr, steps):
    recipe = Recipe("momentum", lr, name, seed=3)
    resolved = recipe.resolved(steps)
    assert resolved.lr == recipe.lr == parse(resolved.schedule).bounds()[1]
    assert Recipe.from_dict(json.loads(json.dumps(resolved.to_dict()))) == resolved
    assert resolved.resolved(steps) == resolved


def test_repr_reads_like_the_call_and_builds_the_same_recipe():
    recipe = Recipe("momentum", 0.01, "cosine", optimizer_args={"momentum": 0.9})
    assert repr(recipe) == ("Recipe(optimizer='momentum', lr=0.01, schedule='cosine', "
                            "optimizer_args={'momentum': 0.9})")
    assert repr(Recipe()) == "Recipe(optimizer='adam', lr=0.001)"
    for one in (recipe, Recipe("sgd", schedule="cosine(lr=0.2, steps=10)", plateau="plateau(factor=0.5)",
                               seed=4, fit=True)):
        assert "mappingproxy" not in repr(one)
        assert eval(repr(one), {"Recipe": Recipe}) == one
        assert pickle.loads(pickle.dumps(one)) == one
        assert Recipe.from_dict(json.loads(json.dumps(one.to_dict()))) == one


def test_the_command_of_a_written_out_recipe_trains_that_recipe(tmp_path):
    recipe = Recipe("adam", 0.0123456789, "cosine", seed=2).resolved(40)
    out = tmp_path / "run.json"
    assert main([*shlex.split(recipe.command("digits-mlp", 40))[1:], "--json", str(out)]) == 0
    assert Recipe.from_dict(json.loads(out.read_text())["recipe"]) == recipe


def test_a_file_whose_lr_disagrees_with_its_spec_loads_with_the_rate_that_trained():
    # Written before recipes checked their rate: `--lr 0.5 --schedule 'cosine(lr=0.1, ...)'` trained at 0.1.
    old = {"optimizer": "adam", "lr": 0.5, "schedule": "cosine(lr=0.1, steps=100)", "seed": 0}
    recipe = Recipe.from_dict(old)
    assert recipe.lr == 0.1 and recipe.schedule == "cosine(lr=0.1, steps=100)"
