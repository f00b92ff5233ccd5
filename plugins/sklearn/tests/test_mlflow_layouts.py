"""Reading directories laid out as MLflow writes them, and the scikit-learn version check.

The directories are written by hand, file by file, as MLflow 1.x, 2.x and 3.x write them
(mlflow-format.md §3.1); the model files with the same calls MLflow makes.
"""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import flavorkit

CONDA_YAML = """channels:
- conda-forge
dependencies:
- python=3.8.10
- pip
- pip:
  - mlflow
  - cloudpickle==1.6.0
  - scikit-learn==0.24.2
name: mlflow-env
"""

# MLflow 1.x: python_function.data names the file, env is a plain string.
MLFLOW_1X = """artifact_path: model
flavors:
  python_function:
    data: model.pkl
    env: conda.yaml
    loader_module: mlflow.sklearn
    python_version: 3.8.10
  sklearn:
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: {version}
run_id: 0f8e2c5a4b1d4e6f8a9b0c1d2e3f4a5b
utc_time_created: '2021-06-01 12:00:00.123456'
"""

# Only a python_function section: the file from `data`, the format defaults to pickle.
PYFUNC_ONLY = """flavors:
  python_function:
    data: model.pkl
    env: conda.yaml
    loader_module: mlflow.sklearn
    python_version: 3.8.10
utc_time_created: '2020-01-01 00:00:00'
"""

# MLflow 3.x save_model with the default skops format.
MLFLOW_3X = """flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.skops
    predict_fn: {predict_fn}
    python_version: 3.11.7
  sklearn:
    code: null
    pickled_model: model.skops
    serialization_format: skops
    sklearn_version: {version}
    skops_trusted_types: {trusted}
is_signature_from_type_hint: false
mlflow_version: 3.18.0
model_id: null
model_size_bytes: 11061
model_uuid: 3c1ab2a4d0f04a5c9d3e1f2a3b4c5d6e
prompts: null
signature:
  inputs: '[{{"type": "double", "name": "sepal length (cm)", "required": true}}, {{"type":
    "double", "name": "sepal width (cm)", "required": true}}, {{"type": "double", "name":
    "petal length (cm)", "required": true}}, {{"type": "double", "name": "petal width
    (cm)", "required": true}}]'
  outputs: '[{{"type": "long", "required": true}}]'
  params: null
type_hint_from_example: false
utc_time_created: '2026-11-21 22:52:15.021132'
"""

PYTHON_ENV = """python: 3.11.7
build_dependencies:
- pip==23.2.1
- setuptools==84.2.1
- wheel
dependencies:
- -r requirements.txt
"""


def installed_sklearn() -> str:
    import sklearn

    return str(sklearn.__version__)


def write_1x(root: Path, model: Any, *, pyfunc_only: bool = False) -> Path:
    import cloudpickle

    root.mkdir()
    if pyfunc_only:
        (root / "MLmodel").write_text(PYFUNC_ONLY)
        (root / "model.pkl").write_bytes(pickle.dumps(model, protocol=pickle.DEFAULT_PROTOCOL))
    else:
        (root / "MLmodel").write_text(MLFLOW_1X.format(version=installed_sklearn()))
        (root / "model.pkl").write_bytes(cloudpickle.dumps(model, protocol=4))
    (root / "conda.yaml").write_text(CONDA_YAML)
    return root


def write_3x(root: Path, model: Any, *, predict_fn: str = "predict", trusted: Any = "null") -> Path:
    import skops.io

    root.mkdir()
    text = MLFLOW_3X.format(predict_fn=predict_fn, version=installed_sklearn(), trusted=trusted)
    (root / "MLmodel").write_text(text)
    skops.io.dump(model, root / "model.skops")
    (root / "python_env.yaml").write_text(PYTHON_ENV)
    (root / "requirements.txt").write_text(
        f"mlflow==3.18.0\nscikit-learn=={installed_sklearn()}\nskops==0.16.0"
    )
    return root


