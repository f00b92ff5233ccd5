"""Params: declared ones are validated and passed; the others are refused, not dropped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pythonmodel_helpers import models

import flavorkit
from flavorkit import SchemaEnforcementError

X = models.frame()


@pytest.fixture
def affine(tmp_path: Path) -> flavorkit.PyFuncModel:
    path = tmp_path / "m"
    flavorkit.save_model(
        models.Affine(), path, model_config={"offset": 1.0}, input_example=(X, {"scale": 2.0})
    )
    return flavorkit.load_model(path, trust=True)


def test_declared_params_are_converted_and_passed(affine: flavorkit.PyFuncModel) -> None:
    np.testing.assert_allclose(affine.predict(X, {"scale": 3}), X.to_numpy() * 3 + 1)
    np.testing.assert_allclose(affine.predict(X), X.to_numpy() * 2 + 1)  # the default


def test_invalid_param_values_are_refused(affine: flavorkit.PyFuncModel) -> None:
    with pytest.raises(SchemaEnforcementError, match="scale") as info:
        affine.predict(X, {"scale": "big"})
    assert info.value.input_name == "scale"


def test_undeclared_params_are_refused(affine: flavorkit.PyFuncModel) -> None:
    with pytest.raises(SchemaEnforcementError, match="temperature"):
        affine.predict(X, {"scale": 2.0, "temperature": 0.5})


def test_predictor_declares_strict_params(affine: flavorkit.PyFuncModel) -> None:
    assert affine.predictor.strict_params is True  # type: ignore[attr-defined]


def test_params_a_model_cannot_take_are_refused(tmp_path: Path) -> None:
    flavorkit.save_model(models.NoParams(), tmp_path / "m", input_example=X)
    predictor = flavorkit.load_model(tmp_path / "m", trust=True).predictor
    assert predictor.predict(X, {}) is not None
    with pytest.raises(
        SchemaEnforcementError, match=r"NoParams.predict\(\) takes no params.*\['k'\]"
    ):
        predictor.predict(X, {"k": 1})
