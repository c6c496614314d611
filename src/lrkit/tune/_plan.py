"""How `tune` spends a budget: range-test length, candidate rates, halving rungs, and how many
other schedules get a full run at the winning rate. Every number here was chosen on the
benchmark (benchmarks/bench_tune.py; the measurements are in docs/tune.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import LrkitError
from ..optim import list_optimizers
from ..schedules import TEMPLATES
from ..search._halving import places
from ..search._policy import TUNE, Policy
from ..train import Recipe

DEFAULT_OPTIMIZERS = ("adam", "momentum")  # budget 1 runs the first only
# The schedule the rate search runs with first, then the others in the order they get a full run
# at the winner's rate when the budget has room. "wsd" searches on a constant-rate trunk: every
# run is judged, and every finalist ends, by a decay branched from its checkpoint (`cool_down`),
# and the winner's trunk run on to the end is the constant schedule's full run.
DEFAULT_SCHEDULES = ("wsd", "constant", "cosine", "one_cycle", "warmup_cosine", "plateau")
TRUNK = "wsd"
SINGLE = "cosine"  # budget 1's schedule when the search's is "wsd": one run has no trunk to branch
PLATEAU = "plateau(factor=0.5, patience=2)"
# Candidate rates as multiples of the range test's suggestion: a short test's suggestion was
# measured from 5x below to 11x above the best rate of a full cosine run (first round, built-in
# tasks). On the design split the best of these candidates is within 1.068 of the oracle, five
# from 0.03x within 1.043 (derive_policy.py); not changed, as no real search was measured.
MULTIPLIERS = (0.1, 10**-0.5, 1.0, 10**0.5)
# Rungs at 1/27, 1/9 and 1/3 of a run, then the full run; halving keeps `Policy.keep` at each
# rung, with one finalist run in full (budget 2) or two (budget 3 and up).
RUNG_FRACTIONS = (27, 9, 3, 1)


class TuneError(LrkitError):
    """`tune` asked for something it cannot do; the message says what to change."""


@dataclass(frozen=True)
class TunePlan:
    """`finder_steps` per range test; candidates are every searched optimizer at each rate of
    `multipliers` x its suggestion with `schedules[0]`; `rungs` are where halving judges them;
    `alternatives` other schedules (or plateau control) get a full run at the winner's rate."""

    steps: int
    finder_steps: int
    optimizers: tuple[str, ...]
    multipliers: tuple[float, ...]
    search_schedule: str
    alternatives: tuple[str, ...]
    rungs: tuple[int, ...]
    keep: tuple[int, ...]  # runs going on past each rung but the last
    rescue_steps: int = 0  # steps for finishing lower rates in place of finalists that overfit
    cool_steps: tuple[int, ...] = ()  # each rung's cool-down branch per run (0 or absent: none)
    decay_steps: int = 0  # with a "wsd" search: each finalist's decay, from its trunk's last steps
    continue_trunk: bool = False  # and the winner's trunk goes on to the end: the constant schedule

    @property
    def trunk(self) -> bool:
        """Whether runs train at a constant rate and are judged by decays branched from them."""
        return self.decay_steps > 0

    @property
    def stops(self) -> tuple[int, ...]:
        """Where halving pauses its runs: each rung, and for finalists the end (of their trunk)."""
        return (*self.rungs[:-1], self.steps - self.decay_steps)

    @property
    def eval_every(self) -> int:
        """Evaluations fall on every rung."""
        return self.rungs[0]

    def candidates(self, suggestions: dict[str, float], seed: int) -> list[Recipe]:
        """The recipes halving starts from: each optimizer with a suggestion at every multiple
        of it, a rate-free one at its authors' rate only."""
        free = {info.name for info in list_optimizers() if info.lr_free}
        schedule = "constant" if self.trunk else self.search_schedule
        return [Recipe(optimizer, float(f"{suggestions[optimizer] * m:.3g}"), schedule, seed=seed)
                for optimizer in self.optimizers if optimizer in suggestions
                for m in ((1.0,) if optimizer in free else self.multipliers)]

    def alternative(self, winner: Recipe, name: str) -> Recipe:
        """The winner's optimizer and rate with another schedule, or constant + plateau control."""
        if name == "plateau":
            return Recipe(winner.optimizer, winner.lr, "constant", PLATEAU, seed=winner.seed)
        return Recipe(winner.optimizer, winner.lr, name, seed=winner.seed)


