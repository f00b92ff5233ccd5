"""What the interop tests need installed, and what MLflow saves are given.

MLflow is installed only in the ``interop`` nox session. Elsewhere (a plain ``pytest`` from the
repository root) the tests skip, saying why; the session sets ``FLAVORKIT_REQUIRE_MLFLOW=1`` so
that a missing MLflow or plugin there is a failure, not a silent skip.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

REQUIRE_ENV = "FLAVORKIT_REQUIRE_MLFLOW"


def _required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in ("1", "true", "yes")


def need(module: str, why: str) -> None:
    """Skip the calling module unless ``module`` imports; in the interop session, fail instead."""
    if importlib.util.find_spec(module) is not None:
        return
    message = f"{module} is not installed: {why}"
    if _required():
        pytest.fail(f"{message} ({REQUIRE_ENV}=1: the interop session installs it)")
    pytest.skip(message, allow_module_level=True)


def need_mlflow() -> None:
    need("mlflow", "interop tests run against real MLflow (nox -s interop installs mlflow==3.17.2)")


def need_pytorch() -> None:
    need("flavorkit_pytorch", "the PyTorch cases need the flavorkit-pytorch plugin and torch")


#: What MLflow saves are given instead of inferring requirements: MLflow infers them by loading
#: the model in a subprocess (3 to 10 s per save here), which would dominate the session's run
#: time and is not what these tests are about.
MLFLOW_REQUIREMENTS = ["mlflow"]
