"""Shared set-up: the test directory on sys.path for ``models``, and the real plugin registry."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Test modules import their shared models from tests/models.py (pytest's importlib mode does not
# put the test directory on sys.path by itself).
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True, scope="module")
def _discovering_registry() -> None:
    """The real, entry-point-discovering registry (core tests may leave a toy one behind)."""
    from flavorkit.plugins import reset_registry

    reset_registry()
