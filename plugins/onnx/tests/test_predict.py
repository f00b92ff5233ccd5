"""predict: dicts, arrays and DataFrames in; dicts and DataFrames (outputs of any shape) out.

Models saved with the graph's signature have their input enforced first (a DataFrame then
becomes a dict of arrays); the predictor's own mapping and casting are what a model without a
signature (every model MLflow saves), or with a column signature, gets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pandas as pd
import pytest
from models import OPSET, iris32, logreg_onnx, two_inputs, two_inputs_data
from onnx import TensorProto, helper

import flavorkit
from flavorkit.errors import FlavorkitError, SchemaEnforcementError
from flavorkit.signature import infer_signature

pytestmark = pytest.mark.filterwarnings("ignore::flavorkit_onnx.ProviderUnavailableWarning")


def predictor(model: Any, tmp_path: Path, **options: Any) -> Any:
    """The flavor's predictor for a saved model: what MLflow's loader calls, unenforced."""
    flavorkit.save_model(model, tmp_path / "m", **options)
    return flavorkit.load_model(tmp_path / "m").predictor


def identity(elem: int, dims: list[Any]) -> Any:
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "identity",
        [helper.make_tensor_value_info("x", elem, dims)],
        [helper.make_tensor_value_info("y", elem, dims)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    return model


@pytest.fixture(scope="module")
def iris_frame() -> pd.DataFrame:
    return pd.DataFrame(iris32().astype(np.float64), columns=["sl", "sw", "pl", "pw"])


# -- label plus probabilities as a DataFrame ----------------------------------------------------


def test_label_and_probabilities_as_a_dataframe(tmp_path: Path, iris_frame: pd.DataFrame) -> None:
    """MLflow fails here with "All arrays must be of the same length" (label (n,), proba (n, 3))."""
    frame = iris_frame.iloc[48:53]
    flavorkit.save_model(logreg_onnx(), tmp_path / "m", signature=infer_signature(frame))
    out = flavorkit.load_model(tmp_path / "m").predict(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["label", "probabilities"]
    assert out.index.equals(frame.index)
    as_dict = flavorkit.load_model(tmp_path / "m").predictor.predict(
        {"X": frame.to_numpy(np.float32)}
    )
    np.testing.assert_array_equal(out["label"].to_numpy(), as_dict["label"])
    np.testing.assert_array_equal(
        np.stack(out["probabilities"].to_list()), as_dict["probabilities"]
    )
    assert out["probabilities"].iloc[0].shape == (3,)


def test_dataframe_against_the_graph_signature_gives_a_dict(tmp_path: Path) -> None:
    """Enforcement turns a DataFrame into the named tensors (one array per row in column X)."""
    flavorkit.save_model(logreg_onnx(), tmp_path / "m")
    frame = pd.DataFrame({"X": list(iris32()[:4])})
    out = flavorkit.load_model(tmp_path / "m").predict(frame)
    assert isinstance(out, dict) and out["probabilities"].shape == (4, 3)


def test_dataframe_with_outputs_of_several_ranks(tmp_path: Path) -> None:
    data = two_inputs_data(3)
    frame = pd.DataFrame({"a": list(data["a"]), "b": data["b"][:, 0], "extra": 1}, index=[7, 8, 9])
    with pytest.warns(UserWarning, match=r"column\(s\) \['extra'\] are not inputs"):
        out = predictor(two_inputs(), tmp_path).predict(frame)
    expected = predictor(two_inputs(), tmp_path / "again").predict(data)
    assert list(out.index) == [7, 8, 9]
    np.testing.assert_allclose(np.stack(out["y"].to_list()), expected["y"])
    np.testing.assert_allclose(out["total"].to_numpy(), expected["total"])


def test_a_column_output_flattens_like_mlflow(tmp_path: Path) -> None:
    model = identity(TensorProto.FLOAT, ["N", 1])
    out = predictor(model, tmp_path).predict(pd.DataFrame({"x": [1.0, 2.0]}))
    assert out["y"].tolist() == [1.0, 2.0]


def test_an_output_not_per_row_cannot_be_a_column(tmp_path: Path) -> None:
    graph = helper.make_graph(
        [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0)],
        "sum",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor_value_info("s", TensorProto.FLOAT, [])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    p = predictor(model, tmp_path)
    with pytest.raises(
        FlavorkitError, match=r"output 's' has shape \(\).*pass the input as a dict"
    ):
        p.predict(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}))
    assert p.predict({"x": np.ones((2, 2), np.float32)})["s"] == 4.0


def test_sequence_outputs_become_columns_of_dicts(tmp_path: Path, iris_frame: pd.DataFrame) -> None:
    with pytest.warns(UserWarning, match="records its inputs only"):
        p = predictor(logreg_onnx(zipmap=True), tmp_path)
    out = p.predict(iris_frame.head(2))
    assert list(out.columns) == ["output_label", "output_probability"]
    assert set(out["output_probability"].iloc[0]) == {0, 1, 2}


# -- input mapping and casting ------------------------------------------------------------------


def test_a_frame_of_feature_columns_is_stacked_for_one_input(
    tmp_path: Path, iris_frame: pd.DataFrame
) -> None:
    p = predictor(logreg_onnx(), tmp_path)
    out = p.predict(iris_frame.head(3))  # float64 columns, stacked and cast to float32
    reference = p.predict({"X": iris32()[:3]})
    np.testing.assert_array_equal(out["label"].to_numpy(), reference["label"])


def test_an_ndarray_feeds_the_single_input_float64_cast(tmp_path: Path) -> None:
    p = predictor(logreg_onnx(), tmp_path)
    out = p.predict(iris32()[:3].astype(np.float64))
    np.testing.assert_array_equal(out["label"], p.predict({"X": iris32()[:3]})["label"])


def test_an_ndarray_cannot_feed_two_inputs(tmp_path: Path) -> None:
    with pytest.raises(SchemaEnforcementError, match=r"has 2 inputs.*'a': tensor\(float\)"):
        predictor(two_inputs(), tmp_path).predict(np.ones((2, 3), np.float32))


def test_ints_are_cast_to_the_declared_width_when_they_fit(tmp_path: Path) -> None:
    p = predictor(identity(TensorProto.INT32, ["N"]), tmp_path)
    out = p.predict({"x": np.array([1, -2, 2**31 - 1], dtype=np.int64)})
    assert out["y"].dtype == np.int32 and out["y"].tolist() == [1, -2, 2**31 - 1]
    with pytest.raises(SchemaEnforcementError, match=r"'x' is tensor\(int32\).*do not all fit"):
        p.predict({"x": np.array([2**31], dtype=np.int64)})
    wide = predictor(two_inputs(), tmp_path / "wide").predict(
        {"a": np.ones((1, 3)), "b": np.ones((1, 1), dtype=np.int32)}  # float64, int32: widened
    )
    np.testing.assert_allclose(wide["y"], [[0.5, 2.25]])


def test_other_dtypes_are_not_cast(tmp_path: Path) -> None:
    p = predictor(logreg_onnx(), tmp_path)
    with pytest.raises(
        SchemaEnforcementError, match=r"'X' is tensor\(float\), got .*int64.*astype"
    ):
        p.predict({"X": np.ones((1, 4), dtype=np.int64)})


def test_dict_inputs_must_be_the_models(tmp_path: Path) -> None:
    p = predictor(two_inputs(), tmp_path)
    with pytest.raises(SchemaEnforcementError, match=r"Missing: \['b'\]. Not inputs .*\['c'\]"):
        p.predict({"a": np.ones((1, 3), np.float32), "c": np.ones(1)})


def test_lists_feed_dicts_but_not_the_model(tmp_path: Path) -> None:
    p = predictor(two_inputs(), tmp_path)
    out = p.predict({"a": [[1.0, 1.0, 1.0]], "b": [[0]]})
    np.testing.assert_allclose(out["y"], [[-0.5, 1.25]])
    with pytest.raises(SchemaEnforcementError, match="got list"):
        p.predict([[1.0, 1.0, 1.0]])


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(SchemaEnforcementError, match=r"lacks the column\(s\) \['b'\]"):
        predictor(two_inputs(), tmp_path).predict(pd.DataFrame({"a": [np.ones(3)]}))


def test_onnxruntime_errors_say_what_the_model_takes(tmp_path: Path) -> None:
    p = predictor(two_inputs(), tmp_path)
    bad = {"a": np.ones((2, 5), np.float32), "b": np.ones((2, 1), np.int64)}
    with pytest.raises(
        SchemaEnforcementError, match=r"rejected.*takes 'a': tensor\(float\) \['N', 3\]"
    ):
        p.predict(bad)


def test_the_enforced_signature_refuses_what_the_graph_cannot_take(tmp_path: Path) -> None:
    """With the graph's signature, tensors are checked before the model, and not cast."""
    flavorkit.save_model(logreg_onnx(), tmp_path / "m")
    model = flavorkit.load_model(tmp_path / "m")
    with pytest.raises(
        SchemaEnforcementError, match="float64 does not match expected dtype float32"
    ):
        model.predict({"X": iris32()[:2].astype(np.float64)})
    assert isinstance(onnx.load(str(tmp_path / "m" / "model.onnx")), onnx.ModelProto)
