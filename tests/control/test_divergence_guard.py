"""DivergenceGuard on real torch models: a run that diverges finishes, restores are exact, the lower
rate outlives restores and scheduler steps of every kind, and the guard stops when recovery fails."""

from __future__ import annotations

import copy
import json
import math
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.functional import mse_loss
from torch.optim.lr_scheduler import CosineAnnealingLR, CyclicLR, OneCycleLR, StepLR

from lrkit.adapters.torch import LRSchedule
from lrkit.control import ControllerError, DivergenceError, DivergenceGuard, GuardEvent
from lrkit.errors import LrkitError
from lrkit.schedules import parse

NAN = float("nan")


def _mlp() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1))


def _regression(steps: int, lr: float, guard_options: dict | None) -> tuple[float, DivergenceGuard | None]:
    """SGD with momentum on a small regression; returns the final full-data loss and the guard.
    Without a guard the run ends at its first non-finite batch loss, which it returns."""
    torch.manual_seed(0)
    x = torch.randn(512, 8)
    y = torch.tanh(x @ torch.randn(8, 1)) + 0.1 * torch.randn(512, 1)
    model = _mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    guard = None if guard_options is None else DivergenceGuard(model, optimizer, **guard_options)
    for step in range(steps):
        batch = slice(step * 32 % 512, step * 32 % 512 + 32)
        loss = mse_loss(model(x[batch]), y[batch])
        if guard is None and not math.isfinite(loss.item()):
            return loss.item(), None
        if guard is not None and guard.check(loss):
            continue
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return mse_loss(model(x), y).item(), guard


