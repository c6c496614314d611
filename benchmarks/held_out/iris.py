"""sklearn's iris, a 4-16-3 tanh MLP: 100 training examples (see README.md)."""

import torch
from sklearn.datasets import load_iris

from lrkit import Task


def make_task():
    x, y = load_iris(return_X_y=True)
    x = torch.tensor((x - x.mean(0)) / x.std(0), dtype=torch.float32)
    y = torch.tensor(y)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(3))
    x, y = x[order], y[order]
    return Task("iris-mlp", lambda: torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(),
                                                        torch.nn.Linear(16, 3)),
                (x[:100], y[:100]), (x[100:], y[100:]), metric="accuracy", steps=300, batch_size=10)
