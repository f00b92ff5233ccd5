"""Schemas: MLflow's JSON forms, exact text, and precise errors for malformed specs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from flavorkit.errors import SchemaError
from flavorkit.schema import (
    AnyType,
    Array,
    ColSpec,
    DataType,
    Map,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    SparkMLVector,
    TensorSpec,
)

# JSON texts as MLflow 3.x writes them (mlflow-format.md §4 and MLflow's own to_dict key order).
MLFLOW_TEXTS = {
    "sklearn-inputs": '[{"type": "double", "name": "sepal_length", "required": true}, '
    '{"type": "double", "name": "sepal_width", "required": true}]',
    "sklearn-outputs": '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
    "unnamed-long": '[{"type": "long", "required": true}]',
    "named-tensors": '[{"name": "a", "type": "tensor", "tensor-spec": {"dtype": "float32", '
    '"shape": [-1, 4]}}, {"name": "b", "type": "tensor", "tensor-spec": {"dtype": "str", '
    '"shape": [-1]}}]',
    "nested": '[{"type": "array", "items": {"type": "object", "properties": {"a": {"type": "map", '
    '"values": {"type": "double"}, "required": false}, "b": {"type": "string", "required": true}}}'
    ', "name": "rows", "required": true}, {"type": "any", "name": "extra", "required": false}]',
    "type-hint-map": '[{"type": "map", "values": {"type": "double"}, "required": true}]',
    "sparkml": '[{"type": "sparkml_vector", "name": "features", "required": true}]',
}


@pytest.mark.parametrize("text", MLFLOW_TEXTS.values(), ids=MLFLOW_TEXTS.keys())
def test_mlflow_json_round_trips_to_identical_text(text: str) -> None:
    assert Schema.from_json(text).to_json() == text


def test_param_schema_matches_mlflow_text() -> None:
    text = '[{"name": "mult", "default": 1.5, "shape": null, "type": "double"}]'
    schema = ParamSchema.from_json(text)
    assert schema.params[0] == ParamSpec("mult", DataType.double, 1.5)
    assert schema.to_json() == text


def test_param_schema_reads_legacy_dtype_key() -> None:
    schema = ParamSchema.from_json('[{"name": "k", "dtype": "long", "default": 3, "shape": null}]')
    assert schema.params[0].type is DataType.long
    assert '"type": "long"' in schema.to_json()


def test_object_param_and_list_param_round_trip() -> None:
    obj = Object([Property("b", "string"), Property("a", "long", required=False)])
    schema = ParamSchema(
        [ParamSpec("opts", obj, {"b": "x"}), ParamSpec("ids", DataType.long, [1, 2], (-1,))]
    )
    text = schema.to_json()
    assert json.loads(text)[0] == {
        "name": "opts",
        "default": {"b": "x"},
        "shape": None,
        "type": "object",
        "properties": {
            "a": {"type": "long", "required": False},
            "b": {"type": "string", "required": True},
        },
    }
    assert ParamSchema.from_json(text) == schema


def test_datetime_param_default_written_as_isoformat() -> None:
    import datetime as dt

    spec = ParamSpec("when", "datetime", dt.datetime(2024, 5, 1, 12, 30))
    assert spec.to_dict()["default"] == "2024-05-01T12:30:00"


def test_object_properties_sorted_and_equal_regardless_of_order() -> None:
    a = Object([Property("z", "string"), Property("a", "long")])
    b = Object([Property("a", "long"), Property("z", "string")])
    assert a == b
    assert [p.name for p in a.properties] == ["a", "z"]


def test_integer_names_written_by_mlflow_read_as_integers() -> None:
    # MLflow's infer_signature(pd.DataFrame(np.zeros((2, 2)))) writes "name": 0, 1; MLflow 3.17.2
    # reads them back as the integers 0 and 1, and so do we, so the text round-trips unchanged.
    text = (
        '[{"type": "double", "name": 0, "required": true}, '
        '{"type": "double", "name": 1, "required": true}]'
    )
    schema = Schema.from_json(text)
    assert schema.input_names() == [0, 1]
    assert schema.to_json() == text


def test_complex_type_missing_required_reads_as_required() -> None:
    # MLflow reads a missing 'required' of complex types as None; we read it as the default, True.
    spec = Schema.from_json('[{"type": "array", "items": {"type": "long"}, "name": "x"}]').inputs[0]
    assert spec.required is True


def test_tensor_spec_accepts_numpy_types_and_names() -> None:
    assert TensorSpec(np.float32, [-1, 3]).type == np.dtype("float32")
    assert TensorSpec("int64", (-1,)).shape == (-1,)
    assert TensorSpec(str, (-1,)).to_dict()["tensor-spec"]["dtype"] == "str"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TensorSpec("<U5", (-1,)), r"sized dtype '<U5'.*np.dtype\('str'\)"),
        (lambda: TensorSpec("float32", (-1, -2)), r"integers >= 0, or -1"),
        (lambda: TensorSpec("not-a-dtype", (-1,)), r"not a numpy dtype"),
        (lambda: ColSpec("decimal"), r"Unsupported type 'decimal'.*one of \['boolean'"),
        (lambda: Schema([]), "at least one"),
        (lambda: Schema([ColSpec("long", "a"), ColSpec("long")]), "all named or all unnamed"),
        (lambda: Schema([ColSpec("long", "a"), TensorSpec("int64", (-1,), "b")]), "either"),
        (lambda: Schema([TensorSpec("int64", (-1,)), TensorSpec("int64", (-1,))]), "need a name"),
        (lambda: Schema([ColSpec("long", required=False)]), "Unnamed inputs cannot be optional"),
        (lambda: Schema([ColSpec("long", "a"), ColSpec("double", "a")]), r"duplicated.*\['a'\]"),
        (lambda: Object([]), "at least one property"),
        (lambda: Object([Property("a", "long"), Property("a", "string")]), "duplicated"),
        (lambda: ParamSpec("p", "binary", b""), "binary params"),
        (lambda: ParamSpec("p", Array("long"), [1]), "scalar DataType or an Object"),
        (lambda: ParamSpec("p", "long", 1, shape=(2, 2)), r"None \(a scalar\) or \(-1,\)"),
        (lambda: ParamSchema([ParamSpec("a", "long", 1), ParamSpec("a", "long", 2)]), "Duplicated"),
    ],
    ids=[
        "sized-str",
        "bad-dim",
        "bad-dtype",
        "unknown-type",
        "empty",
        "mixed-names",
        "mixed-kinds",
        "unnamed-tensors",
        "unnamed-optional",
        "duplicate-names",
        "empty-object",
        "duplicate-props",
        "binary-param",
        "array-param",
        "param-shape",
        "duplicate-params",
    ],
)
def test_invalid_specs_raise_schema_error(build, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        build()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ('{"type": "long"}', "must be a JSON list"),
        ("[1]", "schema entry 0: expected a JSON object"),
        ('[{"name": "a"}]', "schema entry 0: missing key 'type'"),
        ('[{"type": "long", "name": [3]}]', "'name' must be a string"),
        ('[{"type": "long", "required": "yes"}]', "'required' must be true or false"),
        ('[{"type": "tensor"}]', "a tensor needs 'tensor-spec'"),
        ('[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": 3}}]', "'shape'"),
        ('[{"type": "array", "name": "a"}]', "schema entry 0 items: expected an object"),
        ('[{"type": "object", "properties": []}]', "'properties' must be an object"),
        ('[{"type": "object", "properties": {"p": {"type": "wat"}}}]', "property 'p'.*'wat'"),
        ('[{"type": "map", "values": {"type": "long"}, "name": "a"}, {"type": "x"}]', "entry 1"),
    ],
)
def test_malformed_schema_json_names_the_entry(text: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        Schema.from_json(text)


def test_schema_helpers() -> None:
    schema = Schema([ColSpec("long", "a"), ColSpec("string", "b", required=False)])
    assert schema.input_names() == ["a", "b"]
    assert schema.required_input_names() == ["a"]
    assert schema.optional_input_names() == ["b"]
    assert schema.has_input_names() and not schema.is_tensor_spec()
    assert Schema([ColSpec("long")]).input_names() == [0]
    assert len(schema) == 2 and list(schema) == schema.inputs


def test_reprs_are_readable() -> None:
    assert repr(ColSpec("double", "x")) == "'x': double (required)"
    assert (
        repr(ColSpec(Array(Map("long")), "y", False)) == "'y': Array(Map(str -> long)) (optional)"
    )
    assert repr(TensorSpec("float32", (-1, 2), "t")) == "'t': Tensor('float32', (-1, 2))"
    assert repr(AnyType()) == "Any" and repr(SparkMLVector()) == "SparkML vector"


def test_datatype_conversions() -> None:
    assert DataType.long.to_numpy() == np.dtype("int64")
    assert DataType.string.to_pandas() == np.dtype(object)
    assert DataType.datetime.to_numpy() == np.dtype("datetime64[ns]")
    assert DataType.double.to_python() is float
