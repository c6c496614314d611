"""lr_as_tensor: a torch.compile'd optimizer step does not recompile when the rate changes every
step, and scheduler.step() only writes the rate tensors in place, never reads them (no sync).

Compiles are counted with torch's `CompileCounter` backend: it runs dynamo's capture and guards,
which decide recompilation, without inductor's code generation (about 30 s per compile on a
2-core CPU), so a few hundred steps stay fast.
"""

from __future__ import annotations

import pytest
import torch
from torch._dynamo.testing import CompileCounter
from torch.overrides import TorchFunctionMode

from lrkit.adapters.torch import LRSchedule, RateRecorder
from lrkit.schedules import parse

# Importing dynamo trips a deprecation inside torch itself.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")

STEPS = 200
SPEC = f"warmup(10) >> cosine(lr=0.05, steps={STEPS - 10}, min_lr=0.0005)"


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    yield
    torch._dynamo.reset()


def _compiled_run(
    optimizer_class, spec: str, lr_as_tensor: bool, steps: int = STEPS
) -> tuple[int, LRSchedule, RateRecorder]:
    """Train `steps` updates with a compiled optimizer step; returns how many graphs dynamo compiled."""
    torch._dynamo.reset()  # optimizer.step's code is shared: start with no cached graphs
    model = _model()
    optimizer = optimizer_class(model.parameters(), lr=0.05)
    scheduler = LRSchedule(optimizer, spec, lr_as_tensor=lr_as_tensor, count="updates")
    counter = CompileCounter()
    step = torch.compile(optimizer.step, backend=counter)
    x = torch.randn(16, 4, generator=torch.Generator().manual_seed(0))
    with RateRecorder(optimizer) as recorder:
        for _ in range(steps):
            optimizer.zero_grad()
            model(x).pow(2).mean().backward()
            step()
            scheduler.step()
    return counter.frame_count, scheduler, recorder


@pytest.mark.parametrize("optimizer_class", [torch.optim.SGD, torch.optim.AdamW], ids=["SGD", "AdamW"])
def test_a_changing_tensor_rate_never_recompiles_where_a_float_rate_does(optimizer_class):
    constant = f"constant(0.05, steps={STEPS})"
    tensor_changing, scheduler, recorder = _compiled_run(optimizer_class, SPEC, lr_as_tensor=True)
    tensor_constant, _, _ = _compiled_run(optimizer_class, constant, lr_as_tensor=True)
    assert tensor_changing == tensor_constant <= 2  # the first call, and SGD's momentum buffers
    float_changing, _, _ = _compiled_run(optimizer_class, SPEC, lr_as_tensor=False, steps=20)
    float_constant, _, _ = _compiled_run(optimizer_class, constant, lr_as_tensor=False, steps=20)
    assert float_changing > float_constant  # torch guards on the float's value: at least one more
    # The compiled steps applied the schedule, and the update count (a step hook) kept up.
    assert scheduler.last_epoch == STEPS
    assert recorder.mismatches(parse(SPEC), rel_tol=1e-6) == []  # float32 rate tensors


def test_the_rate_tensors_are_made_once_and_step_only_writes_them():
    optimizer = torch.optim.SGD(_model().parameters(), lr=0.05)
    scheduler = LRSchedule(optimizer, SPEC, lr_as_tensor=True)
    tensor = optimizer.param_groups[0]["lr"]
    assert isinstance(tensor, torch.Tensor) and tensor.dim() == 0 and tensor.dtype == torch.float32
    calls = _TorchCalls()
    for step in range(1, 50):
        optimizer.step()
        with calls:
            scheduler.step()
        assert optimizer.param_groups[0]["lr"] is tensor
        assert scheduler.get_last_lr() == [parse(SPEC)(step)]  # floats from the closed form
        assert tensor.item() == pytest.approx(parse(SPEC)(step), rel=1e-6)
    assert calls.names == {"fill_"}  # nothing that reads a value back (item, __float__, clone ...)


def test_float64_parameters_get_a_float64_rate_and_a_reloaded_float_rate_becomes_a_tensor_again():
    model = _model().double()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    scheduler = LRSchedule(optimizer, SPEC, lr_as_tensor=True)
    assert optimizer.param_groups[0]["lr"].dtype == torch.float64
    optimizer.param_groups[0]["lr"] = 0.05  # e.g. an optimizer state saved without tensor rates
    optimizer.step()
    scheduler.step()
    assert optimizer.param_groups[0]["lr"].item() == parse(SPEC)(1)


class _TorchCalls(TorchFunctionMode):
    """Names of the torch functions called inside the block."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.names.add(getattr(func, "__name__", str(func)))
        return func(*args, **(kwargs or {}))
