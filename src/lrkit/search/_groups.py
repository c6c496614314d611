"""Which runs are compared with each other: the same optimizer, schedule shape and plateau
control, at different rates."""

from __future__ import annotations

from ..train import RunResult


def schedule_name(run: RunResult) -> str:
    """The schedule's shape as a word: the head of its spec ("cosine", "warmup", "one_cycle")."""
    spec = run.recipe.schedule or "constant"
    name = spec.split("(")[0].strip()
    return "warmup_" + spec.split(">>")[-1].split("(")[0].strip() if name == "warmup" else name


def group_of(run: RunResult) -> tuple[str, str, str | None]:
    """The run's optimizer, schedule shape and plateau controller: what its rate is judged among."""
    return run.recipe.optimizer, schedule_name(run), run.recipe.plateau
