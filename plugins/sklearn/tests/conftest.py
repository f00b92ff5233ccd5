"""Shared fixtures: small real scikit-learn models, fitted once per session."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

# Test modules import their shared models from tests/models.py (pytest's importlib mode does not
# put the test directory on sys.path by itself).
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True, scope="module")
def _discovering_registry() -> None:
    """The real, entry-point-discovering registry (core tests may leave a toy one behind)."""
    from flavorkit.plugins import reset_registry

    reset_registry()


@pytest.fixture(scope="session")
def iris() -> tuple[pd.DataFrame, pd.Series]:
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="session")
def logreg(iris: tuple[pd.DataFrame, pd.Series]) -> Any:
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    return LogisticRegression(max_iter=1000).fit(X, y)


@pytest.fixture(scope="session")
def mixed_frame() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "age": rng.uniform(18, 80, 60),
            "income": rng.normal(50_000, 10_000, 60),
            "city": rng.choice(["paris", "lyon", "nice"], 60),
        }
    )
    y = (X["age"] > 40).to_numpy().astype(np.int64)
    return X, y


@pytest.fixture(scope="session")
def mixed_pipeline(mixed_frame: tuple[pd.DataFrame, np.ndarray]) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, y = mixed_frame
    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), ["age", "income"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ]
    )
    return Pipeline([("prep", prep), ("clf", LogisticRegression(max_iter=1000))]).fit(X, y)


@pytest.fixture(scope="session")
def array_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 4))
    return X, X @ np.array([1.0, -2.0, 0.5, 3.0]) + rng.normal(scale=0.1, size=80)


@pytest.fixture(scope="session")
def regressor(array_data: tuple[np.ndarray, np.ndarray]) -> Any:
    from sklearn.linear_model import Ridge

    X, y = array_data
    return Ridge(alpha=0.5).fit(X, y)


@pytest.fixture(scope="session")
def grid_search(iris: tuple[pd.DataFrame, pd.Series]) -> Any:
    """A model whose skops file needs types outside skops' defaults (its scorer, its CV)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    X, y = iris
    return GridSearchCV(LogisticRegression(max_iter=1000), {"C": [0.5, 1.0]}, cv=2).fit(X, y)
