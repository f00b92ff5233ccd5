"""The PyTorch model of the interop tests, in a module so that pickles and references find it."""

from __future__ import annotations

import torch
from torch import nn


class MLP(nn.Module):
    """4 features → ``n_hidden`` → 3 class scores; rebuilt from its JSON-able ``__init__`` args."""

    def __init__(self, n_in: int = 4, n_hidden: int = 8, n_out: int = 3):
        super().__init__()
        self.hidden = nn.Linear(n_in, n_hidden)
        self.out = nn.Linear(n_hidden, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.hidden(x)))
