"""LRSchedule against torch itself: real optimizers, real schedulers, saved and loaded state."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from torch.optim.lr_scheduler import LinearLR, LRScheduler, SequentialLR

from lrkit.adapters.torch import LRSchedule
from lrkit.control import Plateau
from lrkit.schedules import TEMPLATES, ScheduleError, cosine, parse, resolve, warmup

SPEC = "warmup(20, start=0.1) >> cosine(lr=0.3, steps=180, min_lr=0.001)"


def _model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))


def _batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(step)
    x = torch.randn(16, 4, generator=generator)
    return x, x.sum(dim=1, keepdim=True).sin()


def _train_step(model, optimizer, step: int) -> float:
    x, y = _batch(step)
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def test_is_a_real_lr_scheduler_and_applies_the_closed_form_every_step():
    schedule = parse(SPEC)
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    scheduler = LRSchedule(optimizer, schedule)
    assert isinstance(scheduler, LRScheduler)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the normal order must not trigger any torch warning
        for step in range(250):
            assert optimizer.param_groups[0]["lr"] == schedule(step)
            assert scheduler.get_last_lr() == [schedule(step)]
            _train_step(model, optimizer, step)
            scheduler.step()


def test_groups_keep_their_ratio_to_the_default_rate():
    model = _model()
    optimizer = torch.optim.AdamW(
        [{"params": model[0].parameters(), "lr": 1e-4}, {"params": model[2].parameters()}], lr=1e-3
    )
    schedule = cosine(0.01, 100)
    scheduler = LRSchedule(optimizer, schedule)
    for step in range(120):
        head, tail = (group["lr"] for group in optimizer.param_groups)
        assert math.isclose(head, 0.1 * schedule(step), rel_tol=1e-12)
        assert tail == schedule(step)
        _train_step(model, optimizer, step)
        scheduler.step()


def _run(total: int, save_at: int | None, path) -> tuple[list[float], list[float], dict]:
    """Train `total` steps; if save_at is set, save everything there and resume in fresh objects."""
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    plateau = Plateau(factor=0.5, patience=1)
    scheduler = LRSchedule(optimizer, SPEC, controller=plateau)
    rates, losses = [], []
    for step in range(total):
        if step == save_at:
            torch.save(
                {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                 "scheduler": scheduler.state_dict()},
                path,
            )
            state = torch.load(path, weights_only=True)
            model = _model(seed=123)  # different weights, to prove they are overwritten
            optimizer = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
            scheduler = LRSchedule(optimizer, SPEC, controller=Plateau(factor=0.5, patience=1))
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
        rates.append(optimizer.param_groups[0]["lr"])
        losses.append(_train_step(model, optimizer, step))
        scheduler.step()
        if step % 10 == 9:
            scheduler.observe(metric=sum(losses[-10:]))
    return rates, losses, {k: v.clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("save_at", [1, 20, 77, 199])
def test_a_resumed_run_equals_an_uninterrupted_one(tmp_path, save_at):
    rates, losses, weights = _run(240, None, tmp_path / "unused.pt")
    resumed_rates, resumed_losses, resumed_weights = _run(240, save_at, tmp_path / "checkpoint.pt")
    assert resumed_rates == rates
    assert resumed_losses == losses
    for name, tensor in weights.items():
        assert torch.equal(tensor, resumed_weights[name]), name


def test_plateau_multiplies_any_schedule_including_a_warmup():
    schedule = warmup(5) >> cosine(1.0, 50)
    optimizer = torch.optim.SGD(_model().parameters(), lr=1.0)
    plateau = Plateau(factor=0.5, patience=0)
    scheduler = LRSchedule(optimizer, schedule, controller=plateau)
    scheduler.observe(metric=1.0)
    scheduler.observe(metric=2.0)  # no improvement with patience 0: halve
    for step in range(1, 40):
        optimizer.step()
        scheduler.step()
        assert math.isclose(optimizer.param_groups[0]["lr"], 0.5 * schedule(step), rel_tol=1e-12)


def test_works_inside_torchs_sequential_lr():
    optimizer = torch.optim.SGD(_model().parameters(), lr=0.2)
    ramp = LinearLR(optimizer, start_factor=0.25, total_iters=10)
    decay = LRSchedule(optimizer, cosine(0.2, 90))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SequentialLR passes an epoch to step(), which torch flags
        chained = SequentialLR(optimizer, [ramp, decay], milestones=[10])
        expected = warmup(10, start=0.25) >> cosine(0.2, 90)
        for step in range(100):
            assert math.isclose(optimizer.param_groups[0]["lr"], expected(step), rel_tol=1e-12)
            optimizer.step()
            chained.step()


def test_state_dict_is_plain_data_and_names_the_schedule():
    scheduler = LRSchedule(torch.optim.SGD(_model().parameters(), lr=0.1), SPEC)
    state = scheduler.state_dict()
    assert state["schedule"] == str(parse(SPEC))
    assert state["controller"] is None
    assert all(isinstance(value, (int, float, str, list, type(None))) for value in state.values())


def test_mismatched_controller_on_load_is_a_clear_error():
    with_plateau = LRSchedule(torch.optim.SGD(_model().parameters(), lr=0.1), SPEC, Plateau())
    without = LRSchedule(torch.optim.SGD(_model().parameters(), lr=0.1), SPEC)
    with pytest.raises(ScheduleError, match="controller"):
        without.load_state_dict(with_plateau.state_dict())


def test_bad_arguments_are_refused():
    optimizer = torch.optim.SGD(_model().parameters(), lr=0.1)
    with pytest.raises(ScheduleError):
        LRSchedule(optimizer, 0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="position"):
        LRSchedule(optimizer, "cosine(0.1")
    with pytest.raises(ScheduleError, match="controller"):
        LRSchedule(optimizer, "constant(0.1)").observe(metric=1.0)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_a_bare_template_is_filled_as_the_cli_fills_it(name):
    """With the optimizer's default rate and the run's length, as `lrkit train --schedule NAME`
    fills it (through `resolve`); a group at another rate keeps its ratio."""
    model = _model()
    optimizer = torch.optim.SGD(
        [{"params": model[0].parameters(), "lr": 0.03}, {"params": model[2].parameters()}], lr=0.3
    )
    scheduler = LRSchedule(optimizer, name, steps=200)
    filled = resolve(name, 0.3, 200)
    assert scheduler.state_dict()["schedule"] == str(filled)
    for step in range(210):
        head, tail = (group["lr"] for group in optimizer.param_groups)
        assert tail == filled(step)
        assert math.isclose(head, 0.1 * filled(step), rel_tol=1e-12)
        _train_step(model, optimizer, step)
        scheduler.step()


def test_a_template_on_a_tensor_rate_reads_the_default_not_the_rate_written_into_it():
    optimizer = torch.optim.SGD(_model().parameters(), lr=torch.tensor(0.25))
    LRSchedule(optimizer, "warmup(10) >> constant(0.25)")  # writes 0 into the shared tensor
    assert float(optimizer.defaults["lr"]) == 0.0
    assert str(LRSchedule(optimizer, "cosine", steps=100).schedule) == str(resolve("cosine", 0.25, 100))


def test_a_template_without_a_length_is_a_one_line_error_naming_steps():
    optimizer = torch.optim.SGD(_model().parameters(), lr=0.1)
    with pytest.raises(ScheduleError, match=r"template 'cosine' .* pass steps=N") as error:
        LRSchedule(optimizer, "cosine")
    assert "\n" not in str(error.value)
    with pytest.raises(ScheduleError, match="at least 2 steps"):
        LRSchedule(optimizer, "cosine", steps=1)
