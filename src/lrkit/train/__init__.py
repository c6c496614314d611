"""One training run: Task x Recipe x budget -> RunResult."""

from ._loop import Divergence, evaluate, pick_device, resume, run, torch_threads
from ._recipe import Recipe, RecipeError
from ._result import Evaluation, RunResult

__all__ = [
    "Divergence",
    "Evaluation",
    "Recipe",
    "RecipeError",
    "RunResult",
    "evaluate",
    "pick_device",
    "resume",
    "run",
    "torch_threads",
]
