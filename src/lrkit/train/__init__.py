"""One training run: Task x Recipe x budget -> RunResult."""

from ._loop import Divergence, RunInterrupted, evaluate, pick_device, resume, run, torch_threads
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
    "evaluate",
    "pick_device",
    "resume",
    "run",
    "torch_threads",
]
