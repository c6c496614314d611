"""RateRecorder: the rates optimizer updates actually used, compared with the intended schedule —
catching a wrong call order and off-by-one milestones, in lrkit's scheduler and torch's own."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch.optim.lr_scheduler import LambdaLR, MultiStepLR
from torch.overrides import TorchFunctionMode

from lrkit.adapters.torch import LRSchedule, Mismatch, RateRecorder
from lrkit.schedules import parse

MULTISTEP = parse("multistep(0.1, [30, 80], gamma=0.1)")


def _optimizer(lr: float | torch.Tensor = 0.1) -> torch.optim.SGD:
    return torch.optim.SGD(
        [{"params": [torch.nn.Parameter(torch.zeros(2))]},
         {"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 0.01}],
        lr=lr, momentum=0.9,
    )


def _record(optimizer, scheduler, n: int = 120, scheduler_first: bool = False) -> RateRecorder:
    with RateRecorder(optimizer) as recorder, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the wrong order is what some of these runs test
        for _ in range(n):
            if scheduler_first:
                scheduler.step()
            optimizer.step()
            if not scheduler_first:
                scheduler.step()
    return recorder


def test_torchs_multistep_lr_applies_exactly_lrkits_multistep():
    optimizer = _optimizer()
    recorder = _record(optimizer, MultiStepLR(optimizer, milestones=[30, 80], gamma=0.1))
    assert recorder.mismatches(MULTISTEP, rel_tol=1e-12) == []
    assert recorder.mismatches(lambda k: 0.1 * MULTISTEP(k), group=1, rel_tol=1e-12) == []
    adapted = _optimizer()
    lrkit = _record(adapted, LRSchedule(adapted, MULTISTEP)).rates
    assert lrkit[0] == recorder.rates[0] and lrkit[1] == pytest.approx(recorder.rates[1], rel=1e-12)


@pytest.mark.parametrize("make", [
    lambda optimizer: LRSchedule(optimizer, MULTISTEP),
    lambda optimizer: MultiStepLR(optimizer, milestones=[30, 80], gamma=0.1),
])
def test_scheduler_step_before_optimizer_step_shows_as_milestones_one_update_early(make):
    optimizer = _optimizer()
    recorder = _record(optimizer, make(optimizer), scheduler_first=True)
    assert [m.step for m in recorder.mismatches(MULTISTEP)] == [29, 79]
    assert recorder.mismatches(MULTISTEP)[0] == Mismatch(29, MULTISTEP(30), MULTISTEP(29))


def test_an_off_by_one_hand_written_milestone_is_caught_at_that_update():
    optimizer = _optimizer()
    buggy = LambdaLR(optimizer, lambda epoch: 0.1 ** ((epoch > 30) + (epoch >= 80)))  # `>` should be `>=`
    mismatches = _record(optimizer, buggy).mismatches(MULTISTEP)
    assert mismatches == [Mismatch(30, pytest.approx(0.1), pytest.approx(0.01))]


def test_updates_count_from_zero_and_a_sequence_is_an_intended_schedule_too():
    optimizer = _optimizer()
    scheduler = LRSchedule(optimizer, "linear(0.1, 0.0, steps=10)")
    recorder = _record(optimizer, scheduler, n=12)
    assert recorder.rates[0][:3] == pytest.approx([0.1, 0.09, 0.08], rel=1e-15)
    assert recorder.mismatches(parse("linear(0.1, 0.0, steps=10)").values(12).tolist()) == []
    assert recorder.mismatches(scheduler.rate_at) == []


def test_tensor_rates_are_copied_not_read_when_recorded_and_not_after_remove():
    optimizer = _optimizer(lr=torch.tensor(0.1))
    scheduler = LRSchedule(optimizer, MULTISTEP)
    recorder = RateRecorder(optimizer)
    reads = _TensorReads()
    for _ in range(40):
        with reads:
            optimizer.step()
        scheduler.step()
    recorder.remove()
    optimizer.step()
    assert reads.calls & {"item", "__float__", "tolist", "__bool__"} == set()
    assert len(recorder.rates[0]) == 40
    assert recorder.mismatches(MULTISTEP, rel_tol=1e-6) == []  # the first group's tensor is float32


class _TensorReads(TorchFunctionMode):
    """Names of the torch functions called inside the block."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: set[str] = set()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.calls.add(getattr(func, "__name__", str(func)))
        return func(*args, **(kwargs or {}))
