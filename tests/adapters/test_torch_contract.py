"""LRSchedule under the contract torch's own schedulers keep, scenario by scenario (the scenarios of
torch's test/optim/test_lrscheduler.py): each runs once with torch's scheduler and once with the
LRSchedule whose spec gives the same rates, on the same kind of optimizer, and the two are compared.

Where lrkit differs on purpose, a `test_differs_*` test checks what docs/torch-adapter.md says it
does; that page's table of differences names each of those tests.
"""

from __future__ import annotations

import copy
import gc
import io
import pickle
import re
import warnings
import weakref
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch.optim import SGD
from torch.optim.lr_scheduler import (
    EPOCH_DEPRECATION_WARNING,
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    SequentialLR,
    StepLR,
)

from lrkit.adapters.torch import LRSchedule
from lrkit.schedules import ScheduleError, parse

DOC = Path(__file__).parents[2] / "docs" / "torch-adapter.md"

# torch's scheduler and the lrkit spec with the same rates, on `_optimizer()` (default rate 0.05).
PAIRS: dict[str, tuple[Callable[..., LRScheduler], str]] = {
    "StepLR": (lambda o, **k: StepLR(o, step_size=3, gamma=0.1, **k), "step(0.05, step_size=3, gamma=0.1)"),
    "MultiStepLR": (
        lambda o, **k: MultiStepLR(o, milestones=[2, 5, 9], gamma=0.1, **k),
        "multistep(0.05, milestones=[2, 5, 9], gamma=0.1)",
    ),
    "ExponentialLR": (lambda o, **k: ExponentialLR(o, gamma=0.9, **k), "exponential(0.05, gamma=0.9)"),
    "CosineAnnealingLR": (lambda o, **k: CosineAnnealingLR(o, T_max=20, **k), "cosine(0.05, steps=20)"),
    "LambdaLR": (lambda o, **k: LambdaLR(o, lambda e: 0.9**e, **k), "exponential(0.05, gamma=0.9)"),
}
# torch's schedulers that update each group's current rate (LambdaLR computes from base_lrs).
CHAINABLE = ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR"]
STEPS = 20


def _optimizer(tensor: bool = False) -> SGD:
    """Two groups, the second at 10x the default rate (as in torch's tests); its rate a float32
    tensor with `tensor`."""
    second = torch.tensor(0.5) if tensor else 0.5
    return SGD(
        [{"params": [torch.nn.Parameter(torch.zeros(2))]},
         {"params": [torch.nn.Parameter(torch.zeros(2))], "lr": second}],
        lr=0.05,
    )


def _both(
    name: str, tensor: bool = False, **kwargs
) -> tuple[tuple[SGD, LRScheduler], tuple[SGD, LRSchedule]]:
    """(optimizer, torch's scheduler) and (optimizer, LRSchedule) for the pair `name`."""
    make, spec = PAIRS[name]
    torch_optimizer, lrkit_optimizer = _optimizer(tensor), _optimizer(tensor)
    return (
        (torch_optimizer, make(torch_optimizer)),
        (lrkit_optimizer, LRSchedule(lrkit_optimizer, spec, **kwargs)),
    )


def _lrs(optimizer: torch.optim.Optimizer) -> list[float]:
    return [float(group["lr"]) for group in optimizer.param_groups]


def _rates(optimizer: torch.optim.Optimizer, scheduler: LRScheduler, n: int) -> list[list[float]]:
    """Every group's rate in each of the next n updates, each followed by `scheduler.step()`."""
    rates = []
    for _ in range(n):
        rates.append(_lrs(optimizer))
        optimizer.step()
        scheduler.step()
    return rates


def _run(make: Callable[[SGD], LRScheduler], n: int) -> list[list[float]]:
    """The rates of n updates from a fresh `_optimizer()` and `make(optimizer)`."""
    optimizer = _optimizer()
    return _rates(optimizer, make(optimizer), n)


