"""The analytic tasks keep their promises: SGD on the quadratic diverges exactly above 2/L."""

from __future__ import annotations

import pytest
import torch

from lrkit.tasks import Task, TaskError, get_task


def _final_loss(task: Task, optimizer_class: type, lr: float, steps: int) -> tuple[float, float]:
    """(initial, final) loss of `steps` full-batch steps, the way the engine feeds the task."""
    torch.manual_seed(0)
    model = task.build_model()
    optimizer = optimizer_class(model.parameters(), lr=lr)
    inputs, targets = task.train
    initial = task.loss_fn()(model(inputs), targets).item()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = task.loss_fn()(model(inputs), targets)
        loss.backward()
        optimizer.step()
    return initial, task.loss_fn()(model(inputs), targets).item()


def test_quadratic_info_matches_its_hessian() -> None:
    task = get_task("quadratic")
    info = task.info
    assert (info["L"], info["mu"]) == (10.0, 0.1)
    assert info["lr_max_stable"] == pytest.approx(2 / 10.0)
    assert info["lr_best"] == pytest.approx(2 / 10.1)
    eigenvalues = torch.linalg.eigvalsh(task.build_model().hessian.double())
    assert eigenvalues[0].item() == pytest.approx(info["mu"], rel=1e-5)
    assert eigenvalues[-1].item() == pytest.approx(info["L"], rel=1e-5)


def test_sgd_converges_below_two_over_l() -> None:
    task = get_task("quadratic")
    initial, final = _final_loss(task, torch.optim.SGD, 0.9 * task.info["lr_max_stable"], 300)
    assert final < 1e-3 * initial


def test_sgd_diverges_above_two_over_l() -> None:
    task = get_task("quadratic")
    initial, final = _final_loss(task, torch.optim.SGD, 1.1 * task.info["lr_max_stable"], 300)
    assert not final < 1e6 * initial  # inf and nan count as diverged


def test_quadratic_minimum_is_zero_at_the_optimum() -> None:
    model = get_task("quadratic").build_model()
    with torch.no_grad():
        model.w.copy_(model.optimum)
    assert model(torch.zeros(3, 1)).tolist() == [0.0, 0.0, 0.0]


def test_quadratic_options() -> None:
    plain = get_task("quadratic", dim=4, rotate=False).build_model().hessian
    assert torch.equal(plain, torch.diag(torch.diagonal(plain)))
    first = get_task("quadratic", seed=0).build_model().optimum
    other = get_task("quadratic", seed=1).build_model().optimum
    assert not torch.equal(first, other)


@pytest.mark.parametrize(
    "options", [{"dim": 0}, {"mu": 0.0}, {"mu": 5.0, "L": 1.0}, {"dim": 2.5}]
)
def test_quadratic_rejects_bad_options(options: dict) -> None:
    with pytest.raises(TaskError, match="quadratic"):
        get_task("quadratic", **options)


def test_rosenbrock_value_gradient_and_info() -> None:
    task = get_task("rosenbrock")
    assert task.info["minimum"] == (1.0, 1.0)
    assert task.info["lr_max_stable_at_minimum"] == pytest.approx(2 / 1001.6, rel=1e-4)
    model = task.build_model()
    with torch.no_grad():
        model.w.copy_(torch.tensor([-1.2, 1.0]))
    value = model(torch.zeros(1, 1)).sum()
    assert value.item() == pytest.approx(24.2)
    value.backward()
    x, y = -1.2, 1.0
    expected = [-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)]
    assert model.w.grad.tolist() == pytest.approx(expected, rel=1e-5)
    with torch.no_grad():
        model.w.copy_(torch.tensor([1.0, 1.0]))
    assert model(torch.zeros(2, 1)).tolist() == [0.0, 0.0]


def test_adam_solves_rosenbrock_within_its_budget() -> None:
    task = get_task("rosenbrock")
    _, final = _final_loss(task, torch.optim.Adam, 1e-2, task.steps)
    assert final < 1e-3
