"""The same task data in every process: task functions run with every random generator seeded,
and a cheap fingerprint of the data lets a worker process check it built what its parent built.

Tune, sweep and claims load a task again in each worker process; a task function that draws its
data unseeded (`torch.randn(512, 10)`) would hand each process a different data set, and rates
would be compared on different data without anyone noticing.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from lrkit.tasks._task import Data, Task, TaskError

TASK_SEED = 0
_ROWS = 64  # rows (examples) the fingerprint reads, evenly spaced over the data...
_VALUES = 4096  # ...and at most this many values of them, evenly spaced


class TaskDataError(TaskError):
    """A task function gave different data in a worker process than in the process that started it."""


@contextlib.contextmanager
def seeded(seed: int = TASK_SEED) -> Iterator[None]:
    """Seed python's `random`, numpy's global generator and torch's (CPU and CUDA) with `seed`,
    and put the CPU generators back as they were afterwards, so loading a task leaves the
    caller's random state alone. (CUDA's state is saved only where CUDA is already initialised:
    reading it would otherwise start CUDA in a process that may never use it.)"""
    py_state, np_state = random.getstate(), np.random.get_state()
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=cuda):
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)  # seeds every CUDA device too, at once or when CUDA starts
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)


def fingerprint(task: Task) -> str:
    """A short hash of the task's train and validation data: their sizes, shapes and types, and a
    sample of values (evenly spaced examples, and evenly spaced values of those), not the whole
    set, so it costs milliseconds even on large data. Items of a Dataset are read seeded, so a
    random augmentation gives the same sample every time."""
    digest = hashlib.blake2b(digest_size=8)
    with seeded():
        for data in (task.train, task.val):
            _add_data(digest, data)
    return digest.hexdigest()


def check_same_data(task: Task, expected: str | None, ref: str) -> Task:
    """`task` when its data has the fingerprint `expected` (None: nothing to check); otherwise a
    one-line TaskDataError naming the task function `ref` and what to do."""
    if expected is not None and fingerprint(task) != expected:
        raise TaskDataError(
            f"task function {ref} gave different data in a worker process than in the main process "
            f"(lrkit seeds random, numpy and torch with {TASK_SEED} before calling it, so something "
            "else varies: the time, os.urandom, a file that changes); build the data deterministically, "
            "or use --workers 1 (workers=1)"
        )
    return task


def _add_data(digest: Any, data: Data) -> None:
    if isinstance(data, tuple):
        for tensor in data:
            digest.update(repr(tuple(tensor.shape)).encode())
            _add_tensor(digest, tensor[torch.as_tensor(_spaced(len(tensor), _ROWS), dtype=torch.long)])
        return
    n = len(data)  # type: ignore[arg-type]
    digest.update(f"dataset {type(data).__qualname__} {n}".encode())
    for index in _spaced(n, _ROWS):
        _add_value(digest, data[index])


def _add_value(digest: Any, value: Any) -> None:
    """Hash a Dataset item (tensors, arrays, numbers, strings, and tuples, lists or dicts of them)."""
    if isinstance(value, (tuple, list)):
        for part in value:
            _add_value(digest, part)
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            digest.update(str(key).encode())
            _add_value(digest, value[key])
    elif isinstance(value, torch.Tensor):
        _add_tensor(digest, value)
    elif isinstance(value, (np.ndarray, np.generic)) or hasattr(value, "__array_interface__"):
        array = np.asarray(value)  # a numpy array or scalar, a PIL image
        if array.dtype.kind in "biufc":
            _add_tensor(digest, torch.as_tensor(array))
        else:
            digest.update(f"{array.dtype} {array.shape}".encode())
    elif value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        digest.update(repr(value).encode())
    else:  # an object of the user's own type: its type is all that is safe to hash (no addresses)
        digest.update(type(value).__qualname__.encode())


def _add_tensor(digest: Any, tensor: torch.Tensor) -> None:
    flat = tensor.detach().reshape(-1)
    sample = flat[torch.as_tensor(_spaced(len(flat), _VALUES), dtype=torch.long, device=flat.device)].cpu()
    if sample.is_complex():
        sample = torch.view_as_real(sample)
    sample = sample.to(torch.float64 if sample.is_floating_point() else torch.int64)
    digest.update(f"{tensor.dtype} {tuple(tensor.shape)}".encode())
    digest.update(sample.numpy().tobytes())


def _spaced(n: int, most: int) -> list[int]:
    """At most `most` indices evenly spaced over `range(n)`, the first and the last among them."""
    if n <= most:
        return list(range(n))
    return [round(i * (n - 1) / (most - 1)) for i in range(most)]
