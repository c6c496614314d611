"""Small model classes for the built-in tasks; module-level so tasks pickle to worker processes."""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import nn


class MLP(nn.Sequential):
    """Flatten, then Linear layers with ReLU between them: `MLP(64, 128, 10)`."""

    def __init__(self, *sizes: int) -> None:
        layers: list[nn.Module] = [nn.Flatten()]
        for index, (n_in, n_out) in enumerate(pairwise(sizes)):
            if index:
                layers.append(nn.ReLU())
            layers.append(nn.Linear(n_in, n_out))
        super().__init__(*layers)


class SmallCNN(nn.Module):
    """Two stride-2 3x3 conv + ReLU blocks, then a linear classifier, for small square images.

    Strided convolutions rather than max-pooling: on one CPU thread they train several times
    faster at the same accuracy on these data sets.
    """

    def __init__(self, side: int, n_classes: int, width: int = 8) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
        )
        out_side = ((side + 1) // 2 + 1) // 2
        self.classifier = nn.Linear(2 * width * out_side**2, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores (N, n_classes) for images (N, 1, side, side)."""
        return self.classifier(self.features(x))
