"""predict_stream: recorded as python_function.streamable, called through the pyfunc model."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pythonmodel_helpers import models

import flavorkit
from flavorkit import (
    ColSpec,
    DataType,
    FlavorkitError,
    ModelSignature,
    ParamSchema,
    ParamSpec,
    Schema,
    SchemaEnforcementError,
)


def streamable(path: Path) -> bool:
    return yaml.safe_load((path / "MLmodel").read_text())["flavors"]["python_function"][
        "streamable"
    ]


def test_stream_yields_chunks(tmp_path: Path) -> None:
    flavorkit.save_model(models.Shout(), tmp_path / "m", serialization="cloudpickle")
    assert streamable(tmp_path / "m") is True
    model = flavorkit.load_model(tmp_path / "m", trust=True)
    chunks = model.predict_stream(["a", "b"])
    assert next(chunks) == "A" and list(chunks) == ["B"]
    with pytest.raises(SchemaEnforcementError, match="expected str, got int"):
        model.predict_stream([1])  # checked against the hint before streaming


def test_stream_passes_declared_params(tmp_path: Path) -> None:
    signature = ModelSignature(
        inputs=Schema([ColSpec(DataType.string)]),
        params=ParamSchema([ParamSpec("suffix", DataType.string, "!")]),
    )
    flavorkit.save_model(models.Shout(), tmp_path / "m", signature=signature)
    model = flavorkit.load_model(tmp_path / "m", trust=True)
    assert list(model.predict_stream(["a"], {"suffix": "?"})) == ["A?"]
    assert list(model.predict_stream(["a"])) == ["A!"]  # the default


def test_reference_models_stream_in_flavorkit_and_through_mlflows_loader(tmp_path: Path) -> None:
    from flavorkit.mlflow_loader import TRUST_ENV, _load_pyfunc

    flavorkit.save_model(models.Shout(), tmp_path / "m")
    assert streamable(tmp_path / "m") is True
    assert list(flavorkit.load_model(tmp_path / "m", trust=True).predict_stream(["x"])) == ["X"]
    with pytest.MonkeyPatch.context() as env:
        env.setenv(TRUST_ENV, "1")  # MLflow has no trust argument: the caller's environment
        assert list(_load_pyfunc(str(tmp_path / "m")).predict_stream(["y"])) == ["Y"]


def test_models_without_predict_stream_do_not_stream(tmp_path: Path) -> None:
    flavorkit.save_model(models.Scaler(), tmp_path / "m")
    assert streamable(tmp_path / "m") is False
    with pytest.raises(FlavorkitError, match="does not implement predict_stream"):
        flavorkit.load_model(tmp_path / "m", trust=True).predict_stream(models.frame())
    with pytest.raises(ValueError, match="streamable=True, but Scaler"):
        flavorkit.save_model(models.Scaler(), tmp_path / "n", streamable=True)
