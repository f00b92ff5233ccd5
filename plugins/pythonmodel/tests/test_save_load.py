"""Saving and loading: artifacts, model_config, the three ways of recording a model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pythonmodel_helpers import CODE_MODEL, DATA, models

import flavorkit
from flavorkit import FlavorkitError
from flavorkit_pythonmodel import ModelFromCode, PythonModel

X = models.frame()


def mlmodel(path: Path) -> dict:
    return yaml.safe_load((path / "MLmodel").read_text())


# -- artifacts -----------------------------------------------------------------------------------


def test_artifacts_are_copied_and_given_as_absolute_paths(tmp_path: Path) -> None:
    other = tmp_path / "other" / "weights.json"  # same basename as the first, different file
    other.parent.mkdir()
    other.write_text('{"a": 1.0, "b": 1.0}')
    artifacts = {
        "weights": str(DATA / "weights.json"),
        "again": DATA / "weights.json",  # the same file twice: one copy
        "other": str(other),
        "vocab": str(DATA / "vocab"),
    }
    flavorkit.save_model(models.Vocabulary(), tmp_path / "m", artifacts=artifacts)
    saved = mlmodel(tmp_path / "m")["flavors"]["python_function"]["artifacts"]
    assert saved == {
        "weights": {"path": "artifacts/0/weights.json", "uri": str(DATA / "weights.json")},
        "again": {"path": "artifacts/0/weights.json", "uri": str(DATA / "weights.json")},
        "other": {"path": "artifacts/1/weights.json", "uri": str(other)},
        "vocab": {"path": "artifacts/vocab", "uri": str(DATA / "vocab")},
    }
    model = flavorkit.load_model(tmp_path / "m", trust=True)
    assert model.predict([2, 0]) == ["cherry", "apple"]
    context = model.predictor.context  # type: ignore[attr-defined]
    root = (tmp_path / "m").resolve()
    assert context.artifacts == {n: str(root / a["path"]) for n, a in saved.items()}


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        ("s3://bucket/weights.json", ValueError, "local files and directories only"),
        ("missing.json", FileNotFoundError, "does not exist"),
        (3, TypeError, "must be a local path"),
    ],
)
def test_bad_artifacts_are_refused(tmp_path: Path, value: object, error: type, match: str):
    with pytest.raises(error, match=match):
        flavorkit.save_model(models.WeightedSum(), tmp_path / "m", artifacts={"weights": value})
    assert not (tmp_path / "m").exists()


def test_an_artifact_holding_the_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="contains the model being saved"):
        flavorkit.save_model(models.WeightedSum(), tmp_path / "m", artifacts={"all": tmp_path})


# -- model_config ----------------------------------------------------------------------------------


def test_model_config_reaches_load_context_and_can_be_overridden(tmp_path: Path) -> None:
    config_file = tmp_path / "config.yaml"
    config_file.write_text("greeting: hello\n")
    flavorkit.save_model(models.Loaded(), tmp_path / "m", model_config=config_file)
    assert mlmodel(tmp_path / "m")["flavors"]["python_function"]["config"] == {"greeting": "hello"}
    names = pd.DataFrame({"name": ["ada"]})
    assert flavorkit.load_model(tmp_path / "m", trust=True).predict(names) == ["hello ada"]
    model = flavorkit.load_model(tmp_path / "m", trust=True, model_config={"greeting": "hey"})
    assert model.predict(names) == ["hey ada"]
    assert model.get_raw_model().config == {"greeting": "hey"}  # load_context saw the override
    native = flavorkit.load_native(tmp_path / "m", trust=True)
    assert native.loads == 1 and native.config == {"greeting": "hello"}


def test_model_config_must_be_yaml_data(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="plain YAML data"):
        flavorkit.save_model(models.Loaded(), tmp_path / "m", model_config={"f": object()})


# -- by reference ---------------------------------------------------------------------------------


def test_reference_records_the_class_and_its_arguments(tmp_path: Path) -> None:
    flavorkit.save_model(
        models.Scaler(2.0, ["a"]), tmp_path / "m", init_kwargs={"factor": 2.0, "columns": ["a"]}
    )
    flavors = mlmodel(tmp_path / "m")["flavors"]
    assert flavors["python_model"] == {
        "serialization": "reference",
        "python_model_class": "pythonmodel_helpers.models:Scaler",
        "init_kwargs": {"factor": 2.0, "columns": ["a"]},
    }
    assert flavors["python_function"]["loader_module"] == "flavorkit.mlflow_loader"
    assert not (tmp_path / "m" / "python_model.pkl").exists()
    native = flavorkit.load_native(tmp_path / "m", trust=True)
    assert (native.factor, native.columns) == (2.0, ["a"])


def test_reference_refuses_state_the_constructor_does_not_rebuild(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"attributes \['table'\].*serialization='cloudpickle'"):
        flavorkit.save_model(models.Lookup().fit({"a": 1}), tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_reference_refuses_arguments_the_constructor_does_not_take(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"Scaler\(\*\*init_kwargs\).*do not fit"):
        flavorkit.save_model(models.Scaler(), tmp_path / "m", init_kwargs={"scale": 2})
    assert not (tmp_path / "m").exists()


def test_reference_refuses_classes_no_other_process_can_import(tmp_path: Path) -> None:
    class Local(PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input

    with pytest.raises(ValueError, match=r"defined inside a function.*cloudpickle"):
        flavorkit.save_model(Local(), tmp_path / "m")
    flavorkit.save_model(Local(), tmp_path / "p", serialization="cloudpickle")  # by value
    assert flavorkit.load_model(tmp_path / "p", trust=True).predict([1]) == [1]


# -- cloudpickle ----------------------------------------------------------------------------------


def test_cloudpickle_uses_mlflows_keys(tmp_path: Path) -> None:
    import cloudpickle

    flavorkit.save_model(models.Lookup().fit({"a": 1}), tmp_path / "m", serialization="cloudpickle")
    pyfunc = mlmodel(tmp_path / "m")["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "mlflow.pyfunc.model"
    assert pyfunc["python_model"] == "python_model.pkl"
    assert pyfunc["cloudpickle_version"] == cloudpickle.__version__
    assert (
        "cloudpickle==" + cloudpickle.__version__
        in (tmp_path / "m" / "requirements.txt").read_text()
    )
    assert flavorkit.load_native(tmp_path / "m", trust=True).table == {"a": 1}


def test_serialization_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown serialization 'pickle'"):
        flavorkit.save_model(models.Scaler(), tmp_path / "m", serialization="pickle")
    with pytest.raises(TypeError, match="unknown save option"):
        flavorkit.save_model(models.Scaler(), tmp_path / "m", code_path="x")
    with pytest.raises(TypeError, match="pass an instance"):
        flavorkit.save_model(models.Scaler, tmp_path / "m", flavor="python_model")


# -- models from code ----------------------------------------------------------------------------


def test_model_from_code_is_copied_and_recorded_as_mlflow_does(tmp_path: Path) -> None:
    flavorkit.save_model(str(CODE_MODEL), tmp_path / "m", flavor="python_model", input_example=X)
    pyfunc = mlmodel(tmp_path / "m")["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "mlflow.pyfunc.loaders.code_model"
    assert pyfunc["model_code_path"] == str(CODE_MODEL)
    assert (tmp_path / "m" / "code_model.py").read_text() == CODE_MODEL.read_text()
    out = flavorkit.load_model(tmp_path / "m", trust=True).predict(X)
    np.testing.assert_allclose(out["total"], X["a"] + X["b"])


def test_model_file_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"not an existing \.py file"):
        ModelFromCode(tmp_path / "missing.py")
    silent = tmp_path / "silent.py"
    silent.write_text("x = 1\n")
    with pytest.raises(FlavorkitError, match=r"set no model.*set_model"):
        flavorkit.save_model(ModelFromCode(silent), tmp_path / "m")
    broken = tmp_path / "broken.py"
    broken.write_text("import not_a_module_anywhere\n")
    with pytest.raises(FlavorkitError, match="needs module 'not_a_module_anywhere'"):
        flavorkit.save_model(ModelFromCode(broken), tmp_path / "m")
    with pytest.raises(ValueError, match="do not apply to a model from code"):
        flavorkit.save_model(ModelFromCode(CODE_MODEL), tmp_path / "m", serialization="cloudpickle")
    assert not (tmp_path / "m").exists()


def test_a_function_set_as_the_model_predicts(tmp_path: Path) -> None:
    script = tmp_path / "fn.py"
    script.write_text(
        "from flavorkit_pythonmodel import set_model\n"
        "def double(model_input: list[int]) -> list[int]:\n"
        "    return [2 * x for x in model_input]\n"
        "set_model(double)\n"
    )
    flavorkit.save_model(ModelFromCode(script), tmp_path / "m", input_example=[1, 2])
    assert flavorkit.load_model(tmp_path / "m", trust=True).predict([3]) == [6]
