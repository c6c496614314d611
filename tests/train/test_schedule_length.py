"""A full spec whose length differs from the run's: a warning with both numbers, or fitted on request."""

from __future__ import annotations

import json
import warnings

import pytest

from lrkit.schedules import parse
from lrkit.tasks import get_task
from lrkit.train import Recipe, RecipeError, RunResult, ScheduleLengthWarning, run


@pytest.fixture(scope="module")
def digits():
    return get_task("digits-mlp")


def test_a_spec_shorter_than_the_run_warns_and_holds_its_last_rate(digits):
    spec = "cosine(lr=0.1, steps=20, min_lr=0.01)"
    said = r"lasts 20 steps but the run has 30: its last rate 0\.01 holds for the last 10 steps"
    with pytest.warns(ScheduleLengthWarning, match=said):
        result = run(digits, Recipe("sgd", schedule=spec), steps=30)
    assert list(result.lr) == list(parse(spec).values(30)) and result.lr[-10:] == (0.01,) * 10


def test_a_spec_longer_than_the_run_warns_that_its_end_is_never_reached(digits):
    with pytest.warns(ScheduleLengthWarning, match="lasts 50 steps but the run has 30: its last 20 steps"):
        run(digits, Recipe("sgd", schedule="cosine(lr=0.1, steps=50)"), steps=30)


def test_no_warning_when_the_lengths_agree_or_the_schedule_is_a_template(digits):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(digits, Recipe("sgd", schedule="cosine(lr=0.1, steps=30)"), steps=30)
        run(digits, Recipe("sgd", 0.1, "warmup_cosine"), steps=30)
        run(digits, Recipe("sgd", schedule="exponential(lr=0.1, gamma=0.99)"), steps=30)  # never ends


@pytest.mark.parametrize(("spec", "template"), [
    ("cosine(lr=0.1, steps=10)", "cosine"),
    ("warmup(1) >> cosine(lr=0.1, steps=19)", "warmup_cosine"),  # 1 + 19 steps, stretched 2x
])
def test_fit_stretches_the_spec_over_the_run_as_the_template_of_that_length(digits, spec, template):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted = run(digits, Recipe("sgd", schedule=spec, fit=True), steps=40)
    reference = run(digits, Recipe("sgd", 0.1, template), steps=40)
    assert fitted.lr == pytest.approx(reference.lr, rel=1e-12, abs=1e-15)
    assert fitted.recipe.fit and fitted.recipe.schedule == str(parse(spec))
    assert RunResult.from_dict(json.loads(json.dumps(fitted.to_dict()))) == fitted


def test_fit_squeezes_a_longer_spec_into_the_run(digits):
    fitted = run(digits, Recipe("sgd", schedule="cosine(lr=0.1, steps=80)", fit=True), steps=40)
    assert fitted.lr == pytest.approx(parse("cosine(lr=0.1, steps=40)").values(40), rel=1e-12, abs=1e-15)


def test_fit_needs_a_schedule_that_ends():
    with pytest.raises(RecipeError, match="never does"):
        Recipe("sgd", schedule="exponential(lr=0.1, gamma=0.99)", fit=True)
