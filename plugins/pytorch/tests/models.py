"""Small real PyTorch models and their inputs, built when first needed (seeded, eval mode).

The classes live here, at module level, because the state_dict and pickle formats record them by
import path (``models:MLP``): the tests' ``conftest.py`` puts this directory on ``sys.path``.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import torch
from torch import nn

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


class MLP(nn.Module):
    """Four features in, three scores out; ``hidden`` is its one constructor argument."""

    def __init__(self, hidden: int = 16, features: int = 4, classes: int = 3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(features, hidden), nn.ReLU(), nn.Dropout(0.5), nn.Linear(hidden, classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class CNN(nn.Module):
    """A 1x8x8 image in, ten scores out."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.bn = nn.BatchNorm2d(4)
        self.head = nn.Linear(4 * 4 * 4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(self.pool(torch.relu(self.conv(x))))
        return self.head(x.flatten(1))


class TwoInput(nn.Module):
    """Numbers and a category code, each through its own layer: forward(numbers, codes)."""

    def __init__(self) -> None:
        super().__init__()
        self.dense = nn.Linear(3, 2)
        self.embed = nn.Embedding(5, 2)

    def forward(self, numbers: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        return self.dense(numbers) + self.embed(codes)


class Scaled(nn.Module):
    """forward takes a keyword ``scale``: an inference param."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
        return self.linear(x) * scale


class TiedLM(nn.Module):
    """A language-model head sharing its weight with the embedding (a tied weight)."""

    def __init__(self, vocab: int = 11, dim: int = 6) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(tokens))


class MultiOutput(nn.Module):
    """Returns a dict and a tuple-shaped model's outputs to check output conversion."""

    def __init__(self, as_tuple: bool = False) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 3)
        self.as_tuple = as_tuple

    def forward(self, x: torch.Tensor) -> object:
        y = self.linear(x)
        if self.as_tuple:
            return y, y.argmax(dim=1)
        return {"scores": y, "label": y.argmax(dim=1)}


class WithBuffer(nn.Module):
    """A non-persistent buffer, which a state dict does not hold."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 4)
        self.register_buffer("offset", torch.arange(4, dtype=torch.float32), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x) + self.offset


class Sized(nn.Module):
    """A constructor with required arguments, which init_kwargs must supply."""

    def __init__(self, width: int, depth: int):
        super().__init__()
        self.layers = nn.Sequential(*(nn.Linear(width, width) for _ in range(depth)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class Computes(nn.Module):
    """A constructor that reads tensor values, which the meta device cannot give."""

    def __init__(self) -> None:
        super().__init__()
        width = int(torch.tensor([2, 2]).prod().item())
        self.linear = nn.Linear(width, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


class Big(nn.Module):
    """``layers`` square Linear layers of ``width``: 4 * width**2 bytes each."""

    def __init__(self, width: int = 1024, layers: int = 1):
        super().__init__()
        self.layers = nn.Sequential(*(nn.Linear(width, width, bias=False) for _ in range(layers)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


def _seeded(cls: type[nn.Module], **kwargs: object) -> nn.Module:
    torch.manual_seed(0)
    return cls(**kwargs).eval()


@cache
def mlp() -> nn.Module:
    return _seeded(MLP, hidden=16)


@cache
def cnn() -> nn.Module:
    model = _seeded(CNN)
    with torch.no_grad():  # non-trivial running statistics, so eval mode matters
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 2.0)
    return model


@cache
def two_input() -> nn.Module:
    return _seeded(TwoInput)


@cache
def tied_lm() -> nn.Module:
    return _seeded(TiedLM)


def frame(rows: int = 6) -> pd.DataFrame:
    """Iris-like float32 features with named columns and a non-default index."""
    rng = np.random.default_rng(0)
    values = rng.normal(size=(rows, 4)).astype(np.float32)
    return pd.DataFrame(values, columns=FEATURES, index=range(100, 100 + rows))


def images(n: int = 3) -> np.ndarray:
    return np.random.default_rng(1).normal(size=(n, 1, 8, 8)).astype(np.float32)


def pair(n: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2)
    return {
        "numbers": rng.normal(size=(n, 3)).astype(np.float32),
        "codes": rng.integers(0, 5, size=n).astype(np.int64),
    }


def sequential_stack(hidden: int = 3) -> nn.Sequential:
    """A module-level factory for a Sequential, the module its class alone cannot rebuild."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, 1))


def two_halves() -> nn.Module:
    """A bare Module holding two buffers, which only a factory can rebuild."""
    module = nn.Module()
    module.register_buffer("low", torch.zeros(4))
    module.register_buffer("high", torch.zeros(4))
    return module


def half_and_steps() -> nn.Module:
    """A bare Module with a float16 and an int64 buffer, which only a factory can rebuild."""
    module = nn.Module()
    module.register_buffer("f16", torch.zeros(3, 2).half())
    module.register_buffer("steps", torch.zeros(3, dtype=torch.int64))
    return module


@cache
def layer_stack() -> nn.Sequential:
    """Linear layers in a bare Sequential: the state_dict format cannot rebuild it by class."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 3)).eval()
