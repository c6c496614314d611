"""sklearn's Friedman #1 regression, a 10-64-1 MLP with MSE: 1000 training points (see README.md)."""

import torch
from sklearn.datasets import make_friedman1

from lrkit import Task


def _model():
    return torch.nn.Sequential(torch.nn.Linear(10, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))


def make_task():
    x, y = make_friedman1(n_samples=1500, noise=1.0, random_state=0)
    x = torch.tensor(x, dtype=torch.float32)
    y = torch.tensor((y - y.mean()) / y.std(), dtype=torch.float32).unsqueeze(1)
    return Task("friedman-mlp", _model, (x[:1000], y[:1000]), (x[1000:], y[1000:]), loss="mse",
                steps=800, batch_size=32)
