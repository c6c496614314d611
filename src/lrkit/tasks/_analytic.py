"""Analytic tasks whose answers are known: a quadratic bowl and the Rosenbrock valley.

The model holds the point being optimised and its forward returns the objective there, so these
tasks run through the same training engine as the data tasks and check learning-rate methods
against known facts (for a quadratic with largest curvature L, gradient descent diverges for
lr > 2/L).
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from torch import nn

from lrkit.tasks._task import Task, TaskError


def objective(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Loss of an analytic task: the objective value the model computed (the target is unused)."""
    return output.mean()


def _dummy_data() -> tuple[torch.Tensor, torch.Tensor]:
    """One placeholder row: the analytic objectives depend on the parameters only."""
    return torch.zeros(1, 1), torch.zeros(1)


class Quadratic(nn.Module):
    """f(w) = 0.5 (w - w*)^T H (w - w*), with w drawn from torch's generator (N(0, 1))."""

    def __init__(self, hessian: torch.Tensor, optimum: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("hessian", hessian.clone())
        self.register_buffer("optimum", optimum.clone())
        self.w = nn.Parameter(torch.randn(len(optimum)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The objective, repeated once per input row so a batch gives shape (N,)."""
        delta = self.w - self.optimum
        return (0.5 * delta @ (self.hessian @ delta)).expand(len(x))


class Rosenbrock(nn.Module):
    """f(x, y) = (a - x)^2 + b (y - x^2)^2, started near the classic (-1.2, 1) by torch's seed."""

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        super().__init__()
        self.a, self.b = a, b
        self.w = nn.Parameter(torch.tensor([-1.2, 1.0]) + 0.1 * torch.randn(2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The objective, repeated once per input row so a batch gives shape (N,)."""
        u, v = self.w[0], self.w[1]
        return ((self.a - u) ** 2 + self.b * (v - u**2) ** 2).expand(len(x))


def quadratic(
    dim: int = 20, mu: float = 0.1, L: float = 10.0, rotate: bool = True, seed: int = 0
) -> Task:
    """A convex quadratic with eigenvalues log-uniform in [mu, L]; full batch, known answers.

    `seed` fixes the optimum w* and (with `rotate`) a random rotation of the eigenbasis, so that
    the curvature is not aligned with the coordinate axes.
    """
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        raise TaskError(f"quadratic dim must be a positive integer, got {dim!r}")
    if not 0 < mu <= L:
        raise TaskError(f"quadratic needs 0 < mu <= L, got mu={mu!r}, L={L!r}")
    rng = np.random.default_rng(seed)
    eigenvalues = np.geomspace(mu, L, dim)
    if rotate:
        basis, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
        hessian = basis @ np.diag(eigenvalues) @ basis.T
        hessian = (hessian + hessian.T) / 2
    else:
        hessian = np.diag(eigenvalues)
    optimum = rng.standard_normal(dim)
    model = functools.partial(
        Quadratic,
        torch.as_tensor(hessian, dtype=torch.float32),
        torch.as_tensor(optimum, dtype=torch.float32),
    )
    return Task(
        name="quadratic",
        model=model,
        train=_dummy_data(),
        val=_dummy_data(),
        loss=objective,
        steps=500,
        batch_size=1,
        description=f"{dim}-d quadratic, curvature {mu:g}..{L:g}: diverges above lr 2/L={2 / L:g}",
        info={
            "L": L,
            "mu": mu,
            "dim": dim,
            "condition_number": L / mu,
            "lr_max_stable": 2 / L,
            "lr_best": 2 / (L + mu),
            "f_min": 0.0,
        },
    )


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Task:
    """The 2-d Rosenbrock valley: minimum f=0 at (a, a^2), a curved, badly conditioned path."""
    # Hessian at the minimum: [[2 + 8 b a^2, -4 b a], [-4 b a, 2 b]]; its largest eigenvalue bounds
    # the stable step size once the optimiser is close to the minimum.
    trace = 2 + 8 * b * a**2 + 2 * b
    det = (2 + 8 * b * a**2) * 2 * b - 16 * b**2 * a**2
    curvature = (trace + (trace**2 - 4 * det) ** 0.5) / 2
    return Task(
        name="rosenbrock",
        model=functools.partial(Rosenbrock, a, b),
        train=_dummy_data(),
        val=_dummy_data(),
        loss=objective,
        steps=2000,
        batch_size=1,
        description=f"2-d Rosenbrock valley from near (-1.2, 1); minimum 0 at ({a:g}, {a * a:g})",
        info={
            "minimum": (a, a**2),
            "f_min": 0.0,
            "L_at_minimum": curvature,
            "lr_max_stable_at_minimum": 2 / curvature,
        },
    )
