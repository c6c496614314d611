"""Endless, seeded mini-batches from a task's training data.

Tensor pairs are sliced directly (a DataLoader costs more than a small model's step); a Dataset
goes through a DataLoader. Either way the order depends only on the seed.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader, Dataset


def batches(data, batch_size: int, seed: int, device: torch.device) -> Iterator[tuple[torch.Tensor, ...]]:
    """Shuffled batches forever: a new permutation each epoch, drawn from a generator seeded by `seed`."""
    generator = torch.Generator().manual_seed(seed)
    if isinstance(data, Dataset):
        yield from _from_dataset(data, batch_size, generator, device)
        return
    inputs, targets = (part.to(device) for part in data)
    n = len(inputs)
    size = min(batch_size, n)
    while True:
        order = torch.randperm(n, generator=generator).to(device)
        for start in range(0, n - size + 1, size):
            index = order[start:start + size]
            yield inputs[index], targets[index]


def _from_dataset(data: Dataset, batch_size: int, generator: torch.Generator, device: torch.device):
    loader = DataLoader(data, batch_size=batch_size, shuffle=True, generator=generator,
                        drop_last=len(data) > batch_size)  # type: ignore[arg-type]
    while True:
        for inputs, targets in loader:
            yield inputs.to(device), targets.to(device)


def full_batches(data, batch_size: int, device: torch.device) -> Iterator[tuple[torch.Tensor, ...]]:
    """Every example once, in order (for evaluation)."""
    if isinstance(data, Dataset):
        for inputs, targets in DataLoader(data, batch_size=batch_size):
            yield inputs.to(device), targets.to(device)
        return
    inputs, targets = data
    for start in range(0, len(inputs), batch_size):
        yield inputs[start:start + batch_size].to(device), targets[start:start + batch_size].to(device)
