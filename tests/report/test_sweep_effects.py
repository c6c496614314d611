"""A sweep's verdicts on hand-made trials: a run the search stopped early is compared with the best
configuration at the step it stopped, from the best's own evaluation there, interpolated between the
best's nearest evaluations (and said so), or not at all; the winner is never too low."""

from __future__ import annotations

import math

import pytest

from lrkit.report._data import landscape, loss_at
from lrkit.report._sweep_effects import config_effects
from lrkit.search import Space, SweepResult, TrialRecord
from lrkit.train import Evaluation, Recipe, RunResult

BUDGET = 300


def trial(number: int, lr: float, evaluations: dict[int, float], seed: int = 0, steps: int | None = None,
          diverged_at: int | None = None) -> TrialRecord:
    """A trial of Adam with cosine, evaluated at the given steps (steps: its last, unless given)."""
    steps = steps or max(evaluations)
    points = tuple(Evaluation(step, loss) for step, loss in sorted(evaluations.items()))
    run = RunResult("toy", Recipe("adam", lr, "cosine", seed=seed), BUDGET, steps, (0.5,) * steps,
                    (lr,) * steps, points, diverged_at, 0.0)
    state = "diverged" if diverged_at is not None else "complete" if steps == BUDGET else "pruned"
    return TrialRecord(number, state, {"optimizer": "adam", "schedule": "cosine", "plateau": None, "lr": lr,
                                       "seed": seed}, run)


def full(number: int, lr: float, end: float, seed: int = 0) -> TrialRecord:
    """A full run evaluated every 15 steps, its loss falling linearly from 1 to `end`."""
    falling = {step: 1 - (1 - end) * step / BUDGET for step in range(15, BUDGET + 1, 15)}
    return trial(number, lr, falling, seed)


def sweep_of(*trials: TrialRecord) -> SweepResult:
    return SweepResult("toy", "sha", Space(lr_range=(1e-4, 1.0)), "test", trials)


def effects_by_rate(result: SweepResult) -> dict[float, object]:
    return {effect.lr: effect for effect in config_effects(result)}


def test_a_run_stopped_before_the_bests_first_evaluation_is_not_compared():
    # The sweep: runs stopped at step 11, the winner evaluated at 15, 30, ...
    result = sweep_of(full(0, 0.0179, 0.2), full(1, 0.0179, 0.25, seed=1), trial(2, 1e-4, {11: 2.3}),
                      trial(3, 0.9, {11: 2.1}))
    effects = effects_by_rate(result)
    winner = effects[0.0179]
    assert winner.verdict == "winner" and winner.winner and winner.seeds == (0, 1)
    assert winner.val_loss == pytest.approx(0.225) and winner.losses == pytest.approx((0.2, 0.25))
    for lr in (1e-4, 0.9):
        assert effects[lr].verdict == "stopped" and effects[lr].compared_at is None
        assert effects[lr].detail == ("stopped by the search at step 11; lr 0.0179 has no evaluations around "
                                      "that step to compare with")


def test_a_run_stopped_between_the_bests_evaluations_is_compared_by_interpolation_and_says_so():
    result = sweep_of(full(0, 0.01, 0.2), trial(1, 0.001, {20: 0.99}))
    (slow,) = [e for e in config_effects(result) if e.lr == 0.001]
    best_at_20 = 1 - 0.8 * 20 / BUDGET  # on the line between the best's evaluations at 15 and 30
    assert slow.verdict == "good" and slow.compared_at == 20 and slow.interpolated
    gap = 100 * (0.99 / best_at_20 - 1)
    assert slow.detail.startswith(f"within {gap:.1f}% of lr 0.01 at step 20 on seed 0 (lr 0.01's loss there "
                                  "interpolated between its nearest evaluations)")
    assert slow.detail.endswith("; the search stopped it there")


def test_a_run_stopped_at_one_of_the_bests_evaluations_is_compared_there():
    result = sweep_of(full(0, 0.01, 0.2), trial(1, 0.001, {15: 1.5, 30: 1.4}))
    (slow,) = [e for e in config_effects(result) if e.lr == 0.001]
    assert slow.verdict == "slow" and slow.compared_at == 30 and not slow.interpolated
    best_at_30 = 1 - 0.8 * 30 / BUDGET
    assert slow.detail.startswith(f"too low: loss 1.4 at step 30 on seed 0, against {best_at_30:.4g} for "
                                  "lr 0.01")


def test_the_winner_is_the_best_mean_over_seeds_never_too_low_even_behind_a_lucky_seed():
    # lr 0.03 is lower than the winner on seed 0 but was never confirmed on seed 1.
    result = sweep_of(full(0, 0.01, 0.2), full(1, 0.01, 0.3, seed=1), full(2, 0.03, 0.15))
    assert result.winner.params["lr"] == 0.01 and result.best_val_loss == pytest.approx(0.25)
    effects = effects_by_rate(result)
    assert effects[0.01].verdict == "winner"
    assert effects[0.03].verdict == "good" and "fewer seeds" in effects[0.03].detail
    assert result.runner_up.params["lr"] == 0.03
    summary = result.summary()
    assert summary[0] == ("Winner: adam at lr 0.01 with schedule cosine: mean validation loss 0.25 over "
                          "seeds 0 and 1 (0.2, 0.3), trained in full (300 steps).")
    assert summary[1].startswith("Runner-up: adam at lr 0.03 with schedule cosine: validation loss 0.15 on "
                                 "seed 0. The winner was trained on 2 seeds and the runner-up on 1")
    assert summary[1].endswith("On seed 0 the winner ended at 0.2 and the runner-up at 0.15.")


def test_a_configuration_that_diverged_on_one_seed_is_diverged_and_ranks_last():
    blown = trial(2, 0.5, {15: 0.9}, seed=1, steps=20, diverged_at=20)
    result = sweep_of(full(0, 0.01, 0.2), full(1, 0.5, 0.18), blown)
    assert [c.state for c in result.configs()] == ["complete", "diverged"]
    effect = effects_by_rate(result)[0.5]
    assert effect.verdict == "diverged" and effect.detail == "the loss blew up at step 20 on seed 1"


def test_loss_at_reads_evaluations_of_every_run_of_a_seed():
    rung, whole = trial(0, 0.01, {7: 0.9, 14: 0.8}).run, full(1, 0.01, 0.2).run
    at = {e.step: e.val_loss for e in whole.evaluations}
    assert loss_at([rung, whole], 14) == (0.8, False)
    assert loss_at([rung, whole], 20) == (pytest.approx(at[15] + (at[30] - at[15]) * 5 / 15), True)
    assert loss_at([rung], 3) is None and loss_at([rung], 20) is None


def test_the_landscape_compares_every_rate_at_the_last_step_all_reached_from_real_evaluations():
    result = sweep_of(full(0, 0.01, 0.2), full(1, 0.01, 0.3, seed=1), trial(2, 0.1, {15: 0.7}),
                      trial(3, 1e4, {15: 5.0}, steps=16, diverged_at=16))
    (points,) = landscape(tuple(t.run for t in result.trials)).values()
    assert [p.lr for p in points] == [0.01, 0.1, 1e4]
    assert {p.step for p in points} == {15}
    assert points[0].seeds == 2 and points[0].val_loss == pytest.approx(1 - 0.75 * 15 / BUDGET)
    assert points[0].final_loss == pytest.approx(0.25) and points[0].full
    assert points[1].val_loss == 0.7 and not points[1].full
    assert points[2].val_loss == math.inf