def _assert_close(actual: list[list[float]], expected: list[list[float]], rel: float = 1e-9) -> None:
    assert len(actual) == len(expected)
    for step, (got, want) in enumerate(zip(actual, expected)):
        assert got == pytest.approx(want, rel=rel, abs=1e-15), f"step {step}"


def _saved(optimizer: torch.optim.Optimizer, scheduler: LRScheduler) -> dict:
    """Both state dicts through torch.save and torch.load(weights_only=True), as a checkpoint."""
    buffer = io.BytesIO()
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


# -- construction -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAIRS)
def test_construction_sets_initial_lr_last_epoch_and_the_first_rate_like_torch(name):
    (torch_optimizer, reference), (optimizer, scheduler) = _both(name)
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.05, 0.5]
    assert [g["initial_lr"] for g in torch_optimizer.param_groups] == [0.05, 0.5]
    assert scheduler.base_lrs == reference.base_lrs == [0.05, 0.5]
    assert scheduler.last_epoch == reference.last_epoch == 0
    assert scheduler._step_count == reference._step_count == 1
    assert scheduler.get_last_lr() == pytest.approx(reference.get_last_lr(), rel=1e-12)
    assert _lrs(optimizer) == pytest.approx(_lrs(torch_optimizer), rel=1e-12)


@pytest.mark.parametrize("name", PAIRS)
def test_built_with_last_epoch_on_a_loaded_optimizer_it_takes_up_the_rate_like_torch(name):
    """torch's test_lr_scheduler_checkpoint: one update, then a new scheduler with last_epoch=0 on
    an optimizer loaded from the first one's state."""
    (torch_optimizer, reference), (optimizer, scheduler) = _both(name)
    for first, sched in ((torch_optimizer, reference), (optimizer, scheduler)):
        first.step()
        sched.step()
    make, spec = PAIRS[name]
    torch_resumed, lrkit_resumed = _optimizer(), _optimizer()
    torch_resumed.load_state_dict(torch_optimizer.state_dict())
    lrkit_resumed.load_state_dict(optimizer.state_dict())
    torch_scheduler = make(torch_resumed, last_epoch=0)
    lrkit_scheduler = LRSchedule(lrkit_resumed, spec, last_epoch=0)
    assert lrkit_scheduler.last_epoch == torch_scheduler.last_epoch == 1
    assert lrkit_scheduler.get_last_lr() == pytest.approx(_lrs(optimizer), rel=1e-12)
    assert lrkit_scheduler.get_last_lr() == pytest.approx(torch_scheduler.get_last_lr(), rel=1e-9)


# -- rates, param groups, get_last_lr -----------------------------------------------------------


@pytest.mark.parametrize("tensor", [False, True], ids=["float", "tensor"])
@pytest.mark.parametrize("name", PAIRS)
def test_every_group_and_get_last_lr_follow_torch_step_by_step(name, tensor):
    (torch_optimizer, reference), (optimizer, scheduler) = _both(name, tensor)
    held = optimizer.param_groups[1]["lr"]
    rel = 1e-6 if tensor else 1e-9  # a float32 tensor holds the rate to float32 precision
    expected, actual, expected_last, actual_last = [], [], [], []
    for _ in range(STEPS):
        expected.append(_lrs(torch_optimizer))
        actual.append(_lrs(optimizer))
        for opt, sched in ((torch_optimizer, reference), (optimizer, scheduler)):
            opt.step()
            sched.step()
        expected_last.append([float(lr) for lr in reference.get_last_lr()])
        actual_last.append(scheduler.get_last_lr())
    _assert_close(actual, expected, rel)
    _assert_close(actual_last, expected_last, rel)
    if tensor:  # written in place, as torch does: a compiled step that reads it sees the new rate
        assert optimizer.param_groups[1]["lr"] is held


