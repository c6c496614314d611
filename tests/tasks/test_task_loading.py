"""load_task: built-in names and user files, each failure a one-line TaskError that says why."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from lrkit.tasks import Task, TaskError, load_task

GOOD = """
    from dataclasses import dataclass

    import torch
    from torch import nn

    from helper import N_FEATURES
    from lrkit.tasks import Task


    @dataclass
    class Sizes:
        n_in: int = N_FEATURES


    def model():
        return nn.Linear(Sizes().n_in, 2)


    def make_task():
        from helper import N_ROWS  # imported late: the file's folder stays importable

        pair = (torch.zeros(N_ROWS, N_FEATURES), torch.zeros(N_ROWS, dtype=torch.long))
        return Task("mine", model, pair, pair, metric="accuracy", steps=3)
"""


def _write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


def _error(ref: str) -> str:
    with pytest.raises(TaskError) as caught:
        load_task(ref)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_loads_a_task_from_a_file(tmp_path: Path) -> None:
    _write(tmp_path, "helper.py", "N_FEATURES = 3\nN_ROWS = 4\n")
    path = _write(tmp_path, "my_task.py", GOOD)
    path_before = list(sys.path)
    task = load_task(f"{path}:make_task")
    assert isinstance(task, Task)
    assert (task.name, task.steps, task.n_train) == ("mine", 3, 4)
    assert task.build_model().in_features == 3
    assert sys.path == path_before


def test_files_with_the_same_name_load_separately(tmp_path: Path) -> None:
    source = """
        import torch
        from torch import nn
        from lrkit.tasks import Task

        def make_task():
            pair = (torch.zeros(2, 1), torch.zeros(2))
            return Task({name!r}, lambda: nn.Linear(1, 1), pair, pair, loss="mse")
    """
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        _write(tmp_path / folder, "task.py", source.format(name=folder))
    assert load_task(f"{tmp_path / 'a' / 'task.py'}:make_task").name == "a"
    assert load_task(f"{tmp_path / 'b' / 'task.py'}:make_task").name == "b"


def test_builtin_name() -> None:
    assert load_task("cancer-logreg").name == "cancer-logreg"


def test_unknown_builtin_name_suggests_and_says_how_to_list() -> None:
    message = _error("cancer-logre")
    assert "did you mean cancer-logreg" in message
    assert "lrkit tasks" in message


def test_py_file_without_function_name(tmp_path: Path) -> None:
    assert "my_task.py:make_task" in _error("my_task.py")


def test_empty_parts_of_a_reference() -> None:
    assert "path/to/file.py:make_task" in _error("my_task.py:")
    assert "path/to/file.py:make_task" in _error(":make_task")


def test_file_not_found(tmp_path: Path) -> None:
    message = _error(f"{tmp_path / 'nope.py'}:make_task")
    assert "not found" in message
    assert "nope.py" in message


def test_file_that_raises_on_import(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.py", "raise RuntimeError('boom\\nsecond line')\n")
    modules_before = set(sys.modules)
    message = _error(f"{path}:make_task")
    assert "failed to import: RuntimeError: boom second line" in message
    assert set(sys.modules) == modules_before


def test_file_with_a_syntax_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "typo.py", "def make_task(:\n    pass\n")
    assert "failed to import: SyntaxError" in _error(f"{path}:make_task")


def test_file_that_exits_on_import(tmp_path: Path) -> None:
    path = _write(tmp_path, "exits.py", "import sys\nsys.exit(3)\n")
    assert "failed to import: SystemExit: 3" in _error(f"{path}:make_task")


def test_missing_function_lists_those_defined(tmp_path: Path) -> None:
    source = "from os.path import join\nX = 1\ndef make_a(): pass\ndef make_b(): pass\n"
    path = _write(tmp_path, "two.py", source)
    message = _error(f"{path}:make_task")
    assert "has no function 'make_task'; it defines: make_a, make_b" in message
    empty = _write(tmp_path, "empty.py", "X = 1\n")
    assert "it defines: no functions" in _error(f"{empty}:make_task")


def test_attribute_that_is_not_callable(tmp_path: Path) -> None:
    path = _write(tmp_path, "value.py", "make_task = 42\n")
    assert "is a int, not a function" in _error(f"{path}:make_task")


def test_function_that_raises(tmp_path: Path) -> None:
    path = _write(tmp_path, "raises.py", "def make_task():\n    return 1 / 0\n")
    assert "make_task() raised ZeroDivisionError: division by zero" in _error(f"{path}:make_task")


def test_function_that_needs_arguments(tmp_path: Path) -> None:
    path = _write(tmp_path, "args.py", "def make_task(size):\n    pass\n")
    assert "make_task() raised TypeError" in _error(f"{path}:make_task")


def test_function_that_returns_something_else(tmp_path: Path) -> None:
    path = _write(tmp_path, "other.py", "def make_task():\n    return {'name': 'x'}\n")
    assert "returned dict, expected a lrkit.tasks.Task" in _error(f"{path}:make_task")
