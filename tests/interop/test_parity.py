"""flavorkit and MLflow 3.17.2 give the same answer where a porting user can tell.

The same inputs go to both: schema and param inference, the dataclass conversion, the
``DataType.check_type`` table, enforcement of nested-array and binary-array cells, the input
example read back without a schema, and a signature set by :func:`flavorkit.set_signature` on a
model MLflow saved, which MLflow then loads and enforces. ``core/tests/test_mlflow_parity.py``
holds the same answers as recorded data, for runs without MLflow.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd
import pytest
from interop_env import need_mlflow

need_mlflow()

import flavorkit  # noqa: E402
from flavorkit.enforce import enforce_schema  # noqa: E402
from flavorkit.examples import load_input_example, save_input_example  # noqa: E402
from flavorkit.schema import Array, ColSpec, DataType, Object, Property, Schema  # noqa: E402
from flavorkit.signature import (  # noqa: E402
    ModelSignature,
    infer_param_schema,
    infer_schema,
    infer_signature,
)

NAN = float("nan")

EXAMPLES: dict[str, Any] = {
    "empty-dict": {"a": {}},
    "empty-dict-in-records": [{"a": 1, "b": {}}],
    "pd-NA": {"a": pd.NA},
    "pd-NA-in-records": [{"a": pd.NA}],
    "chat": {"messages": [{"role": "user", "content": "hi", "additional_kwargs": {}}]},
    "nested-empty-dict": {"a": {"x": {}}},
    "uint64-tensor": np.array([[1, 2]], dtype=np.uint64),
    "uint64-named": {"x": np.array([1, 2], dtype=np.uint64)},
    "empty-list": {"a": []},
    "list-of-empty": [[]],
    "none-nan": [[None, NAN]],
    "none-then-long": [None, 1],
    "list-with-none": {"a": [1, None], "b": 2},
    "list-of-lists-with-none": {"a": [[1], None]},
    "records-list-with-none": [{"a": [1, None]}],
    "positional-frame": pd.DataFrame([[1, 2.0]]),
    "integer-labels": pd.DataFrame([[1, 2.0]], columns=[1, 2]),
    "records-int-keys": [{0: 1}],
    "frame-of-empty-lists": pd.DataFrame({"a": [[], []]}),
    "frame-with-gaps": pd.DataFrame({"x": [1.0, None], "s": ["a", None]}),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_schema_inference_agrees(name: str) -> None:
    from mlflow.types.utils import _infer_schema

    data = EXAMPLES[name]
    assert infer_schema(data).to_json() == _infer_schema(data).to_json()


PARAMS: dict[str, Any] = {
    "scalars": {"k": 3, "t": 0.5, "s": "x", "b": True},
    "lists": {"ids": [1, 2], "arr": np.array([0.5, 1.5])},
    "object": {"o": {"x": 1, "y": "z"}},
    "datetime": {"when": dt.datetime(2024, 1, 2, 3, 4)},
    "numpy-scalars": {"i": np.int32(1), "f": np.float32(0.5)},
}


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_param_inference_agrees(name: str) -> None:
    from mlflow.types.utils import _infer_param_schema

    params = PARAMS[name]
    assert infer_param_schema(params).to_json() == _infer_param_schema(params).to_json()


@pytest.mark.parametrize("params", [{"a": (1, 2)}, {"a": None}, ["a", 1]], ids=str)
def test_params_refused_by_both(params: Any) -> None:
    from mlflow.exceptions import MlflowException
    from mlflow.types.utils import _infer_param_schema

    with pytest.raises(MlflowException):
        _infer_param_schema(params)
    with pytest.raises(flavorkit.SchemaError):
        infer_param_schema(params)


def test_empty_signatures_refused_by_both() -> None:
    import mlflow.models

    with pytest.raises(ValueError, match="At least one of inputs, outputs or params"):
        mlflow.models.ModelSignature()
    with pytest.raises(ValueError, match="at least one of inputs, outputs or params"):
        ModelSignature()


# Built with make_dataclass so the annotations are real types: MLflow reads raw __annotations__,
# which `from __future__ import annotations` turns into strings it cannot map (flavorkit resolves
# them with typing.get_type_hints, so both spellings work there).
Item = dataclasses.make_dataclass(
    "Item",
    [("sku", str), ("qty", Optional[int], dataclasses.field(default=None))],  # noqa: UP045
)
Order = dataclasses.make_dataclass(
    "Order",
    [
        ("id", int),
        ("total", float),
        ("paid", bool),
        ("placed", dt.date),
        ("notes", list[str]),
        ("first", Item),
        ("items", Optional[list[Item]], dataclasses.field(default=None)),  # noqa: UP045
    ],
)


def test_dataclass_signatures_agree() -> None:
    import mlflow.models

    theirs = mlflow.models.ModelSignature(inputs=Order, outputs=Item)
    ours = ModelSignature(inputs=Order, outputs=Item)
    assert ours.to_dict() == theirs.to_dict()
    assert (
        infer_signature(Order(1, 2.0, True, dt.date(2024, 1, 1), [], Item("a"))).to_dict()
        == (
            mlflow.models.infer_signature(Order(1, 2.0, True, dt.date(2024, 1, 1), [], Item("a")))
        ).to_dict()
    )


CHECK_TYPE_VALUES = [
    1, True, 1.0, np.int32(1), np.int64(1), np.float32(1), np.float64(1), np.bool_(True), "a",
    np.str_("a"), b"a", bytearray(b"a"), np.bytes_(b"a"), dt.date(2024, 1, 1),
    dt.datetime(2024, 1, 1), np.datetime64("2024-01-01"), pd.Timestamp("2024-01-01"), None,
]  # fmt: skip


def test_check_type_agrees() -> None:
    from mlflow.types import DataType as MlflowDataType

    for t in DataType:
        for value in CHECK_TYPE_VALUES:
            theirs = MlflowDataType.check_type(MlflowDataType[t.value], value)
            assert DataType.check_type(t, value) is theirs, (t, value)


def _mlflow_schema(schema: Schema) -> Any:
    from mlflow.types import Schema as MlflowSchema

    return MlflowSchema.from_json(schema.to_json())


@pytest.mark.parametrize(
    ("schema", "frame"),
    [
        (Schema([ColSpec(Array(Array("long")), "a")]), pd.DataFrame({"a": [np.eye(2, dtype=int)]})),
        (
            Schema([ColSpec(Array(Array("long")), "a")]),
            pd.DataFrame({"a": [np.eye(2, dtype="int32")]}),
        ),
        (Schema([ColSpec(Array("binary"), "b")]), pd.DataFrame({"b": [["ab", b"c"]]})),
        (
            Schema([ColSpec(Object([Property("p", Array("binary"))]), "o")]),
            pd.DataFrame({"o": [{"p": ["x"]}]}),
        ),
    ],
    ids=["2-d-cell", "2-d-int32-cell", "text-in-binary-array", "binary-array-property"],
)
def test_cells_reach_the_model_as_mlflow_hands_them(schema: Schema, frame: Any) -> None:
    from mlflow.models.utils import _enforce_schema

    column = frame.columns[0]
    theirs = _enforce_schema(frame.copy(), _mlflow_schema(schema))[column][0]
    ours = enforce_schema(frame.copy(), schema)[column][0]
    assert type(ours) is type(theirs)
    if isinstance(theirs, np.ndarray):
        assert (ours.dtype, ours.shape) == (theirs.dtype, theirs.shape)
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert ours == theirs


def test_an_ndarray_example_with_nan_reads_back_alike(tmp_path: Path) -> None:
    from mlflow.models import Model as MlflowModel
    from mlflow.models.utils import _read_example

    info = save_input_example(tmp_path, np.array([[1.0, np.nan], [2.0, 3.0]]))
    meta = MlflowModel()
    meta.saved_input_example_info = info
    theirs = _read_example(meta, str(tmp_path))
    ours = load_input_example(tmp_path, info)
    assert ours.dtype == theirs.dtype == object
    assert ours.tolist() == theirs.tolist() == [[1.0, None], [2.0, 3.0]]


def test_set_signature_on_an_mlflow_model(tmp_path: Path) -> None:
    import mlflow.pyfunc
    import mlflow.sklearn
    from mlflow.exceptions import MlflowException
    from mlflow.models import Model as MlflowModel
    from sklearn.linear_model import LinearRegression

    X = pd.DataFrame([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0]])  # integer column labels
    model = LinearRegression().fit(X, [1.0, 2.0, 3.0])
    path = tmp_path / "m"
    mlflow.sklearn.save_model(model, path, pip_requirements=["scikit-learn"])
    signature = infer_signature(X, model.predict(X))
    assert signature.inputs == Schema([ColSpec("double", 0), ColSpec("double", 1)])
    flavorkit.set_signature(path, signature)

    theirs = MlflowModel.load(str(path))
    assert theirs.signature is not None
    assert theirs.signature.to_dict() == signature.to_dict()
    assert flavorkit.Model.load(path).get_input_schema() == signature.inputs
    loaded = mlflow.pyfunc.load_model(str(path))
    np.testing.assert_allclose(loaded.predict(X), model.predict(X))
    with pytest.raises(MlflowException, match="missing inputs"):
        loaded.predict(pd.DataFrame({"a": [1.0], "b": [2.0]}))
