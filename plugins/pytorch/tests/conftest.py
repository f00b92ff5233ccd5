"""Shared set-up: the test models module on sys.path, the real plugin registry."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

# Test modules import their models from tests/models.py (pytest's importlib mode does not put the
# test directory on sys.path by itself), and the state_dict and pickle formats record the classes
# as `models:<Name>`, which loading imports back.
sys.path.insert(0, str(Path(__file__).parent))

# On a GPU machine, convolutions default to TF32, whose results differ from the CPU's in the
# third digit; full float32 lets GPU predictions be checked against CPU ones at float32 tolerance.
torch.backends.cudnn.allow_tf32 = False
torch.backends.cuda.matmul.allow_tf32 = False


@pytest.fixture(autouse=True, scope="module")
def _discovering_registry() -> None:
    """The real, entry-point-discovering registry (core tests may leave a toy one behind)."""
    from flavorkit.plugins import reset_registry

    reset_registry()
