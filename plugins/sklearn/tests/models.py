"""Small real scikit-learn models for the conformance cases, fitted when first needed."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd


@cache
def iris() -> pd.DataFrame:
    from sklearn.datasets import load_iris

    return load_iris(as_frame=True).data


@cache
def logreg() -> Any:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000).fit(iris(), load_iris().target)


@cache
def mixed() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "age": rng.uniform(18, 80, 60),
            "income": rng.normal(50_000, 10_000, 60),
            "city": rng.choice(["paris", "lyon", "nice"], 60).astype(object),
        }
    )


@cache
def pipeline() -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), ["age", "income"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ]
    )
    X = mixed()
    y = (X["age"] > 40).to_numpy().astype(np.int64)
    return Pipeline([("prep", prep), ("clf", LogisticRegression(max_iter=1000))]).fit(X, y)


@cache
def ridge_data() -> np.ndarray:
    return np.random.default_rng(1).normal(size=(80, 4))


@cache
def ridge() -> Any:
    from sklearn.linear_model import Ridge

    X = ridge_data()
    return Ridge(alpha=0.5).fit(X, X @ np.array([1.0, -2.0, 0.5, 3.0]))


@cache
def lambda_pipeline() -> Any:
    """A pipeline around a lambda: skops and pickle cannot record it, cloudpickle can."""
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X = ridge_data()
    return make_pipeline(FunctionTransformer(lambda a: a * 2), Ridge()).fit(X, X.sum(axis=1))
