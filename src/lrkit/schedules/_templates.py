"""Schedule templates: a shape by name, filled with a peak rate and a length when a run starts.

Search spaces and the CLI say `cosine`; a run of 1,200 steps at rate 0.03 turns that into
`cosine(lr=0.03, steps=1200)`. Every template peaks at `lr`.
"""

from __future__ import annotations

from collections.abc import Callable

from ._base import Schedule, ScheduleError
from ._cosine import Cosine
from ._cyclic import OneCycle
from ._decay import Constant, Linear, MultiStep
from ._warmup import WarmupStableDecay, warmup


def _warmup_length(steps: int) -> int:
    return max(1, steps // 20)


TEMPLATES: dict[str, tuple[str, Callable[[float, int], Schedule]]] = {
    "constant": ("the same rate throughout", lambda lr, steps: Constant(lr)),
    "cosine": ("cosine from lr to 0 over the run", lambda lr, steps: Cosine(lr, steps)),
    "warmup_cosine": (
        "linear warmup over 5% of the run, then cosine to 0",
        lambda lr, steps: warmup(_warmup_length(steps)) >> Cosine(lr, steps - _warmup_length(steps)),
    ),
    "one_cycle": ("one-cycle with its default shape", lambda lr, steps: OneCycle(lr, max(steps, 10))),
    "wsd": (
        "warmup 5%, stable, then linear decay over the last 20%",
        lambda lr, steps: WarmupStableDecay(lr, steps, steps // 20, max(1, steps // 5)),
    ),
    "linear": ("straight decay from lr to 0", lambda lr, steps: Linear(lr, 0.0, steps)),
    "multistep": (
        "x0.1 at 50% and at 75% of the run",
        lambda lr, steps: MultiStep(lr, (max(1, steps // 2), max(2, 3 * steps // 4))),
    ),
}


def template(name: str, lr: float, steps: int) -> Schedule:
    """The schedule `name` peaking at `lr` over a run of `steps` steps."""
    if name not in TEMPLATES:
        raise ScheduleError(f"unknown schedule template {name!r}; templates: {', '.join(TEMPLATES)}")
    if steps < 2:
        raise ScheduleError(f"a run needs at least 2 steps to shape its rate, got {steps}")
    return TEMPLATES[name][1](lr, steps)


def resolve(schedule: str | None, lr: float, steps: int) -> Schedule:
    """A template name (filled with lr and steps), a full spec, or None (constant lr)."""
    from ._parse import parse

    if schedule is None:
        return Constant(lr)
    name = schedule.strip()
    if name in TEMPLATES:
        return template(name, lr, steps)
    return parse(schedule)
