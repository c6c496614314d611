"""sklearn's make_moons with noise 0.3, a 2-64-64-2 MLP: 500 training points (see README.md)."""

import torch
from sklearn.datasets import make_moons

from lrkit import Task


def _model():
    return torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                               torch.nn.ReLU(), torch.nn.Linear(64, 2))


def make_task():
    x, y = make_moons(n_samples=800, noise=0.3, random_state=0)
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    return Task("moons-mlp", _model, (x[:500], y[:500]), (x[500:], y[500:]), metric="accuracy",
                steps=600, batch_size=32)
