"""Signatures from type hints on predict (as MLflow 2.20+ reads them), and input checked by them."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Union

import numpy as np
import pandas as pd
import pytest
import yaml
from pythonmodel_helpers import models

import flavorkit
from flavorkit import AnyType, Array, DataType, Map, SchemaEnforcementError
from flavorkit_pythonmodel import PythonModel
from flavorkit_pythonmodel._hints import column_type, input_kind


def saved_signature(path: Path) -> tuple[dict[str, Any], bool]:
    data = yaml.safe_load((path / "MLmodel").read_text())
    return data.get("signature"), data.get("is_signature_from_type_hint", False)


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        (int, DataType.long),
        (float, DataType.double),
        (str, DataType.string),
        (bool, DataType.boolean),
        (bytes, DataType.binary),
        (datetime.datetime, DataType.datetime),
        (Any, AnyType()),
        (list[str], Array(DataType.string)),
        (dict[str, float], Map(DataType.double)),
        (dict[str, list[int]], Map(Array(DataType.long))),
        (Union[int, str], AnyType()),
    ],
)
def test_column_types_follow_mlflow(hint: Any, expected: Any) -> None:
    assert column_type(hint) == expected


def test_hint_kinds() -> None:
    assert input_kind(list[dict[str, float]]) == "list"
    assert input_kind(pd.DataFrame) == "dataframe" and input_kind(np.ndarray) == "ndarray"
    assert input_kind(None) == input_kind(Any) == "none"
    for hint in (str, dict[str, str], list[str | None], list[object], list[dict[int, str]]):
        assert input_kind(hint) == "unsupported", hint


def test_list_of_dicts_is_the_signature(tmp_path: Path) -> None:
    flavorkit.save_model(models.RecordTotals(), tmp_path / "m", input_example=[{"x": 1.0}])
    signature, from_hints = saved_signature(tmp_path / "m")
    assert from_hints is True
    assert (
        signature["inputs"] == '[{"type": "map", "values": {"type": "double"}, "required": true}]'
    )
    assert signature["outputs"] == '[{"type": "double", "required": true}]'
    model = flavorkit.load_model(tmp_path / "m", trust=True)
    assert model.predict([{"x": 1.0, "y": 2}, {}]) == [3.0, 0]  # the int 2 reached it as 2.0
    records = pd.DataFrame({"x": [1.0, 2.0], "y": [0.5, 0.5]})  # a DataFrame becomes records
    assert model.predict(records) == [1.5, 2.5]


def test_list_of_str_signature_and_frame_conversion(tmp_path: Path) -> None:
    flavorkit.save_model(models.Shout(), tmp_path / "m")  # no example needed
    signature, from_hints = saved_signature(tmp_path / "m")
    assert from_hints is True
    assert signature["inputs"] == '[{"type": "string", "required": true}]'
    model = flavorkit.load_model(tmp_path / "m", trust=True)
    assert model.predict(pd.DataFrame({"text": ["a", "b"]})) == ["A", "B"]
    with pytest.raises(SchemaEnforcementError, match="must have one column; got 2"):
        model.predict(pd.DataFrame({"t": ["a"], "u": ["b"]}))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("abc", r"`list\[str\]` of Shout.predict\(\): expected a list, got str"),
        (["a", 1, None], r"invalid elements \[1\] 1: expected str, got int; \[2\] None"),
    ],
)
def test_input_that_breaks_the_hint_is_refused(tmp_path: Path, data: Any, message: str) -> None:
    flavorkit.save_model(models.Shout(), tmp_path / "m")
    with pytest.raises(SchemaEnforcementError, match=message):
        flavorkit.load_model(tmp_path / "m", trust=True).predict(data)


def test_nested_values_are_checked(tmp_path: Path) -> None:
    flavorkit.save_model(models.RecordTotals(), tmp_path / "m")
    model = flavorkit.load_model(tmp_path / "m", trust=True)
    with pytest.raises(SchemaEnforcementError, match=r"\[0\] .*key 'x': expected float, got str"):
        model.predict([{"x": "1"}])
    with pytest.raises(SchemaEnforcementError, match="expected float, got bool"):
        model.predict([{"x": True}])
    with pytest.raises(SchemaEnforcementError, match="dict keys must be str"):
        model.predict([{1: 1.0}])


def test_frame_and_array_hints_take_the_signature_from_the_example(tmp_path: Path) -> None:
    frame = models.frame()
    flavorkit.save_model(models.FrameIn(), tmp_path / "f", input_example=frame)
    signature, from_hints = saved_signature(tmp_path / "f")
    assert from_hints is False and '"name": "a"' in signature["inputs"]
    pd.testing.assert_frame_equal(
        flavorkit.load_model(tmp_path / "f", trust=True).predict(frame), frame * 2
    )
    array = np.arange(6.0).reshape(3, 2)
    flavorkit.save_model(models.ArrayIn(), tmp_path / "a", input_example=array)
    assert saved_signature(tmp_path / "a")[1] is False
    np.testing.assert_array_equal(
        flavorkit.load_model(tmp_path / "a", trust=True).predict(array), array + 1
    )


def test_frame_hint_refuses_other_input(tmp_path: Path) -> None:
    flavorkit.save_model(models.FrameIn(), tmp_path / "m")  # no signature: nothing converts it
    with pytest.raises(
        SchemaEnforcementError, match=r"declares model_input: pandas.DataFrame, got builtins.list"
    ):
        flavorkit.load_model(tmp_path / "m", trust=True).predict([[1, 2]])


def test_unsupported_hint_warns_and_falls_back_to_the_example(tmp_path: Path) -> None:
    class StrIn(PythonModel):
        def predict(self, model_input: str, params: Any = None) -> str:
            return model_input

    with pytest.warns(UserWarning, match=r"type hint str on the input of .*StrIn\.predict"):
        flavorkit.save_model(
            StrIn(), tmp_path / "m", serialization="cloudpickle", input_example=["a"]
        )
    assert saved_signature(tmp_path / "m")[1] is False


def test_params_of_the_example_join_a_type_hint_signature(tmp_path: Path) -> None:
    flavorkit.save_model(models.Shout(), tmp_path / "m", input_example=(["a"], {"suffix": "!"}))
    signature, _ = saved_signature(tmp_path / "m")
    assert signature["params"] is not None
