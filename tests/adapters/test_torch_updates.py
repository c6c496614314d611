"""count="updates": the schedule follows optimizer updates actually applied — not scheduler calls —
under a real GradScaler that skips inf steps, gradient accumulation and either call order."""

from __future__ import annotations

import gc
import warnings
import weakref

import pytest
import torch
from torch.optim.lr_scheduler import LinearLR, SequentialLR

from lrkit.adapters.torch import LRSchedule, RateRecorder
from lrkit.schedules import ScheduleError, cosine, parse, warmup

SPEC = "warmup(5) >> cosine(lr=0.2, steps=55, min_lr=0.002)"  # changes at every step


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))


def _loss(model: torch.nn.Module, batch: int) -> torch.Tensor:
    x = torch.randn(8, 4, generator=torch.Generator().manual_seed(batch))
    return torch.nn.functional.mse_loss(model(x), x.sum(dim=1, keepdim=True).sin())


def _amp_run(count: str, poisoned: set[int], iterations: int = 40):
    """A GradScaler loop on the CPU; at the iterations in `poisoned` a gradient is set to inf, so the
    scaler skips that update. Returns the recorder, the scheduler and the warnings raised."""
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    scheduler = LRSchedule(optimizer, SPEC, count=count)
    scaler = torch.amp.GradScaler("cpu")
    with RateRecorder(optimizer) as recorder, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(iterations):
            optimizer.zero_grad()
            scaler.scale(_loss(model, i)).backward()
            if i in poisoned:
                model[0].weight.grad[0, 0] = float("inf")
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
    return recorder, scheduler, [str(w.message) for w in caught]


def test_a_cpu_gradscaler_really_skips_an_update_with_an_inf_gradient():
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu")
    before = [p.detach().clone() for p in model.parameters()]
    scaler.scale(_loss(model, 0)).backward()
    model[0].weight.grad[0, 0] = float("inf")
    with RateRecorder(optimizer) as recorder:
        scaler.step(optimizer)
    scaler.update()
    assert recorder.rates == [[]]  # optimizer.step() never ran
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert scaler.get_scale() == 2.0**15  # backed off from 2**16


def test_updates_mode_does_not_advance_on_steps_the_scaler_skipped():
    poisoned = {0, 7, 8, 20}
    recorder, scheduler, caught = _amp_run("updates", poisoned)
    schedule = parse(SPEC)
    applied = recorder.rates[0]
    assert len(applied) == 40 - len(poisoned)
    assert recorder.mismatches(schedule) == []  # the k-th applied update used schedule(k)
    assert scheduler.last_epoch == len(applied)
    assert caught == []  # not even torch's "lr_scheduler.step() before optimizer.step()"


def test_calls_mode_drifts_on_skipped_steps_and_says_how_to_fix_it():
    recorder, scheduler, caught = _amp_run("calls", {0, 7, 8, 20})
    assert scheduler.last_epoch == 40
    first = recorder.mismatches(parse(SPEC))[0]
    assert first.step == 0 and first.applied == parse(SPEC)(1)  # the skipped step 0 lost its rate
    assert any("count='updates'" in message for message in caught)
    assert not any("Detected call of `lr_scheduler.step()`" in message for message in caught)


@pytest.mark.parametrize("step_every_micro_batch", [True, False])
def test_with_accumulation_the_schedule_moves_once_per_update(step_every_micro_batch):
    model = _model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.2)
    scheduler = LRSchedule(optimizer, SPEC, count="updates")
    accumulate, updates = 4, 30
    with RateRecorder(optimizer) as recorder:
        for micro_batch in range(accumulate * updates):
            (_loss(model, micro_batch) / accumulate).backward()
            if micro_batch % accumulate == accumulate - 1:
                optimizer.step()
                optimizer.zero_grad()
            if step_every_micro_batch or micro_batch % accumulate == accumulate - 1:
                scheduler.step()
    assert len(recorder.rates[0]) == updates
    assert recorder.mismatches(parse(SPEC)) == []
    assert scheduler.last_epoch == updates


def test_updates_mode_gives_the_same_rates_in_either_call_order():
    applied = {}
    for order in ("torch's", "reversed"):
        optimizer = torch.optim.SGD(_model().parameters(), lr=0.2)
        scheduler = LRSchedule(optimizer, SPEC, count="updates")
        with RateRecorder(optimizer) as recorder, warnings.catch_warnings():
            warnings.simplefilter("error")
            for _ in range(30):
                if order == "reversed":
                    scheduler.step()
                optimizer.step()
                if order == "torch's":
                    scheduler.step()
        applied[order] = recorder.rates
    assert applied["torch's"] == applied["reversed"] == [parse(SPEC).values(30).tolist()]


def test_a_resumed_updates_run_equals_an_uninterrupted_one(tmp_path):
    """Saved between optimizer.step() and scheduler.step(): the pending update is kept."""

    def build() -> tuple[torch.optim.Optimizer, LRSchedule, RateRecorder]:
        optimizer = torch.optim.SGD(_model().parameters(), lr=0.2)
        return optimizer, LRSchedule(optimizer, SPEC, count="updates"), RateRecorder(optimizer)

    def run(save_at: int | None) -> list[float]:
        optimizer, scheduler, recorder = build()
        applied: list[float] = []
        for i in range(40):
            optimizer.step()
            if i == save_at:
                torch.save({"opt": optimizer.state_dict(), "sched": scheduler.state_dict()}, tmp_path / "c")
                state = torch.load(tmp_path / "c", weights_only=True)
                applied += recorder.rates[0]
                optimizer, scheduler, recorder = build()
                optimizer.load_state_dict(state["opt"])
                scheduler.load_state_dict(state["sched"])
            scheduler.step()
        return applied + recorder.rates[0]

    assert run(17) == run(None) == parse(SPEC).values(40).tolist()


def test_updates_mode_works_inside_torchs_sequential_lr():
    optimizer = torch.optim.SGD(_model().parameters(), lr=0.2)
    ramp = LinearLR(optimizer, start_factor=0.25, total_iters=10)
    decay = LRSchedule(optimizer, cosine(0.2, 90), count="updates")
    expected = warmup(10, start=0.25) >> cosine(0.2, 90)
    with warnings.catch_warnings(), RateRecorder(optimizer) as recorder:
        warnings.simplefilter("ignore")  # SequentialLR passes an epoch to step(), which torch flags
        chained = SequentialLR(optimizer, [ramp, decay], milestones=[10])
        for _ in range(100):
            optimizer.step()
            chained.step()
    assert recorder.mismatches(expected, rel_tol=1e-12) == []


def test_the_counting_hook_does_not_keep_the_scheduler_alive():
    optimizer = torch.optim.SGD(_model().parameters(), lr=0.2)
    scheduler = LRSchedule(optimizer, SPEC, count="updates")
    alive = weakref.ref(scheduler)
    del scheduler
    gc.collect()
    assert alive() is None
    optimizer.step()  # the removed hook is not called


def test_an_unknown_count_is_refused():
    with pytest.raises(ScheduleError, match="count must be"):
        LRSchedule(torch.optim.SGD(_model().parameters(), lr=0.1), SPEC, count="epochs")  # type: ignore[arg-type]
