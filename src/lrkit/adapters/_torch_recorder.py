"""`RateRecorder`: the rate each param group actually used, update by update, to audit a schedule.

A scheduler's `get_last_lr()` says what it wrote; this says what `optimizer.step()` read. It
records in a step pre-hook, so an update that never ran (one GradScaler skipped) is not recorded,
and comparing with the intended schedule exposes off-by-one milestones and a wrong call order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType

import torch


@dataclass(frozen=True)
class Mismatch:
    """An update whose applied rate differs from the intended one; `step` counts applied updates."""

    step: int
    applied: float
    intended: float


class RateRecorder:
    """Record every param group's rate at each `optimizer.step()` that runs, until `remove()`.

    Usable as a context manager. Tensor rates are copied without reading them (no device sync);
    they become floats only when `rates` is read.
    """

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        self._rows: list[list[float | torch.Tensor]] = []
        self._optimizer = optimizer
        # Run eagerly even inside a compiled step: dynamo would guard on the growing list and recompile.
        self._handle = optimizer.register_step_pre_hook(torch.compiler.disable(self._record))

    def _record(self, optimizer: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
        self._rows.append([_copy(group["lr"]) for group in optimizer.param_groups])

    @property
    def rates(self) -> list[list[float]]:
        """`rates[g][k]`: the rate param group g used in the k-th applied update (for a group added
        mid-run, the k-th update since it was added)."""
        groups = range(len(self._optimizer.param_groups))
        return [[float(row[g]) for row in self._rows if g < len(row)] for g in groups]

    def mismatches(
        self,
        intended: Callable[[int], float] | Sequence[float],
        group: int = 0,
        rel_tol: float = 1e-9,
        abs_tol: float = 0.0,
    ) -> list[Mismatch]:
        """Updates of `group` whose rate is not `intended(k)` (a Schedule, `scheduler.rate_at`, any
        callable or a sequence) within the tolerances; an empty list means the run followed it."""
        expected = intended.__getitem__ if isinstance(intended, Sequence) else intended
        pairs = [Mismatch(k, applied, expected(k)) for k, applied in enumerate(self.rates[group])]
        return [
            pair for pair in pairs
            if not math.isclose(pair.applied, pair.intended, rel_tol=rel_tol, abs_tol=abs_tol)
        ]

    def remove(self) -> None:
        """Stop recording (the rates recorded so far stay)."""
        self._handle.remove()

    def __enter__(self) -> RateRecorder:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.remove()


def _copy(lr: float | torch.Tensor) -> float | torch.Tensor:
    return lr.detach().clone() if isinstance(lr, torch.Tensor) else float(lr)