def halving_cost(candidates: int, rungs: tuple[int, ...], keep: tuple[int, ...], steps: int) -> float:
    """Full runs spent by halving `candidates` over `rungs`, survivors resumed, not retrained."""
    spent, alive, done = 0, candidates, 0
    for rung, kept in zip(rungs, (*keep, 0)):
        spent += alive * (rung - done)
        alive, done = min(alive, kept), rung
    return spent / steps


def make_plan(steps: int, budget: float, optimizers: tuple[str, ...] | None = None,
              schedules: tuple[str, ...] | None = None, policy: Policy = TUNE) -> TunePlan:
    """The widest search `budget` full runs pay for on a task of `steps` steps (at least a short
    range test and one full run at the suggestion scaled by `policy.single_run_scale`: budget 1)."""
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not math.isfinite(budget) \
            or budget < 1:
        raise TuneError(f"budget must be at least 1 (full training runs), got {budget!r}")
    optimizers = tuple(optimizers or DEFAULT_OPTIMIZERS)
    schedules = tuple(schedules or DEFAULT_SCHEDULES)
    _check(optimizers, schedules)
    finder_steps = min(100, max(10, steps // 10))
    single = TunePlan(steps, finder_steps, optimizers[:1], (policy.single_run_scale,),
                      SINGLE if schedules[0] == TRUNK else schedules[0], (), (steps,), ())
    if budget < 1.5 or steps < RUNG_FRACTIONS[0]:  # no room to compare: one run at the suggestion
        return single
    first = steps // RUNG_FRACTIONS[0]  # rungs are multiples of the first, so evaluations land on each
    rungs = (*(first * RUNG_FRACTIONS[0] // fraction for fraction in RUNG_FRACTIONS[:-1]), steps)
    candidates = len(optimizers) * len(MULTIPLIERS)
    finalists = 1 if budget < 2.6 else 2
    going_on, alive = [], candidates
    for _ in rungs[:-1]:
        alive = places(alive, policy, finalists)
        going_on.append(alive)
    keep = tuple(going_on)
    spent = len(optimizers) * finder_steps / steps + halving_cost(candidates, rungs, keep, steps)
    if spent > budget:  # a task so short that the range tests alone eat the search
        return single
    trunk = schedules[0] == TRUNK
    others = tuple(name for name in schedules[1:] if not (trunk and name == "constant"))
    room = min(len(others), max(0, math.floor(budget - spent + 1e-9)))
    spare = (budget - spent - room) * steps
    decay = max(1, round(policy.decay * steps)) if trunk else 0
    continue_trunk = trunk and policy.continue_trunk and "constant" in schedules and decay <= spare
    spare -= decay if continue_trunk else 0
    cool = cool_downs(rungs, (candidates, *keep), policy, spare) if trunk else ()
    spare -= sum(alive * branch for alive, branch in zip((candidates, *keep), cool))
    # Finishing a rate stopped at the first rung instead of a finalist stopped at the last: one
    # such rescue is always paid for (it may overspend by up to 0.3 runs), more from what is left.
    rescue = max(int(spare), rungs[-2] - rungs[0])
    return TunePlan(steps, finder_steps, optimizers, MULTIPLIERS, schedules[0], others[:room],
                    rungs, keep, rescue, cool, decay, continue_trunk)


def cool_downs(rungs: tuple[int, ...], alive: tuple[int, ...], policy: Policy,
               spare: float) -> tuple[int, ...]:
    """Steps of the cool-down branch each run takes at each rung but the last (`policy.cool_down`
    of the rung's step), paid from `spare` steps from the last cut back, where the choice is
    narrowest; a rung the budget cannot pay for judges its runs as they stand (0)."""
    paid = [0] * (len(rungs) - 1)
    for index in reversed(range(len(rungs) - 1)):
        branch = round(policy.cool_down * rungs[index])
        if branch >= 1 and alive[index] * branch <= spare:
            paid[index], spare = branch, spare - alive[index] * branch
    return tuple(paid)


def _check(optimizers: tuple[str, ...], schedules: tuple[str, ...]) -> None:
    available = {info.name for info in list_optimizers() if info.available}
    for name in optimizers:
        if name not in available:
            raise TuneError(f"optimizer {name!r} is unknown or not installed; available: "
                            f"{', '.join(sorted(available))}")
    for name in schedules:
        if name not in TEMPLATES and name != "plateau":
            raise TuneError(f"unknown schedule {name!r}; choose from {', '.join([*TEMPLATES, 'plateau'])}")
