"""lrkit: measure the learning rate instead of guessing it.

The public API is re-exported here and loaded on first use, so `import lrkit.schedules` stays
free of torch (the schedules need numpy only) while `lrkit.Task`, `lrkit.find_lr` etc. just work.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "LrkitError": "lrkit.errors",
    "Event": "lrkit.events",
    "Schedule": "lrkit.schedules",
    "ScheduleError": "lrkit.schedules",
    "SpecError": "lrkit.schedules",
    "parse": "lrkit.schedules",
    "scale_lr": "lrkit.schedules",
    "scale_warmup": "lrkit.schedules",
    "Plateau": "lrkit.control",
    "DivergenceGuard": "lrkit.control",
    "DivergenceError": "lrkit.control",
    "GuardEvent": "lrkit.control",
    "create_optimizer": "lrkit.optim",
    "list_optimizers": "lrkit.optim",
    "LRSchedule": "lrkit.adapters.torch",
    "RateRecorder": "lrkit.adapters.torch",
    "Task": "lrkit.tasks",
    "TaskError": "lrkit.tasks",
    "builtin_tasks": "lrkit.tasks",
    "get_task": "lrkit.tasks",
    "load_task": "lrkit.tasks",
    "Recipe": "lrkit.train",
    "RunResult": "lrkit.train",
    "run": "lrkit.train",
    "run_function": "lrkit.train",
    "Trial": "lrkit.train",
    "TrialStopped": "lrkit.train",
    "TrainableError": "lrkit.train",
    "FinderResult": "lrkit.finder",
    "find_lr": "lrkit.finder",
    "range_test": "lrkit.finder",
    "Policy": "lrkit.search",
    "Space": "lrkit.search",
    "SweepResult": "lrkit.search",
    "sweep": "lrkit.search",
    "TuneResult": "lrkit.tune",
    "tune": "lrkit.tune",
    "ClaimResult": "lrkit.claims",
    "ClaimsResult": "lrkit.claims",
    "run_claims": "lrkit.claims",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lrkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])

