"""The `Schedule` base: a pure, immutable value mapping a step count to a learning rate.

Each schedule states its formula once, in `_rate(t, ops)`. `ops` is either the scalar namespace
(Python's `math`, fast for one step) or the array namespace (NumPy, for `values(n)`), so the
per-step call and the vectorised preview evaluate the same expression in the same order and agree
to the last bit.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import math
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np

from .._spec import format_call
from ..errors import LrkitError


class ScheduleError(LrkitError):
    """A schedule was built with an impossible parameter; the message names it and the fix.
    `field` is the parameter at fault, when one is (a spec error then points at it)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _select_scalar(t: float, boundaries: Sequence[float], pieces: Sequence[Callable]) -> float:
    return pieces[bisect.bisect_right(boundaries, t)](t, SCALAR_OPS)


def _select_array(t: np.ndarray, boundaries: Sequence[float], pieces: Sequence[Callable]):
    index = np.searchsorted(np.asarray(boundaries, dtype=float), t, side="right")
    out = np.empty_like(t)
    for i, piece in enumerate(pieces):
        mask = index == i
        if mask.any():
            out[mask] = piece(t[mask], ARRAY_OPS)
    return out


def _where_scalar(condition: bool, yes: float, no: float) -> float:
    return yes if condition else no


def _elementwise(function: Callable[..., float], nin: int) -> Callable[..., np.ndarray]:
    """`function` of `math` applied to each element, as a float64 array. NumPy's own `np.cos` and
    `np.power` are other implementations (SIMD kernels) that may round the last bit differently
    from the C library's, which the per-step call uses; this calls the very same function."""
    ufunc = np.frompyfunc(function, nin, 1)

    def apply(*args: Any) -> np.ndarray:
        return np.asarray(ufunc(*args), dtype=np.float64)

    return apply


# Both namespaces compute with the same functions of the C library where rounding can differ:
# `cos` and `pow` (write `ops.pow(base, exponent)` for a float raised to a step-dependent power,
# never `**`, which NumPy evaluates with its own kernel). `sqrt`, `floor`, `minimum`, `maximum`
# and + - * / are exactly rounded by IEEE 754 in both, so NumPy's fast versions are used.
# `select(t, boundaries, pieces)` evaluates only the piece each step falls in (piece i covers
# boundaries[i-1] <= t < boundaries[i]), so a phase's formula never sees steps outside its phase.
# A piece is a callable `(t, ops)`; schedules build theirs once, in `_check`, since the per-step
# call is on the training loop's hot path.
SCALAR_OPS = SimpleNamespace(
    cos=math.cos, pow=math.pow, sqrt=math.sqrt, floor=math.floor,
    minimum=min, maximum=max, where=_where_scalar, select=_select_scalar,
    count=bisect.bisect_right, take=lambda items, index: items[index],
)
ARRAY_OPS = SimpleNamespace(
    cos=_elementwise(math.cos, 1), pow=_elementwise(math.pow, 2), sqrt=np.sqrt, floor=np.floor,
    minimum=np.minimum, maximum=np.maximum, where=np.where, select=_select_array,
    count=lambda sorted_values, t: np.searchsorted(sorted_values, t, side="right"),
    take=lambda items, index: np.asarray(items)[index],
)

_REGISTRY: dict[str, type[Schedule]] = {}


class Schedule:
    """A learning-rate schedule: `s(step) -> lr`, `s.values(n)`, a spec string and a dict form.

    Subclasses are frozen dataclasses registered by `name`; they check their fields in `_check`
    and give their formula in `_rate`. A schedule with a finite `length` holds its last value
    after it, and `a >> b` starts `b` (at its own step 0) where `a` ends.
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""  # one line for `lrkit schedule --list`
    # Spec parameter names accepted in place of a field name, e.g. piecewise's `values` -> `rates`.
    aliases: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, name: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if name:
            cls.name = name
            _REGISTRY[name] = cls

    def __post_init__(self) -> None:
        try:
            self._check()
            object.__setattr__(self, "_length", self.length)  # read on every call
            self._check_finite()
        except ScheduleError as error:
            raise ScheduleError(f"{self.name}(): {error}", error.field) from None

    def _check_finite(self) -> None:
        """Refuse fields whose rates overflow (a rising gamma over many steps, a huge factor)."""
        try:
            low, high = self.bounds()
        except OverflowError:
            low, high = 0.0, math.inf
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ScheduleError(
                f"the rates grow past the float range (up to {high!r}); use a smaller growth "
                "factor or fewer steps"
            )

    # -- what subclasses provide ------------------------------------------------------------
    def _check(self) -> None:
        """Validate and normalise fields (via `_set`); raise ScheduleError naming the bad one."""

    def _rate(self, t: Any, ops: SimpleNamespace) -> Any:
        raise NotImplementedError

    @property
    def length(self) -> int | None:
        """Steps until the schedule ends (where `>>` starts the next one); None if it never ends."""
        return getattr(self, "steps", None)

    def bounds(self) -> tuple[float, float]:
        """The lowest and highest rate this schedule can produce, at any step."""
        raise NotImplementedError

    def phase_starts(self, n: int) -> list[int]:
        """Steps below `n` where a new phase begins (for tables and plots); none after the
        schedule has ended, where it holds its last rate."""
        length = self.length
        return self._phase_starts(n if length is None else min(n, length + 1))

    def _phase_starts(self, n: int) -> list[int]:
        return []

    # -- evaluation -------------------------------------------------------------------------
    def __call__(self, step: int) -> float:
        """The learning rate at `step` (0-based count of optimizer updates)."""
        if step < 0:
            raise ScheduleError(f"step must be >= 0, got {step}")
        length = self._length
        return float(self._rate(step if length is None or step < length else length, SCALAR_OPS))

    def _at(self, t: Any, ops: SimpleNamespace) -> Any:
        length = self._length
        if length is not None:
            t = ops.minimum(t, length)
        return self._rate(t, ops)

    def values(self, n: int) -> np.ndarray:
        """The rates at steps 0..n-1 as a float64 array, equal to `[s(k) for k in range(n)]`."""
        if n < 0:
            raise ScheduleError(f"n must be >= 0, got {n}")
        t = np.arange(n, dtype=np.float64)
        with np.errstate(all="ignore"):
            out = self._at(t, ARRAY_OPS)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), (n,)).copy()

    # -- composition ------------------------------------------------------------------------
    def __rshift__(self, other: Schedule) -> Schedule:
        from ._compose import join

        return join(self, other)

    def __mul__(self, factor: float) -> Schedule:
        from ._compose import Scaled

        return Scaled(self, factor)

    __rmul__ = __mul__

    # -- spec and dict forms ----------------------------------------------------------------
    def _arguments(self) -> list[tuple[str, Any]]:
        """(field, value) pairs that differ from their defaults, in declaration order."""
        pairs = []
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if field.default is not dataclasses.MISSING and value == field.default:
                continue
            pairs.append((field.name, value))
        return pairs

    def __str__(self) -> str:
        return format_call(self.name, self._arguments())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: {"type": name, field: value, ...}; nested schedules as dicts."""
        out: dict[str, Any] = {"type": self.name}
        for key, value in self._arguments():
            out[key] = _to_plain(value)
        return out

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Schedule:
        """Rebuild any schedule from `to_dict()` output."""
        return schedule_from_dict(data)


