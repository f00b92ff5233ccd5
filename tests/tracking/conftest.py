"""A real ``mlflow server`` for the session, and the models the tracking tests log to it.

The server is full MLflow 3.17.2 (installed only in the ``interop`` nox session, never a
dependency of a flavorkit package), listening on 127.0.0.1 on a free port, with a sqlite backend
store and ``--serve-artifacts``; it is stopped at the end of the session. Elsewhere the tests
skip, saying how to run them (``nox -s interop``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
INTEROP = HERE.parent / "interop"
# the interop test models are imported by name (and pickles refer to them by name)
sys.path.insert(0, str(INTEROP))
sys.path.insert(0, str(HERE))

from interop_env import need_mlflow  # noqa: E402
from interop_fixtures import (  # noqa: E402, F401 - the interop suite's models
    _discovering_registry,
    iris,
    iris32,
    logreg,
    mlp,
    onnx_logreg,
)
from tracking_support import Server, start_server, stop_server  # noqa: E402

QUIET = (
    "ignore:.*execution provider:UserWarning",
    "ignore:.*Inferred schema contains integer column:UserWarning",
    "ignore:.*get_latest_versions.*:FutureWarning",
)


def pytest_configure(config: pytest.Config) -> None:
    for line in QUIET:
        config.addinivalue_line("filterwarnings", line)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    need_mlflow()
    server = start_server(tmp_path_factory.mktemp("mlflow-server"))
    try:
        yield server
    finally:
        stop_server(server.process)


@pytest.fixture
def tracking(
    mlflow_server: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Server]:
    """MLFLOW_TRACKING_URI names the server, each test has its own download cache and its own
    experiment, and no run is left active."""
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.url)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    monkeypatch.setenv("FLAVORKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("FLAVORKIT_TRUST", raising=False)
    mlflow.set_experiment(f"exp-{tmp_path.name}")
    try:
        yield mlflow_server
    finally:
        while mlflow.active_run() is not None:
            mlflow.end_run()


# -- models ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def weights_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    file = tmp_path_factory.mktemp("artifacts") / "weights.json"
    file.write_text(json.dumps({"factor": 2.5, "shift": -1.0}))
    return file