def test_state_dict_survives_torch_save_with_weights_only_and_loads():
    """torch's test_lr_scheduler_state_dict_load, and _check_scheduler_state_dict with the same spec."""
    optimizer = _optimizer()
    scheduler = LRSchedule(optimizer, PAIRS["MultiStepLR"][1])
    _rates(optimizer, scheduler, 7)
    state = _saved(optimizer, scheduler)["scheduler"]
    assert state == scheduler.state_dict()
    other = LRSchedule(_optimizer(), PAIRS["MultiStepLR"][1])
    other.load_state_dict(state)
    assert other.state_dict() == state
    assert other.get_last_lr() == scheduler.get_last_lr()


# -- resuming -----------------------------------------------------------------------------------


def _resumed_rates(
    make: Callable[[SGD], LRScheduler], order: str, save_at: int, total: int
) -> list[list[float]]:
    """Rates of `total` updates, saved after `save_at` and resumed in fresh objects, either torch's
    documented order (scheduler built, then both states loaded) or the common one (optimizer state
    loaded, then the scheduler built and its state loaded)."""
    optimizer = _optimizer()
    scheduler = make(optimizer)
    rates = _rates(optimizer, scheduler, save_at)
    state = _saved(optimizer, scheduler)
    optimizer = _optimizer()
    if order == "scheduler first":
        scheduler = make(optimizer)
        optimizer.load_state_dict(state["optimizer"])
    else:
        optimizer.load_state_dict(state["optimizer"])
        scheduler = make(optimizer)
    scheduler.load_state_dict(state["scheduler"])
    return rates + _rates(optimizer, scheduler, total - save_at)


@pytest.mark.parametrize("save_at", [1, 7])
@pytest.mark.parametrize("order", ["scheduler first", "optimizer first"])
@pytest.mark.parametrize("name", [*CHAINABLE, "LambdaLR"])
def test_a_resumed_run_equals_an_uninterrupted_one_in_either_order(name, order, save_at):
    make, spec = PAIRS[name]
    lrkit = lambda o: LRSchedule(o, spec)  # noqa: E731
    uninterrupted = _run(lrkit, STEPS)
    assert _resumed_rates(lrkit, order, save_at, STEPS) == uninterrupted
    if name in CHAINABLE or order == "scheduler first":  # where torch's own scheduler resumes
        _assert_close(_resumed_rates(make, order, save_at, STEPS), uninterrupted)


def test_differs_a_closed_form_torch_scheduler_restarts_when_the_optimizer_is_loaded_first():
    """torch's LambdaLR built on a loaded optimizer writes lambda(0) and its load_state_dict leaves
    the rate: the first update after resuming runs at the start rate. LinearLR multiplies the loaded
    rate by start_factor at construction, for good. LRSchedule puts the saved rate back (and a
    warmup resumes mid-way, not at 0)."""
    make = PAIRS["LambdaLR"][0]
    uninterrupted = _run(make, STEPS)
    torch_resumed = _resumed_rates(make, "optimizer first", 7, STEPS)
    assert torch_resumed[7] == pytest.approx([0.05, 0.5])  # lambda(0), where the run had decayed
    assert uninterrupted[7] == pytest.approx([0.05 * 0.9**7, 0.5 * 0.9**7])
    assert torch_resumed[8:] == uninterrupted[8:]
    ramp = lambda o: LinearLR(o, start_factor=0.1, total_iters=5)  # noqa: E731
    _assert_close(_resumed_rates(ramp, "optimizer first", 7, 10)[7:], [[0.005, 0.05]] * 3)  # 0.1x
    warm = "warmup(10) >> cosine(0.1, steps=90)"
    lrkit = lambda o: LRSchedule(o, warm)  # noqa: E731
    resumed = _resumed_rates(lrkit, "optimizer first", 7, STEPS)
    assert resumed == _run(lrkit, STEPS)
    assert resumed[7][0] == parse(warm)(7) > 0


# -- param groups added later -------------------------------------------------------------------


