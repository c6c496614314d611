"""One training run: Task x Recipe x budget -> RunResult."""

from ._loop import Divergence, RunInterrupted, cool_down, evaluate, pick_device, resume, run, torch_threads
from ._recipe import Recipe, RecipeError, ScheduleLengthWarning
from ._result import Evaluation, RunResult

__all__ = [
    "Divergence",
    "Evaluation",
    "Recipe",
    "RecipeError",
    "RunInterrupted",
    "RunResult",
    "ScheduleLengthWarning",
    "cool_down",
    "evaluate",
    "pick_device",
    "resume",
    "run",
    "torch_threads",
]
