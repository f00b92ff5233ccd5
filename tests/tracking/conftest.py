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
from typing import Any

import pytest

HERE = Path(__file__).parent
INTEROP = HERE.parent / "interop"
# the interop test models are imported by name (and pickles refer to them by name)
sys.path.insert(0, str(INTEROP))
sys.path.insert(0, str(HERE))

from interop_env import need, need_mlflow  # noqa: E402
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


@pytest.fixture(autouse=True, scope="module")
def _discovering_registry() -> None:
    from flavorkit.plugins import reset_registry

    reset_registry()


# -- models ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def iris() -> tuple[Any, Any]:
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="session")
def iris32(iris: tuple[Any, Any]) -> Any:
    import numpy as np

    return iris[0].to_numpy(dtype=np.float32, copy=True)


@pytest.fixture(scope="session")
def logreg(iris: tuple[Any, Any]) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000).fit(*iris)


@pytest.fixture(scope="session")
def onnx_logreg(iris: tuple[Any, Any]) -> Any:
    need("skl2onnx", "the ONNX case converts a scikit-learn model with skl2onnx")
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    clf = LogisticRegression(max_iter=1000).fit(X.to_numpy(), y)
    return convert_sklearn(
        clf,
        initial_types=[("X", FloatTensorType([None, 4]))],
        options={"zipmap": False},
        target_opset=17,
    )


@pytest.fixture(scope="session")
def mlp() -> Any:
    need("flavorkit_pytorch", "the PyTorch case needs the flavorkit-pytorch plugin and torch")
    import torch
    from interop_torch import MLP

    torch.manual_seed(0)
    return MLP(n_in=4, n_hidden=8, n_out=3).eval()


@pytest.fixture(scope="session")
def weights_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    file = tmp_path_factory.mktemp("artifacts") / "weights.json"
    file.write_text(json.dumps({"factor": 2.5, "shift": -1.0}))
    return file
