"""`scale` (the factor a divergence guard lowers) and `refresh()`: part of every rate, saved and
restored, and state dicts from before they existed still load."""

from __future__ import annotations

import math

import torch

from lrkit.adapters.torch import LRSchedule
from lrkit.schedules import parse

SPEC = "warmup(5) >> cosine(lr=0.2, steps=45)"


def _optimizer() -> torch.optim.SGD:
    return torch.optim.SGD(
        [{"params": [torch.nn.Parameter(torch.zeros(2))]},
         {"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 0.02}],
        lr=0.2,
    )


def test_scale_multiplies_every_group_from_the_next_step_or_at_once_with_refresh():
    optimizer = _optimizer()
    scheduler = LRSchedule(optimizer, SPEC)
    for _ in range(10):
        optimizer.step()
        scheduler.step()
    scheduler.scale = 0.25
    assert optimizer.param_groups[0]["lr"] == parse(SPEC)(10)  # not yet
    scheduler.refresh()
    assert scheduler.last_epoch == 10
    assert optimizer.param_groups[0]["lr"] == 0.25 * parse(SPEC)(10)
    optimizer.step()
    scheduler.step()
    head, tail = (group["lr"] for group in optimizer.param_groups)
    assert head == 0.25 * parse(SPEC)(11) == scheduler.get_last_lr()[0]
    assert math.isclose(tail, 0.1 * head, rel_tol=1e-12)


def test_scale_and_the_new_state_round_trip_and_an_older_state_dict_still_loads(tmp_path):
    optimizer = _optimizer()
    scheduler = LRSchedule(optimizer, SPEC)
    scheduler.scale = 0.5
    optimizer.step()
    scheduler.step()
    torch.save(scheduler.state_dict(), tmp_path / "s")
    resumed = LRSchedule(_optimizer(), SPEC)
    resumed.load_state_dict(torch.load(tmp_path / "s", weights_only=True))
    assert resumed.scale == 0.5 and resumed.current_rate() == scheduler.current_rate()
    older = {key: value for key, value in scheduler.state_dict().items()
             if key not in ("scale", "horizon", "pending")}
    resumed.load_state_dict(older)
    assert resumed.scale == 1.0 and resumed.current_rate() == parse(SPEC)(1)
