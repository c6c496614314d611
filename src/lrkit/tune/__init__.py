"""The pipeline: range test -> candidate rates -> successive halving -> schedules -> final run.

`lrkit.tune(...)` is the function, yet importing this package (`from lrkit.tune import ...`) makes
Python bind `lrkit.tune` to the package; so the package itself is callable and calls `tune`.
"""

import sys
import types

from ._effects import RateEffect, rate_effects
from ._pipeline import tune
from ._plan import TuneError, TunePlan, make_plan
from ._result import TuneResult

__all__ = ["RateEffect", "TuneError", "TunePlan", "TuneResult", "make_plan", "rate_effects", "tune"]


class _CallablePackage(types.ModuleType):
    """This package, callable as `tune` itself."""

    def __call__(self, *args, **kwargs) -> TuneResult:
        return tune(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
