"""The claims by letter, and `run_claims`: plan every selected claim's runs, train them once, judge."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

from ..errors import LrkitError
from ..events import Callback, ignore
from . import (
    _adam_default,
    _adaptive,
    _batch_size,
    _extremes,
    _one_cycle,
    _overfitting,
    _plateau,
    _quadratic,
)
from ._claim import Claim
from ._jobs import trainer
from ._result import ClaimResult, ClaimsResult

CLAIMS: dict[str, Claim] = {module.CLAIM.id: module.CLAIM for module in (
    _extremes, _quadratic, _adam_default, _adaptive, _plateau, _one_cycle, _overfitting, _batch_size,
)}


class ClaimError(LrkitError):
    """An unknown claim letter, or a bad number of workers."""


def select(only: str | Iterable[str] | None) -> list[Claim]:
    """The claims named by letter ("b,c" or ["b", "c"]), in their own order; None means all."""
    if only is None:
        return list(CLAIMS.values())
    letters = [part.strip().lower() for part in (only.split(",") if isinstance(only, str) else only)]
    letters = [letter for letter in letters if letter]
    unknown = [letter for letter in letters if letter not in CLAIMS]
    if unknown or not letters:
        raise ClaimError(f"unknown claim {', '.join(map(repr, unknown)) or '(none given)'}; "
                         f"choose from {','.join(CLAIMS)} (e.g. --only b,c)")
    return [claim for letter, claim in CLAIMS.items() if letter in letters]


def run_claims(only: str | Iterable[str] | None = None, workers: int | None = None,
               callback: Callback = ignore) -> ClaimsResult:
    """Test the claims `only` names (default all): their runs share one pool of `workers` processes
    (None: one per core, 1: in this process) and a run two claims need is trained once."""
    claims = select(only)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ClaimError(f"workers must be a whole number >= 1, got {workers!r}")
    workers = workers or os.cpu_count() or 1
    started = time.perf_counter()
    with trainer(workers, callback) as runner:
        plans = {claim.id: claim.plan() for claim in claims}
        runs = runner.train(job for jobs in plans.values() for job in jobs)
        follow_ups = {claim.id: claim.follow_up(runs) for claim in claims}
        runs = runner.train(job for jobs in follow_ups.values() for job in jobs)
    results = []
    for claim in claims:
        judgement = claim.judge(runs)
        jobs = {*plans[claim.id], *follow_ups[claim.id]}
        results.append(ClaimResult(
            claim.id, claim.statement, claim.rule, judgement.verdict, judgement.finding,
            judgement.measurements, judgement.panels, len(jobs), sum(runs[job].wall_seconds for job in jobs),
        ))
    return ClaimsResult(tuple(results), time.perf_counter() - started, workers, len(runs))
