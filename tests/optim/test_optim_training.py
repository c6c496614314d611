"""Every registered optimizer trains a least-squares model; train_mode/eval_mode switch modes."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from lrkit.optim import create_optimizer, eval_mode, list_optimizers, train_mode

# learning rates for this toy problem where the registry has no recommended one (or a poor one)
TEST_LR = {
    "sgd": 0.1,
    "momentum": 0.05,
    "nesterov": 0.05,
    "adagrad": 0.5,
    "rmsprop": 0.01,
    "adam": 0.05,
    "adamw": 0.05,
    "schedulefree-adamw": 0.05,
}
STEPS = 100
SCHEDULE_FREE = ["schedulefree-adamw", "schedulefree-sgd"]
needs_schedulefree = pytest.mark.skipif(
    importlib.util.find_spec("schedulefree") is None,
    reason="schedulefree is not installed (lrkit[free])",
)


def _problem() -> tuple[torch.nn.Linear, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 5, generator=generator)
    y = x @ torch.randn(5, 1, generator=generator) + 0.1 * torch.randn(64, 1, generator=generator)
    torch.manual_seed(1)
    return torch.nn.Linear(5, 1), x, y


def _loss(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.mse_loss(model(x), y)


def _train(optimizer: torch.optim.Optimizer, model, x, y, steps: int) -> None:
    train_mode(optimizer)
    for _ in range(steps):
        optimizer.zero_grad()
        _loss(model, x, y).backward()
        optimizer.step()
    eval_mode(optimizer)


@pytest.mark.parametrize(
    "info",
    [
        pytest.param(
            info,
            id=info.name,
            marks=pytest.mark.skipif(
                not info.available, reason=f"{info.package} is not installed (lrkit[free])"
            ),
        )
        for info in list_optimizers()
    ],
)
def test_steps_reduce_the_loss(info):
    model, x, y = _problem()
    lr = TEST_LR.get(info.name, info.default_lr)
    optimizer = create_optimizer(info.name, model.parameters(), lr)
    with torch.no_grad():
        before = _loss(model, x, y).item()
    _train(optimizer, model, x, y, STEPS)
    with torch.no_grad():
        after = _loss(model, x, y).item()
    assert after < 0.1 * before, (before, after)


@needs_schedulefree
@pytest.mark.parametrize("name", SCHEDULE_FREE)
def test_schedule_free_needs_train_mode_to_step(name):
    model, x, y = _problem()
    optimizer = create_optimizer(name, model.parameters(), 0.05)
    assert optimizer.param_groups[0]["train_mode"] is False  # the package starts in eval mode
    _loss(model, x, y).backward()
    with pytest.raises(Exception, match="not in train mode"):
        optimizer.step()


@needs_schedulefree
@pytest.mark.parametrize("name", SCHEDULE_FREE)
def test_modes_switch_schedule_free_flag_and_weights(name):
    model, x, y = _problem()
    optimizer = create_optimizer(name, model.parameters(), 0.05)
    train_mode(optimizer)
    assert all(group["train_mode"] for group in optimizer.param_groups)
    for _ in range(5):
        optimizer.zero_grad()
        _loss(model, x, y).backward()
        optimizer.step()
    at_gradient_point = [p.detach().clone() for p in model.parameters()]

    eval_mode(optimizer)
    assert not any(group["train_mode"] for group in optimizer.param_groups)
    assert any(
        not torch.equal(a, p) for a, p in zip(at_gradient_point, model.parameters(), strict=True)
    )

    train_mode(optimizer)
    assert all(group["train_mode"] for group in optimizer.param_groups)
    for before, after in zip(at_gradient_point, model.parameters(), strict=True):
        torch.testing.assert_close(after.detach(), before)


def test_modes_do_nothing_to_adam():
    model, x, y = _problem()
    optimizer = create_optimizer("adam", model.parameters(), 0.05)
    _loss(model, x, y).backward()
    optimizer.step()
    weights = [p.detach().clone() for p in model.parameters()]
    groups = [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups]

    eval_mode(optimizer)
    train_mode(optimizer)

    assert all(torch.equal(a, p) for a, p in zip(weights, model.parameters(), strict=True))
    assert groups == [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
