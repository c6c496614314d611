"""Closed-form learning-rate schedules: pure, immutable values with a spec language.

    >>> from lrkit.schedules import parse
    >>> s = parse("warmup(200) >> cosine(lr=0.1, steps=5000, min_lr=1e-4)")
    >>> s(0), s(200), len(s.values(5200))
    (0.0, 0.1, 5200)

Every schedule is a frozen dataclass: `s(step)`, `s.values(n)`, `str(s)` (its spec),
`s.to_dict()` / `Schedule.from_dict(d)`, `a >> b` (b starts where a ends) and `factor * s`.
"""

from __future__ import annotations

import dataclasses
import inspect

from .._spec import SpecError, format_value
from ._base import Schedule, ScheduleError, schedule_from_dict
from ._compose import Join, Scaled, join
from ._cosine import Cosine, CosineRestarts
from ._cyclic import Cyclic, OneCycle
from ._decay import (
    Constant,
    Exponential,
    InverseTime,
    Linear,
    MultiStep,
    Piecewise,
    Polynomial,
    StepDecay,
)
from ._parse import ALIASES, parse
from ._scaling import scale_lr, scale_warmup
from ._templates import TEMPLATES, resolve, template
from ._warmup import InverseSqrt, Warmup, WarmupPrefix, WarmupStableDecay, warmup

# Lower-case names, as in the spec language: `cosine(0.1, 5000)` == parse("cosine(0.1, 5000)").
constant = Constant
step = StepDecay
multistep = MultiStep
exponential = Exponential
inverse_time = InverseTime
polynomial = Polynomial
linear = Linear
cosine = Cosine
cosine_restarts = CosineRestarts
cyclic = Cyclic
one_cycle = OneCycle
wsd = WarmupStableDecay
inverse_sqrt = InverseSqrt
piecewise = Piecewise


@dataclasses.dataclass(frozen=True)
class ScheduleInfo:
    """One line of the schedule catalogue: spec name, its parameters and what it does."""

    name: str
    parameters: str
    description: str


_CATALOGUE_ORDER = (
    Constant, StepDecay, MultiStep, Exponential, InverseTime, Polynomial, Linear, Cosine,
    CosineRestarts, Cyclic, OneCycle, Warmup, WarmupStableDecay, InverseSqrt, Piecewise,
)


def catalogue() -> list[ScheduleInfo]:
    """Every schedule the spec language knows: its call with parameters and what it does."""
    entries = []
    for cls in _CATALOGUE_ORDER:
        if cls is Warmup:
            call = f"warmup({_signature(WarmupPrefix)}) >> schedule"
        else:
            call = f"{cls.name}({_signature(cls)})"
        entries.append(ScheduleInfo(cls.name, call, cls.summary))
    entries.append(ScheduleInfo("join", "a >> b", "run b from its own step 0 where a ends"))
    entries.append(ScheduleInfo("scale", "0.5 * s", "a schedule times a constant factor"))
    return entries


def _signature(cls: type) -> str:
    spec_names = {field: alias for alias, field in getattr(cls, "aliases", {}).items()}
    parts = []
    for parameter in inspect.signature(cls).parameters.values():
        name = spec_names.get(parameter.name, parameter.name)
        if parameter.default is inspect.Parameter.empty:
            parts.append(name)
        elif parameter.default is not None:
            parts.append(f"{name}={format_value(parameter.default)}")
        else:
            parts.append(f"{name}=None")
    return ", ".join(parts)


__all__ = [
    "ALIASES",
    "TEMPLATES",
    "Constant",
    "Cosine",
    "CosineRestarts",
    "Cyclic",
    "Exponential",
    "InverseSqrt",
    "InverseTime",
    "Join",
    "Linear",
    "MultiStep",
    "OneCycle",
    "Piecewise",
    "Polynomial",
    "Scaled",
    "Schedule",
    "ScheduleError",
    "ScheduleInfo",
    "SpecError",
    "StepDecay",
    "Warmup",
    "WarmupPrefix",
    "WarmupStableDecay",
    "catalogue",
    "constant",
    "cosine",
    "cosine_restarts",
    "cyclic",
    "exponential",
    "inverse_sqrt",
    "inverse_time",
    "join",
    "linear",
    "multistep",
    "one_cycle",
    "parse",
    "piecewise",
    "polynomial",
    "resolve",
    "scale_lr",
    "scale_warmup",
    "schedule_from_dict",
    "step",
    "template",
    "warmup",
    "wsd",
]
