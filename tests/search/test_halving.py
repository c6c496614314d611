"""The one halving core of tune and sha: ranking (the lowest validation loss first, a near tie to
the lower rate of the same optimizer and schedule), who goes on at a rung, rescues, the policy."""

from __future__ import annotations

import dataclasses
import math

import pytest
from fake_runs import make_run
from hypothesis import given
from hypothesis import strategies as st

from lrkit.search._halving import places, ranked, rescues, settled, survivors
from lrkit.search._policy import SHA, TUNE, Policy, PolicyError
from lrkit.tune import TuneResult

CLIMBING = [2.0, 1.5, 1.2, 1.0, 0.9, 0.92, 0.95, 1.0, 1.1]  # lowest 0.9 at step 50, then up 22%


def test_a_lower_rate_within_the_tie_goes_first():
    # The wine task: momentum at 0.196 led 0.062 by 9% at the rung, on one seed.
    runs = {0: make_run(0.196, [0.06, 0.0513], optimizer="momentum"),
            1: make_run(0.062, [0.29, 0.056], optimizer="momentum"),
            2: make_run(0.0196, [0.68, 0.30], optimizer="momentum")}
    assert ranked(runs) == [1, 0, 2]


def test_a_lead_beyond_the_tie_stands():
    runs = {0: make_run(0.2, [0.5, 0.05]), 1: make_run(0.06, [0.6, 0.06])}
    assert ranked(runs) == [0, 1]


def test_rates_of_other_optimizers_or_schedules_are_not_weighed_against_each_other():
    runs = {0: make_run(0.2, [0.5, 0.050], optimizer="momentum"), 1: make_run(0.001, [0.6, 0.051]),
            2: make_run(0.01, [0.6, 0.052], optimizer="momentum", schedule="constant")}
    assert ranked(runs) == [0, 1, 2]


def test_the_lowest_rate_in_the_tie_wins_and_diverged_runs_drop_out():
    runs = {0: make_run(0.3, [0.5, 0.100]), 1: make_run(0.1, [0.6, 0.105]), 2: make_run(0.03, [0.7, 0.108]),
            3: make_run(0.01, [0.9, 0.5]), 4: make_run(1.0, [0.4, math.inf])}
    runs[4] = dataclasses.replace(runs[4], diverged_at=20)
    assert ranked(runs) == [2, 1, 0, 3]


@given(st.lists(st.tuples(st.sampled_from([0.001, 0.01, 0.1, 1.0]), st.sampled_from(["adam", "momentum"]),
                          st.floats(0.01, 10.0)), min_size=1, max_size=8))
def test_every_run_is_ranked_once_and_the_first_is_within_the_tie_of_the_lowest_loss(specs):
    runs = {key: make_run(lr, [loss], optimizer=optimizer) for key, (lr, optimizer, loss) in enumerate(specs)}
    order = ranked(runs)
    assert sorted(order) == sorted(runs)
    lowest = min(run.val_loss for run in runs.values())
    assert runs[order[0]].val_loss <= lowest * (1 + TUNE.tie)


def test_the_effect_table_and_summary_name_the_near_tie():
    winner = make_run(0.062, [0.3, 0.1, 0.07, 0.065, 0.062, 0.06, 0.058, 0.057, 0.056] + [0.055] * 18,
                      optimizer="momentum")
    ahead = make_run(0.196, [0.06, 0.119, 0.06, 0.049, 0.049, 0.05, 0.05, 0.051, 0.0513],
                     optimizer="momentum")
    result = TuneResult("wine", 2.0, 270, (), (ahead, winner), winner)
    verdicts = {effect.lr: (effect.verdict, effect.detail) for effect in result.effects}
    assert verdicts[0.062][0] == "best"
    assert verdicts[0.196] == ("good", "8% below lr 0.062 at step 90, a near tie on one seed: the lower rate "
                                       "ranks first")
    assert ("lr 0.196 was 8% ahead of lr 0.062 at step 90, on one seed: a lead under 10% goes to the lower "
            "rate, because rates near the edge of stability vary most from seed to seed.") in result.summary()


