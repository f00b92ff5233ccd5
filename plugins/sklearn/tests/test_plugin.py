"""The plugin as an installed distribution: entry point, detection, light import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

import flavorkit
from flavorkit.plugins import get_registry

HEAVY = ("sklearn", "skops", "numpy", "pandas", "cloudpickle", "scipy")


def run_python(code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
        timeout=60,
    )
    return result.stdout


def test_import_is_light() -> None:
    out = run_python(
        "import sys, json, flavorkit_sklearn\n"
        "flavorkit_sklearn.SklearnFlavor().info()\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    assert json.loads(out) == []


def test_entry_point_is_discovered_strictly() -> None:
    """Discovery through the installed metadata, with plugin failures raising, imports no sklearn.

    Only the sklearn entry point is loaded: other plugins in the environment are not under test.
    """
    out = run_python(
        "import sys, json\n"
        "from flavorkit.plugins import get_registry\n"
        "info = get_registry().flavor('sklearn')\n"
        "names = sorted(get_registry().entry_points())\n"
        "print(json.dumps({'names': names, 'types': list(info.model_types),\n"
        "  'package': info.package, 'loaders': list(info.loader_modules),\n"
        "  'dist': get_registry().distribution_of('sklearn'),\n"
        f"  'heavy': [m for m in {HEAVY!r} if m in sys.modules]}}))",
        FLAVORKIT_STRICT_PLUGINS="1",
    )
    found = json.loads(out)
    assert "sklearn" in found["names"]
    assert found["types"] == ["sklearn.base.BaseEstimator"]
    assert found["package"] == "flavorkit-sklearn"
    assert found["loaders"] == ["mlflow.sklearn"]
    assert found["dist"] == "flavorkit-sklearn"
    assert found["heavy"] == []


def test_dotted_base_type_is_the_real_one() -> None:
    from sklearn.base import BaseEstimator

    from flavorkit_sklearn import SklearnFlavor

    dotted = f"{BaseEstimator.__module__}.{BaseEstimator.__qualname__}"
    assert SklearnFlavor.model_types == (dotted,)


def estimators(iris: Any) -> list[Any]:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier, StackingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeRegressor

    return [
        LogisticRegression(),
        DecisionTreeRegressor(),
        make_pipeline(StandardScaler(), LogisticRegression()),
        ColumnTransformer([("s", StandardScaler(), [0])]),
        GridSearchCV(LogisticRegression(), {"C": [1.0]}),
        FeatureUnion([("s", StandardScaler())]),
        StackingClassifier([("rf", RandomForestClassifier())]),
        StandardScaler(),
    ]


@pytest.mark.parametrize("index", range(8))
def test_detects_estimators_and_meta_estimators(iris: Any, index: int) -> None:
    model = estimators(iris)[index]
    assert get_registry().detect(model).name == "sklearn"


def test_non_estimator_is_not_claimed() -> None:
    with pytest.raises(flavorkit.PluginNotFoundError):
        get_registry().detect(object())
