"""How tune spends a budget: the plan never costs more than the budget buys, and 1 is one run."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrkit.search import Policy
from lrkit.search._policy import TUNE
from lrkit.tune import TuneError, make_plan
from lrkit.tune._plan import halving_cost


@given(steps=st.integers(27, 5000), budget=st.floats(2.0, 12.0), cool_down=st.sampled_from([0.0, 0.1, 0.25]))
def test_a_searching_plan_fits_its_budget(steps, budget, cool_down):
    plan = make_plan(steps, budget, policy=Policy(cool_down=cool_down))
    finders = len(plan.optimizers) * plan.finder_steps / steps
    candidates = len(plan.optimizers) * len(plan.multipliers)
    searched = halving_cost(candidates, plan.rungs, plan.keep, steps)
    # Cool-down branches are paid from what the search leaves, never beyond the budget.
    branches = sum(alive * branch for alive, branch in zip((candidates, *plan.keep), plan.cool_steps))
    searched += branches / steps
    assert all(0 <= branch <= round(cool_down * rung) for branch, rung in zip(plan.cool_steps, plan.rungs))
    assert finders + searched + len(plan.alternatives) <= budget + 1e-9
    # What is left pays for rescues; one rescue (a rate stopped at the first rung finished in
    # place of a finalist stopped at the last) is paid even when it overspends.
    one_rescue = plan.rungs[-2] - plan.rungs[0] if len(plan.rungs) > 1 else 0  # none without a search
    assert plan.rescue_steps >= one_rescue
    assert finders + searched + len(plan.alternatives) + plan.rescue_steps / steps \
        <= max(budget, finders + searched + len(plan.alternatives) + one_rescue / steps) + 1e-9
    assert plan.rungs[-1] == steps and all(rung % plan.eval_every == 0 for rung in plan.rungs[:-1])
    assert list(plan.rungs) == sorted(set(plan.rungs))


@given(steps=st.integers(2, 5000), budget=st.floats(1.0, 1.49))
def test_budget_one_is_a_range_test_and_one_run_at_its_suggestion(steps, budget):
    plan = make_plan(steps, budget)
    assert plan.optimizers == ("adam",) and plan.multipliers == (TUNE.single_run_scale,)
    assert plan.rungs == (steps,)
    assert plan.alternatives == ()


def test_more_budget_buys_finalists_then_other_schedules():
    two, three, four = (make_plan(300, b) for b in (2, 3, 4))
    assert two.keep[-1] == 1 and three.keep[-1] == 2
    # A wsd search's constant schedule is the winner's trunk run on to the end, when the policy asks
    # for it and what is left pays for it; never a fresh full run.
    assert two.alternatives == three.alternatives == () and four.alternatives == ("cosine",)
    assert three.continue_trunk and four.continue_trunk
    assert not two.continue_trunk  # its decay's 60 steps are more than the 31 left at budget 2
    assert not make_plan(300, 3, policy=Policy(continue_trunk=False)).continue_trunk
    assert two.decay_steps == three.decay_steps == 60


def test_halving_cost_counts_resumed_steps_once():
    # 8 runs to 10 steps, 4 of them on to 30, 2 on to 100: 80 + 80 + 140 steps.
    assert halving_cost(8, (10, 30, 100), (4, 2), 100) == pytest.approx(3.0)


@pytest.mark.parametrize("budget", [0.5, float("nan"), float("inf"), True, "2"])
def test_a_bad_budget_is_one_clear_error(budget):
    with pytest.raises(TuneError, match="budget must be at least 1"):
        make_plan(300, budget)


def test_unknown_optimizer_or_schedule_names_the_choices():
    with pytest.raises(TuneError, match="optimizer 'adamm' is unknown"):
        make_plan(300, 2, optimizers=("adamm",))
    with pytest.raises(TuneError, match="unknown schedule 'cosin'"):
        make_plan(300, 2, schedules=("cosin",))


def test_cool_downs_are_paid_from_the_last_cut_back():
    plan = make_plan(300, 2, policy=Policy(cool_down=0.1))
    assert plan.rungs == (11, 33, 99, 300) and plan.keep == (4, 2, 1)
    # 2 runs x 10 steps at the last cut fit the 31 steps left; 4 x 3 at the middle one do not; 8 x 1 do.
    assert plan.cool_steps == (1, 0, 10)
    assert make_plan(300, 2).cool_steps == (0, 7, 0)  # 0.2: 2 x 20 do not fit, 4 x 7 do, then 8 x 2 do not
    assert make_plan(300, 2, policy=Policy(cool_down=0.0)).cool_steps == (0, 0, 0)
