"""Every threshold halving acts on, for `tune` and for `sweep --strategy sha` alike, in one frozen
object whose fields say where each value came from (`Policy.source`).

"Design tasks" are the design split of benchmarks/suite (docs/benchmarks.md): values are chosen
there and only reported on the test split. `benchmarks/derive_policy.py` recomputes the values
that are measured from the oracle's grid; the ablations are in docs/tune.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any


def _value(default: Any, source: str) -> Any:
    return field(default=default, metadata={"source": source})


@dataclass(frozen=True)
class Policy:
    """How halving ranks runs, keeps them, calls ties and twins, and sees overfitting."""

    keep: float = _value(0.5, "tune keeps half at each rung: 8 candidates over 4 rungs end in one finalist "
                              "(budget 2) or two (budget 3); sha keeps a third: a quarter of a grid's cost")
    tie: float = _value(0.10, "chosen on the built-in tasks: momentum SGD at 0.18 scored 0.05 on seed 0 "
                              "and 0.10-0.24 on five others on a 120-example task")
    twin: float = _value(0.10, "two runs whose rates and distances so far are within this are one piece "
                               "of evidence (a grid rate and a range's draw beside it)")
    per_family: bool = _value(False, "short-horizon bias: a fast starter leads early and ends behind; with "
                                     "this the best of each optimizer keeps a place at every cut")
    cool_down: float = _value(0.0, "a run is judged at a rung by a branch from its checkpoint whose rate "
                                    "falls linearly to zero over this fraction of the rung's steps (0: as it "
                                    "stands); sha judges as it stands")
    rise: float = _value(1.05, "overfitting: the latest validation loss this far above the run's lowest...")
    climb: int = _value(3, "...after rising at each of this many evaluations (a climb, not a bounce)")
    settle: float = _value(1.10, "a finished run that ended this far above its own lowest went past its "
                                 "best point")
    single_run_scale: float = _value(1.0, "budget 1 trains the range test's suggestion times this")

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
