"""Behaviour a user porting from MLflow can tell apart, checked against MLflow 3.17.2's answers.

Every expected value below is what MLflow 3.17.2 returned for the same input (recorded with
``mlflow.types.utils._infer_schema`` / ``_infer_param_schema`` / ``mlflow.models.ModelSignature``
in a throwaway venv, and re-checked against MLflow itself in ``tests/interop/test_parity.py``).
Only the error wording differs on purpose: ours names the input and what to do.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import warnings
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd
import pytest
import yaml
from toyflavor_pkg import ToyModel

import flavorkit
from flavorkit.enforce import enforce_params, enforce_schema
from flavorkit.errors import MLmodelError, ModelPathError, SchemaEnforcementError, SchemaError
from flavorkit.mlmodel import Model
from flavorkit.schema import (
    Array,
    ColSpec,
    DataType,
    Map,
    Object,
    ParamSchema,
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
    schema_from_dataclass,
)

NAN = float("nan")

# (id, example, the Schema JSON MLflow 3.17.2 infers from it)
INFERENCE = [
    # 1. {} and pd.NA are Any, never a failure
    ("empty-dict-value", {"a": {}}, '[{"type": "any", "name": "a", "required": true}]'),
    (
        "empty-dict-in-records",
        [{"a": 1, "b": {}}],
        '[{"type": "long", "name": "a", "required": true}, '
        '{"type": "any", "name": "b", "required": true}]',
    ),
    ("pd-NA-value", {"a": pd.NA}, '[{"type": "any", "name": "a", "required": false}]'),
    ("pd-NA-in-records", [{"a": pd.NA}], '[{"type": "any", "name": "a", "required": true}]'),
    ("pd-NA-scalar", pd.NA, '[{"type": "any", "required": true}]'),
    (
        "chat-message",
        {"messages": [{"role": "user", "content": "hi", "additional_kwargs": {}}]},
        '[{"type": "array", "items": {"type": "object", "properties": {"additional_kwargs": '
        '{"type": "any", "required": false}, "content": {"type": "string", "required": true}, '
        '"role": {"type": "string", "required": true}}}, "name": "messages", "required": true}]',
    ),
    (
        "list-of-empty-dicts",
        {"a": [{}]},
        '[{"type": "array", "items": {"type": "any"}, "name": "a", "required": true}]',
    ),
    (
        "nested-empty-dict",
        {"a": {"x": {}}},
        '[{"type": "object", "properties": {"x": {"type": "any", "required": false}}, '
        '"name": "a", "required": true}]',
    ),
    # 4. uint64 tensors
    (
        "uint64-tensor",
        np.array([1, 2], dtype=np.uint64),
        '[{"type": "tensor", "tensor-spec": {"dtype": "uint64", "shape": [-1]}}]',
    ),
    (
        "uint64-named-tensor",
        {"x": np.array([[1, 2]], dtype=np.uint64)},
        '[{"name": "x", "type": "tensor", "tensor-spec": {"dtype": "uint64", "shape": [-1, 2]}}]',
    ),
    # 6. empty lists are Any; NaN and None say nothing about a list's item type
    ("empty-list-value", {"a": []}, '[{"type": "any", "name": "a", "required": true}]'),
    ("list-of-empty-list", [[]], '[{"type": "any", "required": true}]'),
    (
        "none-and-nan",
        [[None, NAN]],
        '[{"type": "array", "items": {"type": "any"}, "required": true}]',
    ),
    ("only-nan", [[NAN]], '[{"type": "array", "items": {"type": "any"}, "required": true}]'),
    ("only-none", [None], '[{"type": "any", "required": true}]'),
    ("none-then-long", [None, 1], '[{"type": "long", "required": true}]'),
    ("nan-then-double", [NAN, 1.0], '[{"type": "double", "required": true}]'),
    (
        "nested-empty-list",
        {"a": [[]]},
        '[{"type": "array", "items": {"type": "any"}, "name": "a", "required": true}]',
    ),
    (
        "empty-and-full-lists",
        {"a": [[1], []]},
        '[{"type": "array", "items": {"type": "array", "items": {"type": "long"}}, '
        '"name": "a", "required": true}]',
    ),
    ("empty-list-in-records", [{"a": []}], '[{"type": "any", "name": "a", "required": true}]'),
    (
        "empty-then-full-records",
        [{"a": []}, {"a": [1]}],
        '[{"type": "array", "items": {"type": "long"}, "name": "a", "required": true}]',
    ),
    (
        "empty-lists-column",
        pd.DataFrame({"a": [[], []]}),
        '[{"type": "any", "name": "a", "required": true}]',
    ),
    # 7. a list value holding None (or NaN) makes a dict input's column optional
    (
        "list-with-none",
        {"a": [1, None], "b": 2},
        '[{"type": "array", "items": {"type": "long"}, "name": "a", "required": false}, '
        '{"type": "long", "name": "b", "required": true}]',
    ),
    (
        "list-of-none-and-nan",
        {"a": [None, NAN]},
        '[{"type": "array", "items": {"type": "any"}, "name": "a", "required": false}]',
    ),
    (
        "list-of-lists-with-none",
        {"a": [[1], None]},
        '[{"type": "array", "items": {"type": "array", "items": {"type": "long"}}, '
        '"name": "a", "required": false}]',
    ),
    ("none-value", {"a": None}, '[{"type": "any", "name": "a", "required": false}]'),
    # ...but not inside records or objects, nor a frame's list cells (MLflow's rule exactly)
    (
        "records-list-with-none",
        [{"a": [1, None]}],
        '[{"type": "array", "items": {"type": "long"}, "name": "a", "required": true}]',
    ),
    (
        "object-list-with-none",
        {"a": {"x": [1, None]}},
        '[{"type": "object", "properties": {"x": {"type": "array", "items": {"type": "long"}, '
        '"required": true}}, "name": "a", "required": true}]',
    ),
    # 10. integer column labels are integer names
    (
        "positional-frame",
        pd.DataFrame([[1, 2.0]]),
        '[{"type": "long", "name": 0, "required": true}, '
        '{"type": "double", "name": 1, "required": true}]',
    ),
    (
        "integer-labels",
        pd.DataFrame([[1, 2.0]], columns=[1, 2]),
        '[{"type": "long", "name": 1, "required": true}, '
        '{"type": "double", "name": 2, "required": true}]',
    ),
    (
        "mixed-labels",
        pd.DataFrame([[1, 2]], columns=["a", 2]),
        '[{"type": "long", "name": "a", "required": true}, '
        '{"type": "long", "name": 2, "required": true}]',
    ),
    ("records-integer-keys", [{0: 1}], '[{"type": "long", "name": 0, "required": true}]'),
    # unchanged, for reference
    ("empty-list", [], '[{"type": "string", "required": true}]'),
    ("nan-scalar", NAN, '[{"type": "any", "required": true}]'),
]


@pytest.mark.parametrize(
    ("example", "mlflow_json"), [c[1:] for c in INFERENCE], ids=[c[0] for c in INFERENCE]
)
def test_inference_matches_mlflow(example: Any, mlflow_json: str) -> None:
    schema = infer_schema(example)
    assert schema.to_json() == mlflow_json
    assert Schema.from_json(mlflow_json) == schema


# where MLflow's own enforcement accepts the example under the schema it inferred, so does ours
ACCEPTS_OWN_EXAMPLE = {
    "empty-dict-value", "empty-dict-in-records", "pd-NA-in-records", "chat-message",
    "list-of-empty-dicts", "nested-empty-dict", "uint64-tensor", "uint64-named-tensor",
    "none-and-nan", "only-none", "list-of-none-and-nan", "list-of-lists-with-none", "none-value",
    "empty-list-value", "nested-empty-list", "empty-list-in-records", "empty-lists-column",
    "positional-frame", "integer-labels", "records-integer-keys", "nan-scalar",
}  # fmt: skip


@pytest.mark.parametrize(
    "example",
    [c[1] for c in INFERENCE if c[0] in ACCEPTS_OWN_EXAMPLE],
    ids=[c[0] for c in INFERENCE if c[0] in ACCEPTS_OWN_EXAMPLE],
)
@pytest.mark.filterwarnings("ignore:Found extra inputs")  # [[None, nan]]: 2 columns, 1 declared
def test_the_example_passes_the_schema_inferred_from_it(example: Any) -> None:
    enforce_schema(example, infer_schema(example))


def test_uint64_columns_still_have_no_type() -> None:
    # MLflow: "Unsupported numpy data type 'uint64'" for a column; only tensors take uint64
    with pytest.raises(SchemaError, match=r"column 'x': dtype uint64 .*int64"):
        infer_schema(pd.DataFrame({"x": np.array([1], dtype=np.uint64)}))


def test_a_uint64_example_keeps_its_tensor_signature_through_enforcement() -> None:
    x = np.array([[1, 2]], dtype=np.uint64)
    signature = infer_signature(x, x)
    assert signature.inputs == Schema([TensorSpec("uint64", (-1, 2))])
    assert enforce_schema(x, signature.inputs) is x
    with pytest.raises(SchemaEnforcementError, match="uint64"):
        enforce_schema(x.astype(np.int64), signature.inputs)


def test_integer_names_in_specs_and_json() -> None:
    # 10. MLflow: ColSpec(DataType.string, 0) -> {'type': 'string', 'name': 0, 'required': True}
    assert ColSpec(DataType.string, 0).to_dict() == {"type": "string", "name": 0, "required": True}
    assert ColSpec("long", np.int64(3)).name == 3
    schema = Schema([ColSpec(DataType.string, 0), ColSpec("long", 1)])
    assert schema.to_json() == (
        '[{"type": "string", "name": 0, "required": true}, '
        '{"type": "long", "name": 1, "required": true}]'
    )
    assert Schema.from_json(schema.to_json()).input_names() == [0, 1]
    for bad in (1.5, True, ("a",)):
        with pytest.raises(SchemaError, match="Column names must be strings or integers"):
            ColSpec("long", bad)  # type: ignore[arg-type]


def test_integer_names_match_integer_and_text_labels() -> None:
    schema = infer_schema(pd.DataFrame([[1, 2.0]]))  # names 0 and 1
    with pytest.warns(UserWarning, match=r"extra inputs \[1\]"):
        taken = enforce_schema(np.array([[1, 2]]), Schema([ColSpec("long", 0)]))
    assert taken.columns.tolist() == [0]
    from_json = pd.DataFrame([[1, 2.0]], columns=["0", "1"])  # what a JSON payload carries
    assert enforce_schema(from_json, schema).columns.tolist() == ["0", "1"]
    with pytest.raises(SchemaEnforcementError, match=r"missing inputs \[1\]"):
        enforce_schema(pd.DataFrame({0: [1]}), schema)


# -- params (item 8 and the extra) ----------------------------------------------------------------

PARAMS = [
    ("list", {"a": [1, 2]}, '[{"name": "a", "default": [1, 2], "shape": [-1], "type": "long"}]'),
    (
        "ndarray",
        {"a": np.array([1, 2])},
        '[{"name": "a", "default": [1, 2], "shape": [-1], "type": "long"}]',
    ),
    (
        "dict",
        {"a": {"x": 1}},
        '[{"name": "a", "default": {"x": 1}, "shape": null, "type": "object", '
        '"properties": {"x": {"type": "long", "required": true}}}]',
    ),
    (
        "int32",
        {"a": np.int32(1)},
        '[{"name": "a", "default": 1, "shape": null, "type": "integer"}]',
    ),
    (
        "datetime",
        {"a": np.datetime64("2024-01-01")},
        '[{"name": "a", "default": "2024-01-01", "shape": null, "type": "datetime"}]',
    ),
    ("int-key", {1: 2}, '[{"name": "1", "default": 2, "shape": null, "type": "long"}]'),
    ("empty", {}, "[]"),
]


@pytest.mark.parametrize(
    ("params", "mlflow_json"), [c[1:] for c in PARAMS], ids=[c[0] for c in PARAMS]
)
def test_param_inference_matches_mlflow(params: Any, mlflow_json: str) -> None:
    schema = infer_param_schema(params)
    assert schema.to_json() == mlflow_json
    # and the inferred schema accepts the very params it came from
    if params:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "params keys should be strings")
            enforce_params(params, schema)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        # MLflow: "Expected parameters to be 1D array or scalar, got tuple"
        ({"a": (1, 2)}, r"param 'a': a tuple cannot be a param value; pass a list"),
        ({"a": [(1, 2)]}, r"param 'a': only scalars or 1-D lists"),
        ({"a": np.zeros((2, 2))}, r"param 'a': only scalars or 1-D lists"),
        ({"a": None}, r"param 'a': NoneType values cannot be params"),
        ({"a": b"x"}, r"param 'a': bytes values cannot be params"),
        # MLflow: "Expected parameters to be dict, got list"
        (["a", 1], r"Params must be a dict of name -> value, got list \['a', 1\]"),
        ("a", r"Params must be a dict of name -> value, got str"),
    ],
    ids=["tuple", "list-of-tuples", "2-d-ndarray", "none", "bytes", "list", "str"],
)
def test_params_that_could_never_be_passed_fail_at_inference(params: Any, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        infer_param_schema(params)


def test_a_tuple_param_is_refused_by_enforcement_too() -> None:
    schema = infer_param_schema({"a": [1, 2]})
    with pytest.raises(SchemaEnforcementError):
        enforce_params({"a": (1, 2)}, schema)


# -- ModelSignature: validated at construction, mutable, dataclasses (items 2 and the API) ------


def test_an_empty_signature_is_refused() -> None:
    # MLflow: ValueError "At least one of inputs, outputs or params must be provided"
    with pytest.raises(SchemaError, match="at least one of inputs, outputs or params"):
        ModelSignature()
    with pytest.raises(SchemaError, match="at least one of model_input, model_output or params"):
        infer_signature()
    with pytest.raises(SchemaError, match="at least one of model_input, model_output or params"):
        infer_signature(params={})
    with pytest.raises(SchemaError, match="at least one of inputs, outputs or params"):
        ModelSignature(params=ParamSchema([]))
    with pytest.raises(SchemaError, match="at least one of inputs, outputs or params"):
        ModelSignature.from_dict({"inputs": None, "outputs": None, "params": None})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"inputs": 1}, "Signature inputs must be a Schema, a dataclass or None, got int 1"),
        ({"outputs": "x"}, "Signature outputs must be a Schema, a dataclass or None, got str"),
        ({"params": [1]}, r"Signature params must be a ParamSchema or None, got list"),
    ],
    ids=["inputs", "outputs", "params"],
)
def test_wrong_parts_are_refused_at_construction(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        ModelSignature(**kwargs)


def test_parts_can_be_set_after_creation_and_are_checked() -> None:
    sig = ModelSignature(outputs=Schema([ColSpec("long")]))
    sig.inputs = Schema([ColSpec("double", "x")])
    sig.params = ParamSchema([ParamSpec("k", DataType.long, 1)])
    assert sig.to_dict() == {
        "inputs": '[{"type": "double", "name": "x", "required": true}]',
        "outputs": '[{"type": "long", "required": true}]',
        "params": '[{"name": "k", "default": 1, "shape": null, "type": "long"}]',
    }
    with pytest.raises(SchemaError, match="Signature inputs must be a Schema"):
        sig.inputs = [ColSpec("double")]
    sig.inputs = sig.outputs = sig.params = None
    with pytest.raises(SchemaError, match="MLflow cannot load such a signature"):
        sig.to_dict()
    with pytest.raises(SchemaError, match="MLflow cannot load such a signature"):
        Model(signature=sig).to_yaml()


def test_a_file_with_an_all_null_signature_reads_as_no_signature(tmp_path: Path) -> None:
    # flavorkit 0.1 wrote this; MLflow 3.17.2 refuses to load it, we read it as "no signature"
    text = "flavors: {a: {}}\nsignature:\n  inputs: null\n  outputs: null\n  params: null\n"
    text += "utc_time_created: '2026-01-01 00:00:00'\n"
    assert Model.from_yaml(text).signature is None


@dataclasses.dataclass
class Address:
    street: str
    zip: Optional[int] = None  # noqa: UP045 - the spelling MLflow's docs use


@dataclasses.dataclass
class Customer:
    name: str
    age: int
    score: float
    vip: bool
    joined: dt.date
    tags: list[str]
    address: Address
    nickname: str | None = None
    history: list[Address] | None = None


# MLflow 3.17.2: ModelSignature(inputs=Customer).inputs.to_json()
CUSTOMER_JSON = (
    '[{"type": "string", "name": "name", "required": true}, '
    '{"type": "long", "name": "age", "required": true}, '
    '{"type": "float", "name": "score", "required": true}, '
    '{"type": "boolean", "name": "vip", "required": true}, '
    '{"type": "datetime", "name": "joined", "required": true}, '
    '{"type": "array", "items": {"type": "string"}, "name": "tags", "required": true}, '
    '{"type": "object", "properties": {"street": {"type": "string", "required": true}, '
    '"zip": {"type": "long", "required": false}}, "name": "address", "required": true}, '
    '{"type": "string", "name": "nickname", "required": false}, '
    '{"type": "array", "items": {"type": "object", "properties": {"street": {"type": "string", '
    '"required": true}, "zip": {"type": "long", "required": false}}}, "name": "history", '
    '"required": false}]'
)


def test_signatures_from_dataclasses() -> None:
    assert schema_from_dataclass(Customer).to_json() == CUSTOMER_JSON
    sig = ModelSignature(inputs=Customer, outputs=Address)
    assert sig.inputs is not None and sig.inputs.to_json() == CUSTOMER_JSON
    instance = Address("x")
    assert infer_signature(instance).inputs == schema_from_dataclass(Address)
    sig.outputs = Address
    assert sig.outputs == schema_from_dataclass(Address)


def test_unsupported_dataclass_fields_name_the_field() -> None:
    @dataclasses.dataclass
    class Bad:
        x: int | str

    @dataclasses.dataclass
    class Worse:
        y: dict[str, int]

    with pytest.raises(SchemaError, match=r"Bad\.x: only Optional\[\.\.\.\] unions"):
        schema_from_dataclass(Bad)
    with pytest.raises(SchemaError, match=r"Worse\.y: type .* has no signature type"):
        schema_from_dataclass(Worse)


# -- Schema and DataType API ----------------------------------------------------------------------


def test_schema_api_names_and_answers() -> None:
    cols = Schema([ColSpec("double", "x"), ColSpec("string", "s", required=False)])
    assert cols.input_names() == ["x", "s"]
    assert cols.required_input_names() == ["x"] and cols.optional_input_names() == ["s"]
    assert cols.has_input_names() and not cols.is_tensor_spec()
    assert cols.input_types() == [DataType.double, DataType.string]
    assert cols.input_types_dict() == {"x": DataType.double, "s": DataType.string}
    assert cols.numpy_types() == [np.dtype("float64"), np.dtype("str")]
    assert cols.pandas_types() == [np.dtype("float64"), np.dtype(object)]
    unnamed = Schema([ColSpec("long"), ColSpec("float")])
    assert unnamed.input_names() == [0, 1] and not unnamed.has_input_names()
    with pytest.raises(SchemaError, match="unnamed"):
        unnamed.input_dict()
    tensors = Schema([TensorSpec("float32", (-1, 2), "a"), TensorSpec("uint64", (-1,), "b")])
    assert tensors.is_tensor_spec()
    assert tensors.numpy_types() == [np.dtype("float32"), np.dtype("uint64")]
    with pytest.raises(SchemaError, match="use numpy_types"):
        tensors.pandas_types()
    nested = Schema([ColSpec(Array("long"), "a"), ColSpec(Map("string"), "m")])
    with pytest.raises(SchemaError, match=r"Inputs \['a', 'm'\] are not scalar"):
        nested.numpy_types()
    with pytest.raises(SchemaError, match="list of ColSpec or TensorSpec, got int"):
        Schema(1)  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match=r"not \['str'\]"):
        Schema(["double"])  # type: ignore[list-item]


# (type, value, MLflow 3.17.2's DataType.check_type answer)
CHECK_TYPE = [
    (DataType.long, 1, True),
    (DataType.long, np.int64(1), True),
    (DataType.long, True, False),
    (DataType.long, 1.0, False),
    (DataType.integer, 1, True),
    (DataType.integer, np.int32(1), True),
    (DataType.integer, np.int64(1), False),
    (DataType.double, 1.0, True),
    (DataType.double, np.float32(1), False),
    (DataType.float, np.float32(1), True),
    (DataType.float, 1.0, True),
    (DataType.boolean, np.bool_(True), True),
    (DataType.string, "a", True),
    (DataType.string, np.str_("a"), True),
    (DataType.string, b"a", False),
    (DataType.binary, b"a", True),
    (DataType.binary, bytearray(b"a"), True),
    (DataType.datetime, dt.date(2024, 1, 1), True),
    (DataType.datetime, dt.datetime(2024, 1, 1), True),
    (DataType.datetime, np.datetime64("2024-01-01"), True),
    (DataType.datetime, pd.Timestamp("2024-01-01"), False),
    (DataType.datetime, "2024-01-01", False),
]


@pytest.mark.parametrize(
    ("t", "value", "mlflow"), CHECK_TYPE, ids=[f"{c[0].value}-{c[1]!r}" for c in CHECK_TYPE]
)
def test_check_type_matches_mlflow(t: DataType, value: Any, mlflow: bool) -> None:
    assert DataType.check_type(t, value) is mlflow


# -- Model API and set_signature ---------------------------------------------------------------


@pytest.mark.usefixtures("registry")
def test_model_accessors_to_json_and_yaml_stream(tmp_path: Path) -> None:
    X = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    flavorkit.save_model(ToyModel([1.0, 1.0]), tmp_path / "m", input_example=(X, {"scale": 2.0}))
    model = Model.load(tmp_path / "m")
    assert model.get_input_schema() == Schema([ColSpec("double", "a"), ColSpec("double", "b")])
    assert model.get_output_schema() == Schema([ColSpec("double")])
    params = model.get_params_schema()
    assert params is not None and [p.name for p in params] == ["scale"]
    assert json.loads(model.to_json()) == yaml.safe_load(model.to_yaml())
    stream = io.StringIO()
    assert model.to_yaml(stream) is None
    assert stream.getvalue() == model.to_yaml()
    pd.testing.assert_frame_equal(model.load_input_example(), X)
    pd.testing.assert_frame_equal(model.load_input_example(tmp_path / "m"), X)
    assert model.load_input_example_params() == {"scale": 2.0}
    fresh = Model.from_yaml(model.to_yaml())
    with pytest.raises(MLmodelError, match="pass the model directory"):
        fresh.load_input_example()
    assert fresh.get_input_schema() == model.get_input_schema()
    bare = Model()
    assert bare.get_input_schema() is None and bare.get_params_schema() is None
    assert bare.load_input_example(tmp_path) is None


@pytest.mark.usefixtures("registry")
def test_set_signature_rewrites_mlmodel_and_is_enforced(tmp_path: Path) -> None:
    X = pd.DataFrame({"a": [1.0], "b": [2.0]})
    before = flavorkit.save_model(ToyModel([1.0, 1.0]), tmp_path / "m", input_example=X)
    new = ModelSignature(inputs=Schema([ColSpec("long", "a"), ColSpec("long", "b")]))
    flavorkit.set_signature(tmp_path / "m", new)
    after = Model.load(tmp_path / "m")
    assert after.signature == new
    assert after.model_uuid == before.model_uuid and after.flavors == before.flavors
    with pytest.raises(SchemaEnforcementError, match=r"Column 'a' \(long\)"):
        flavorkit.load_model(tmp_path / "m").predict(pd.DataFrame({"a": [1.5], "b": [2.0]}))
    flavorkit.set_signature((tmp_path / "m").as_uri(), infer_signature(X))
    assert Model.load(tmp_path / "m").signature == infer_signature(X)
    with pytest.raises(SchemaError, match="takes a flavorkit ModelSignature, got dict"):
        flavorkit.set_signature(tmp_path / "m", {"inputs": None})  # type: ignore[arg-type]
    empty = ModelSignature(inputs=Schema([ColSpec("long")]))
    empty.inputs = None
    with pytest.raises(SchemaError, match="MLflow cannot load"):
        flavorkit.set_signature(tmp_path / "m", empty)
    assert Model.load(tmp_path / "m").signature == infer_signature(X)  # left as it was
    with pytest.raises(ModelPathError, match="set_signature changes a local model directory"):
        flavorkit.set_signature("runs:/abc/model", infer_signature(X))


# -- save_model never silently loses the signature (item 1) ---------------------------------------


class ChatModel(ToyModel):
    """Answers chat messages; the saved model is a plain ToyModel, only enforcement is tested."""

    def predict(self, X: Any, params: dict[str, Any] | None = None) -> Any:
        return [{"role": "assistant", "content": "ok"}]


@pytest.mark.usefixtures("registry")
def test_a_chat_example_with_empty_kwargs_gets_mlflows_signature(tmp_path: Path) -> None:
    example = {"messages": [{"role": "user", "content": "hi", "additional_kwargs": {}}]}
    meta = flavorkit.save_model(ChatModel([1.0]), tmp_path / "m", input_example=example)
    assert meta.signature is not None and meta.signature.inputs is not None
    assert meta.signature.inputs.to_json() == dict((c[0], c[2]) for c in INFERENCE)["chat-message"]
    assert meta.signature.outputs == Schema(
        [ColSpec("string", "role"), ColSpec("string", "content")]
    )
    model = flavorkit.load_model(tmp_path / "m")
    with pytest.raises(SchemaEnforcementError, match="messages"):
        model.predict({"messages": [{"role": 1, "content": "hi"}]})


# -- enforcement and examples (items 3, 5, 9) ------------------------------------------------------


def test_a_2d_array_cell_of_nested_arrays_reaches_the_model_as_one_array() -> None:
    # MLflow 3.17.2 passes the (2, 2) int64 array through unchanged
    schema = Schema([ColSpec(Array(Array("long")), "a")])
    cell = np.array([[1, 2], [3, 4]])
    for data in (pd.DataFrame({"a": [cell]}), {"a": cell}):
        got = enforce_schema(data, schema)["a"][0]
        assert got is cell
    cast = enforce_schema(pd.DataFrame({"a": [cell.astype("int32")]}), schema)["a"][0]
    assert cast.dtype == np.int64 and cast.shape == (2, 2)  # int32 -> int64, still 2-D
    cube = np.zeros((2, 2, 2), dtype=np.int64)
    deep = Schema([ColSpec(Array(Array(Array("long"))), "a")])
    assert enforce_schema(pd.DataFrame({"a": [cube]}), deep)["a"][0] is cube
    # lists stay lists, and what MLflow refuses is refused
    rows = [[1, 2], [3, 4]]
    assert enforce_schema(pd.DataFrame({"a": [rows]}), schema)["a"][0] == rows
    with pytest.raises(SchemaEnforcementError, match=r"Column 'a', row 0.*float64"):
        enforce_schema(pd.DataFrame({"a": [np.array([[1.5, 2.0]])]}), schema)
    with pytest.raises(SchemaEnforcementError, match="1-dimensional"):
        enforce_schema(pd.DataFrame({"a": [cell]}), Schema([ColSpec(Array("long"), "a")]))


# (cell, what MLflow 3.17.2 hands the model for an Array(binary) column)
BINARY_ITEMS = [
    (["ab", "c"], [b"ab", b"c"]),
    ([b"ab", "c"], [b"ab", b"c"]),
    ([b"ab", b"c"], [b"ab", b"c"]),
]


@pytest.mark.parametrize(("cell", "mlflow"), BINARY_ITEMS, ids=["text", "mixed", "bytes"])
def test_text_items_of_a_binary_array_become_bytes(cell: list[Any], mlflow: list[bytes]) -> None:
    schema = Schema([ColSpec(Array("binary"), "b")])
    assert enforce_schema(pd.DataFrame({"b": [cell]}), schema)["b"][0] == mlflow


def test_text_becomes_bytes_at_any_depth_and_in_arrays() -> None:
    got = enforce_schema(
        pd.DataFrame({"b": [np.array(["ab", "c"])]}), Schema([ColSpec(Array("binary"), "b")])
    )["b"][0]
    assert got.dtype == np.dtype("S2") and got.tolist() == [b"ab", b"c"]  # MLflow: |S2
    nested = Schema([ColSpec(Array(Array("binary")), "b")])
    assert enforce_schema(pd.DataFrame({"b": [[["x"]]]}), nested)["b"][0] == [[b"x"]]
    obj = Schema([ColSpec(Object([Property("p", Array("binary"))]), "o")])
    assert enforce_schema(pd.DataFrame({"o": [{"p": ["x"]}]}), obj)["o"][0] == {"p": [b"x"]}
    mapped = Schema([ColSpec(Map(Array("binary")), "m")])
    assert enforce_schema(pd.DataFrame({"m": [{"k": ["x"]}]}), mapped)["m"][0] == {"k": [b"x"]}
    with pytest.raises(SchemaEnforcementError, match="cannot be read as binary"):
        enforce_schema(pd.DataFrame({"b": [["é"]]}), Schema([ColSpec(Array("binary"), "b")]))


def test_an_ndarray_example_with_nan_reads_back_as_mlflow_does(tmp_path: Path) -> None:
    from flavorkit.examples import load_input_example, parse_serving_payload, save_input_example

    info = save_input_example(tmp_path, np.array([[1.0, np.nan], [2.0, 3.0]]))
    got = load_input_example(tmp_path, info)
    # MLflow 3.17.2: array([[1.0, None], [2.0, 3.0]], dtype=object)
    assert got.dtype == object and got.tolist() == [[1.0, None], [2.0, 3.0]]
    (tmp_path / "d").mkdir()
    named = save_input_example(tmp_path / "d", {"a": np.array([1.0, np.nan])})
    assert load_input_example(tmp_path / "d", named)["a"].tolist() == [1.0, None]
    data, _ = parse_serving_payload({"inputs": [[1.0, None], [2.0, 3.0]]}, None)
    assert data.dtype == object and data.tolist() == [[1.0, None], [2.0, 3.0]]
    typed = load_input_example(tmp_path, info, Schema([TensorSpec("float64", (-1, 2))]))
    assert typed.dtype == np.float64 and np.isnan(typed[0, 1])  # a schema still types it


def test_integer_names_give_text_keys_in_the_openapi_document() -> None:
    from flavorkit.serve.openapi import invocation_schemas, predictions_schema

    schema = infer_schema(pd.DataFrame([[1, 2.0]]))  # names 0 and 1
    forms = json.loads(json.dumps(invocation_schemas(schema)))
    text = json.dumps(forms)
    assert '"required": [0' not in text and '"required": ["0", "1"]' in text
    outputs = predictions_schema(schema)
    assert set(outputs["items"]["properties"]) == {"0", "1"}
