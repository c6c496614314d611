"""Ctrl-C during a run ends it at the current step and keeps the partial RunResult."""

from __future__ import annotations

import json

import pytest

from lrkit.events import Event
from lrkit.tasks import get_task
from lrkit.train import Recipe, RunInterrupted, RunResult, run


def _ctrl_c_at(step: int):
    """A listener that presses Ctrl-C when the run reports `step` done (the loop is where a real
    SIGINT lands, between two updates; tests/cli/test_train_command.py sends a real one)."""
    def listen(event: Event) -> None:
        if event.kind == "train" and event.done == step:
            raise KeyboardInterrupt
    return listen


def test_ctrl_c_keeps_the_steps_done_evaluated_there_and_marked_interrupted():
    task, recipe = get_task("digits-mlp"), Recipe("adam", 3e-3, "cosine", seed=1)
    with pytest.raises(RunInterrupted) as caught:
        run(task, recipe, steps=60, eval_every=25, callback=_ctrl_c_at(37))
    partial, whole = caught.value.result, run(task, recipe, steps=60, eval_every=25)
    assert isinstance(caught.value, KeyboardInterrupt)  # whatever stops on Ctrl-C still stops
    assert str(caught.value) == "interrupted at step 37 of 60"
    assert partial.interrupted and not whole.interrupted and not partial.diverged
    assert (partial.steps, partial.budget, partial.recipe) == (37, 60, whole.recipe)
    assert partial.train_loss == whole.train_loss[:37] and partial.lr == whole.lr[:37]
    assert [e.step for e in partial.evaluations] == [25, 37]
    assert partial.evaluations[0] == whole.evaluations[0]
    assert RunResult.from_dict(json.loads(json.dumps(partial.to_dict()))) == partial