def _to_plain(value: Any) -> Any:
    if isinstance(value, Schedule):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_to_plain(item) for item in value]
    return value


def _from_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return schedule_from_dict(value)
    if isinstance(value, list):
        return tuple(_from_plain(item) for item in value)
    return value


def schedule_from_dict(data: dict[str, Any]) -> Schedule:
    """Rebuild a schedule from its dict form; unknown types or fields raise ScheduleError."""
    if not isinstance(data, dict) or "type" not in data:
        raise ScheduleError(f"a schedule dict needs a 'type' key, got {data!r}")
    cls = _REGISTRY.get(data["type"])
    if cls is None:
        raise ScheduleError(f"unknown schedule type {data['type']!r}; known: {', '.join(_REGISTRY)}")
    arguments = {key: _from_plain(value) for key, value in data.items() if key != "type"}
    try:
        return cls(**arguments)
    except TypeError as error:
        raise ScheduleError(f"{cls.name}: {error}") from None


def registry() -> dict[str, type[Schedule]]:
    """Every registered schedule class by its spec name."""
    return dict(_REGISTRY)


# -- field checks used by the subclasses' `_check` ------------------------------------------
def set_fields(obj: Schedule, **values: Any) -> None:
    """Store normalised values on a frozen dataclass (only from `_check`)."""
    for key, value in values.items():
        object.__setattr__(obj, key, value)


def rate(value: Any, field: str) -> float:
    """A learning rate: a finite number >= 0."""
    number = _number(value, field)
    if not math.isfinite(number) or number < 0:
        raise ScheduleError(f"{field} must be a finite rate >= 0, got {value!r}", field)
    return number


def positive(value: Any, field: str) -> float:
    """A finite number > 0."""
    number = _number(value, field)
    if not math.isfinite(number) or number <= 0:
        raise ScheduleError(f"{field} must be a finite number > 0, got {value!r}", field)
    return number


def fraction(value: Any, field: str, *, low: float, high: float, closed_low: bool = True) -> float:
    """A number within [low, high] (or (low, high] when closed_low is False)."""
    number = _number(value, field)
    above = number >= low if closed_low else number > low
    if not (above and number <= high):
        bracket = "[" if closed_low else "("
        raise ScheduleError(f"{field} must be in {bracket}{low}, {high}], got {value!r}", field)
    return number


def count(value: Any, field: str, *, minimum: int = 1) -> int:
    """A whole number of steps >= minimum."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ScheduleError(f"{field} must be a whole number of steps, got {value!r}", field)
    if not math.isfinite(value) or value != int(value) or value < minimum:
        raise ScheduleError(f"{field} must be a whole number of steps >= {minimum}, got {value!r}", field)
    return int(value)


def optional_count(value: Any, field: str) -> int | None:
    """None (goes on forever) or a whole number of steps >= 1."""
    return None if value is None else count(value, field)


def flag(value: Any, field: str) -> bool:
    """A true/false switch; a string such as "false" is refused, not read as true."""
    if not isinstance(value, (bool, np.bool_)):
        raise ScheduleError(f"{field} must be true or false, got {value!r}", field)
    return bool(value)


def choice(value: Any, field: str, options: Sequence[str]) -> str:
    """One of a few named options."""
    if value not in options:
        raise ScheduleError(f"{field} must be one of {', '.join(map(repr, options))}, got {value!r}", field)
    return value


def increasing(values: Any, field: str) -> tuple[int, ...]:
    """A strictly increasing tuple of step counts >= 1."""
    if not isinstance(values, (list, tuple)) or not values:
        raise ScheduleError(f"{field} must be a non-empty list of steps, got {values!r}", field)
    steps = tuple(count(item, field) for item in values)
    if any(b <= a for a, b in itertools.pairwise(steps)):
        raise ScheduleError(f"{field} must be strictly increasing, got {list(steps)}", field)
    return steps


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ScheduleError(f"{field} must be a number, got {value!r}", field)
    return float(value)