def test_mlflow_1x_cloudpickle_with_data_key(tmp_path: Path, iris: Any, logreg: Any) -> None:
    X, _ = iris
    root = write_1x(tmp_path / "m", logreg)
    with pytest.raises(flavorkit.UntrustedModelError, match="cloudpickle"):
        flavorkit.load_model(root)
    model = flavorkit.load_model(root, trust=True)
    assert model.flavor == "sklearn"
    np.testing.assert_array_equal(model.predict(X), logreg.predict(X))
    assert flavorkit.load_native(root, trust=True).coef_.shape == logreg.coef_.shape


def test_pyfunc_only_data_key_defaults_to_pickle(tmp_path: Path, iris: Any, logreg: Any) -> None:
    X, _ = iris
    root = write_1x(tmp_path / "m", logreg, pyfunc_only=True)
    with pytest.raises(flavorkit.UntrustedModelError, match=r"model\.pkl.*pickle"):
        flavorkit.load_model(root)
    model = flavorkit.load_model(root, trust=True)  # claimed by loader_module: mlflow.sklearn
    np.testing.assert_array_equal(model.predict(X), logreg.predict(X))
    native = flavorkit.load_native(root, trust=True)
    np.testing.assert_array_equal(native.predict(X), logreg.predict(X))


def test_mlflow_3x_skops_layout(tmp_path: Path, iris: Any, logreg: Any) -> None:
    X, _ = iris
    root = write_3x(tmp_path / "m", logreg)
    model = flavorkit.load_model(root)  # skops with default types: no trust needed
    np.testing.assert_array_equal(model.predict(X), logreg.predict(X))
    assert model.signature.inputs.input_names() == list(X.columns)
    with pytest.raises(flavorkit.SchemaEnforcementError, match="petal width"):
        model.predict(X.drop(columns="petal width (cm)"))


def test_mlflow_3x_predict_proba_layout(tmp_path: Path, iris: Any, logreg: Any) -> None:
    X, _ = iris
    root = write_3x(tmp_path / "m", logreg, predict_fn="predict_proba")
    np.testing.assert_array_equal(flavorkit.load_model(root).predict(X), logreg.predict_proba(X))


def test_mlflow_3x_model_listing_its_own_types_is_refused(
    tmp_path: Path, iris: Any, grid_search: Any
) -> None:
    X, _ = iris
    trusted = (
        "\n    - sklearn.metrics._scorer._PassthroughScorer"
        "\n    - sklearn.model_selection._split.StratifiedKFold"
    )
    root = write_3x(tmp_path / "m", grid_search, trusted=trusted)
    with pytest.raises(flavorkit.UntrustedModelError, match="StratifiedKFold"):
        flavorkit.load_model(root)
    model = flavorkit.load_model(root, trust=True)
    np.testing.assert_array_equal(model.predict(X), grid_search.predict(X))


# -- the scikit-learn version check -------------------------------------------------------------


def version_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, UserWarning) and "saved with scikit-learn" in str(w.message)
    ]


def test_version_mismatch_warns_once_per_model(tmp_path: Path, iris: Any, logreg: Any) -> None:
    """The core's version check: one warning per model per process, with the fix."""
    X, _ = iris
    flavorkit.save_model(logreg, tmp_path / "m")
    text = (tmp_path / "m" / "MLmodel").read_text()
    text = text.replace(f"sklearn_version: {installed_sklearn()}", "sklearn_version: 0.0.1")
    (tmp_path / "m" / "MLmodel").write_text(text)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = flavorkit.load_model(tmp_path / "m")
        for _ in range(3):
            model.predict(X.head(2))
    messages = version_warnings(caught)
    assert len(messages) == 1
    assert "0.0.1" in messages[0] and installed_sklearn() in messages[0]
    assert 'pip install "scikit-learn==0.0.1"' in messages[0]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        flavorkit.load_native(tmp_path / "m")
    assert version_warnings(caught) == []  # this model already warned in this process


def test_same_version_does_not_warn(tmp_path: Path, logreg: Any) -> None:
    flavorkit.save_model(logreg, tmp_path / "m")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        flavorkit.load_model(tmp_path / "m")
    assert version_warnings(caught) == []