def test_another_schedule_replaces_the_winner_only_when_it_leads_by_more_than_the_tie():
    winner = make_run(0.01, [1.0] * 27)
    close, far = (make_run(0.01, [loss] * 27, schedule="constant") for loss in (0.95, 0.85))
    assert settled(winner, [close]) is winner
    assert settled(winner, [close, far]) is far
    summary = TuneResult("toy", 4.0, 270, (), (winner, close), winner).summary()
    assert ("constant at the same rate ended at 0.95, within 10% of the winner's 1 on one seed: the searched "
            "schedule stays, as a lead that small is as likely luck.") in summary


def test_a_full_run_that_overfit_and_lost_the_near_tie_is_explained_as_the_tie():
    winner = make_run(0.062, [0.3, 0.1, 0.07, 0.065] + [0.0578] * 23, optimizer="momentum")
    overfit = make_run(0.196, [0.06, 0.05, 0.0489] + [0.049 + 0.00018 * k for k in range(24)],
                       optimizer="momentum")
    result = TuneResult("wine", 3.0, 270, (), (overfit, winner), winner)
    assert [e.verdict for e in result.effects if e.lr == 0.196] == ["overfitting"]
    summary = result.summary()
    assert not any("in place of" in line for line in summary)  # both ran in full: no swap happened
    assert any(line.startswith("lr 0.196 was 8% ahead of lr 0.062 at step 270") for line in summary)


def test_each_optimizers_best_keeps_a_place_while_places_last():
    # Adam leads every momentum rate at the rung; momentum's best still goes on when there are two places.
    momentum = {"optimizer": "momentum"}
    runs = {0: make_run(0.01, [0.5, 0.30]), 1: make_run(0.003, [0.5, 0.40]), 2: make_run(0.03, [0.5, 0.45]),
            3: make_run(0.1, [0.9, 0.60], **momentum), 4: make_run(0.3, [0.9, 0.70], **momentum)}
    families = dataclasses.replace(TUNE, per_family=True)
    assert survivors(runs, 2, 20, families) == [0, 3]
    assert survivors(runs, 3, 20, families) == [0, 1, 3]
    assert survivors(runs, 1, 20, families) == [0]
    assert survivors(runs, 2, 20, dataclasses.replace(TUNE, per_family=False)) == [0, 1]


def test_a_twin_of_a_kept_run_takes_no_place():
    runs = {0: make_run(0.01, [0.5, 0.30]), 1: make_run(0.0105, [0.5, 0.301]), 2: make_run(0.1, [0.5, 0.4])}
    assert survivors(runs, 2, 20) == [0, 2]


@given(st.integers(1, 200), st.sampled_from([TUNE, SHA]), st.integers(1, 3))
def test_places_are_the_policys_share_rounded_up_and_never_fewer_than_asked(count, policy, least):
    kept = places(count, policy, least)
    assert kept >= least and kept >= count * policy.keep - 1e-9 and kept - 1 < max(least, count * policy.keep)


def test_an_overfitting_finalist_is_swapped_only_when_the_budget_pays_for_it():
    ended = {0: make_run(0.01, CLIMBING), 1: make_run(0.003, [2.0]), 2: make_run(0.03, [2.0, 1.9, 2.5])}
    extra = ended[0].steps - ended[1].steps
    assert rescues([0], ended, spare=extra) == {0: 1}
    assert rescues([0], ended, spare=extra - 1) == {}
    assert rescues([2], ended) == {}  # not overfitting


def test_the_policy_says_where_each_value_came_from_and_round_trips():
    assert all(line.split(" = ")[0] and ": " in line for line in TUNE.describe())
    assert "third" in SHA.source("keep") and SHA.keep == 1 / 3
    assert Policy.from_dict(SHA.to_dict()) == SHA
    assert Policy.from_dict({"tie": 0.2, "from_a_newer_version": 1}) == dataclasses.replace(TUNE, tie=0.2)


@pytest.mark.parametrize("changes, field", [({"keep": 0}, "keep"), ({"cool_down": -0.1}, "cool_down"),
                                            ({"tie": float("nan")}, "tie"), ({"climb": 0}, "climb"),
                                            ({"per_family": 1}, "per_family"), ({"rise": 0.9}, "rise")])
def test_a_policy_no_search_can_act_on_is_one_error_naming_the_field(changes, field):
    with pytest.raises(PolicyError, match=f"^Policy.{field} must be"):
        Policy(**changes)
    with pytest.raises(PolicyError):  # a result's JSON with such a value does not load either
        Policy.from_dict({**TUNE.to_dict(), **changes})