def _with_added_group(
    make: Callable[[SGD], LRScheduler], lr: str, at: int = 4
) -> tuple[list[list[float]], list]:
    """Rates with a group added before update `at`, at its own rate (0.01) or, as Lightning's
    BaseFinetuning adds one, at a tenth of group 0's current rate; and get_last_lr() at the end."""
    optimizer = _optimizer()
    scheduler = make(optimizer)
    rates = _rates(optimizer, scheduler, at)
    rate = 0.01 if lr == "own" else optimizer.param_groups[0]["lr"] / 10
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": rate})
    return rates + _rates(optimizer, scheduler, STEPS - at), scheduler.get_last_lr()


@pytest.mark.parametrize("lr", ["own", "lightning"])
@pytest.mark.parametrize("name", CHAINABLE)
def test_a_group_added_later_is_scheduled_like_torch(name, lr):
    make, spec = PAIRS[name]
    expected, expected_last = _with_added_group(make, lr)
    actual, actual_last = _with_added_group(lambda o: LRSchedule(o, spec), lr)
    _assert_close(actual, expected)
    assert len(actual_last) == len(expected_last) == 3
    assert actual_last == pytest.approx(expected_last, rel=1e-9)


def test_an_added_group_resumes_with_its_ratio():
    spec = PAIRS["StepLR"][1]
    optimizer = _optimizer()
    scheduler = LRSchedule(optimizer, spec)
    _rates(optimizer, scheduler, 4)  # 0.005 after the first decay at step 3
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.001})
    _rates(optimizer, scheduler, 3)
    state = _saved(optimizer, scheduler)
    expected = _rates(optimizer, scheduler, 3)
    assert state["scheduler"]["ratios"][2] == pytest.approx(0.2)  # 0.001 next to 0.005
    assert optimizer.param_groups[2]["initial_lr"] == pytest.approx(0.01)  # 0.2 of the default rate
    for order in ("by state", "by last_epoch"):
        resumed = SGD([{"params": [torch.nn.Parameter(torch.zeros(2))]} for _ in range(3)], lr=0.05)
        resumed.load_state_dict(state["optimizer"])
        if order == "by state":
            again = LRSchedule(resumed, spec)
            again.load_state_dict(state["scheduler"])
        else:
            again = LRSchedule(resumed, spec, last_epoch=state["scheduler"]["last_epoch"] - 1)
        assert _rates(resumed, again, 3) == expected, order


def test_differs_lambdalr_fails_on_an_added_group_lrschedule_schedules_it():
    with pytest.raises(ValueError, match="zip"):
        _with_added_group(PAIRS["LambdaLR"][0], "own")
    rates, last = _with_added_group(lambda o: LRSchedule(o, PAIRS["LambdaLR"][1]), "own")
    added = [row[2] / row[0] for row in rates[4:]]
    assert added == pytest.approx([0.01 / rates[4][0]] * len(added))  # keeps its ratio to group 0
    assert len(last) == 3


def test_differs_a_group_added_while_the_rate_is_zero_takes_its_ratio_to_the_default_rate():
    optimizer = _optimizer()
    scheduler = LRSchedule(optimizer, "warmup(10) >> cosine(0.05, steps=90)")
    assert optimizer.param_groups[0]["lr"] == 0.0
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.005})
    rates = _rates(optimizer, scheduler, 12)
    assert [row[2] for row in rates[1:]] == pytest.approx([0.1 * row[0] for row in rates[1:]], rel=1e-12)


# -- copies -------------------------------------------------------------------------------------


COPIES = {"deepcopy": copy.deepcopy, "pickle": lambda objects: pickle.loads(pickle.dumps(objects))}


