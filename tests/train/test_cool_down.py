"""A cool-down branch: from a paused run's checkpoint, the rate falls linearly to zero; the score
is the run that decays there, and the paused run goes on as if nothing happened."""

from __future__ import annotations

import pytest

from lrkit.tasks import get_task
from lrkit.train import Recipe, RecipeError, cool_down, resume, run

STEPS, PAUSE, BRANCH = 40, 24, 8


@pytest.fixture(scope="module")
def digits():
    return get_task("digits-mlp")


def test_the_branch_scores_the_run_whose_rate_decays_from_the_pause(digits, tmp_path):
    recipe = Recipe("momentum", 0.05, "constant", seed=2)
    paused = run(digits, recipe, steps=STEPS, pause_at=PAUSE, checkpoint=tmp_path / "c.pt")
    cooled = cool_down(digits, paused, tmp_path / "c.pt", BRANCH)
    spec = f"constant(lr=0.05, steps={PAUSE}) >> linear(start_lr=0.05, end_lr=0, steps={BRANCH})"
    decayed = run(digits, Recipe("momentum", 0.05, spec, seed=2), steps=PAUSE + BRANCH)
    assert cooled.step == PAUSE + BRANCH
    assert cooled.val_loss == pytest.approx(decayed.val_loss, rel=1e-5)
    assert cooled.val_metric == pytest.approx(decayed.val_metric)


def test_the_paused_run_goes_on_as_if_there_had_been_no_branch(digits, tmp_path):
    recipe = Recipe("adam", 3e-3, "cosine", seed=1)
    whole = run(digits, recipe, steps=STEPS, eval_every=8)
    paused = run(digits, recipe, steps=STEPS, eval_every=8, pause_at=PAUSE, checkpoint=tmp_path / "c.pt")
    cool_down(digits, paused, tmp_path / "c.pt", BRANCH)
    resumed = resume(digits, paused, tmp_path / "c.pt", eval_every=8)
    for field in ("train_loss", "lr", "evaluations"):
        assert getattr(resumed, field) == getattr(whole, field)


def test_a_branch_needs_a_step(digits, tmp_path):
    paused = run(digits, Recipe("momentum", 0.01), steps=STEPS, pause_at=PAUSE, checkpoint=tmp_path / "c.pt")
    with pytest.raises(RecipeError, match="at least one step"):
        cool_down(digits, paused, tmp_path / "c.pt", 0)
