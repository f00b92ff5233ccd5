"""Puts the test helper package on sys.path (also for the conformance kit's subprocesses)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# pytest's importlib mode does not put the test directory on sys.path by itself; the conformance
# kit passes sys.path to its subprocesses, which import pythonmodel_helpers.models by name.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True, scope="module")
def _discovering_registry() -> None:
    """The real, entry-point-discovering registry (core tests may leave a toy one behind)."""
    from flavorkit.plugins import reset_registry

    reset_registry()
