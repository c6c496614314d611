"""What to train: the `Task` type, the built-in tasks on offline data, and loading a user's task.

A task bundles a model factory, train and validation data, a loss, a metric and a step budget.
Built-in tasks are listed by `builtin_tasks()` and made by `get_task(name)`; `load_task(ref)`
also accepts `path/to/file.py:function` for a user's own task.
"""

from __future__ import annotations

from lrkit.tasks._builtin import builtin_tasks, get_task
from lrkit.tasks._loading import load_task, load_trainable
from lrkit.tasks._task import Task, TaskError

__all__ = ["Task", "TaskError", "builtin_tasks", "get_task", "load_task", "load_trainable"]
