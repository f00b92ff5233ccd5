"""The models and data the real-MLflow suites use (tests/interop, and tests/tracking in part).

Each suite's conftest imports these fixtures by name, which registers them there; they are
session-scoped, so each suite fits each model once.
"""

from __future__ import annotations

from typing import Any

import pytest
from interop_env import need, need_pytorch


@pytest.fixture(autouse=True, scope="module")
def _discovering_registry() -> None:
    """The real, entry-point-discovering registry (core tests may leave a toy one behind)."""
    from flavorkit.plugins import reset_registry

    reset_registry()


@pytest.fixture(scope="session")
def iris() -> tuple[Any, Any]:
    """Iris as a DataFrame of four float columns, and its labels."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="session")
def iris32(iris: tuple[Any, Any]) -> Any:
    import numpy as np

    return iris[0].to_numpy(dtype=np.float32, copy=True)  # writable: torch.from_numpy wants it


@pytest.fixture(scope="session")
def logreg(iris: tuple[Any, Any]) -> Any:
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    return LogisticRegression(max_iter=1000).fit(X, y)


@pytest.fixture(scope="session")
def onnx_logreg(iris: tuple[Any, Any]) -> Any:
    """An ONNX graph by skl2onnx: ``X`` float [N, 4] → ``label`` int64, ``probabilities``."""
    need("skl2onnx", "the ONNX cases convert a scikit-learn model with skl2onnx")
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
    """A small trained-looking PyTorch MLP (4 → 8 → 3), eval mode, fixed weights."""
    need_pytorch()
    import torch
    from interop_torch import MLP

    torch.manual_seed(0)
    return MLP(n_in=4, n_hidden=8, n_out=3).eval()


@pytest.fixture(scope="session")
def fresh_iris(iris: tuple[Any, Any]) -> Any:
    """Rows no model was fitted or saved with: noise around the iris feature means."""
    import numpy as np
    import pandas as pd

    X, _ = iris
    rng = np.random.default_rng(7)
    values = X.mean().to_numpy() + rng.normal(scale=X.std().to_numpy(), size=(25, 4))
    return pd.DataFrame(values, columns=X.columns)


@pytest.fixture(scope="session")
def pipeline(iris: tuple[Any, Any]) -> Any:
    """A scaled random forest, whose skops file needs a type beyond skops' defaults (Tree)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = iris
    forest = RandomForestClassifier(n_estimators=10, max_depth=3, random_state=0)
    return make_pipeline(StandardScaler(), forest).fit(X, y)


@pytest.fixture(scope="session")
def fresh32(fresh_iris: Any) -> Any:
    import numpy as np

    return fresh_iris.to_numpy(dtype=np.float32, copy=True)
