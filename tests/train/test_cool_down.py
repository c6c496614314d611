"""A cool-down branch: from the checkpoint of a run paused at a constant rate, the rate falls
linearly to zero. The branch is the warmup-stable-decay run of that recipe, equal to a fresh run
of it, and the paused run goes on as if nothing happened."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit.tasks import get_task
from lrkit.train import Recipe, RecipeError, cool_down, resume, run

STEPS, EVERY = 40, 8


@pytest.fixture(scope="module")
def digits():
    return get_task("digits-mlp")


@settings(max_examples=4, deadline=None)
@given(pause=st.sampled_from([8, 16, 24, 32]), branch=st.integers(1, 12),
       recipe=st.sampled_from([Recipe("momentum", 0.05, seed=2), Recipe("adam", 3e-3, "constant", seed=1)]))
def test_the_branch_equals_a_fresh_run_of_its_warmup_stable_decay_recipe(digits, tmp_path_factory, pause,
                                                                          branch, recipe):
    checkpoint = tmp_path_factory.mktemp("branch") / "c.pt"
    paused = run(digits, recipe, steps=STEPS, eval_every=EVERY, pause_at=pause, checkpoint=checkpoint)
    cooled = cool_down(digits, paused, checkpoint, branch, eval_every=EVERY)
    rate = recipe.lr
    assert cooled.recipe.schedule == f"wsd(lr={rate!r}, steps={pause + branch}, warmup=0, decay={branch})"
    fresh = run(digits, cooled.recipe, steps=pause + branch, eval_every=EVERY)
    for field in ("train_loss", "lr", "evaluations", "steps", "budget", "recipe", "diverged_at"):
        assert getattr(cooled, field) == getattr(fresh, field)


def test_the_paused_run_goes_on_as_if_there_had_been_no_branch(digits, tmp_path):
    recipe = Recipe("adam", 3e-3, seed=1)
    whole = run(digits, recipe, steps=STEPS, eval_every=EVERY)
    paused = run(digits, recipe, steps=STEPS, eval_every=EVERY, pause_at=24, checkpoint=tmp_path / "c.pt")
    cool_down(digits, paused, tmp_path / "c.pt", 8, eval_every=EVERY)
    resumed = resume(digits, paused, tmp_path / "c.pt", eval_every=EVERY)
    for field in ("train_loss", "lr", "evaluations"):
        assert getattr(resumed, field) == getattr(whole, field)


def test_a_branch_needs_a_step_and_a_constant_rate(digits, tmp_path):
    paused = run(digits, Recipe("momentum", 0.01), steps=STEPS, pause_at=24, checkpoint=tmp_path / "c.pt")
    with pytest.raises(RecipeError, match="at least one step"):
        cool_down(digits, paused, tmp_path / "c.pt", 0)
    decaying = run(digits, Recipe("momentum", 0.01, "cosine"), steps=STEPS, pause_at=24,
                   checkpoint=tmp_path / "d.pt")
    with pytest.raises(RecipeError, match="constant rate"):
        cool_down(digits, decaying, tmp_path / "d.pt", 8)
