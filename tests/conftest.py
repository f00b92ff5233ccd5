"""Shared by the cross-package test directories that one nox session may collect together."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _no_mlflow_state_from_earlier_tests(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no tracking URI, registry URI or experiment chosen by another.

    MLflow keeps them in module globals and in environment variables it sets itself
    (``set_registry_uri`` and ``set_experiment`` write ``MLFLOW_REGISTRY_URI`` and
    ``MLFLOW_EXPERIMENT_ID``, and ``set_registry_uri(None)`` clears neither), so a test that
    chose a store would otherwise point every later test in the session at it.
    """
    names = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_EXPERIMENT_ID")
    for name in (*names, "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    _reset_mlflow_globals()
    yield
    _reset_mlflow_globals()


def _reset_mlflow_globals() -> None:
    if "mlflow" not in sys.modules:  # never imported: nothing to reset
        return
    import mlflow
    from mlflow.tracking import _model_registry, _tracking_service, fluent

    while mlflow.active_run() is not None:
        mlflow.end_run()
    _tracking_service.utils._tracking_uri = None  # MLFLOW_TRACKING_URI is read again
    _model_registry.utils._registry_uri = None  # what set_registry_uri(None) leaves behind
    fluent._active_experiment_id = None  # MLflow's own tests reset it the same way
