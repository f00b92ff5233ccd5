"""Saving and loading real scikit-learn models through flavorkit's API and the real entry point."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import flavorkit
from flavorkit import TensorSpec

# MLflow 3.x's keys for a scikit-learn model (mlflow-format.md §3.1).
MLFLOW_SKLEARN_KEYS = {
    "pickled_model",
    "serialization_format",
    "sklearn_version",
    "skops_trusted_types",
    "code",
}
MLFLOW_PYFUNC_KEYS = {"env", "loader_module", "model_path", "predict_fn", "python_version"}


def mlmodel(model_dir: Path) -> dict[str, Any]:
    return yaml.safe_load((model_dir / "MLmodel").read_text())


# -- the four cases of the issue ----------------------------------------------------------------


def test_logreg_on_named_columns(tmp_path: Path, iris: Any, logreg: Any) -> None:
    X, _ = iris
    flavorkit.save_model(logreg, tmp_path / "m", input_example=X.head(5))
    model = flavorkit.load_model(tmp_path / "m")
    np.testing.assert_array_equal(model.predict(X), logreg.predict(X))
    inputs = model.signature.inputs
    assert inputs.input_names() == list(X.columns)
    assert [c.type.name for c in inputs.inputs] == ["double"] * 4
    assert model.signature.outputs.to_dict() == [{"type": "long", "required": True}]
    assert type(model.get_raw_model()).__name__ == "LogisticRegression"


def test_pipeline_with_column_transformer(tmp_path: Path, mixed_frame: Any, mixed_pipeline: Any):
    X, _ = mixed_frame
    flavorkit.save_model(mixed_pipeline, tmp_path / "m", input_example=X.head(3))
    model = flavorkit.load_model(tmp_path / "m")  # skops; needs no trust
    np.testing.assert_array_equal(model.predict(X), mixed_pipeline.predict(X))
    types = {c.name: c.type.name for c in model.signature.inputs.inputs}
    assert types == {"age": "double", "income": "double", "city": "string"}
    # enforcement in front of the pipeline: a missing column is named
    with pytest.raises(flavorkit.SchemaEnforcementError, match="city"):
        model.predict(X.drop(columns="city"))
    assert mlmodel(tmp_path / "m")["flavors"]["sklearn"]["skops_trusted_types"] is None


def test_regressor_on_numpy(tmp_path: Path, array_data: Any, regressor: Any) -> None:
    X, _ = array_data
    flavorkit.save_model(regressor, tmp_path / "m", input_example=X[:4])
    model = flavorkit.load_model(tmp_path / "m")
    np.testing.assert_allclose(model.predict(X), regressor.predict(X), rtol=0, atol=0)
    assert model.signature.inputs.inputs == [TensorSpec(np.dtype("float64"), (-1, 4))]
    assert model.signature.outputs.inputs == [TensorSpec(np.dtype("float64"), (-1,))]


def test_predict_proba_signature_comes_from_the_chosen_method(
    tmp_path: Path, iris: Any, logreg: Any
) -> None:
    X, _ = iris
    flavorkit.save_model(
        logreg, tmp_path / "m", input_example=X.head(5), pyfunc_predict_fn="predict_proba"
    )
    model = flavorkit.load_model(tmp_path / "m")
    assert model.signature.outputs.inputs == [TensorSpec(np.dtype("float64"), (-1, 3))]
    np.testing.assert_array_equal(model.predict(X.head(7)), logreg.predict_proba(X.head(7)))
    assert mlmodel(tmp_path / "m")["flavors"]["python_function"]["predict_fn"] == "predict_proba"


@pytest.mark.parametrize("method", ["predict_log_proba", "predict_joint_log_proba"])
def test_other_predict_fns(tmp_path: Path, iris: Any, method: str) -> None:
    from sklearn.naive_bayes import GaussianNB

    X, y = iris
    nb = GaussianNB().fit(X, y)
    flavorkit.save_model(nb, tmp_path / "m", pyfunc_predict_fn=method)
    model = flavorkit.load_model(tmp_path / "m")
    np.testing.assert_array_equal(model.predict(X), getattr(nb, method)(X))


# -- formats ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "file"),
    [("skops", "model.skops"), ("pickle", "model.pkl"), ("cloudpickle", "model.pkl")],
)
def test_each_format_round_trips(
    tmp_path: Path, mixed_frame: Any, mixed_pipeline: Any, fmt: str, file: str
) -> None:
    X, _ = mixed_frame
    flavorkit.save_model(mixed_pipeline, tmp_path / "m", serialization_format=fmt)
    assert (tmp_path / "m" / file).is_file()
    conf = mlmodel(tmp_path / "m")["flavors"]["sklearn"]
    assert conf["pickled_model"] == file
    assert conf["serialization_format"] == fmt
    trust = fmt != "skops"
    model = flavorkit.load_model(tmp_path / "m", trust=trust)
    np.testing.assert_array_equal(model.predict(X), mixed_pipeline.predict(X))
    native = flavorkit.load_native(tmp_path / "m", trust=trust)
    np.testing.assert_array_equal(native.predict_proba(X), mixed_pipeline.predict_proba(X))


def test_pickle_uses_the_default_protocol(tmp_path: Path, logreg: Any) -> None:
    flavorkit.save_model(logreg, tmp_path / "m", serialization_format="pickle")
    data = (tmp_path / "m" / "model.pkl").read_bytes()
    assert data[:2] == bytes([0x80, pickle.DEFAULT_PROTOCOL])


# -- MLmodel keys, exactly MLflow's -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["skops", "pickle", "cloudpickle"])
def test_mlmodel_keys_match_mlflow(tmp_path: Path, logreg: Any, fmt: str) -> None:
    import sklearn

    flavorkit.save_model(logreg, tmp_path / "m", serialization_format=fmt)
    flavors = mlmodel(tmp_path / "m")["flavors"]
    assert set(flavors) == {"sklearn", "python_function"}
    file = "model.skops" if fmt == "skops" else "model.pkl"
    assert flavors["sklearn"] == {
        "pickled_model": file,
        "serialization_format": fmt,
        "sklearn_version": sklearn.__version__,
        "skops_trusted_types": None,
        "code": None,
    }
    assert set(flavors["sklearn"]) == MLFLOW_SKLEARN_KEYS
    pyfunc = flavors["python_function"]
    # MLflow omits python_function.code when there is no code; the core writes `code: null`
    # (harmless for MLflow, which treats null as absent) - reported to the core.
    assert pyfunc.pop("code", None) is None
    assert set(pyfunc) == MLFLOW_PYFUNC_KEYS
    assert pyfunc["loader_module"] == "mlflow.sklearn"
    assert pyfunc["model_path"] == file
    assert pyfunc["predict_fn"] == "predict"
    assert pyfunc["env"] == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    assert "data" not in pyfunc


def test_transformer_without_predict_has_no_pyfunc(tmp_path: Path, iris: Any) -> None:
    from sklearn.preprocessing import StandardScaler

    X, _ = iris
    scaler = StandardScaler().fit(X)
    flavorkit.save_model(scaler, tmp_path / "m")
    assert set(mlmodel(tmp_path / "m")["flavors"]) == {"sklearn"}
    with pytest.raises(flavorkit.FlavorkitError, match="python_function"):
        flavorkit.load_model(tmp_path / "m")
    native = flavorkit.load_native(tmp_path / "m")
    np.testing.assert_array_equal(native.transform(X), scaler.transform(X))


# -- requirements -------------------------------------------------------------------------------


def requirements(model_dir: Path) -> list[str]:
    return (model_dir / "requirements.txt").read_text().splitlines()


def test_requirements_match_the_format(tmp_path: Path, logreg: Any) -> None:
    from importlib.metadata import version

    flavorkit.save_model(logreg, tmp_path / "skops")
    reqs = requirements(tmp_path / "skops")
    assert f"scikit-learn=={version('scikit-learn')}" in reqs
    assert f"skops=={version('skops')}" in reqs
    assert not any(r.startswith(("cloudpickle", "torch", "mlflow")) for r in reqs)

    flavorkit.save_model(logreg, tmp_path / "cp", serialization_format="cloudpickle")
    reqs = requirements(tmp_path / "cp")
    assert f"cloudpickle=={version('cloudpickle')}" in reqs
    assert not any(r.startswith("skops") for r in reqs)

    flavorkit.save_model(logreg, tmp_path / "pk", serialization_format="pickle")
    names = {r.split("==")[0] for r in requirements(tmp_path / "pk")}
    assert "scikit-learn" in names and not names & {"skops", "cloudpickle", "torch"}


def test_default_pip_requirements_direct() -> None:
    from flavorkit_sklearn import SklearnFlavor

    reqs = SklearnFlavor().default_pip_requirements()
    assert [r.split("==")[0] for r in reqs] == ["scikit-learn", "skops"]
    with pytest.raises(ValueError, match=r"serialization_format 'joblib'.*skops"):
        SklearnFlavor().default_pip_requirements(serialization_format="joblib")


# -- option errors ------------------------------------------------------------------------------


def test_unknown_option_is_named_with_the_valid_ones(tmp_path: Path, logreg: Any) -> None:
    with pytest.raises(TypeError, match=r"bogus.*serialization_format, pyfunc_predict_fn"):
        flavorkit.save_model(logreg, tmp_path / "m", bogus=1)
    assert not (tmp_path / "m").exists()


def test_unknown_format(tmp_path: Path, logreg: Any) -> None:
    with pytest.raises(ValueError, match=r"'joblib'.*'skops', 'pickle', 'cloudpickle'"):
        flavorkit.save_model(logreg, tmp_path / "m", serialization_format="joblib")


def test_missing_predict_fn_names_what_it_has(tmp_path: Path, regressor: Any) -> None:
    with pytest.raises(ValueError, match=r"Ridge has no method 'predict_proba'.*it has predict"):
        flavorkit.save_model(regressor, tmp_path / "m", pyfunc_predict_fn="predict_proba")
    assert not (tmp_path / "m").exists()


def test_predict_fn_must_be_one_mlflow_can_call(tmp_path: Path, logreg: Any) -> None:
    with pytest.raises(ValueError, match=r"predict_proba.*not 'decision_function'"):
        flavorkit.save_model(logreg, tmp_path / "m", pyfunc_predict_fn="decision_function")


def test_skops_trusted_types_needs_skops(tmp_path: Path, logreg: Any) -> None:
    with pytest.raises(ValueError, match="only to serialization_format='skops'"):
        flavorkit.save_model(
            logreg, tmp_path / "m", serialization_format="pickle", skops_trusted_types=[]
        )


def test_predict_fn_in_mlmodel_is_restricted(tmp_path: Path, logreg: Any) -> None:
    """MLmodel may only name a predicting method: `fit` is not called on its say-so."""
    flavorkit.save_model(logreg, tmp_path / "m")
    text = (
        (tmp_path / "m" / "MLmodel").read_text().replace("predict_fn: predict", "predict_fn: fit")
    )
    (tmp_path / "m" / "MLmodel").write_text(text)
    with pytest.raises(flavorkit.FlavorkitError, match="'fit'"):
        flavorkit.load_model(tmp_path / "m")


def test_params_are_not_passed_to_sklearn(tmp_path: Path, iris: Any, logreg: Any) -> None:
    from flavorkit.mlmodel import Model
    from flavorkit_sklearn import SklearnFlavor

    X, _ = iris
    flavorkit.save_model(logreg, tmp_path / "m")
    meta = Model.load(tmp_path / "m")
    predictor = SklearnFlavor().predictor(
        logreg, meta.flavors["sklearn"], meta.flavors["python_function"]
    )
    np.testing.assert_array_equal(predictor.predict(X, {"anything": 1}), logreg.predict(X))


def test_input_example_file_is_mlflow_split(tmp_path: Path, iris: Any, logreg: Any) -> None:
    X, _ = iris
    flavorkit.save_model(logreg, tmp_path / "m", input_example=X.head(2))
    example = json.loads((tmp_path / "m" / "input_example.json").read_text())
    assert example["columns"] == list(X.columns)
    back = flavorkit.load_model(tmp_path / "m").input_example
    pd.testing.assert_frame_equal(back, X.head(2).reset_index(drop=True), check_dtype=False)
