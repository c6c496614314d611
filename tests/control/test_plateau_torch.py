"""Plateau against torch's ReduceLROnPlateau (eps=0, min_lr=min_scale, lr=1), step by step."""

from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim.lr_scheduler import ReduceLROnPlateau

from lrkit.control import Plateau

# A few repeated values make ties and plateaus common; free floats and NaN cover the rest.
_VALUES = st.one_of(
    st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0, math.nan]),
    st.floats(-10.0, 10.0, allow_nan=False),
)


@st.composite
def _configs(draw: st.DrawFn) -> dict:
    threshold_mode = draw(st.sampled_from(["rel", "abs"]))
    top = 0.5 if threshold_mode == "rel" else 2.0
    return {
        "mode": draw(st.sampled_from(["min", "max"])),
        "factor": draw(st.one_of(st.sampled_from([0.1, 0.5]), st.floats(0.05, 0.95))),
        "patience": draw(st.integers(0, 4)),
        "cooldown": draw(st.integers(0, 3)),
        "threshold": draw(st.one_of(st.just(0.0), st.floats(0.0, top))),
        "threshold_mode": threshold_mode,
        "min_scale": draw(st.sampled_from([0.0, 0.001, 0.05, 0.3, 1.0])),
    }


@settings(max_examples=200, deadline=None)
@given(config=_configs(), data=st.data())
def test_plateau_matches_torch_reduce_lr_on_plateau(config: dict, data: st.DataObject) -> None:
    # The worsening infinity is the one value where Plateau's "non-finite never improves" agrees
    # with torch; the improving one is a documented difference (see test_plateau.py).
    worst = math.inf if config["mode"] == "min" else -math.inf
    values = data.draw(st.lists(st.one_of(_VALUES, st.just(worst)), max_size=60))
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = ReduceLROnPlateau(
        optimizer,
        mode=config["mode"],
        factor=config["factor"],
        patience=config["patience"],
        threshold=config["threshold"],
        threshold_mode=config["threshold_mode"],
        cooldown=config["cooldown"],
        min_lr=config["min_scale"],
        eps=0.0,
    )
    plateau = Plateau(**config)
    for step, value in enumerate(values):
        scheduler.step(value)
        plateau.observe(step, metric=value)
        lr = optimizer.param_groups[0]["lr"]
        assert math.isclose(lr, plateau.multiplier, rel_tol=1e-12), (step, lr, plateau.multiplier)
        state = plateau.state_dict()
        assert state["num_bad"] == scheduler.num_bad_epochs
        assert state["cooldown_counter"] == scheduler.cooldown_counter
        start = math.inf if config["mode"] == "min" else -math.inf
        assert scheduler.best == (start if state["best"] is None else state["best"])
