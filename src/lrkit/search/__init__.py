"""Learning-rate search on Optuna: grid, random, descending, successive halving, hyperband and
TPE over rates, optimizers, schedule templates, plateau control and seeds; parallel, resumable,
and shared across machines through one study."""

from ._plan import STRATEGIES
from ._result import SweepResult, TrialRecord
from ._space import SearchError, Space, parse_rates
from ._sweep import default_study_name, sweep

__all__ = [
    "STRATEGIES",
    "SearchError",
    "Space",
    "SweepResult",
    "TrialRecord",
    "default_study_name",
    "parse_rates",
    "sweep",
]
