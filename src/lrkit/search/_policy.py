"""Every threshold halving acts on, for `tune` and for `sweep --strategy sha` alike, in one frozen
object whose fields say where each value came from (`Policy.source`).

"Design tasks" are the design split of benchmarks/suite (docs/benchmarks.md): values are chosen
there and only reported on the test split. `benchmarks/derive_policy.py` recomputes the values
that are measured from the oracle's grid; the ablations are in docs/tune.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..errors import LrkitError


class PolicyError(LrkitError):
    """A policy field out of its range; the message names the field and the range."""


def _value(default: Any, source: str) -> Any:
    return field(default=default, metadata={"source": source})


@dataclass(frozen=True)
class Policy:
    """How halving ranks runs, keeps them, calls ties and twins, and sees overfitting."""

    keep: float = _value(0.5, "tune keeps half at each rung: 8 candidates over 4 rungs end in one finalist "
                              "(budget 2) or two (budget 3); sha keeps a third: a quarter of a grid's cost. "
                              "Carried over from the first round (built-in tasks), not re-chosen on the "
                              "design split")
    tie: float = _value(0.10, "seed noise: on the design tasks, 80% of the configurations within 1.5x of "
                              "the best land within 8.6% of each other on two seeds (derive_policy.py); "
                              "0.086 and 0.10 chose alike on every design task, 0.10 kept")
    twin: float = _value(0.10, "two runs whose rates and distances so far are within this are one piece "
                               "of evidence (a grid rate and a range's draw beside it); first round, "
                               "built-in tasks, not re-chosen on the design split")
    per_family: bool = _value(False, "the best of each optimizer keeps a place at every cut (against "
                                     "short-horizon bias); on the design tasks it scored 1.205/1.179 at "
                                     "budget 2/3 against 1.173/1.172 without (cosine search): off")
    decay: float = _value(0.2, "a wsd search's finalists end with a linear decay over this fraction of "
                               "the run: on the design tasks at cosine's best rate, 20% scored 1.015x "
                               "cosine (median 1.007), 10% 1.063x (derive_policy.py --schedules)")
    cool_down: float = _value(0.2, "a wsd search judges a run at a rung by a decay branched from its "
                                   "checkpoint over this fraction of the rung's steps (0: as it stands), "
                                   "paid from the budget's spare, last cut first; design tasks, budget 2/3: "
                                   "0.2 scored 1.117/1.116 of the oracle, 0.1 1.181/1.337, 0 1.216/1.214 "
                                   "(bench_tune.py --variant); sha judges as it stands")
    continue_trunk: bool = _value(True, "a wsd search runs the winner's trunk on to the end as the constant "
                                        "schedule's full run when the spare budget pays for its decay's "
                                        "steps (budget 3 and up); design tasks, budget 3: 1.116 with it, "
                                        "1.356 without (bench_tune.py --variant)")
    rise: float = _value(1.05, "overfitting: the latest validation loss this far above the run's lowest... "
                               "(rise, climb, settle: first round, built-in tasks, not re-chosen here)")
    climb: int = _value(3, "...after rising at each of this many evaluations (a climb, not a bounce)")
    settle: float = _value(1.10, "a finished run that ended this far above its own lowest went past its "
                                 "best point")
    single_run_scale: float = _value(0.5, "budget 1 trains the range test's suggestion times this: too high "
                                          "a rate costs far more than too low; design tasks: 1.237 at 0.5, "
                                          "1.349 at 0.316, 1.418 at 1 (bench_tune.py --variant)")

    def __post_init__(self) -> None:
        """A value that no search can act on is one error line naming the field and its range."""
        ranges = {"keep": (0.0, 1.0, False), "tie": (0.0, 1.0, True), "twin": (0.0, 1.0, True),
                  "decay": (0.0, 1.0, False), "cool_down": (0.0, 1.0, True), "rise": (1.0, math.inf, True),
                  "settle": (1.0, math.inf, True), "single_run_scale": (0.0, math.inf, False)}
        for name, (low, high, closed) in ranges.items():
            value = getattr(self, name)
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
                and (low <= value if closed else low < value) and value <= high
            if not ok:
                span = f"{'[' if closed else '('}{low:g}, {high:g}{']' if high < math.inf else ')'}"
                raise PolicyError(f"Policy.{name} must be a number in {span}, got {value!r}")
        if isinstance(self.climb, bool) or not isinstance(self.climb, int) or self.climb < 1:
            raise PolicyError(f"Policy.climb must be a whole number of evaluations >= 1, got {self.climb!r}")
        for name in ("per_family", "continue_trunk"):
            if not isinstance(getattr(self, name), bool):
                raise PolicyError(f"Policy.{name} must be True or False, got {getattr(self, name)!r}")

    def source(self, name: str) -> str:
        """Where the value of field `name` came from."""
        return next(f.metadata["source"] for f in fields(self) if f.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Policy:
        """The policy `data` names; fields it lacks (a result written before they existed) keep
        tune's defaults."""
        known = {f.name for f in fields(Policy)}
        return Policy(**{name: value for name, value in data.items() if name in known})

    def describe(self) -> list[str]:
        """Each field as `name = value: source`."""
        return [f"{f.name} = {getattr(self, f.name)!r}: {f.metadata['source']}" for f in fields(self)]


TUNE = Policy()
SHA = replace(TUNE, keep=1 / 3)
