"""The learning-rate range test and its suggestions."""

from ._errors import FinderError
from ._range_test import find_lr, ramp, range_test, restored
from ._result import FinderResult
from ._suggest import METHODS, minimum_tenth, steepest, suggest_all, valley

__all__ = [
    "METHODS",
    "FinderError",
    "FinderResult",
    "find_lr",
    "minimum_tenth",
    "ramp",
    "range_test",
    "restored",
    "steepest",
    "suggest_all",
    "valley",
]
