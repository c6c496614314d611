"""The suite's model classes, module-level so a task pickles to worker processes.

Every model takes its sizes as arguments; `WeightDecay` adds an L2 penalty's gradient to any of
them, so a task can carry weight decay whatever optimizer a recipe trains it with.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import pairwise

import torch
from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "silu": nn.SiLU}


class MLP(nn.Sequential):
    """Flatten, then Linear layers with `activation` (and dropout) between them; `MLP(64, 10)` is
    a linear (logistic) model."""

    def __init__(self, *sizes: int, activation: str = "relu", dropout: float = 0.0) -> None:
        layers: list[nn.Module] = [nn.Flatten()]
        for index, (n_in, n_out) in enumerate(pairwise(sizes)):
            if index:
                layers.append(ACTIVATIONS[activation]())
                if dropout:
                    layers.append(nn.Dropout(dropout))
            layers.append(nn.Linear(n_in, n_out))
        super().__init__(*layers)


class ResMLP(nn.Module):
    """A linear stem to `width`, `blocks` pre-norm residual blocks x + W2 relu(W1 LN(x)), a head."""

    def __init__(self, n_in: int, width: int, blocks: int, n_out: int) -> None:
        super().__init__()
        self.stem = nn.Linear(n_in, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 2 * width), nn.ReLU(),
                          nn.Linear(2 * width, width))
            for _ in range(blocks))
        self.head = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs (N, n_out) for inputs (N, n_in)."""
        x = self.stem(x.flatten(1))
        for block in self.blocks:
            x = x + block(x)
        return self.head(x)


def _conv(n_in: int, n_out: int, stride: int, batch_norm: bool, dims: int = 2) -> list[nn.Module]:
    conv, norm = (nn.Conv2d, nn.BatchNorm2d) if dims == 2 else (nn.Conv1d, nn.BatchNorm1d)
    layers: list[nn.Module] = [conv(n_in, n_out, 3, stride=stride, padding=1, bias=not batch_norm)]
    return [*layers, *([norm(n_out)] if batch_norm else []), nn.ReLU()]


