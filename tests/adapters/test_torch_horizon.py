"""`LRSchedule.retarget`: a run resumed with a longer or shorter horizon continues its schedule from
the current rate, without a jump, reaches the final rate at the new end and holds it after."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim.lr_scheduler import OneCycleLR

from lrkit.adapters.torch import LRSchedule
from lrkit.schedules import ScheduleError, cosine, parse

COSINE = "cosine(lr=0.3, steps=1000, min_lr=0.003)"


def _optimizer() -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.3, momentum=0.9)


def _rates(optimizer: torch.optim.Optimizer, scheduler: LRSchedule, n: int) -> np.ndarray:
    """The rate of each of the next n updates."""
    rates = []
    for _ in range(n):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(rates)


def _resumed(spec: str, stop: int, total: int, tmp_path) -> tuple[np.ndarray, LRSchedule]:
    """Rates of a run of `spec` stopped after `stop` updates, saved, and resumed to end at `total`
    (plus 100 updates past it)."""
    optimizer = _optimizer()
    scheduler = LRSchedule(optimizer, spec)
    before = _rates(optimizer, scheduler, stop)
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, tmp_path / "ckpt")
    state = torch.load(tmp_path / "ckpt", weights_only=True)
    optimizer = _optimizer()
    scheduler = LRSchedule(optimizer, state["scheduler"]["schedule"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    scheduler.retarget(total)
    return np.concatenate([before, _rates(optimizer, scheduler, total - stop + 100)]), scheduler


@pytest.mark.parametrize("total", [1500, 700])
def test_a_resumed_cosine_continues_without_a_jump_to_the_new_end(tmp_path, total):
    schedule = parse(COSINE)
    rates, _ = _resumed(COSINE, 500, total, tmp_path)
    assert rates[:501].tolist() == schedule.values(501).tolist()  # unchanged up to the resume point
    normal = np.abs(np.diff(schedule.values(1001))).max()
    stretch = max(1.0, (1000 - 500) / (total - 500))  # a shorter run must decay faster
    assert np.abs(np.diff(rates[498:503])).max() <= normal * stretch * (1 + 1e-9)
    assert (np.diff(rates) <= 1e-15).all()  # still decays, never rises
    assert rates[total] == schedule(1000) and (rates[total:] == schedule(1000)).all()
    naive = cosine(0.3, total, 0.003)(500)  # building the new horizon and loading the step instead
    assert abs(naive - schedule(500)) > 50 * normal


def test_warmup_not_finished_is_stretched_too_and_the_peak_is_kept(tmp_path):
    spec = "warmup(100) >> cosine(lr=0.3, steps=900, min_lr=0.003)"
    rates, _ = _resumed(spec, 40, 2000, tmp_path)
    assert rates[40] == parse(spec)(40)
    peak_at = 40 + (100 - 40) * (2000 - 40) / (1000 - 40)  # the peak (step 100 of 1000) moves here
    assert abs(rates.argmax() - peak_at) <= 1
    assert rates.max() == pytest.approx(0.3, rel=1e-6)  # the peak falls between two whole steps
    assert rates[2000] == pytest.approx(0.003, rel=1e-12)


def test_past_the_end_it_holds_where_torchs_one_cycle_raises(tmp_path):
    optimizer = _optimizer()
    one_cycle = OneCycleLR(optimizer, max_lr=0.3, total_steps=100)
    for _ in range(100):
        optimizer.step()
        one_cycle.step()
    optimizer.step()
    with pytest.raises(ValueError, match="total steps"):
        one_cycle.step()
    spec = "one_cycle(max_lr=0.3, steps=100)"
    rates, _ = _resumed(spec, 60, 80, tmp_path)  # squeezed, then 100 steps past the new end
    assert rates[60] == parse(spec)(60)
    assert (rates[80:] == parse(spec)(100)).all() and rates[79] > rates[80]


def test_a_retarget_survives_save_and_load_and_can_be_repeated(tmp_path):
    schedule = parse(COSINE)
    optimizer = _optimizer()
    scheduler = LRSchedule(optimizer, COSINE)
    _rates(optimizer, scheduler, 300)
    scheduler.retarget(1200)
    first = _rates(optimizer, scheduler, 300)  # now at step 600 of 1200
    torch.save(scheduler.state_dict(), tmp_path / "s")
    resumed = LRSchedule(_optimizer(), COSINE)
    resumed.load_state_dict(torch.load(tmp_path / "s", weights_only=True))
    assert [resumed.rate_at(k) for k in range(1300)] == [scheduler.rate_at(k) for k in range(1300)]
    resumed.retarget(900)  # shorter again, from step 600
    assert resumed.rate_at(600) == scheduler.rate_at(600)
    assert resumed.rate_at(900) == schedule(1000)
    assert [resumed.rate_at(k) for k in range(600)] == [scheduler.rate_at(k) for k in range(600)]
    assert first[0] == schedule(300)


def test_schedules_without_an_end_and_horizons_in_the_past_are_refused():
    optimizer = _optimizer()
    with pytest.raises(ScheduleError, match="never ends"):
        LRSchedule(optimizer, "exponential(0.1, gamma=0.99)").retarget(100)
    scheduler = LRSchedule(_optimizer(), COSINE)
    for _ in range(10):
        scheduler.optimizer.step()
        scheduler.step()
    with pytest.raises(ScheduleError, match="current step 10"):
        scheduler.retarget(10)
    with pytest.raises(TypeError):
        scheduler.retarget(12.5)  # type: ignore[arg-type]


def test_a_retargeted_state_needs_the_schedule_it_was_made_for():
    scheduler = LRSchedule(_optimizer(), COSINE)
    scheduler.retarget(2000)
    other = LRSchedule(_optimizer(), "cosine(lr=0.3, steps=2000)")
    with pytest.raises(ScheduleError, match="saved spec"):
        other.load_state_dict(scheduler.state_dict())


@settings(max_examples=60, deadline=None)
@given(
    spec=st.sampled_from([COSINE, "linear(0.5, 0.01, steps=300)", "multistep(0.1, [30, 60], steps=90)",
                          "warmup(10) >> polynomial(0.2, steps=50, power=2.0)", "one_cycle(0.4, steps=64)"]),
    at_fraction=st.floats(0.0, 1.2),
    new_fraction=st.floats(0.05, 3.0),
)
def test_any_retarget_keeps_the_rate_at_the_resume_point_and_ends_on_the_final_rate(
    spec, at_fraction, new_fraction
):
    schedule = parse(spec)
    length = schedule.length
    at = int(at_fraction * length)
    total = at + max(1, int(new_fraction * length))
    scheduler = LRSchedule(_optimizer(), spec)
    scheduler.last_epoch = at
    scheduler.retarget(total)
    assert scheduler.rate_at(at) == schedule(at)
    assert [scheduler.rate_at(k) for k in range(at)] == schedule.values(at).tolist()
    assert scheduler.rate_at(total) == pytest.approx(schedule(length), rel=1e-12)
    assert scheduler.rate_at(total + 17) == pytest.approx(schedule(length), rel=1e-12)
    low, high = schedule.bounds()
    assert all(low * (1 - 1e-12) <= scheduler.rate_at(k) <= high * (1 + 1e-12) for k in range(at, total))
