"""A training function run through a `Trial`: paused and resumed it equals an unbroken run, its
rates are the recipe's, it ends cleanly when stopped, and every way it can fail is one line."""

from __future__ import annotations

import threading

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit.train import Recipe, TrainableError, TrialStopped, run_function
from lrkit.train._trial import FunctionRun

STEPS = 60


def regression(trial, log=None):
    """A small noisy regression trained with dropout and shuffled batches: both draw on torch's
    global generator, so a resumed run equals an unbroken one only if its random state is kept."""
    generator = torch.Generator().manual_seed(1)
    inputs = torch.randn(256, 4, generator=generator)
    targets = inputs @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.1 * torch.randn(256, generator=generator)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Dropout(0.2), torch.nn.Linear(16, 1))
    optimizer = trial.optimizer(model.parameters())
    scheduler = trial.scheduler(optimizer)
    try:
        for step in range(trial.steps):
            batch = torch.randint(0, 200, (16,))
            loss = torch.nn.functional.mse_loss(model(inputs[batch]).squeeze(1), targets[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            if (step + 1) % trial.eval_every == 0 or step + 1 == trial.steps:
                model.eval()
                with torch.no_grad():
                    val = torch.nn.functional.mse_loss(model(inputs[200:]).squeeze(1), targets[200:])
                model.train()
                trial.report(step + 1, val)
    finally:
        if log is not None:
            log.append("finally")


COSINE = Recipe("adam", 0.01, "cosine")


def _run(recipe=COSINE, function=regression, steps=STEPS, every=10):
    return FunctionRun(function, "regression", recipe, steps, eval_every=every, device=torch.device("cpu"))


def test_a_full_run_records_the_recipes_rates_and_every_report():
    result = _run().advance(None)
    expected = Recipe("adam", 0.01, "cosine").build_schedule(STEPS).values(STEPS)
    assert result.lr == pytest.approx(tuple(expected), rel=1e-12)
    assert [e.step for e in result.evaluations] == list(range(10, STEPS + 1, 10))
    assert result.steps == result.budget == STEPS and not result.diverged
    assert result.recipe == Recipe("adam", 0.01, "cosine").resolved(STEPS)


@settings(max_examples=8, deadline=None)
@given(st.lists(st.sampled_from([10, 20, 30, 40, 50]), min_size=1, max_size=3, unique=True))
def test_paused_and_resumed_runs_equal_an_unbroken_one_even_with_other_runs_in_between(stops):
    unbroken = _run().advance(None)
    paused, other = _run(), _run(Recipe("momentum", 0.05, "constant"))
    for stop in sorted(stops):
        at = paused.advance(stop)
        assert at.steps == stop
        other.advance(None if other.ended else stop)  # draws on the same global generators meanwhile
    resumed = paused.advance(None)
    other.stop()
    assert [e.val_loss for e in resumed.evaluations] == [e.val_loss for e in unbroken.evaluations]
    assert resumed.lr == unbroken.lr


def test_a_stopped_run_ends_inside_the_function_and_runs_its_finally_blocks():
    log = []
    run = _run(function=lambda trial: regression(trial, log))
    run.advance(20)
    run.stop()  # returns once the function has unwound: its teardown never overlaps the next run
    assert not run._thread.is_alive() and log == ["finally"]


def test_switching_a_paused_constant_run_to_its_decay_equals_the_decayed_recipe_run():
    from lrkit.train._trial import decayed

    constant = Recipe("adam", 0.01, "constant")
    run = _run(constant)
    trunk = run.advance(40)
    run.switch(decayed(trunk.recipe, STEPS, trunk.steps))
    switched = run.advance(None)
    fresh = _run(decayed(constant, STEPS, 40)).advance(None)
    assert switched.lr == fresh.lr
    assert [e.val_loss for e in switched.evaluations] == [e.val_loss for e in fresh.evaluations]


def test_each_report_is_paired_with_the_rate_of_the_last_update_the_schedule_took():
    def skips_some(trial):  # as Hugging Face's Trainer: no scheduler.step() after a skipped update
        optimizer = trial.optimizer([torch.nn.Parameter(torch.zeros(1))])
        scheduler = trial.scheduler(optimizer)
        for step in range(trial.steps):
            if step % 3:
                optimizer.step()
                scheduler.step()
            trial.report(step + 1, 1.0)

    run = _run(Recipe("sgd", 0.1, "linear"), function=skips_some, steps=9, every=1)
    run.advance(None)
    applied = run.trial.rates
    assert run.trial.reported_rates == [None, applied[0], applied[1], applied[1], applied[2], applied[3],
                                        applied[3], applied[4], applied[5]]


def test_a_non_finite_report_ends_the_run_as_diverged():
    def exploding(trial):
        trial.report(1, 1.0)
        trial.report(2, float("nan"))
        raise AssertionError("not reached: lrkit ends the run at the NaN report")

    result = _run(function=exploding).advance(None)
    assert result.diverged and result.diverged_at == 2


def test_a_function_that_raises_is_one_line_naming_it():
    def broken(trial):
        raise ValueError("shapes (3,) and\n(4,) differ")

    message = r"^regression raised ValueError: shapes \(3,\) and \(4,\) differ$"
    with pytest.raises(TrainableError, match=message):
        _run(function=broken).advance(None)


def test_a_function_that_never_reports_is_told_to():
    with pytest.raises(TrainableError, match=r"without calling trial\.report"):
        _run(function=lambda trial: None).advance(None)


def test_trial_stopped_passes_through_the_functions_own_except_exception():
    assert not issubclass(TrialStopped, Exception)


def test_run_function_seeds_torch_with_the_recipes_seed():
    seen = []

    def draws(trial):
        seen.append(torch.rand(1).item())
        trial.report(1, 0.0)

    run_function(draws, Recipe(seed=3), 1)
    torch.manual_seed(3)
    assert seen == [torch.rand(1).item()]


def test_a_cancelled_run_stops_at_its_next_scheduler_step():
    started = threading.Event()

    def endless(trial):
        optimizer = trial.optimizer([torch.nn.Parameter(torch.zeros(1))])
        scheduler = trial.scheduler(optimizer)
        while True:
            optimizer.step()
            scheduler.step()
            if len(trial.rates) == 5:
                started.set()

    run, results = _run(function=endless), []
    waiter = threading.Thread(target=lambda: results.append(run.advance(None)), daemon=True)
    waiter.start()
    started.wait(10)
    run.trial.cancelled = True
    waiter.join(timeout=10)
    assert run.ended and results[0].steps > 0 and not run._thread.is_alive()
