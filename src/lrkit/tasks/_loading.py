"""Turn a task reference (a built-in name or `path/to/file.py:function`) into a `Task`."""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from lrkit.tasks._builtin import get_task
from lrkit.tasks._same_data import seeded
from lrkit.tasks._task import Task, TaskError

_module_ids = itertools.count()


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


@contextlib.contextmanager
def _importable(folder: Path) -> Iterator[None]:
    """Let the task file import modules that sit beside it, as `python file.py` would."""
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))


def _import_file(path: Path) -> ModuleType:
    """Import the file under a fresh module name."""
    name = f"lrkit_user_task_{next(_module_ids)}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise TaskError(f"cannot import {path}: not a Python source file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickle look classes up through sys.modules
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:
        del sys.modules[name]
        raise TaskError(f"task file {path} failed to import: {_one_line(error)}") from error
    return module


def _functions_in(module: ModuleType) -> list[str]:
    return sorted(
        name
        for name, value in vars(module).items()
        if inspect.isfunction(value) and value.__module__ == module.__name__
    )


def _load_from_file(file: str, function: str, trainable: bool = False) -> Any:
    path = Path(file).expanduser()
    if not path.is_file():
        raise TaskError(f"task file {file} not found (looked for {path.resolve()})")
    # Seeded, so data drawn at random (at import or in the function) is the same in every process.
    with _importable(path.parent), seeded():
        module = _import_file(path)
        found = getattr(module, function, None)
        if trainable and callable(found) and _takes_one_argument(found):
            return found
        return _call_factory(module, file, function)


def _takes_one_argument(function: Any) -> bool:
    """Whether `function` is called with one positional argument (a `train(trial)`)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    required = [p for p in parameters if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY,
                                                                               p.POSITIONAL_OR_KEYWORD)]
    return len(required) == 1


def load_trainable(ref: str) -> Any:
    """What `ref` names for tune to train: a training function `train(trial)` of a file
    (`path/to/file.py:train`, a function of one argument) as it is, else the Task of `load_task`."""
    file, _, function = ref.rpartition(":")
    if file and function and not ref.endswith(".py"):
        return _load_from_file(file, function, trainable=True)
    return load_task(ref)


def _call_factory(module: ModuleType, file: str, function: str) -> Task:
    ref = f"{file}:{function}"
    if not hasattr(module, function):
        defined = _functions_in(module)
        listing = ", ".join(defined) if defined else "no functions"
        raise TaskError(f"{file} has no function {function!r}; it defines: {listing}")
    factory: Any = getattr(module, function)
    if not callable(factory):
        raise TaskError(
            f"{ref} is a {type(factory).__name__}, not a function; "
            "name a function that returns a Task"
        )
    try:
        task = factory()
    except Exception as error:
        raise TaskError(f"{ref}() raised {_one_line(error)}") from error
    if not isinstance(task, Task):
        raise TaskError(f"{ref}() returned {type(task).__name__}, expected a lrkit.tasks.Task")
    return task


def load_task(ref: str) -> Task:
    """The task named by `ref`: a built-in name (see `builtin_tasks()`) or `path/to/file.py:func`.

    A file reference is imported under a unique module name and `func()` is called with no
    arguments; it must return a `Task`. Both run with python's `random`, numpy's global generator
    and torch's (CPU and CUDA) seeded with 0, so unseeded random data is the same in every
    process and every run; the caller's random state is put back afterwards. Every failure
    raises a one-line `TaskError`.
    """
    if ":" in ref:
        file, _, function = ref.rpartition(":")
        if not file or not function:
            raise TaskError(f"task reference {ref!r} must look like path/to/file.py:make_task")
        return _load_from_file(file, function)
    if ref.endswith(".py"):
        raise TaskError(
            f"name the function that returns the task: {ref}:make_task "
            "(file.py:function_name)"
        )
    return get_task(ref)