@pytest.fixture
def one_thread():
    """Small models train several times faster on one thread than on torch's default."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.usefixtures("one_thread")
def test_a_diverging_run_finishes_with_the_guard_and_not_without() -> None:
    without, _ = _regression(200, lr=1.0, guard_options=None)
    assert not math.isfinite(without)
    seen: list[GuardEvent] = []
    final, guard = _regression(200, lr=1.0, guard_options={"snapshot_every": 10, "callback": seen.append})
    assert math.isfinite(final) and final < 0.1, final
    assert guard.events and seen == guard.events
    assert all(event.action == "restore" for event in guard.events)
    assert guard.lr_scale == 0.5 ** len(guard.events)
    first = guard.events[0]
    assert first.snapshot_step == 0 and first.lr_scale == 0.5
    assert str(first).startswith(f"step {first.step}: loss ")


def _adam_setup(**options) -> tuple[torch.nn.Module, torch.optim.Optimizer, DivergenceGuard]:
    torch.manual_seed(1)
    model = _mlp()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    return model, optimizer, DivergenceGuard(model, optimizer, **options)


def _train(model: torch.nn.Module, optimizer: torch.optim.Optimizer, guard: DivergenceGuard, steps: int):
    for _ in range(steps):
        loss = mse_loss(model(torch.ones(4, 8)), torch.zeros(4, 1))
        assert not guard.check(loss)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def _assert_same_tensors(actual: dict, expected: dict) -> None:
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, dict):
            _assert_same_tensors(actual[key], value)
        else:
            assert torch.equal(torch.as_tensor(actual[key]), torch.as_tensor(value)), key


@pytest.mark.parametrize("on_disk", [False, True])
def test_a_restore_brings_back_exactly_the_snapshot(on_disk: bool, tmp_path) -> None:
    directory = tmp_path / "snapshots" if on_disk else None
    model, optimizer, guard = _adam_setup(snapshot_every=3, warmup=0, snapshot_dir=directory)
    _train(model, optimizer, guard, 3)
    # The check at step 3 snapshots the state it judged, before that step's update.
    weights, moments = copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())
    _train(model, optimizer, guard, 3)
    if on_disk:
        assert (directory / "snapshot.pt").is_file()
    for restores in (1, 2):  # the snapshot survives the training between its restores
        assert guard.check(NAN)
        _assert_same_tensors(model.state_dict(), weights)
        _assert_same_tensors(optimizer.state_dict()["state"], moments["state"])
        assert optimizer.param_groups[0]["lr"] == pytest.approx(1e-2 * 0.5**restores)
        assert all(p.grad is None or not p.grad.any() for p in model.parameters())
        _train(model, optimizer, guard, 1)
    assert [(e.step, e.snapshot_step, e.reason) for e in guard.events] == [(6, 3, "nan"), (8, 3, "nan")]


def _lrkit(optimizer: torch.optim.Optimizer, lr: float) -> LRSchedule:
    return LRSchedule(optimizer, parse(f"warmup(5) >> cosine(lr={lr}, steps=60, min_lr={lr / 100})"))


SCHEDULERS = {
    "lrkit": _lrkit,
    "cosine": lambda optimizer, lr: CosineAnnealingLR(optimizer, T_max=60),
    "step": lambda optimizer, lr: StepLR(optimizer, step_size=7, gamma=0.5),
    "one_cycle": lambda optimizer, lr: OneCycleLR(optimizer, max_lr=lr, total_steps=80),
    "cyclic": lambda optimizer, lr: CyclicLR(optimizer, base_lr=lr / 10, max_lr=lr, step_size_up=9),
    "none": lambda optimizer, lr: None,
}


def _stepped(factory, lr: float, steps: int) -> tuple[torch.optim.Optimizer, object]:
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=lr)
    scheduler = factory(optimizer, lr)
    for _ in range(steps):
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    return optimizer, scheduler


@pytest.mark.parametrize("on_disk", [False, True])
@pytest.mark.parametrize("kind", list(SCHEDULERS))
def test_the_lower_rate_outlives_scheduler_steps(kind: str, on_disk: bool, tmp_path) -> None:
    factory = SCHEDULERS[kind]
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    scheduler = factory(optimizer, 0.1)
    guard = DivergenceGuard(
        torch.nn.Linear(2, 1),
        optimizer,
        scheduler,
        snapshot_every=5,
        warmup=0,
        snapshot_dir=tmp_path if on_disk else None,
    )
    for _ in range(12):  # snapshots at checks 5 and 10
        assert not guard.check(1.0)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    assert guard.check(math.inf) and guard.check(torch.tensor(NAN))
    # Twice back to check 10: from there on, the same run as one at a quarter of the rate.
    reference, reference_scheduler = _stepped(factory, 0.025, 10)
    for _ in range(30):
        assert optimizer.param_groups[0]["lr"] == pytest.approx(reference.param_groups[0]["lr"], rel=1e-9)
        if scheduler is not None:
            assert scheduler.get_last_lr() == pytest.approx(reference_scheduler.get_last_lr(), rel=1e-9)
        for opt, sched in ((optimizer, scheduler), (reference, reference_scheduler)):
            opt.step()
            if sched is not None:
                sched.step()
    assert guard.lr_scale == 0.25


def test_the_guard_state_is_not_rolled_back_with_the_scheduler() -> None:
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    scheduler = _lrkit(optimizer, 0.1)
    guard = DivergenceGuard(torch.nn.Linear(2, 1), optimizer, scheduler, lr_factor=0.1)
    for _ in range(3):
        assert guard.check(NAN)
    assert guard.lr_scale == pytest.approx(1e-3)
    assert scheduler.scale == pytest.approx(1e-3)
    assert scheduler.state_dict()["scale"] == pytest.approx(1e-3)


def test_after_max_recoveries_in_a_row_it_stops_with_a_clear_message() -> None:
    _, optimizer, guard = _adam_setup(max_recoveries=2)
    assert guard.check(NAN) and guard.check(torch.tensor(math.inf))
    with pytest.raises(DivergenceError) as info:
        guard.check(NAN)
    message = str(info.value)
    assert isinstance(info.value, LrkitError) and "\n" not in message
    assert message == (
        "training diverged at step 2: loss nan is NaN after 2 recoveries from the snapshot of step 0 "
        "(rate lowered to x0.25, max_recoveries=2); start again with a lower learning rate, a smaller "
        "lr_factor or more max_recoveries"
    )
    assert [e.action for e in guard.events] == ["restore", "restore", "stop"]
    assert optimizer.param_groups[0]["lr"] == pytest.approx(2.5e-3)


def test_a_new_snapshot_resets_the_count_in_a_row() -> None:
    _, _, guard = _adam_setup(max_recoveries=1, snapshot_every=2, warmup=0)
    assert guard.check(NAN)
    for loss in (1.0, 1.0, 1.0):  # checks 1-3: check 3 is 2 after the restore, a snapshot
        assert not guard.check(loss)
    assert guard.check(NAN)
    with pytest.raises(DivergenceError, match="1 recoveries"):
        guard.check(NAN)
    assert [e.snapshot_step for e in guard.events] == [0, 3, 3]


def test_spikes_count_after_warmup_and_a_slow_climb_is_caught() -> None:
    _, _, guard = _adam_setup(warmup=3)
    for loss in (1.0, 50.0, 1.0, 1.0, 3.9):  # 50 is still in warmup; 3.9 < 4 x the level
        assert not guard.check(loss)
    _, _, strict = _adam_setup(warmup=3, max_recoveries=0)
    for loss in (1.0, 1.0, 1.0):
        assert not strict.check(loss)
    with pytest.raises(DivergenceError) as info:
        strict.check(40.0)
    assert str(info.value).startswith(
        "training diverged at step 3: loss 40 is over 4x its smoothed level 1 and max_recoveries=0 "
        "allows no recovery; "
    )
    assert str(info.value).endswith("; if such jumps are normal for this loss, raise spike_factor")
    # Growing 1.4x a step, the loss stays 1.29x its moving average (weight 0.5), never 4x; it is
    # caught at 4x the average the snapshot of check 5 kept.
    _, _, guard = _adam_setup(warmup=0, snapshot_every=5, smoothing=0.5)
    restored_at = next(step for step in range(30) if guard.check(1.4**step))
    assert restored_at == 9
    assert guard.events[0].reason == "spike" and guard.events[0].snapshot_step == 5


def test_negative_losses_and_spike_factor_none_never_spike() -> None:
    for losses, options in (([-1.0, -0.1, 5.0], {}), ([1.0, 1e6, 1e30], {"spike_factor": None})):
        _, _, guard = _adam_setup(warmup=0, **options)
        assert not any(guard.check(loss) for loss in losses)


def test_a_loss_that_requires_grad_is_read_without_a_warning() -> None:
    model, _, guard = _adam_setup()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not guard.check(model(torch.ones(1, 8)).sum())


def test_state_dict_round_trips_through_json() -> None:
    model, optimizer, guard = _adam_setup(warmup=0, snapshot_every=2)
    for loss in (2.0, 1.0, NAN, 1.5):
        guard.check(loss)
    state = json.loads(json.dumps(guard.state_dict()))
    resumed = DivergenceGuard(model, optimizer, warmup=0, snapshot_every=2)
    resumed.load_state_dict(state)
    assert resumed.state_dict() == guard.state_dict() == state
    assert resumed.lr_scale == 0.5
    assert resumed.check(NAN) and resumed.events[0].snapshot_step == 4  # the snapshot taken at load
    assert resumed.lr_scale == 0.25


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lr_scale": 0.0}, "lr_scale"),
        ({"level": math.inf}, "level"),
        ({"seen": -1}, "seen"),
        ({"x": 1}, "state"),
    ],
)
def test_a_bad_state_is_refused(change: dict, field: str) -> None:
    _, _, guard = _adam_setup()
    with pytest.raises(ControllerError, match=f"^{field}="):
        guard.load_state_dict({**guard.state_dict(), **change})


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"snapshot_every": 0}, "snapshot_every"),
        ({"spike_factor": 1.0}, "spike_factor"),
        ({"smoothing": 1.0}, "smoothing"),
        ({"warmup": -1}, "warmup"),
        ({"lr_factor": 1.0}, "lr_factor"),
        ({"max_recoveries": 1.5}, "max_recoveries"),
        ({"scheduler": object()}, "scheduler"),
    ],
)
def test_bad_parameters_are_refused(options: dict, field: str) -> None:
    model = torch.nn.Linear(2, 1)
    with pytest.raises(ControllerError, match=f"^{field}="):
        DivergenceGuard(model, torch.optim.SGD(model.parameters(), lr=0.1), **options)
    with pytest.raises(ControllerError, match=r"^optimizer="):
        DivergenceGuard(model, model)


_MODEL = torch.nn.Linear(2, 1)


@settings(max_examples=60, deadline=None)
@given(
    level=st.floats(1e-3, 1e3),
    spread=st.floats(1.0, 4.0),
    fractions=st.lists(st.floats(0.0, 1.0), max_size=80),
    smoothing=st.floats(0.0, 0.99),
    warmup=st.integers(0, 5),
)
def test_finite_losses_within_the_spike_factor_never_restore(
    level: float, spread: float, fractions: list[float], smoothing: float, warmup: int
) -> None:
    # Every loss lies in [level, level * spread] with spread <= spike_factor, so none is a spike.
    optimizer = torch.optim.SGD(_MODEL.parameters(), lr=0.1)
    guard = DivergenceGuard(_MODEL, optimizer, smoothing=smoothing, warmup=warmup, snapshot_every=7)
    assert not any(guard.check(level * (1 + f * (spread - 1))) for f in fractions)
    assert guard.events == [] and guard.lr_scale == 1.0 and optimizer.param_groups[0]["lr"] == 0.1
