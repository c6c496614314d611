"""The range test: exact restore, the ramp, divergence, accumulation, JSON, suggestions."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader, TensorDataset

from lrkit.finder import (
    FinderError,
    FinderResult,
    find_lr,
    range_test,
    suggest_all,
)
from lrkit.tasks import get_task


def _problem(seed: int = 0):
    torch.manual_seed(seed)
    x = torch.randn(256, 8)
    y = (x @ torch.randn(8, 1)).squeeze(1).gt(0).long()
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    return model, loader


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_model_and_optimizer_are_bit_identical_afterwards(name):
    model, loader = _problem()
    optimizer = (
        torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        if name == "momentum"
        else torch.optim.Adam(model.parameters(), lr=1e-3)
    )
    loss_fn = torch.nn.functional.cross_entropy
    for x, y in list(loader)[:3]:  # give the optimizer some state first
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    params = {k: v.clone() for k, v in model.state_dict().items()}
    gradients = [p.grad.clone() for p in model.parameters()]
    state = {
        i: {k: (v.clone() if torch.is_tensor(v) else v) for k, v in s.items()}
        for i, s in enumerate(optimizer.state.values())
    }
    groups = [dict(g, params=None) for g in optimizer.param_groups]

    result = range_test(model, optimizer, loss_fn, loader, steps=60)

    assert result.steps > 10
    for key, value in model.state_dict().items():
        assert torch.equal(value, params[key]), key
    for i, s in enumerate(optimizer.state.values()):
        for key, value in s.items():
            assert torch.equal(value, state[i][key]) if torch.is_tensor(value) else value == state[i][key]
    assert [dict(g, params=None) for g in optimizer.param_groups] == groups
    assert all(torch.equal(p.grad, g) for p, g in zip(model.parameters(), gradients))


def test_restored_even_when_the_loss_raises():
    model, loader = _problem()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    calls = []

    def failing_loss(output, target):
        calls.append(1)
        if len(calls) > 5:
            raise RuntimeError("boom")
        return torch.nn.functional.cross_entropy(output, target)

    with pytest.raises(RuntimeError, match="boom"):
        range_test(model, optimizer, failing_loss, loader, steps=50)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key])


def test_exponential_ramp_spans_start_to_end():
    model, loader = _problem()
    result = range_test(
        model,
        torch.optim.SGD(model.parameters(), lr=1.0),
        torch.nn.functional.cross_entropy,
        loader,
        start_lr=1e-6,
        end_lr=1e-2,
        steps=41,
    )
    assert result.stop_reason == "completed" and result.steps == 41
    assert not result.diverged and result.to_dict()["diverged"] is False  # the curve shows no upper edge
    assert math.isclose(result.lrs[0], 1e-6) and math.isclose(result.lrs[-1], 1e-2, rel_tol=1e-9)
    ratios = np.diff(np.log(result.lrs))
    assert np.allclose(ratios, ratios[0])


def test_linear_ramp():
    model, loader = _problem()
    result = range_test(
        model,
        torch.optim.SGD(model.parameters(), lr=1.0),
        torch.nn.functional.cross_entropy,
        loader,
        start_lr=0.001,
        end_lr=0.1,
        steps=11,
        mode="linear",
    )
    assert np.allclose(np.diff(result.lrs), 0.0099)


def test_stops_early_when_the_loss_explodes():
    model, loader = _problem()
    result = range_test(
        model,
        torch.optim.SGD(model.parameters(), lr=1.0),
        torch.nn.functional.cross_entropy,
        loader,
        end_lr=1e4,
        steps=100,
    )
    assert result.stop_reason == "diverged" and result.steps < 100
    assert result.diverged and result.to_dict()["diverged"] is True


def test_accumulation_draws_that_many_batches_per_step():
    model, loader = _problem()
    seen = []

    class Counting:
        def __iter__(self):
            for batch in loader:
                seen.append(1)
                yield batch

    range_test(
        model,
        torch.optim.SGD(model.parameters(), lr=1.0),
        torch.nn.functional.cross_entropy,
        Counting(),
        steps=10,
        accumulation=3,
        end_lr=1e-3,
        probe_size=64,
    )
    assert len(seen) == 2 + 30  # two batches of 32 make the probe set, then 3 per step


@pytest.mark.parametrize(
    "options",
    [
        {"start_lr": 1.0, "end_lr": 0.1},
        {"steps": 2},
        {"mode": "cubic"},
        {"smoothing": 0.0},
        {"accumulation": 0},
        {"probe_size": 0},
    ],
)
def test_bad_arguments_are_one_clear_error(options):
    model, loader = _problem()
    with pytest.raises(FinderError):
        range_test(
            model,
            torch.optim.SGD(model.parameters(), lr=1.0),
            torch.nn.functional.cross_entropy,
            loader,
            **options,
        )


def test_on_a_task_json_round_trip_and_plot(tmp_path):
    result = find_lr(get_task("digits-mlp"), "adam", steps=50)
    assert result.task == "digits-mlp" and result.optimizer == "adam"
    assert result.cost == result.steps / get_task("digits-mlp").steps
    assert set(result.suggestions) >= {"lrkit", "steepest", "minimum_tenth", "valley"}
    for value in result.suggestions.values():
        assert value is None or result.start_lr <= value <= result.end_lr
    text = json.dumps(result.to_dict(), allow_nan=False)
    assert FinderResult.from_dict(json.loads(text)) == result
    figure = result.plot()
    figure.savefig(tmp_path / "finder.png")
    assert (tmp_path / "finder.png").stat().st_size > 5000


def test_steepest_matches_torch_lr_finder_on_the_same_curve():
    torch_lr_finder = pytest.importorskip("torch_lr_finder", reason="torch-lr-finder is a bench extra")
    import matplotlib

    matplotlib.use("Agg")
    result = find_lr(get_task("digits-mlp"), "adam", steps=80)
    model, _ = _problem()
    finder = torch_lr_finder.LRFinder(
        model, torch.optim.Adam(model.parameters()), torch.nn.CrossEntropyLoss()
    )
    finder.history = {"lr": list(result.lrs), "loss": list(result.smoothed)}
    _, theirs = finder.plot(skip_start=10, skip_end=5, suggest_lr=True, show_lr=None)
    assert theirs == result.suggestions["steepest"]


curves = st.lists(st.floats(0.01, 100.0), min_size=0, max_size=120)


@settings(max_examples=80, deadline=None)
@given(curves)
def test_suggestions_lie_on_the_curve_or_are_none(losses):
    lrs = list(np.geomspace(1e-6, 1.0, len(losses))) if losses else []
    for value in suggest_all(lrs, losses, losses).values():
        assert value is None or (min(lrs) / 10 <= value <= max(lrs))


def test_lrkit_reads_the_curve_only_up_to_where_it_blew_up():
    lrs = np.geomspace(1e-3, 10.0, 9)
    # Fell to 0.4, lost 85% of that progress at lr[5] (back to 1.25), then a lucky 0.17: iris with Adam.
    probe = [1.3, 1.2, 0.9, 0.4, 0.7, 1.25, 0.17, 0.99, 2.0]
    assert suggest_all(lrs, probe, probe)["lrkit"] == pytest.approx(lrs[3] / 3)
    # A bump that keeps most of the progress is not a blow-up: the later, lower minimum counts.
    probe[5] = 0.95
    assert suggest_all(lrs, probe, probe)["lrkit"] == pytest.approx(lrs[6] / 3)


def test_the_probe_is_the_loss_on_the_given_examples_after_each_update():
    model, loader = _problem()
    x, y = loader.dataset.tensors
    loss_fn = torch.nn.functional.cross_entropy
    torch.manual_seed(5)  # the loader's shuffle
    result = range_test(
        model, torch.optim.SGD(model.parameters(), lr=1.0), loss_fn, loader,
        probe=(x[:40], y[:40]), start_lr=0.5, end_lr=5.0, steps=12,
    )
    assert len(result.probe) == result.steps == 12
    assert result.suggestions["lrkit"] == pytest.approx(result.lrs[int(np.argmin(result.probe))] / 3)
    # Replay the first update by hand: the first probe value is the loss on those 40 examples after it.
    torch.manual_seed(5)
    inputs, targets = next(iter(loader))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    loss_fn(model(inputs), targets).backward()
    optimizer.step()
    with torch.no_grad():
        assert result.probe[0] == pytest.approx(float(loss_fn(model(x[:40]), y[:40])), rel=1e-6)
