"""sklearn's wine data, a 13-32-3 MLP: 120 training examples (see README.md)."""

import torch
from sklearn.datasets import load_wine

from lrkit import Task


def make_task():
    x, y = load_wine(return_X_y=True)
    x = torch.tensor((x - x.mean(0)) / x.std(0), dtype=torch.float32)
    y = torch.tensor(y)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(1))
    x, y = x[order], y[order]
    return Task("wine-mlp", lambda: torch.nn.Sequential(torch.nn.Linear(13, 32), torch.nn.ReLU(),
                                                        torch.nn.Linear(32, 3)),
                (x[:120], y[:120]), (x[120:], y[120:]), metric="accuracy", steps=270, batch_size=16)
