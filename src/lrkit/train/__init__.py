"""One training run: Task x Recipe x budget -> RunResult; or a user's training function
`train(trial)` run by lrkit through a `Trial`."""

from ._loop import Divergence, RunInterrupted, cool_down, evaluate, pick_device, resume, run, torch_threads
from ._recipe import Recipe, RecipeError, ScheduleLengthWarning
from ._result import Evaluation, RunResult
from ._trial import TrainableError, Trial, TrialStopped, run_function

__all__ = [
    "Divergence",
    "Evaluation",
    "Recipe",
    "RecipeError",
    "RunInterrupted",
    "RunResult",
    "ScheduleLengthWarning",
    "TrainableError",
    "Trial",
    "TrialStopped",
    "cool_down",
    "evaluate",
    "pick_device",
    "resume",
    "run",
    "run_function",
    "torch_threads",
]
