"""Composition: schedules joined end to end (`a >> b`) and scaled by a factor (`0.5 * s`)."""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

from ._base import Schedule, ScheduleError, positive, set_fields
from ._warmup import Warmup, WarmupPrefix


@dataclass(frozen=True)
class Join(Schedule, name="join"):
    """Schedules one after another: each starts at its own step 0 where the previous one ends
    (optax join_schedules with boundaries at the pieces' lengths; torch SequentialLR). Every piece
    but the last must have a finite length."""

    summary = "run schedules one after another"

    pieces: tuple[Schedule, ...]

    def _check(self) -> None:
        if not isinstance(self.pieces, (list, tuple)) or len(self.pieces) < 2:
            raise ScheduleError(f"a join needs at least two schedules, got {self.pieces!r}")
        flat: list[Schedule] = []
        for piece in self.pieces:
            if not isinstance(piece, Schedule):
                raise ScheduleError(f"can only join schedules, got {piece!r}")
            flat.extend(piece.pieces if isinstance(piece, Join) else [piece])
        for piece in flat[:-1]:
            if piece.length is None:
                raise ScheduleError(
                    f"{piece} never ends, so nothing can follow it; give it steps=N"
                )
        set_fields(self, pieces=tuple(flat))
        starts = tuple(itertools.accumulate(piece.length for piece in flat[:-1]))
        shifted = [functools.partial(self._shifted, p, offset) for p, offset in zip(flat, (0, *starts))]
        set_fields(self, _starts=starts, _pieces=tuple(shifted))

    @property
    def starts(self) -> list[int]:
        """The step at which each piece after the first begins."""
        return list(self._starts)

    @property
    def length(self) -> int | None:
        last = self.pieces[-1].length
        return None if last is None else sum(p.length for p in self.pieces[:-1]) + last

    def _rate(self, t, ops):
        return ops.select(t, self._starts, self._pieces)

    @staticmethod
    def _shifted(piece: Schedule, offset: int, t, ops):
        return piece._at(t - offset, ops)

    def bounds(self) -> tuple[float, float]:
        lows, highs = zip(*(piece.bounds() for piece in self.pieces))
        return (min(lows), max(highs))

    def _phase_starts(self, n: int) -> list[int]:
        out: list[int] = []
        ends = [*self.starts, n]
        for piece, offset, end in zip(self.pieces, [0, *self.starts], ends):
            if offset >= n:
                break
            if offset > 0:
                out.append(offset)
            # A piece's own phases stop where the next piece takes over.
            out.extend(offset + s for s in piece.phase_starts(min(n, end) - offset))
        return out

    def __str__(self) -> str:
        # Pieces never are joins (they are flattened) and `*` binds tighter than `>>`.
        return " >> ".join(str(piece) for piece in self.pieces)


@dataclass(frozen=True)
class Scaled(Schedule, name="scale"):
    """A schedule multiplied by a constant factor: lr(t) = factor * schedule(t)."""

    summary = "a schedule times a constant factor"

    schedule: Schedule
    factor: float

    def _check(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise ScheduleError(f"can only scale a schedule, got {self.schedule!r}")
        factor = positive(self.factor, "factor") if self.factor != 0 else 0.0
        if not math.isfinite(factor):
            raise ScheduleError(f"factor must be finite, got {self.factor!r}")
        set_fields(self, factor=factor)

    @property
    def length(self) -> int | None:
        return self.schedule.length

    def _rate(self, t, ops):
        return self.factor * self.schedule._at(t, ops)

    def bounds(self) -> tuple[float, float]:
        low, high = self.schedule.bounds()
        return (self.factor * low, self.factor * high)

    def _phase_starts(self, n: int) -> list[int]:
        return self.schedule.phase_starts(n)

    def __str__(self) -> str:
        # `0.5 * 0.5 * s` is not in the grammar, so a scaled schedule inside is grouped too.
        return f"{self.factor!r} * {_grouped(self.schedule, (Join, Warmup, Scaled))}"


def _grouped(schedule: Schedule, needs_parentheses) -> str:
    text = str(schedule)
    return f"({text})" if isinstance(schedule, needs_parentheses) else text


def join(*schedules: Schedule | WarmupPrefix) -> Schedule:
    """`join(a, b, c)` is `a >> b >> c`: each starts where the previous ends."""
    if len(schedules) < 2:
        raise ScheduleError(f"a join needs at least two schedules, got {len(schedules)}")
    if isinstance(schedules[0], WarmupPrefix):
        raise ScheduleError("warmup(...) must be followed by the schedule it warms up")
    if any(isinstance(s, WarmupPrefix) for s in schedules):
        raise ScheduleError("put warmup(...) in front of the schedule it warms up: a >> (warmup(n) >> b)")
    return Join(tuple(schedules))
