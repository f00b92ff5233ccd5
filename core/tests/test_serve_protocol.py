"""The framework-free parts of ``flavorkit serve``, in-process: lossless checks, content types,
Open Inference Protocol v2 decoding and encoding, and the JSON Schemas of the OpenAPI document.

The server tests (test_serve.py) cover the same code over HTTP for two models; these cover the
column and tensor types those models do not have. None of this imports a web framework.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

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
from flavorkit.serve import openapi, scoring, v2
from flavorkit.serve.errors import RequestError, status_for
from flavorkit.serve.strict import check_lossless
from flavorkit.signature import ModelSignature

FLAGS = Schema([ColSpec("boolean", "flag"), ColSpec("integer", "n"), ColSpec("float", "x")])


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"dataframe_records": [{"flag": "false"}]}, "'false' is text"),
        ({"dataframe_records": [{"flag": 2}]}, "2 is not 0 or 1"),
        ({"inputs": {"n": [1, 3_000_000_000]}}, "3000000000 is outside"),
        ({"instances": [{"n": 1.5}]}, "1.5 is not a whole number"),
        ({"dataframe_split": {"columns": ["x"], "data": [[1e39]]}}, "1e+39 is beyond"),
        ({"dataframe_split": {"columns": ["x", "n"], "data": [[1.0, 2**31]]}}, "is outside"),
        ({"inputs": {"x": 10**400}}, "is beyond"),
    ],
)
def test_lossy_values_are_named(body: dict[str, Any], fragment: str) -> None:
    key = next(k for k in body if k != "params")
    with pytest.raises(RequestError, match="flavorkit rejects it") as info:
        check_lossless(body, key, FLAGS)
    assert info.value.status == 400 and fragment in info.value.message


@pytest.mark.parametrize(
    "body",
    [
        {"dataframe_records": [{"flag": True, "n": 2.0, "x": 1e38}, {"flag": 0, "n": None}]},
        {"inputs": {"flag": [1, False], "n": [-(2**31)], "x": [float("inf")]}},
        {"dataframe_split": {"columns": ["flag"], "data": [[True], [None]]}},
        {"dataframe_split": {"data": [[1, 2.5]]}},  # no column names: nothing is cast
        {"dataframe_records": "not rows"},  # malformed: the parser reports it
    ],
)
def test_lossless_values_pass(body: dict[str, Any]) -> None:
    check_lossless(body, next(iter(body)), FLAGS)


def test_tensor_and_positional_targets() -> None:
    tensor = Schema([TensorSpec(np.uint8, (-1, 2))])
    check_lossless({"inputs": [[0, 255]]}, "inputs", tensor)
    with pytest.raises(RequestError, match=r"Input 0 \(tensor of uint8\): -1 is outside"):
        check_lossless({"inputs": [[0, -1]]}, "inputs", tensor)
    with pytest.raises(RequestError, match=r"2\.5 is not a whole number"):
        check_lossless({"dataframe_split": {"data": [[1, 2.5]]}}, "dataframe_split", tensor)
    positional = Schema([ColSpec("double"), ColSpec("long")])
    with pytest.raises(RequestError, match=r"Input 1 \(long\)"):
        check_lossless({"dataframe_split": {"data": [[1.5, 2.5]]}}, "dataframe_split", positional)
    named = Schema([TensorSpec(np.int64, (-1,), "ids"), TensorSpec(np.float32, (-1,), "w")])
    with pytest.raises(RequestError, match="Column 'ids'"):
        check_lossless({"instances": [{"ids": 1.5, "w": 1.0}]}, "instances", named)
    one = Schema([ColSpec("long", "ids")])
    with pytest.raises(RequestError, match="Column 'ids'"):
        check_lossless({"inputs": [1, 2.5]}, "inputs", one)  # a bare list for the one input


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("application/json", "application/json"),
        ("Application/JSON; charset=UTF-8", "application/json"),
        ('text/csv; charset="utf8"', "text/csv"),
        ("application/vnd.apache.parquet", "application/vnd.apache.parquet"),
    ],
)
def test_media_types(header: str, kind: str) -> None:
    assert scoring.media_type(header) == kind


@pytest.mark.parametrize(
    "header", [None, "", "text/plain", "application/json; charset=latin-1", "text/csv; sep=;"]
)
def test_unsupported_media_types_are_415(header: str | None) -> None:
    with pytest.raises(RequestError) as info:
        scoring.media_type(header)
    assert info.value.status == 415


def test_mlflow_status_mapping() -> None:
    assert status_for("INVALID_PARAMETER_VALUE") == status_for("BAD_REQUEST") == 400
    assert status_for("RESOURCE_DOES_NOT_EXIST") == 404
    assert status_for("SOMETHING_NEW") == 500


def test_csv_with_datetime_and_optional_columns() -> None:
    sig = ModelSignature(
        Schema([ColSpec("datetime", "when"), ColSpec("long", "n"), ColSpec("string", "s", False)])
    )
    data, params, llm = scoring.parse_request(b"when,n\n2024-01-02T03:04:05,7\n", scoring.CSV, sig)
    assert (params, llm) == (None, False)
    assert data["when"].iloc[0] == pd.Timestamp("2024-01-02T03:04:05")
    assert data["n"].dtype == np.int64


def test_params_must_be_declared() -> None:
    sig = ModelSignature(
        Schema([ColSpec("double", "a")]), params=ParamSchema([ParamSpec("k", "long", 3)])
    )
    body = b'{"inputs": {"a": [1.0]}, "params": {"k": 2}}'
    assert scoring.parse_request(body, scoring.JSON, sig)[1] == {"k": 2}
    with pytest.raises(RequestError, match=r"Unknown params \['j'\].*its params are \['k'\]"):
        scoring.parse_request(b'{"inputs": {"a": [1.0]}, "params": {"j": 2}}', scoring.JSON, sig)


def test_chat_bodies_pass_through_unwrapped() -> None:
    sig = ModelSignature(None, params=ParamSchema([ParamSpec("temperature", "double", 1.0)]))
    body = json.dumps({"messages": [{"role": "user", "content": "hi"}], "temperature": 0.2})
    data, params, llm = scoring.parse_request(body.encode(), scoring.JSON, sig)
    assert llm and params == {"temperature": 0.2} and "messages" in data
    assert scoring.response_body({"choices": []}, llm=True) == b'{"choices": []}'


# -- Open Inference Protocol v2 -----------------------------------------------------------------

RICH = ModelSignature(
    Schema(
        [
            ColSpec("binary", "blob"),
            ColSpec("datetime", "when"),
            ColSpec(Array("long"), "ids"),
            ColSpec(Object([Property("k", "string")]), "obj"),
            ColSpec(Map("double"), "m", required=False),
        ]
    ),
    Schema([ColSpec("double", "score"), ColSpec("string", "label")]),
)


def test_v2_metadata_for_every_column_type() -> None:
    meta = v2.model_metadata("rich", "pyfunc", RICH)
    assert meta["inputs"] == [
        {"name": "blob", "datatype": "BYTES", "shape": [-1]},
        {"name": "when", "datatype": "BYTES", "shape": [-1]},
        {"name": "ids", "datatype": "INT64", "shape": [-1, -1]},
        {"name": "obj", "datatype": "BYTES", "shape": [-1]},
        {"name": "m", "datatype": "BYTES", "shape": [-1]},
    ]
    assert meta["outputs"] == [
        {"name": "score", "datatype": "FP64", "shape": [-1]},
        {"name": "label", "datatype": "BYTES", "shape": [-1]},
    ]


def test_v2_decodes_columns_of_every_type() -> None:
    blob = base64.b64encode(b"\x00\x01").decode()
    request = {
        "inputs": [
            {"name": "blob", "shape": [1], "datatype": "BYTES", "data": [blob]},
            {"name": "when", "shape": [1], "datatype": "BYTES", "data": ["2024-05-06T07:08:09"]},
            {"name": "ids", "shape": [1, 3], "datatype": "INT64", "data": [1, 2, 3]},
            {"name": "obj", "shape": [1], "datatype": "BYTES", "data": ['{"k": "v"}']},
        ]
    }
    frame, params, outputs, request_id = v2.decode_request(json.dumps(request).encode(), RICH)
    assert (params, outputs, request_id) == (None, None, None)
    assert list(frame.columns) == ["blob", "when", "ids", "obj"]
    assert frame["blob"][0] == b"\x00\x01"
    assert frame["when"][0] == pd.Timestamp("2024-05-06T07:08:09")
    assert list(frame["ids"][0]) == [1, 2, 3]
    assert frame["obj"][0] == {"k": "v"}
    bad = {"inputs": [{"name": "blob", "shape": [1], "datatype": "BYTES", "data": ["%%"]}]}
    with pytest.raises(RequestError, match="Input 'blob': cannot read its values as binary"):
        v2.decode_request(json.dumps(bad).encode(), RICH)


def test_v2_decodes_tensors_strictly() -> None:
    sig = ModelSignature(Schema([TensorSpec(np.int8, (-1,), "a"), TensorSpec(bool, (-1,), "b")]))

    def decode(a: list[Any], b: list[Any]) -> Any:
        request = {
            "inputs": [
                {"name": "a", "shape": [len(a)], "datatype": "INT8", "data": a},
                {"name": "b", "shape": [len(b)], "datatype": "BOOL", "data": b},
            ]
        }
        return v2.decode_request(json.dumps(request).encode(), sig)[0]

    arrays = decode([1, -128], [True, False])
    assert arrays["a"].dtype == np.int8 and arrays["b"].dtype == bool
    with pytest.raises(RequestError, match="128 is outside"):
        decode([128], [True])
    with pytest.raises(RequestError, match="send true/false"):
        decode([1], [1])
    assert decode([], [])["a"].shape == (0,)


def test_v2_without_signature_takes_any_tensor() -> None:
    request = {"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3, 4]}]}
    array = v2.decode_request(json.dumps(request).encode(), None)[0]
    assert array.dtype == np.float32 and array.shape == (2, 2)


def test_v2_encodes_frames_dicts_and_text() -> None:
    frame = pd.DataFrame({"score": [0.5, float("nan")], "label": ["a", "b"]})
    assert v2.encode_outputs(frame, RICH) == [
        {"name": "score", "datatype": "FP64", "shape": [2], "data": [0.5, None]},
        {"name": "label", "datatype": "BYTES", "shape": [2], "data": ["a", "b"]},
    ]
    out = v2.encode_outputs({"p": np.ones((2, 3), np.float32), "when": [dt.date(2024, 1, 2)]}, None)
    assert out[0] == {"name": "p", "datatype": "FP32", "shape": [2, 3], "data": [1.0] * 6}
    assert out[1] == {"name": "when", "datatype": "BYTES", "shape": [1], "data": ["2024-01-02"]}
    assert v2.encode_outputs(np.int64(3), None) == [
        {"name": "output-0", "datatype": "INT64", "shape": [1], "data": [3]}
    ]
    with pytest.raises(RequestError, match=r"Unknown outputs \['x'\]"):
        v2.encode_outputs(frame, RICH, ["x"])


# -- OpenAPI ------------------------------------------------------------------------------------


def test_column_schemas() -> None:
    assert openapi.column_schema(DataType.integer) == {
        "type": "integer",
        "format": "int32",
        "minimum": -(2**31),
        "maximum": 2**31 - 1,
    }
    assert openapi.column_schema(DataType.string, nullable=True) == {
        "anyOf": [{"type": "string"}, {"type": "null"}]
    }
    assert openapi.column_schema(Array("binary")) == {
        "type": "array",
        "items": {"type": "string", "contentEncoding": "base64"},
    }
    obj = Object([Property("k", "string"), Property("opt", "long", required=False)])
    schema = openapi.column_schema(obj)
    assert schema["required"] == ["k"] and schema["additionalProperties"] is False
    assert schema["properties"]["opt"]["anyOf"][1] == {"type": "null"}
    assert openapi.column_schema(Map("double")) == {
        "type": "object",
        "additionalProperties": {"type": "number", "format": "double"},
    }


def test_tensor_schema_fixes_known_dimensions() -> None:
    schema = openapi.tensor_schema(TensorSpec(np.float32, (-1, 3, 2)))
    assert "minItems" not in schema
    assert schema["items"]["minItems"] == schema["items"]["maxItems"] == 3
    assert schema["items"]["items"]["maxItems"] == 2
    assert schema["items"]["items"]["items"]["format"] == "float32"


def test_document_without_signature_is_generic() -> None:
    doc = openapi.build_openapi(name="m", flavor="toy", version="0", signature=None)
    assert "no signature" in doc["info"]["description"]
    assert set(doc["components"]["schemas"]) >= {"DataframeSplit", "Inputs", "Params", "Error"}
    assert doc["components"]["schemas"]["Params"]["maxProperties"] == 0
    json.dumps(doc)  # plain JSON all the way down


def test_document_for_rich_columns_and_named_outputs() -> None:
    doc = openapi.build_openapi(name="rich", flavor="pyfunc", version="0", signature=RICH)
    schemas = doc["components"]["schemas"]
    row = schemas["DataframeRecords"]["properties"]["dataframe_records"]["items"]
    assert row["required"] == ["blob", "when", "ids", "obj"]  # m is optional
    assert row["properties"]["when"] == {"type": "string", "format": "date-time"}
    predictions = schemas["Predictions"]["properties"]["predictions"]
    assert set(predictions["items"]["properties"]) == {"score", "label"}
    request = schemas["V2InferenceRequest"]["properties"]["outputs"]["items"]
    assert request["properties"]["name"] == {"enum": ["score", "label"]}
