"""The frozen design/test split of the suite, and the quick subset.

The rule was committed before any method was tuned on the suite: a task is a design task when
the first byte of sha256(its name) is even, a test task otherwise. Rules and constants are chosen
on design tasks only; test tasks are run to report (../../docs/benchmarks.md).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

SPLITS = ("design", "test")
TASKS_FILE = Path(__file__).with_name("tasks.py")
PREFIX = "suite:"
# A fixed handful from each split for iterating (fast tasks of different kinds); never a claim.
QUICK = {
    "design": ("wine-logreg-wd", "digits-mlp-wide", "digits-cnn-bn", "friedman3-huber"),
    "test": ("cancer-logreg-b8", "circles-mlp-silu", "digits-mlp-mse", "majority-gru"),
}


def split_of(name: str) -> str:
    """'design' or 'test', by the parity of the first byte of sha256(name)."""
    return SPLITS[hashlib.sha256(name.encode()).digest()[0] % 2]


def ref(name: str) -> str:
    """The task reference lrkit loads for suite task `name` (an absolute `tasks.py:NAME`)."""
    return f"{TASKS_FILE}:{name}"


def resolve(task: str) -> str:
    """`suite:NAME` as a task reference; any other reference (built-in name, file.py:function) as it is."""
    return ref(task.removeprefix(PREFIX)) if task.startswith(PREFIX) else task


def is_suite(task_ref: str) -> bool:
    """Whether a task reference names a suite task."""
    return task_ref.startswith(PREFIX) or task_ref.rpartition(":")[0] == str(TASKS_FILE)


def names(split: str = "both", quick: bool = False) -> list[str]:
    """The suite's task names of `split` ('design', 'test' or 'both'), in the suite's order."""
    from suite.tasks import NAMES

    chosen = SPLITS if split == "both" else (split,)
    if quick:
        return [name for s in chosen for name in QUICK[s]]
    return [name for name in NAMES if split_of(name) in chosen]


def groups(task_refs: list[str]) -> dict[str, list[str]]:
    """Suite tasks by split, design first (a split with none left out); any other tasks as one
    group, 'all'. A benchmark sums each group up apart: design and test never mix."""
    if not all(is_suite(task) for task in task_refs):
        return {"all": list(task_refs)}
    by_split = {split: [task for task in task_refs if split_of(task.rpartition(":")[2]) == split]
                for split in SPLITS}
    return {split: chosen for split, chosen in by_split.items() if chosen}
