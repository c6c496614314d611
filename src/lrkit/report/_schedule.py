"""The numbers a person wants from a schedule: start, phase boundaries, end, min and max."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..schedules import Schedule

MAX_PHASE_ROWS = 20


@dataclass(frozen=True)
class SchedulePoint:
    """One row of a schedule summary: a step, its rate and why it is shown."""

    step: int
    lr: float
    label: str

    def to_dict(self) -> dict:
        return asdict(self)


def summarize_schedule(schedule: Schedule, steps: int) -> list[SchedulePoint]:
    """Start, each phase start (at most MAX_PHASE_ROWS), end, then the minimum and maximum."""
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    values = schedule.values(steps)
    points = [SchedulePoint(0, float(values[0]), "start")]
    starts = [s for s in schedule.phase_starts(steps) if 0 < s < steps - 1]
    for step in starts[:MAX_PHASE_ROWS]:
        points.append(SchedulePoint(step, float(values[step]), "phase start"))
    if len(starts) > MAX_PHASE_ROWS:
        points.append(SchedulePoint(starts[-1], float(values[starts[-1]]), "last phase start"))
    if steps > 1:
        points.append(SchedulePoint(steps - 1, float(values[-1]), "end"))
    low, high = int(np.argmin(values)), int(np.argmax(values))
    points.append(SchedulePoint(low, float(values[low]), "min"))
    points.append(SchedulePoint(high, float(values[high]), "max"))
    return points
