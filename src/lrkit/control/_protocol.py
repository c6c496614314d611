"""The controller protocol, its error type and the config round trip shared by all controllers.

A controller turns observations (loss, metric, gradient norm) into a multiplier that an adapter
applies on top of any schedule, so closed-loop rules compose with closed-form schedules.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

from .._spec import format_call
from ..errors import LrkitError


class ControllerError(LrkitError):
    """A controller's parameters, config dict or saved state are invalid."""


@runtime_checkable
class Controller(Protocol):
    """What an adapter needs from a closed-loop controller.

    The adapter calls `observe` with whatever it has, reads `multiplier` and sets
    `lr = schedule(step) * multiplier`. `state_dict()` holds only JSON values, so a checkpoint can
    store it as is; `to_dict()` and `str()` give the configuration (`{"type": ..., **params}` and a
    spec such as `plateau(factor=0.5, patience=3)`).
    """

    def observe(
        self,
        step: int,
        *,
        loss: float | None = None,
        metric: float | None = None,
        grad_norm: float | None = None,
    ) -> None:
        """Take one observation; keywords the controller does not watch may be None."""

    @property
    def multiplier(self) -> float:
        """The factor the adapter multiplies the schedule's rate by."""

    def state_dict(self) -> dict[str, Any]:
        """The mutable state as JSON values (int, float, str, bool, None, lists)."""

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a `state_dict()`; bad keys or values raise `ControllerError`."""

    def to_dict(self) -> dict[str, Any]:
        """The configuration, `{"type": name, **params}`."""

    def __str__(self) -> str:
        """The spec, e.g. `plateau(factor=0.5, patience=3)`: non-default parameters only."""


_Registered = TypeVar("_Registered", bound=type)

_CONTROLLERS: dict[str, type] = {}


def register(cls: _Registered) -> _Registered:
    """Make a dataclass controller known to `controller_from_dict` under its `type_name`."""
    _CONTROLLERS[cls.type_name] = cls
    return cls


class ConfigMixin:
    """`to_dict()` and `__str__` for a controller whose init fields are its configuration."""

    type_name: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        """The configuration, `{"type": type_name, **params}`; `controller_from_dict` inverts it."""
        return {"type": self.type_name, **{f.name: getattr(self, f.name) for f in _params(self)}}

    def __str__(self) -> str:
        """The spec: the non-default parameters in field order, e.g. `plateau(factor=0.5)`."""
        values = [(f, getattr(self, f.name)) for f in _params(self)]
        return format_call(self.type_name, [(f.name, v) for f, v in values if v != f.default])


def controller_from_dict(d: dict[str, Any]) -> Controller:
    """Build a controller from its `to_dict()` output, dispatching on `d["type"]`."""
    if not isinstance(d, dict) or "type" not in d:
        raise ControllerError(f"a controller dict needs a 'type' key, got {d!r}")
    params = dict(d)
    name = params.pop("type")
    cls = _CONTROLLERS.get(name)
    if cls is None:
        known = ", ".join(sorted(_CONTROLLERS))
        raise ControllerError(f"unknown controller type {name!r}; known types: {known}")
    allowed = {f.name for f in _params(cls)}
    unknown = sorted(set(params) - allowed)
    if unknown:
        allowed_list = ", ".join(sorted(allowed))
        raise ControllerError(
            f"unknown parameter(s) {', '.join(unknown)} for {name!r}; allowed: {allowed_list}"
        )
    return cls(**params)


def _params(obj: object) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(obj) if f.init]