@pytest.mark.parametrize("count", ["calls", "updates"])
@pytest.mark.parametrize("how", COPIES)
def test_a_copy_of_optimizer_and_scheduler_keeps_scheduling_like_torch(how, count):
    (torch_optimizer, reference), (optimizer, scheduler) = _both("MultiStepLR", count=count)
    _rates(torch_optimizer, reference, 3)
    _rates(optimizer, scheduler, 3)
    torch_copy, lrkit_copy = COPIES[how]((torch_optimizer, reference)), COPIES[how]((optimizer, scheduler))
    assert lrkit_copy[1].optimizer is lrkit_copy[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # count="calls" warns when a step comes without an update
        copied = _rates(*lrkit_copy, 9)
        original = _rates(optimizer, scheduler, 9)
    _assert_close(copied, _rates(*torch_copy, 9))
    assert copied == original
    assert lrkit_copy[1].last_epoch == scheduler.last_epoch == 12


# -- inside torch's SequentialLR and ChainedScheduler --------------------------------------------

# torch's test_sequentiallr1-3: each part as (torch's scheduler, the LRSchedule spec), and the milestones
SEQUENCES: dict[str, tuple[list[tuple[Callable[[SGD], LRScheduler], str]], list[int]]] = {
    "exponential, step": (
        [(lambda o: ExponentialLR(o, gamma=0.8), "exponential(0.05, gamma=0.8)"),
         (lambda o: StepLR(o, gamma=0.1, step_size=4), "step(0.05, step_size=4, gamma=0.1)")],
        [3],
    ),
    "constant, exponential": (
        [(lambda o: ConstantLR(o, factor=0.1, total_iters=3), "constant(0.005)"),
         (lambda o: ExponentialLR(o, gamma=0.9), "exponential(0.05, gamma=0.9)")],
        [3],
    ),
    "constant, exponential, step": (
        [(lambda o: ConstantLR(o, factor=0.1, total_iters=3), "constant(0.005)"),
         (lambda o: ExponentialLR(o, gamma=0.8), "exponential(0.05, gamma=0.8)"),
         (lambda o: StepLR(o, gamma=0.1, step_size=2), "step(0.05, step_size=2, gamma=0.1)")],
        [3, 6],
    ),
}


@pytest.mark.parametrize("mixed", [False, True], ids=["all lrkit", "torch then lrkit"])
@pytest.mark.parametrize("sequence", SEQUENCES)
def test_sequential_lr_of_lrschedules_follows_torch(sequence, mixed):
    parts, milestones = SEQUENCES[sequence]
    torch_optimizer, optimizer = _optimizer(), _optimizer()
    reference = SequentialLR(torch_optimizer, [make(torch_optimizer) for make, _ in parts], milestones)
    lrkit = [make(optimizer) if mixed else LRSchedule(optimizer, spec) for make, spec in parts[:-1]]
    lrkit.append(LRSchedule(optimizer, parts[-1][1]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch's test_sequentiallr_no_warnings
        scheduler = SequentialLR(optimizer, lrkit, milestones)
        _assert_close(_rates(optimizer, scheduler, 12), _rates(torch_optimizer, reference, 12))
    assert scheduler.get_last_lr() == pytest.approx(reference.get_last_lr(), rel=1e-9)


def test_sequential_lr_leaves_the_initial_rate_alone():
    """torch's test_sequentiallr4: building the sequence does not change the optimizer's rate."""
    optimizer = SGD([torch.nn.Parameter(torch.tensor(0.5))], lr=0.1)
    parts = [LRSchedule(optimizer, "constant(0.1)"), LRSchedule(optimizer, "constant(0.01)")]
    SequentialLR(optimizer, parts, [10])
    assert optimizer.param_groups[0]["lr"] == 0.1


def test_chained_scheduler_of_one_lrschedule_is_that_schedule():
    """torch's test_chained_lr1."""
    torch_optimizer, optimizer = _optimizer(), _optimizer()
    reference = ChainedScheduler([StepLR(torch_optimizer, gamma=0.1, step_size=3)])
    scheduler = ChainedScheduler([LRSchedule(optimizer, PAIRS["StepLR"][1])])
    _assert_close(_rates(optimizer, scheduler, 12), _rates(torch_optimizer, reference, 12))
    assert scheduler.get_last_lr() == scheduler._schedulers[-1].get_last_lr()


def test_differs_in_a_chained_scheduler_lrschedule_sets_the_rate():
    """torch's chainable schedulers multiply what the previous one left; LRSchedule writes its
    closed form, so a scheduler before it in the chain has no effect."""
    alone = _optimizer()
    expected = _rates(alone, LRSchedule(alone, PAIRS["StepLR"][1]), 12)
    optimizer = _optimizer()
    parts = [ExponentialLR(optimizer, gamma=0.9), LRSchedule(optimizer, PAIRS["StepLR"][1])]
    chained = ChainedScheduler(parts)
    assert _rates(optimizer, chained, 12) == expected
    torch_optimizer = _optimizer()
    compound = ChainedScheduler([ExponentialLR(torch_optimizer, gamma=0.9), StepLR(torch_optimizer, 3, 0.1)])
    assert _rates(torch_optimizer, compound, 12)[5][0] == pytest.approx(expected[5][0] * 0.9**5)


# -- tensor rates -------------------------------------------------------------------------------


@pytest.mark.parametrize("mixed", [False, True], ids=["all lrkit", "torch then lrkit"])
def test_a_sequence_on_a_tensor_default_rate_sees_no_aliased_ratio(mixed):
    """torch's test_sequentiallr_does_not_alias_lr_and_initial_lr: SGD(lr=tensor(2.0)) shares the
    tensor between its defaults and the group, and every scheduler writes the rate into it."""
    def build(parts: Callable[[SGD], list[LRScheduler]]) -> tuple[SGD, SequentialLR]:
        optimizer = SGD([torch.nn.Parameter(torch.zeros(2))], lr=torch.tensor(2.0))
        return optimizer, SequentialLR(optimizer, parts(optimizer), milestones=[4])

    torch_parts = lambda o: [LinearLR(o, 0.1, 0.8, total_iters=4), LinearLR(o, 0.8, 0.1, total_iters=4)]  # noqa: E731
    expected = _rates(*build(torch_parts), 8)
    assert [row[0] for row in expected] == pytest.approx([0.2, 0.55, 0.9, 1.25, 1.6, 1.25, 0.9, 0.55])

    def lrkit(o: SGD) -> list[LRScheduler]:
        first = LinearLR(o, 0.1, 0.8, total_iters=4) if mixed else LRSchedule(o, "linear(0.2, 1.6, steps=4)")
        return [first, LRSchedule(o, "linear(1.6, 0.2, steps=4)")]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch 2.2's SequentialLR steps its parts with an epoch
        _assert_close(_rates(*build(lrkit), 8), expected, rel=1e-6)


def test_initial_lr_and_base_lrs_do_not_alias_a_tensor_rate():
    """torch's test_constant_initial_lr: changing the rate tensor afterwards changes neither."""
    lr = torch.as_tensor(0.1)
    optimizer = SGD([torch.nn.Parameter(torch.randn(1))], lr=lr)
    scheduler = LRSchedule(optimizer, "step(0.1, step_size=30)")
    original = copy.deepcopy(optimizer.param_groups)
    for i in range(2):
        optimizer.step()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scheduler.step(i)
        lr.multiply_(0.1)
        for group, before in zip(optimizer.param_groups, original):
            assert group["initial_lr"] == before["initial_lr"]
            assert scheduler.base_lrs == [0.1]
            assert scheduler.base_lrs[0] is not group["initial_lr"]


def test_differs_get_last_lr_gives_floats_for_tensor_rates():
    (_, reference), (_, scheduler) = _both("StepLR", tensor=True)
    assert isinstance(reference.get_last_lr()[1], torch.Tensor)
    assert all(type(lr) is float for lr in scheduler.get_last_lr())


# -- step(epoch), references, ends --------------------------------------------------------------


def test_step_with_an_epoch_jumps_there_with_torchs_deprecation_warning():
    """torch's test_multi_step_lr_with_epoch and _test_lr_is_constant_for_constant_epoch."""
    (torch_optimizer, reference), (optimizer, scheduler) = _both("MultiStepLR")
    for epochs in (range(10), [2] * 5):
        for epoch in epochs:
            rows = []
            for opt, sched in ((torch_optimizer, reference), (optimizer, scheduler)):
                opt.step()
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    sched.step(epoch)
                assert [str(w.message) for w in caught] == [EPOCH_DEPRECATION_WARNING]
                rows.append(_lrs(opt))
            assert rows[1] == pytest.approx(rows[0], rel=1e-9), epoch


def test_no_reference_cycle_keeps_a_stepped_scheduler_alive():
    """torch's test_no_cyclic_references_in_step: without the garbage collector."""

    def run() -> weakref.ref:
        optimizer = SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.5)
        scheduler = LRSchedule(optimizer, "constant(0.5)", count="updates")
        optimizer.step()
        scheduler.step()
        return weakref.ref(scheduler)

    gc.disable()
    try:
        assert run()() is None
    finally:
        gc.enable()


def test_differs_after_the_end_the_final_rate_holds():
    torch_optimizer, optimizer = _optimizer(), _optimizer()
    torch_rates = _rates(torch_optimizer, CosineAnnealingLR(torch_optimizer, T_max=10), 20)
    rates = _rates(optimizer, LRSchedule(optimizer, "cosine(0.05, steps=10)"), 20)
    _assert_close(rates[:11], torch_rates[:11])
    assert all(row == [0.0, 0.0] for row in rates[10:])
    assert torch_rates[15][0] > 0.02  # torch's cosine rises again, a period of 2 * T_max


def test_differs_min_lr_is_scaled_by_the_group_ratio():
    torch_optimizer, optimizer = _optimizer(), _optimizer()
    torch_rates = _rates(torch_optimizer, CosineAnnealingLR(torch_optimizer, T_max=10, eta_min=0.001), 11)
    rates = _rates(optimizer, LRSchedule(optimizer, "cosine(0.05, steps=10, min_lr=0.001)"), 11)
    _assert_close([row[:1] for row in rates], [row[:1] for row in torch_rates])  # the default-rate group
    assert [row[1] for row in rates] == pytest.approx([10 * row[0] for row in rates], rel=1e-12)
    assert rates[10] == pytest.approx([0.001, 0.01]) and torch_rates[10] == pytest.approx([0.001, 0.001])


def test_differs_loading_a_state_keeps_the_schedule_it_was_built_with():
    """torch's _check_scheduler_state_dict loads a StepLR's state into a StepLR built with another
    gamma, which takes the saved gamma; LRSchedule takes the step and the rates, not the spec."""
    optimizer = _optimizer()
    scheduler = LRSchedule(optimizer, "step(0.05, step_size=3, gamma=0.1)")
    _rates(optimizer, scheduler, 10)
    other = LRSchedule(optimizer, "step(0.05, step_size=1, gamma=0.005)")
    other.load_state_dict(scheduler.state_dict())
    assert other.last_epoch == 10 and other.get_last_lr() == scheduler.get_last_lr()
    built = parse("step(0.05, step_size=1, gamma=0.005)")
    assert other.state_dict()["schedule"] == str(built)
    assert other.rate_at(11) == built(11)


def test_differs_resuming_with_last_epoch_without_initial_lr_is_a_clear_error():
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(_optimizer(), step_size=3, last_epoch=4)
    with pytest.raises(ScheduleError, match=r"param group 0 has no 'initial_lr'.*load the optimizer's saved"):
        LRSchedule(_optimizer(), PAIRS["StepLR"][1], last_epoch=4)


def test_every_documented_difference_names_a_test_that_exists():
    text = DOC.read_text()
    table = text[text.index("<!-- differences:start -->"):text.index("<!-- differences:end -->")]
    named = re.findall(r"`(tests/adapters/test_torch_\w+\.py)::(\w+)`", table)
    assert len(named) >= 8
    root = Path(__file__).parents[2]
    for path, test in named:
        assert f"def {test}(" in (root / path).read_text(), f"{path}::{test}"
