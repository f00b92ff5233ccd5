"""Interoperability with real MLflow: the models and data the tests share.

MLflow is never a dependency of a flavorkit package; it is installed only in the ``interop``
nox session (``interop_env.py`` says what happens without it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
# pytest's importlib mode does not put the test directory on sys.path by itself; the model
# modules here are imported by name (and MLflow's pickles refer to them by name).
sys.path.insert(0, str(HERE))

from interop_fixtures import (  # noqa: E402, F401 - the models, shared with tests/tracking
    _discovering_registry,
    fresh32,
    fresh_iris,
    iris,
    iris32,
    logreg,
    mlp,
    onnx_logreg,
    pipeline,
)

#: Notices printed on every run here that say nothing about interoperability: a CPU-only
#: onnxruntime lacks the CUDA provider both sides record by default; MLflow hints that integer
#: columns cannot hold missing values.
QUIET = (
    "ignore:.*execution provider:UserWarning",
    "ignore:.*Inferred schema contains integer column:UserWarning",
)


def pytest_configure(config: pytest.Config) -> None:
    for line in QUIET:
        config.addinivalue_line("filterwarnings", line)


@pytest.fixture(autouse=True)
def _no_trust_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust is granted per test (``monkeypatch.setenv``), never inherited from the shell; MLflow
    keeps its default (it unpickles unless ``MLFLOW_ALLOW_PICKLE_DESERIALIZATION=false``)."""
    monkeypatch.delenv("FLAVORKIT_TRUST", raising=False)
    monkeypatch.delenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", raising=False)
