"""`Horizon`: the map from a run's step to its schedule's own step, moved by `LRSchedule.retarget`.

Until a retarget it is the identity. A retarget at step r to a new total N keeps every step up to r
and stretches (or squeezes) what is left of the schedule, from its position at r to its end, over
the steps r..N: the rate at r is unchanged (no jump) and the schedule's final rate arrives at N.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass


@dataclass(frozen=True)
class Horizon:
    """Linear pieces `(at, base, total, end)`: from run step `at` the schedule's step goes from
    `base` to `end` at run step `total`, then on at one per step; the identity before the first.
    A later retarget adds a piece and leaves the earlier ones as they were, so past steps keep
    their exact rates."""

    pieces: tuple[tuple[int, float, int, float], ...] = ()

    def __call__(self, step: int) -> float:
        """The schedule's (possibly fractional) step at the run's `step`; `step` itself if never moved."""
        i = bisect.bisect_right(self.pieces, step, key=lambda piece: piece[0])
        if i == 0:
            return step
        at, base, total, end = self.pieces[i - 1]
        if step >= total:
            return end + (step - total)
        return base + (end - base) * ((step - at) / (total - at))

    def stretched(self, at: int, total: int, end: int) -> Horizon:
        """This map up to step `at`, then linear from where it is at `at` to the schedule's `end`
        (its length) at step `total` > `at`."""
        kept = tuple(piece for piece in self.pieces if piece[0] < at)
        return Horizon((*kept, (at, float(self(at)), total, float(end))))

    def to_list(self) -> list[list[float]]:
        """Plain lists for a state_dict."""
        return [list(piece) for piece in self.pieces]

    @staticmethod
    def from_list(pieces: list[list[float]]) -> Horizon:
        """Inverse of `to_list`."""
        return Horizon(tuple((int(a), float(base), int(total), float(end)) for a, base, total, end in pieces))