class CNN(nn.Module):
    """Stride-2 3x3 convolutions doubling the width (BatchNorm optional), global average pooling,
    a linear classifier. `dims=1` makes it a 1-d net over (N, length) signals."""

    def __init__(self, n_classes: int, width: int, depth: int = 2, batch_norm: bool = False,
                 dims: int = 2, channels: int = 1) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        n_in = channels
        for level in range(depth):
            layers += _conv(n_in, width * 2**level, 2, batch_norm, dims)
            n_in = width * 2**level
        self.dims = dims
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(n_in, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores (N, n_classes) for images (N, C, H, W) or signals (N, length)."""
        if self.dims == 1 and x.dim() == 2:
            x = x.unsqueeze(1)
        return self.classifier(self.features(x).flatten(2).mean(dim=2))


class ResidualBlock(nn.Module):
    """conv-BN-relu-conv-BN plus the input (a 1x1 strided projection when the shape changes)."""

    def __init__(self, n_in: int, n_out: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(n_in, n_out, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(n_out), nn.ReLU(),
            nn.Conv2d(n_out, n_out, 3, padding=1, bias=False), nn.BatchNorm2d(n_out))
        self.skip = nn.Identity() if stride == 1 and n_in == n_out else nn.Sequential(
            nn.Conv2d(n_in, n_out, 1, stride=stride, bias=False), nn.BatchNorm2d(n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """relu(body(x) + skip(x))."""
        return torch.relu(self.body(x) + self.skip(x))


class ResNet(nn.Module):
    """A small ResNet: a strided stem, one residual block per stage (width doubling, stride 2
    after the first), global average pooling, a linear classifier."""

    def __init__(self, n_classes: int, width: int, stages: int = 2, stem_stride: int = 1) -> None:
        super().__init__()
        self.stem = nn.Sequential(*_conv(1, width, stem_stride, batch_norm=True))
        widths = [width * 2**i for i in range(stages)]
        self.stages = nn.Sequential(*(ResidualBlock(widths[max(i - 1, 0)], widths[i], 1 if i == 0 else 2)
                                      for i in range(stages)))
        self.classifier = nn.Linear(widths[-1], n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores (N, n_classes) for images (N, 1, H, W)."""
        return self.classifier(self.stages(self.stem(x)).mean(dim=(2, 3)))


class RNN(nn.Module):
    """A GRU or LSTM over (N, T, features) inputs, or over (N, T) tokens through an embedding;
    `per_step` gives an output at every step as (N, n_out, T) (the layout cross_entropy reads),
    otherwise one from the last step, (N, n_out). `chunk` > 1 reads `chunk` consecutive steps of
    float inputs as one (a sequence `chunk` times shorter: RNN steps dominate the time on a CPU)."""

    def __init__(self, kind: str, n_in: int, hidden: int, n_out: int, *, vocab: int = 0,
                 layers: int = 1, per_step: bool = False, chunk: int = 1) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, n_in) if vocab else None
        self.rnn = {"gru": nn.GRU, "lstm": nn.LSTM}[kind](n_in * chunk, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, n_out)
        self.per_step = per_step
        self.chunk = chunk

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """See the class docstring for the shapes."""
        # Tokens through the embedding; floats (N, T) or (N, T, F) as (N, T / chunk, F * chunk).
        x = self.embed(x) if self.embed is not None else x.reshape(len(x), x.shape[1] // self.chunk, -1)
        out, _ = self.rnn(x)
        return self.head(out).transpose(1, 2) if self.per_step else self.head(out[:, -1])


class Transformer(nn.Module):
    """A small pre-norm transformer encoder over (N, T) tokens with learned positions. `causal`
    makes it a language model, (N, vocab, T); otherwise it mean-pools to (N, n_out)."""

    def __init__(self, vocab: int, length: int, width: int, heads: int, layers: int, n_out: int,
                 causal: bool = False) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.position = nn.Parameter(torch.randn(length, width) / math.sqrt(width))
        layer = nn.TransformerEncoderLayer(width, heads, 2 * width, dropout=0.0, batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, n_out)
        self.causal = causal

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """See the class docstring for the shapes."""
        length = tokens.shape[1]
        mask = nn.Transformer.generate_square_subsequent_mask(length) if self.causal else None
        x = self.encoder(self.embed(tokens) + self.position[:length], mask=mask, is_causal=self.causal)
        x = self.norm(x)
        return self.head(x).transpose(1, 2) if self.causal else self.head(x.mean(dim=1))


class TokenMLP(nn.Module):
    """Embeddings of `context` tokens, concatenated, through a one-hidden-layer MLP to `vocab` scores."""

    def __init__(self, vocab: int, context: int, embed: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.mlp = MLP(context * embed, hidden, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Scores (N, vocab) of the token after (N, context) tokens."""
        return self.mlp(self.embed(tokens))


class _L2Gradient(torch.autograd.Function):
    """Identity on the output; in the backward pass, `decay * p` into each parameter's gradient."""

    @staticmethod
    def forward(ctx, output: torch.Tensor, decay: float, *params: torch.Tensor) -> torch.Tensor:
        ctx.decay = decay
        ctx.save_for_backward(*params)
        return output.clone()

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        return (grad, None, *(ctx.decay * p for p in ctx.saved_tensors))


class WeightDecay(nn.Module):
    """`model` trained with an L2 penalty `decay / 2 * sum(p ** 2)` on every parameter: the same
    gradients as adding it to the loss, while the reported loss stays the task's own."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        super().__init__()
        self.model = model
        self.decay = decay

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The model's output; during training its backward pass also carries the penalty."""
        output = self.model(x)
        if self.training and torch.is_grad_enabled():
            output = _L2Gradient.apply(output, self.decay, *self.model.parameters())
        return output

    def extra_repr(self) -> str:
        return f"decay={self.decay:g}"


def token_accuracy(output: torch.Tensor, target: torch.Tensor) -> float:
    """Fraction of positions whose highest-scoring token is the target, for (N, vocab, T) outputs."""
    return (output.argmax(dim=1) == target).float().mean().item()


def with_weight_decay(factory: Callable[[], nn.Module], decay: float) -> nn.Module:
    """A fresh `factory()` model wrapped in `WeightDecay` (a picklable model factory for a task)."""
    return WeightDecay(factory(), decay)
