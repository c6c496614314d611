"""The same task data in every process: a task file is loaded seeded (so unseeded random data is
the same at every load, in this process and in another), the caller's random state is left as it
was, and the data's fingerprint stays put for the same data and moves when the data moves."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset

from lrkit.tasks import Task, get_task, load_task
from lrkit.tasks._same_data import TaskDataError, check_same_data, fingerprint

UNSEEDED = """
    import random

    import numpy as np
    import torch
    import lrkit

    NOISE = torch.randn(400, 1)  # at import, too

    def make_task():
        x = torch.randn(512, 10) + float(np.random.rand()) + random.random()
        y = (x.sum(1) > 0).long()
        train = (x[:400] + NOISE, y[:400])
        return lrkit.Task("my-task", lambda: torch.nn.Linear(10, 2), train, (x[400:], y[400:]),
                          metric="accuracy", steps=30, batch_size=32)
"""


def _task_file(tmp_path: Path, source: str = UNSEEDED) -> str:
    path = tmp_path / "my_task.py"
    path.write_text(textwrap.dedent(source))
    return f"{path}:make_task"


def _sums(task: Task) -> list[float]:
    """Every value of the data, summed in float64: a check independent of the fingerprint's sample."""
    return [part.double().sum().item() for pair in (task.train, task.val) for part in pair]


def test_unseeded_random_data_is_the_same_at_every_load(tmp_path):
    ref = _task_file(tmp_path)
    first, second = load_task(ref), load_task(ref)
    for a, b in zip((*first.train, *first.val), (*second.train, *second.val)):
        assert torch.equal(a, b)
    assert fingerprint(first) == fingerprint(second)


def test_another_process_loads_the_same_data(tmp_path):
    ref = _task_file(tmp_path)
    code = ("import sys\nfrom lrkit.tasks import load_task\nfrom lrkit.tasks._same_data import fingerprint\n"
            "task = load_task(sys.argv[1])\n"
            "print(fingerprint(task), *[part.double().sum().item() for pair in (task.train, task.val) "
            "for part in pair])\n")
    out = subprocess.run([sys.executable, "-c", code, ref], capture_output=True, text=True, check=True).stdout
    task = load_task(ref)
    assert out.split() == [fingerprint(task), *map(repr, _sums(task))]


def test_loading_leaves_the_callers_random_state_alone(tmp_path):
    ref = _task_file(tmp_path)

    def draws() -> tuple:
        return random.random(), float(np.random.rand()), torch.rand(1).item()

    random.seed(7), np.random.seed(7), torch.manual_seed(7)
    expected = draws()
    random.seed(7), np.random.seed(7), torch.manual_seed(7)
    load_task(ref)
    assert draws() == expected


def test_the_fingerprint_moves_with_the_data_and_only_with_it():
    task = get_task("cancer-logreg")
    x, y = task.train

    def with_train(inputs: torch.Tensor) -> Task:
        return Task("copy", task.model, (inputs, y[: len(inputs)]), task.val, steps=3)

    assert fingerprint(with_train(x.clone())) == fingerprint(with_train(x))
    for row in (0, len(x) - 1):  # the first and last rows are always read
        changed = x.clone()
        changed[row, 0] += 1e-3
        assert fingerprint(with_train(changed)) != fingerprint(with_train(x))
    assert fingerprint(with_train(x[:-1])) != fingerprint(with_train(x))
    assert fingerprint(with_train(x.double())) != fingerprint(with_train(x))
    assert fingerprint(with_train(x.flip(0))) != fingerprint(with_train(x))  # reordered


class _Augmented(Dataset):
    """Items with random noise drawn at each read, as an augmenting transform would add."""

    def __init__(self, n: int) -> None:
        self.x = torch.arange(n * 3, dtype=torch.float32).reshape(n, 3)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.x[i] + 0.01 * torch.randn(3), i % 2


def test_a_dataset_with_random_augmentation_has_a_steady_fingerprint():
    def task(n: int) -> Task:
        return Task("aug", lambda: torch.nn.Linear(3, 2), _Augmented(n), _Augmented(10), steps=3)

    assert fingerprint(task(200)) == fingerprint(task(200))
    assert fingerprint(task(200)) != fingerprint(task(201))


def test_other_data_in_a_worker_is_one_line_naming_the_task_function():
    task = get_task("cancer-logreg")
    assert check_same_data(task, fingerprint(task), "cancer-logreg") is task
    assert check_same_data(task, None, "cancer-logreg") is task
    with pytest.raises(TaskDataError) as caught:
        check_same_data(task, "0" * 16, "my_task.py:make_task")
    message = str(caught.value)
    assert "\n" not in message
    assert "my_task.py:make_task" in message and "deterministically" in message
