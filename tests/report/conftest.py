"""Results to report on, from one real (small) tune: its JSON, a sweep and a run made of its runs,
its range test, and a hand-made claims result; and real small results of every kind: a sweep of
each strategy on cancer-logreg and claim b (the quadratic task, seconds) run for real."""

from __future__ import annotations

import json
import re

import pytest

import lrkit
from lrkit.search import Space, SweepResult, TrialRecord, sweep

# A small sweep of each strategy (cancer-logreg: a full run takes a tenth of a second): halving
# strategies over a rate range, so runs stop at rungs between the full runs' evaluations; a grid on
# two seeds with a rate that diverges.
SWEEPS = {
    "grid": (Space(lrs=(0.01, 0.1, 1e3), optimizers=("momentum",), schedules=("cosine",), seeds=(0, 1)), {}),
    "random": (Space(lr_range=(1e-4, 1.0)), {"trials": 3, "confirm": 2}),
    "descending": (Space(lrs=(0.3, 0.1, 0.03, 0.01, 0.003), optimizers=("adam",)), {}),
    "sha": (Space(lr_range=(1e-4, 1.0), optimizers=("sgd", "adam"), schedules=("constant", "cosine")),
            {"trials": 12, "confirm": 2}),
    "asha": (Space(lr_range=(1e-4, 1.0), optimizers=("momentum", "adam")), {"trials": 9, "confirm": 1}),
    "hyperband": (Space(lr_range=(1e-4, 1.0), optimizers=("momentum", "adam")), {"trials": 9, "confirm": 1}),
    "tpe": (Space(lr_range=(1e-4, 1.0)), {"trials": 3, "confirm": 1}),
}
# What a page must never say: Python's and JSON's words for non-finite numbers, and their products.
NON_FINITE = re.compile(r"\b(?:inf|nan|infinity)\b|nanx", re.IGNORECASE)


def non_finite(text: str) -> list[str]:
    """Each place `text` says inf, nan, Infinity or "nanx", with some context."""
    return [text[max(0, m.start() - 60):m.end() + 30] for m in NON_FINITE.finditer(text)]


@pytest.fixture(scope="session")
def tune_data() -> dict:
    """`lrkit.tune('cancer-logreg', budget=2)` as its JSON dict (about 10-20 s, once)."""
    result = lrkit.tune("cancer-logreg", budget=2, workers=1)
    return json.loads(json.dumps(result.to_dict()))


@pytest.fixture(scope="session")
def tune_json(tune_data, tmp_path_factory):
    """The tune result written as `lrkit tune --json` writes it."""
    path = tmp_path_factory.mktemp("results") / "tune.json"
    path.write_text(json.dumps(tune_data))
    return path


@pytest.fixture(scope="session")
def sweep_data(tune_data) -> dict:
    """A grid sweep's JSON whose trials are the tune's runs (real runs, no second training)."""
    runs = [lrkit.RunResult.from_dict(run) for run in tune_data["trials"]]
    trials = tuple(
        TrialRecord(number, "complete" if run.steps == run.budget else "pruned",
                    {"optimizer": run.recipe.optimizer, "lr": run.recipe.lr, "schedule": "cosine",
                     "plateau": None, "seed": 0}, run)
        for number, run in enumerate(runs))
    space = Space(lrs=tuple(run.recipe.lr for run in runs), optimizers=("adam", "momentum"),
                  schedules=("cosine",))
    return SweepResult("cancer-logreg", "sha", space, "test", trials).to_dict()


@pytest.fixture(scope="session")
def claims_data() -> dict:
    """Two claims, one with a figure's panel (a diverged point included) and one without."""
    from lrkit.claims import ClaimResult, ClaimsResult, Mark, Panel, Series

    series = Series("sgd", (0.01, 0.1, 1.0), (0.5, 0.2, float("inf")))
    panel = Panel("loss after 100 steps", "lr", "loss", (series,), (Mark("2/L", 0.5),), x_log=True)
    claims = (
        ClaimResult("a", "Too high a rate diverges", "diverged above 2/L", "supported",
                    "Every rate above 2/L diverged.", {"threshold": 0.5, "rates": [0.01, 0.1, 1.0]},
                    (panel,), 3, 1.5),
        ClaimResult("b", "Adam needs no schedule", "cosine loses to constant", "refuted",
                    "Cosine beat constant by 12%.", {"ratio": 0.88}, (), 2, 1.0),
    )
    return ClaimsResult(claims, wall_seconds=2.5, workers=1).to_dict()


@pytest.fixture(scope="session")
def strategy_sweeps(tmp_path_factory) -> dict[str, dict]:
    """Each strategy's real sweep as its JSON dict (about half a minute for all, once)."""
    out = tmp_path_factory.mktemp("sweeps")
    return {strategy: json.loads(json.dumps(sweep("cancer-logreg", space, strategy, out=out / strategy,
                                                  workers=1, **options).to_dict()))
            for strategy, (space, options) in SWEEPS.items()}


@pytest.fixture(scope="session")
def claims_run() -> dict:
    """Claim b (gradient descent on a quadratic) tested for real, as its JSON dict (seconds)."""
    from lrkit.claims import run_claims

    return json.loads(json.dumps(run_claims("b", workers=1).to_dict()))
