"""Learning-rate search on Optuna: grid, random, descending, successive halving, hyperband and
TPE over rates, optimizers, schedule templates, plateau control and seeds; parallel, resumable,
and shared across machines through one study.

Names load lazily (PEP 562): `STRATEGIES` needs neither Optuna nor torch, so the CLI's parser
can list them without paying for either."""

from __future__ import annotations

import importlib
from typing import Any

from ._strategies import STRATEGIES

_EXPORTS = {
    "Policy": "._policy",
    "SearchError": "._space",
    "Space": "._space",
    "parse_rates": "._space",
    "SweepResult": "._result",
    "TrialRecord": "._result",
    "default_study_name": "._sweep",
    "sweep": "._sweep",
}

__all__ = ["STRATEGIES", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lrkit.search' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
