"""Create an optimizer by name, checking the name, learning rate and arguments first."""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch

from lrkit.optim._catalog import BY_NAME, ENTRIES, Entry

from ..errors import LrkitError


class OptimizerError(LrkitError):
    """A bad optimizer name, learning rate or argument, or a missing optimizer package."""


@dataclass(frozen=True)
class OptimizerInfo:
    """One registered optimizer as a listing shows it; ``available`` says whether it can be created.

    ``lr_free``: ``lr`` multiplies a step size the optimizer estimates (keep ``default_lr``).
    ``default_lr``: the rate its authors recommend, or None where lrkit should measure it.
    ``package``: the pip package that provides it, None for torch's own.
    """

    name: str
    description: str
    lr_free: bool
    default_lr: float | None
    package: str | None
    available: bool


def list_optimizers() -> list[OptimizerInfo]:
    """Every registered optimizer, torch's own first; imports none of the optional packages."""
    return [
        OptimizerInfo(
            name=entry.name,
            description=entry.description,
            lr_free=entry.lr_free,
            default_lr=entry.default_lr,
            package=entry.package,
            available=entry.package is None or importlib.util.find_spec(entry.module) is not None,
        )
        for entry in ENTRIES
    ]


def create_optimizer(
    name: str,
    params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
    lr: float,
    **args: Any,
) -> torch.optim.Optimizer:
    """Create the optimizer registered as ``name`` over ``params`` (tensors or param-group dicts).

    ``args`` override the registry's defaults (e.g. ``momentum=0.8``); a group's own ``lr`` is kept.
    Every problem (unknown name, bad lr or argument, missing package) raises ``OptimizerError``.
    """
    entry = _lookup(name)
    _check_lr(entry.name, lr, "learning rate")
    cls = _load(entry)
    _check_args(entry.name, cls, args)
    try:
        optimizer = cls(params, lr=float(lr), **{**entry.defaults, **args})
    except (TypeError, ValueError) as exc:
        raise OptimizerError(f"optimizer {entry.name!r}: {exc}") from exc
    for index, group in enumerate(optimizer.param_groups):
        _check_lr(entry.name, group["lr"], f"learning rate of param group {index}")
    return optimizer


def _lookup(name: str) -> Entry:
    key = name.strip().lower().replace("_", "-")
    if key in BY_NAME:
        return BY_NAME[key]
    close = difflib.get_close_matches(key, BY_NAME, n=3)
    hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
    raise OptimizerError(f"unknown optimizer {name!r}{hint}; known: {', '.join(BY_NAME)}")


def _check_lr(name: str, lr: object, what: str) -> None:
    valid = isinstance(lr, numbers.Real) and not isinstance(lr, bool)
    if not (valid and math.isfinite(lr) and lr > 0):
        raise OptimizerError(f"optimizer {name!r}: {what} must be positive and finite, got {lr!r}")


def _load(entry: Entry) -> type[torch.optim.Optimizer]:
    try:
        module = importlib.import_module(entry.module)
    except ImportError as exc:
        raise OptimizerError(
            f"optimizer {entry.name!r} needs the package {entry.package!r}: "
            f"pip install 'lrkit[{entry.extra}]'"
        ) from exc
    return getattr(module, entry.class_name)


def _check_args(name: str, cls: type, args: dict[str, Any]) -> None:
    parameters = inspect.signature(cls).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return
    accepted = [
        p.name
        for p in parameters
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in ("params", "lr")
    ]
    for arg in args:
        if arg not in accepted:
            close = difflib.get_close_matches(arg, accepted, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            listing = ", ".join(accepted)
            raise OptimizerError(
                f"optimizer {name!r} has no argument {arg!r}{hint}; it accepts: {listing}"
            )
