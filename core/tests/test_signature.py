"""Signature inference: MLflow's dtype mapping, and the cases where MLflow is wrong."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.extra import pandas as hpd

from flavorkit.errors import SchemaError
from flavorkit.schema import (
    AnyType,
    Array,
    ColSpec,
    DataType,
    Map,
    Object,
    ParamSpec,
    Property,
    Schema,
    TensorSpec,
)
from flavorkit.signature import (
    ModelSignature,
    infer_param_schema,
    infer_schema,
    infer_signature,
    infer_signature_from_prediction,
)

# numpy dtype -> the column type MLflow infers (mlflow-format.md §4, _infer_numpy_dtype)
NUMPY_MAPPING = [
    ("bool", DataType.boolean),
    ("int8", DataType.integer),
    ("int16", DataType.integer),
    ("int32", DataType.integer),
    ("int64", DataType.long),
    ("uint8", DataType.integer),
    ("uint16", DataType.integer),
    ("uint32", DataType.long),
    ("float16", DataType.float),
    ("float32", DataType.float),
    ("float64", DataType.double),
    ("datetime64[ns]", DataType.datetime),
    ("datetime64[s]", DataType.datetime),
]


@pytest.mark.parametrize(("dtype", "expected"), NUMPY_MAPPING, ids=[d for d, _ in NUMPY_MAPPING])
def test_column_dtype_mapping(dtype: str, expected: DataType) -> None:
    df = pd.DataFrame({"x": np.zeros(3, dtype=dtype)})
    assert infer_schema(df) == Schema([ColSpec(expected, "x")])


# pandas nullable dtypes: MLflow #25593 maps these wrongly; we map them to the matching type.
NULLABLE_MAPPING = [
    ("Int8", DataType.integer),
    ("Int32", DataType.integer),
    ("Int64", DataType.long),
    ("UInt16", DataType.integer),
    ("UInt32", DataType.long),
    ("Float32", DataType.float),
    ("Float64", DataType.double),
    ("boolean", DataType.boolean),
    ("string", DataType.string),
]


@pytest.mark.parametrize(
    ("dtype", "expected"), NULLABLE_MAPPING, ids=[d for d, _ in NULLABLE_MAPPING]
)
def test_pandas_nullable_dtypes_infer_matching_type(dtype: str, expected: DataType) -> None:
    values = {"string": ["a", None], "boolean": [True, None]}.get(dtype, [1, None])
    df = pd.DataFrame({"x": pd.array(values, dtype=dtype), "y": pd.array(values[:1] * 2, dtype)})
    assert infer_schema(df) == Schema(
        [ColSpec(expected, "x", required=False), ColSpec(expected, "y", required=True)]
    )


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([1.0, np.nan]),
        pd.Series(["a", None], dtype=object),
        pd.Series(pd.to_datetime(["2020-01-01", None])),
        pd.Series([[1, 2], None], dtype=object),
    ],
    ids=["float-nan", "object-none", "datetime-nat", "list-none"],
)
def test_column_with_missing_values_is_optional(column: pd.Series) -> None:
    # MLflow #15031: missing values must make the column optional, whatever its dtype.
    spec = infer_schema(pd.DataFrame({"c": column})).inputs[0]
    assert spec.required is False


def test_object_columns_are_inspected() -> None:
    df = pd.DataFrame(
        {
            "s": ["a", "b"],
            "b": [b"x", b"y"],
            "lists": [[1, 2], [3]],
            "dicts": [{"k": 1}, {"k": 2, "z": "q"}],
            "dec": [decimal.Decimal("1.5"), decimal.Decimal("2")],
            "dates": [dt.date(2020, 1, 1), dt.date(2021, 1, 1)],
            "none": [None, None],
        }
    )
    assert infer_schema(df) == Schema(
        [
            ColSpec(DataType.string, "s"),
            ColSpec(DataType.binary, "b"),
            ColSpec(Array(DataType.long), "lists"),
            ColSpec(Object([Property("k", "long"), Property("z", "string", False)]), "dicts"),
            ColSpec(DataType.double, "dec"),
            ColSpec(DataType.datetime, "dates"),
            ColSpec(AnyType(), "none", required=False),
        ]
    )


def test_containers() -> None:
    arr = np.zeros((5, 3), dtype=np.float32)
    assert infer_schema(arr) == Schema([TensorSpec("float32", (-1, 3))])
    assert infer_schema(np.array(["ab", "c"])) == Schema([TensorSpec(str, (-1,))])
    assert infer_schema({"a": arr, "b": np.zeros(5, dtype=np.int64)}) == Schema(
        [TensorSpec("float32", (-1, 3), "a"), TensorSpec("int64", (-1,), "b")]
    )
    assert infer_schema(scipy.sparse.csr_matrix(arr)) == Schema([TensorSpec("float32", (-1, 3))])
    assert infer_schema(pd.Series([1, 2], name="n")) == Schema([ColSpec("long", "n")])
    assert infer_schema(pd.Series([1.0, 2.0])) == Schema([ColSpec("double")])
    assert infer_schema({"q": "hello", "k": [1, 2], "o": None}) == Schema(
        [ColSpec("string", "q"), ColSpec(Array("long"), "k"), ColSpec(AnyType(), "o", False)]
    )
    assert infer_schema([1, 2, 3]) == Schema([ColSpec("long")])
    assert infer_schema([]) == Schema([ColSpec("string")])
    assert infer_schema("text") == Schema([ColSpec("string")])
    assert infer_schema(b"raw") == Schema([ColSpec("binary")])
    assert infer_schema(np.float32(1.5)) == Schema([ColSpec("float")])
    assert infer_schema(np.int32(1)) == Schema([ColSpec("integer")])
    assert infer_schema(dt.datetime(2020, 1, 1)) == Schema([ColSpec("datetime")])
    assert infer_schema([{"m": {"a": 1.0}}]).inputs[0].type == Object([Property("a", "double")])


def test_records_mark_absent_or_none_keys_optional() -> None:
    rows = [{"a": 1, "b": "x"}, {"a": 2.5}, {"a": 3, "b": None}]
    assert infer_schema(rows) == Schema(
        [ColSpec(DataType.double, "a"), ColSpec(DataType.string, "b", required=False)]
    )


def test_integer_column_labels_give_integer_names() -> None:
    # MLflow 3.17.2: [0: long (required), 1: double (required)]; a positional frame's labels are
    # names too, so a column with gaps can be optional
    assert infer_schema(pd.DataFrame([[1, 2.0]])) == Schema(
        [ColSpec("long", 0), ColSpec("double", 1)]
    )
    stepped = pd.DataFrame([[1, 2.0]], columns=[0, 2])
    assert infer_schema(stepped).input_names() == [0, 2]
    gaps = infer_schema(pd.DataFrame({0: [1.0, None]}))
    assert gaps == Schema([ColSpec("double", 0, required=False)])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pd.DataFrame({"u": np.zeros(2, dtype=np.uint64)}), "column 'u': dtype uint64.*int64"),
        (pd.DataFrame({"t": pd.to_timedelta([1, 2], unit="s")}), "column 't'.*timedelta"),
        (pd.DataFrame({"m": [1, "a"]}), "column 'm': values have incompatible types long and"),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), r"duplicated column names \['a'\]"),
        (pd.DataFrame({"t": pd.to_datetime(["2020"]).tz_localize("UTC")}), "timezone-aware"),
        (pd.DataFrame({"c": pd.Categorical(["a"])}), "categorical columns"),
        ({1: np.zeros(2)}, "Dict keys must be strings"),
        ({}, "empty dict"),
        (object(), "type object"),
    ],
    ids=[
        "uint64-col",
        "timedelta",
        "mixed",
        "dup-cols",
        "tz-aware",
        "categorical",
        "int-key",
        "empty",
        "obj",
    ],
)
def test_uninferable_data_names_the_column(data: object, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        infer_schema(data)


def test_param_inference() -> None:
    schema = infer_param_schema(
        {"k": 3, "t": 0.5, "s": "x", "b": True, "ids": [1, 2], "when": dt.datetime(2024, 1, 1)}
    )
    assert schema.params == (
        ParamSpec("k", DataType.long, 3),
        ParamSpec("t", DataType.double, 0.5),
        ParamSpec("s", DataType.string, "x"),
        ParamSpec("b", DataType.boolean, True),
        ParamSpec("ids", DataType.long, [1, 2], (-1,)),
        ParamSpec("when", DataType.datetime, dt.datetime(2024, 1, 1)),
    )
    assert infer_param_schema({"o": {"a": 1}}).params[0].type == Object([Property("a", "long")])
    with pytest.raises(SchemaError, match="param 'm': only scalars or 1-D lists"):
        infer_param_schema({"m": [[1], [2]]})


def test_signature_dict_form_matches_mlflow() -> None:
    sig = infer_signature(pd.DataFrame({"x": [1.0]}), np.array([1]), {"k": 1})
    assert sig.to_dict() == {
        "inputs": '[{"type": "double", "name": "x", "required": true}]',
        "outputs": '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
        "params": '[{"name": "k", "default": 1, "shape": null, "type": "long"}]',
    }
    assert ModelSignature.from_dict(sig.to_dict()) == sig


def test_save_time_inference_turns_row_predictions_into_a_column() -> None:
    sig = infer_signature_from_prediction(pd.DataFrame({"x": [1.0, 2.0]}), np.array([0, 1]))
    assert sig.outputs == Schema([ColSpec(DataType.long)])
    tensor_sig = infer_signature_from_prediction(np.zeros((2, 3)), np.array([0, 1]))
    assert tensor_sig.outputs == Schema([TensorSpec("int64", (-1,))])
    assert sig.params is None


def test_signature_from_dict_names_the_bad_part() -> None:
    with pytest.raises(SchemaError, match=r"signature\.outputs: The schema is not valid JSON"):
        ModelSignature.from_dict({"inputs": None, "outputs": "[oops"})


# -- properties ---------------------------------------------------------------------------------

_COLUMN_DTYPES = st.sampled_from(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "float32", "float64"]
)


@st.composite
def dataframes(draw: st.DrawFn) -> pd.DataFrame:
    names = draw(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=5, unique=True))
    columns = [hpd.column(name, dtype=draw(_COLUMN_DTYPES)) for name in names]
    df = draw(hpd.data_frames(columns, index=hpd.range_indexes(min_size=1, max_size=6)))
    if draw(st.booleans()):
        df["text"] = draw(st.lists(st.text(max_size=5), min_size=len(df), max_size=len(df)))
    if draw(st.booleans()):
        df["nullable"] = pd.array(
            draw(st.lists(st.none() | st.integers(-5, 5), min_size=len(df), max_size=len(df))),
            dtype="Int64",
        )
    return df


@settings(max_examples=60, deadline=None)
@given(dataframes())
def test_infer_then_json_then_parse_is_identity_for_frames(df: pd.DataFrame) -> None:
    schema = infer_schema(df)
    assert Schema.from_json(schema.to_json()) == schema
    assert Schema.from_json(schema.to_json()).to_json() == schema.to_json()


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        dtype=st.sampled_from(["float32", "float64", "int32", "int64", "bool", "U", "S"]).map(
            np.dtype
        ),
        shape=hnp.array_shapes(min_dims=1, max_dims=4),
    )
)
def test_infer_then_json_then_parse_is_identity_for_arrays(arr: np.ndarray) -> None:
    schema = infer_schema(arr)
    assert Schema.from_json(schema.to_json()) == schema


_json_leaves = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(max_size=4)
_json_records = st.lists(
    st.dictionaries(st.sampled_from(["a", "b", "c"]), _json_leaves, min_size=1),
    min_size=1,
    max_size=5,
)


@settings(max_examples=60, deadline=None)
@given(_json_records)
def test_records_either_infer_and_round_trip_or_fail_with_schema_error(rows: list) -> None:
    try:
        schema = infer_schema(rows)
    except SchemaError:
        return
    assert Schema.from_json(schema.to_json()) == schema


def test_map_type_round_trips() -> None:
    schema = Schema([ColSpec(Map(Array("double")), "m")])
    assert Schema.from_json(schema.to_json()) == schema
