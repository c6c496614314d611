"""A run paused at a step and resumed from its checkpoint equals the run that never stopped."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit.tasks import get_task
from lrkit.train import Recipe, RecipeError, resume, run

STEPS, EVERY = 40, 5


@pytest.fixture(scope="module")
def digits():
    return get_task("digits-mlp")


def _same(resumed, whole) -> None:
    assert resumed.train_loss == whole.train_loss
    assert resumed.lr == whole.lr
    assert resumed.evaluations == whole.evaluations
    assert (resumed.steps, resumed.budget, resumed.recipe) == (whole.steps, whole.budget, whole.recipe)


@settings(max_examples=6, deadline=None)
@given(first=st.integers(1, STEPS - 2), gap=st.integers(1, STEPS - 2),
       recipe=st.sampled_from([Recipe("adam", 3e-3, "cosine", seed=3),
                               Recipe("momentum", 0.05, "one_cycle", "plateau(factor=0.5, patience=1)")]))
def test_paused_twice_and_resumed_equals_the_unbroken_run(digits, tmp_path_factory, first, gap, recipe):
    second = min(STEPS - 1, first + gap)
    folder = tmp_path_factory.mktemp("checkpoints")
    whole = run(digits, recipe, steps=STEPS, eval_every=EVERY)
    paused = run(digits, recipe, steps=STEPS, eval_every=EVERY, pause_at=first, checkpoint=folder / "a.pt")
    assert paused.steps == first and not paused.diverged
    if second > first:
        paused = resume(digits, paused, folder / "a.pt", eval_every=EVERY, pause_at=second,
                        save_to=folder / "b.pt")
        checkpoint = folder / "b.pt"
    else:
        checkpoint = folder / "a.pt"
    _same(resume(digits, paused, checkpoint, eval_every=EVERY), whole)


def test_the_checkpoint_loads_with_weights_only(digits, tmp_path):
    run(digits, Recipe("adam", 1e-3), steps=10, pause_at=4, checkpoint=tmp_path / "c.pt")
    state = torch.load(tmp_path / "c.pt", weights_only=True)
    assert state["step"] == 4


def test_a_finished_run_or_a_wrong_checkpoint_is_refused_in_one_line(digits, tmp_path):
    done = run(digits, Recipe("adam", 1e-3), steps=6)
    with pytest.raises(RecipeError, match="only a paused run can resume"):
        resume(digits, done, tmp_path / "none.pt")
    paused = run(digits, Recipe("adam", 1e-3), steps=10, pause_at=4, checkpoint=tmp_path / "c.pt")
    later = run(digits, Recipe("adam", 1e-3), steps=10, pause_at=6, checkpoint=tmp_path / "d.pt")
    with pytest.raises(RecipeError, match="saved at step 6"):
        resume(digits, paused, tmp_path / "d.pt")
    assert later.steps == 6
    with pytest.raises(RecipeError, match="pause_at must lie between"):
        run(digits, Recipe("adam", 1e-3), steps=10, pause_at=10, checkpoint=tmp_path / "e.pt")
