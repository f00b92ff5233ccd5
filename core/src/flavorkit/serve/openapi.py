"""The OpenAPI 3.1 document of a served model, generated from its signature.

MLflow's server publishes no description of what a model takes (mlflow#2972); here
``GET /openapi.json`` (and the Swagger UI at ``/docs``) shows, for this model:

* ``POST /invocations``: each JSON form (``dataframe_split``, ``dataframe_records``,
  ``instances``, ``inputs``) with a JSON Schema per column or tensor (type, nullability of
  optional columns, integer bounds, fixed tensor dimensions), ``params`` with their types and
  defaults, the model's ``serving_input_example.json`` as the example, CSV and Parquet bodies, the
  ``{"predictions": ...}`` response typed by the output schema, and the error bodies;
* the Open Inference Protocol v2 routes, with one request schema per input tensor;
* the health routes.

The schemas describe what is accepted; the server still checks every request itself. A model
without a signature gets the generic forms, with untyped values. ``/openapi.json`` is
self-contained; the ``/docs`` page is FastAPI's Swagger UI, whose script the *browser* loads from
the jsDelivr CDN.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flavorkit.schema import Array, ColSpec, DataType, Map, Object, Schema, TensorSpec
from flavorkit.serve.scoring import CSV, JSON, PARQUET
from flavorkit.serve.strict import FLOAT_MAX, INT_BOUNDS
from flavorkit.serve.v2 import DATATYPES, TensorMeta, input_tensors, output_tensors

if TYPE_CHECKING:
    from flavorkit.schema import ColumnType, InputSpec, ParamSchema, ParamSpec
    from flavorkit.signature import ModelSignature

__all__ = ["build_openapi", "column_schema", "tensor_schema"]

JsonSchema = dict[str, Any]


# -- values -------------------------------------------------------------------------------------


def _scalar(t: DataType) -> JsonSchema:
    if t is DataType.boolean:
        return {"type": "boolean"}
    if t is DataType.integer:
        return _numpy_scalar("int32")
    if t is DataType.long:
        return _numpy_scalar("int64")
    if t is DataType.float:
        return _numpy_scalar("float32")
    if t is DataType.double:
        return {"type": "number", "format": "double"}
    if t is DataType.binary:
        return {"type": "string", "contentEncoding": "base64"}
    if t is DataType.datetime:
        return {"type": "string", "format": "date-time"}
    return {"type": "string"}


def _numpy_scalar(name: str) -> JsonSchema:
    if name == "bool":
        return {"type": "boolean"}
    if name in INT_BOUNDS:
        lo, hi = INT_BOUNDS[name]
        return {"type": "integer", "format": name, "minimum": lo, "maximum": hi}
    if name in FLOAT_MAX:
        limit = FLOAT_MAX[name]
        return {"type": "number", "format": name, "minimum": -limit, "maximum": limit}
    if name.startswith("float"):
        return {"type": "number", "format": name}
    if name.startswith("bytes"):
        return {"type": "string", "contentEncoding": "base64"}
    if name.startswith("datetime"):
        return {"type": "string", "format": "date-time"}
    if name == "object":
        return {}
    return {"type": "string"}


def column_schema(t: ColumnType, *, nullable: bool = False) -> JsonSchema:
    """The JSON Schema of one value of a column (or Array item, Object property, Map value)."""
    if isinstance(t, DataType):
        schema = _scalar(t)
    elif isinstance(t, Array):
        schema = {"type": "array", "items": column_schema(t.items)}
    elif isinstance(t, Object):
        schema = {
            "type": "object",
            "properties": {
                p.name: column_schema(p.type, nullable=not p.required) for p in t.properties
            },
            "required": [p.name for p in t.properties if p.required],
            "additionalProperties": False,
        }
    elif isinstance(t, Map):
        schema = {"type": "object", "additionalProperties": column_schema(t.values)}
    else:  # AnyType, SparkMLVector
        return {}
    return {"anyOf": [schema, {"type": "null"}]} if nullable else schema


def tensor_schema(spec: TensorSpec, *, skip_first: bool = False) -> JsonSchema:
    """Nested arrays, one level per dimension; a fixed dimension fixes the length."""
    schema = _numpy_scalar(spec.type.name)
    dims = spec.shape[1:] if skip_first else spec.shape
    for dim in reversed(dims):
        level: JsonSchema = {"type": "array", "items": schema}
        if dim >= 0:
            level["minItems"] = level["maxItems"] = dim
        schema = level
    return schema


def _spec_value(spec: InputSpec) -> JsonSchema:
    if isinstance(spec, TensorSpec):
        return tensor_schema(spec, skip_first=True)
    return column_schema(spec.type, nullable=not spec.required)


def _param(spec: ParamSpec) -> JsonSchema:
    value = column_schema(spec.type, nullable=True)
    if spec.shape is not None:
        value = {"type": "array", "items": column_schema(spec.type)}
    default = spec.to_dict()["default"]
    return {**value, "default": default, "description": f"{spec.type!r}; default {default!r}"}


def params_schema(params: ParamSchema | None) -> JsonSchema:
    if not params:
        return {
            "type": "object",
            "maxProperties": 0,
            "description": "This model declares no params; any param is refused.",
        }
    return {
        "type": "object",
        "properties": {p.name: _param(p) for p in params},
        "additionalProperties": False,
        "description": "Inference params; an undeclared name is refused, an absent one takes "
        "its default.",
    }


# -- request bodies -----------------------------------------------------------------------------


def _with_params(key: str, value: JsonSchema, description: str) -> JsonSchema:
    return {
        "type": "object",
        "description": description,
        "properties": {key: value, "params": {"$ref": "#/components/schemas/Params"}},
        "required": [key],
        "additionalProperties": False,
    }


def invocation_schemas(schema: Schema | None) -> dict[str, JsonSchema]:
    """The four JSON forms of ``POST /invocations`` for this input schema."""
    if schema is None:
        untyped: JsonSchema = {}
        return {
            "DataframeSplit": _with_params(
                "dataframe_split",
                {
                    "type": "object",
                    "properties": {
                        "columns": {"type": "array", "items": {"type": "string"}},
                        "data": {"type": "array", "items": {"type": "array"}},
                        "index": {"type": "array"},
                    },
                    "required": ["data"],
                    "additionalProperties": False,
                },
                "A DataFrame in pandas' 'split' orient.",
            ),
            "DataframeRecords": _with_params(
                "dataframe_records",
                {"type": "array", "items": {"type": "object"}},
                "A DataFrame as a list of row objects.",
            ),
            "Instances": _with_params("instances", untyped, "Rows, or a tensor."),
            "Inputs": _with_params("inputs", untyped, "Columns or tensors."),
        }
    specs = list(schema.inputs)
    named = schema.has_input_names()
    forms: dict[str, JsonSchema] = {}
    if named:
        row = {
            "type": "object",
            "properties": {str(s.name): _spec_value(s) for s in specs if s.name is not None},
            "required": [str(s.name) for s in specs if s.required and s.name is not None],
        }
        columns = {  # JSON object keys are text, also for integer names (0 -> "0")
            str(s.name): {"type": "array", "items": _spec_value(s)}
            if isinstance(s, ColSpec)
            else tensor_schema(s)
            for s in specs
            if s.name is not None
        }
        inputs_value: JsonSchema = {
            "type": "object",
            "properties": columns,
            "required": [str(s.name) for s in specs if s.required and s.name is not None],
        }
        if not schema.is_tensor_spec():
            names = [s.name for s in specs]
            forms["DataframeSplit"] = _with_params(
                "dataframe_split",
                {
                    "type": "object",
                    "properties": {
                        "columns": {
                            "type": "array",
                            "items": {"enum": names},
                            "uniqueItems": True,
                            "description": "Column names; the schema's order is "
                            f"{names}, any order is accepted.",
                        },
                        "data": {
                            "type": "array",
                            "items": {
                                "type": "array",
                                "prefixItems": [_spec_value(s) for s in specs],
                                "description": "One row, values in the order of 'columns'.",
                            },
                        },
                        "index": {"type": "array"},
                    },
                    "required": ["columns", "data"],
                    "additionalProperties": False,
                },
                "A DataFrame in pandas' 'split' orient.",
            )
            forms["DataframeRecords"] = _with_params(
                "dataframe_records",
                {"type": "array", "items": row},
                "A DataFrame as a list of row objects.",
            )
        forms["Instances"] = _with_params(
            "instances", {"type": "array", "items": row}, "A list of row objects."
        )
        forms["Inputs"] = _with_params(
            "inputs", inputs_value, "An object of column (or tensor) name -> values."
        )
        return forms
    if schema.is_tensor_spec():
        tensor = tensor_schema(specs[0])  # type: ignore[arg-type]
        forms["Inputs"] = _with_params("inputs", tensor, "The input tensor as nested lists.")
        forms["Instances"] = _with_params("instances", tensor, "The input tensor as nested lists.")
        return forms
    row_values = {
        "type": "array",
        "prefixItems": [_spec_value(s) for s in specs],
        "minItems": len(specs),
    }
    forms["DataframeSplit"] = _with_params(
        "dataframe_split",
        {
            "type": "object",
            "properties": {"data": {"type": "array", "items": row_values}},
            "required": ["data"],
            "additionalProperties": False,
        },
        "Rows of positional columns.",
    )
    forms["Inputs"] = _with_params(
        "inputs", {"type": "array", "items": row_values}, "Rows of positional columns."
    )
    return forms


def predictions_schema(outputs: Schema | None) -> JsonSchema:
    """The JSON of ``predictions``, from the output schema (free-form without one)."""
    if outputs is None:
        return {"description": "The model's output, as JSON."}
    specs = list(outputs.inputs)
    if outputs.is_tensor_spec():
        if outputs.has_input_names():
            return {
                "type": "object",
                "properties": {s.name: tensor_schema(s) for s in specs},  # type: ignore[arg-type]
            }
        return tensor_schema(specs[0])  # type: ignore[arg-type]
    if outputs.has_input_names():
        return {
            "type": "array",
            "description": "One object per row (a DataFrame in 'records' orient).",
            "items": {
                "type": "object",
                "properties": {str(s.name): _spec_value(s) for s in specs if s.name is not None},
            },
        }
    if len(specs) == 1:
        value = _spec_value(specs[0])
        return {
            "type": "array",
            "description": "One value per row (or a one-key object per row when the model "
            "returns a pandas Series).",
            "items": {"anyOf": [value, {"type": "object", "additionalProperties": value}]},
        }
    return {
        "type": "array",
        "items": {"type": "array", "prefixItems": [_spec_value(s) for s in specs]},
    }


# -- Open Inference Protocol v2 -----------------------------------------------------------------


def _v2_tensor_input(meta: TensorMeta | None) -> JsonSchema:
    if meta is None:
        return {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
                "datatype": {"enum": sorted(DATATYPES)},
                "data": {"type": "array"},
                "parameters": {"type": "object"},
            },
            "required": ["name", "shape", "datatype", "data"],
            "additionalProperties": False,
        }
    item = (
        {"type": "string"} if meta.datatype == "BYTES" else _numpy_scalar(DATATYPES[meta.datatype])
    )
    return {
        "type": "object",
        "description": f"Tensor {meta.name!r}: {meta.datatype}, shape {list(meta.shape)} "
        "(-1: any size). 'data' is flat in row-major order, or nested.",
        "properties": {
            "name": {"const": meta.name},
            "shape": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0},
                "minItems": len(meta.shape),
                "maxItems": len(meta.shape),
            },
            "datatype": {"const": meta.datatype},
            "data": {"type": "array", "items": item},
            "parameters": {"type": "object"},
        },
        "required": ["name", "shape", "datatype", "data"],
        "additionalProperties": False,
    }


def _v2_schemas(signature: ModelSignature | None, outputs: list[str]) -> dict[str, JsonSchema]:
    inputs = input_tensors(signature)
    tensor_meta = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "datatype": {"type": "string"},
            "shape": {"type": "array", "items": {"type": "integer"}},
        },
    }
    items = {"oneOf": [_v2_tensor_input(t) for t in inputs]} if inputs else _v2_tensor_input(None)
    output_choice: JsonSchema = {"enum": outputs} if outputs else {"type": "string"}
    return {
        "V2InferenceRequest": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "parameters": {"$ref": "#/components/schemas/Params"},
                "inputs": {"type": "array", "items": items, "minItems": 1},
                "outputs": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"name": output_choice},
                        "required": ["name"],
                    },
                },
            },
            "required": ["inputs"],
            "additionalProperties": False,
        },
        "V2InferenceResponse": {
            "type": "object",
            "properties": {
                "model_name": {"type": "string"},
                "id": {"type": "string"},
                "outputs": {
                    "type": "array",
                    "items": {
                        **tensor_meta,
                        "properties": {
                            **tensor_meta["properties"],  # type: ignore[dict-item]
                            "data": {"type": "array"},
                        },
                    },
                },
            },
            "required": ["model_name", "outputs"],
        },
        "V2ModelMetadata": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "versions": {"type": "array", "items": {"type": "string"}},
                "platform": {"type": "string"},
                "inputs": {"type": "array", "items": tensor_meta},
                "outputs": {"type": "array", "items": tensor_meta},
            },
        },
        "V2Error": {
            "type": "object",
            "properties": {"error": {"type": "string"}},
            "required": ["error"],
        },
    }


# -- the document -------------------------------------------------------------------------------


def _json_response(description: str, ref: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _errors(*statuses: int, ref: str = "Error") -> dict[str, Any]:
    text = {
        400: "Bad input: malformed JSON, wrong shapes or types, unknown fields.",
        404: "No model of that name.",
        413: "The body is larger than the server's --max-body-size.",
        415: "Unsupported Content-Type.",
        503: "The model is still loading, or failed to load.",
        504: "The prediction took longer than the server's --timeout.",
    }
    return {str(s): _json_response(text[s], ref) for s in statuses}


def _get(summary: str, responses: dict[str, Any], tag: str) -> dict[str, Any]:
    return {"get": {"summary": summary, "tags": [tag], "responses": responses}}


def build_openapi(
    *,
    name: str,
    flavor: str,
    version: str,
    signature: ModelSignature | None,
    example: Any = None,
    v2_example: Any = None,
    max_body_size: int | None = None,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document for one served model (see the module docstring)."""
    inputs = signature.inputs if signature is not None else None
    outputs = signature.outputs if signature is not None else None
    forms = invocation_schemas(inputs)
    output_names = [t.name for t in output_tensors(signature)]
    json_body: dict[str, Any] = {
        "schema": {"oneOf": [{"$ref": f"#/components/schemas/{k}"} for k in forms]}
    }
    if example is not None:
        json_body["example"] = example
    table_note = (
        "A table: the column types of the signature are applied as MLflow does."
        if inputs is not None and not inputs.is_tensor_spec()
        else "A table (this model takes tensors, so CSV is refused with a 400)."
        if inputs is not None
        else "A table."
    )
    limit = f" Bodies over {max_body_size:,} bytes get a 413." if max_body_size else ""
    invocations = {
        "post": {
            "summary": "Predict (MLflow's scoring protocol)",
            "description": "Send exactly one of dataframe_split, dataframe_records, instances or "
            'inputs, and optionally params. The response is {"predictions": ...}; errors are '
            '{"error_code", "message"}.' + limit,
            "tags": ["MLflow scoring protocol"],
            "requestBody": {
                "required": True,
                "content": {
                    JSON: json_body,
                    CSV: {"schema": {"type": "string", "description": table_note}},
                    PARQUET: {
                        "schema": {"type": "string", "format": "binary", "description": table_note}
                    },
                },
            },
            "responses": {
                "200": _json_response("The predictions.", "Predictions"),
                **_errors(400, 413, 415, 503, 504),
            },
        }
    }
    health = {"200": {"description": "Ready.", "content": {JSON: {"schema": {}}}}}
    v2_name = {"name": "name", "in": "path", "required": True, "schema": {"enum": [name]}}
    v2_request: dict[str, Any] = {"schema": {"$ref": "#/components/schemas/V2InferenceRequest"}}
    if v2_example is not None:
        v2_request["example"] = v2_example
    v2_tag = "Open Inference Protocol v2"
    paths: dict[str, Any] = {
        "/invocations": invocations,
        "/ping": _get("Readiness (MLflow)", {**health, **_errors(503)}, "Health"),
        "/health": _get("Readiness (MLflow)", {**health, **_errors(503)}, "Health"),
        "/version": _get(
            "The flavorkit version",
            {"200": {"description": "The version.", "content": {"text/plain": {"schema": {}}}}},
            "Health",
        ),
        "/v2": _get(
            "Server metadata",
            {"200": {"description": "Server name and version.", "content": {JSON: {"schema": {}}}}},
            v2_tag,
        ),
        "/v2/health/live": _get(
            "Liveness: the process is up (503 once the model failed to load)",
            {
                "200": {"description": "Live.", "content": {JSON: {"schema": {}}}},
                **_errors(503, ref="V2Error"),
            },
            v2_tag,
        ),
        "/v2/health/ready": _get(
            "Readiness: the model can predict",
            {
                "200": {"description": "Ready.", "content": {JSON: {"schema": {}}}},
                **_errors(503, ref="V2Error"),
            },
            v2_tag,
        ),
        "/v2/models/{name}": {
            "get": {
                "summary": "Model metadata: tensors from the signature",
                "tags": [v2_tag],
                "parameters": [v2_name],
                "responses": {
                    "200": _json_response("The model's metadata.", "V2ModelMetadata"),
                    **_errors(404, ref="V2Error"),
                },
            }
        },
        "/v2/models/{name}/ready": {
            "get": {
                "summary": "Model readiness",
                "tags": [v2_tag],
                "parameters": [v2_name],
                "responses": {
                    "200": {"description": "Ready.", "content": {JSON: {"schema": {}}}},
                    **_errors(404, 503, ref="V2Error"),
                },
            }
        },
        "/v2/models/{name}/infer": {
            "post": {
                "summary": "Predict (Open Inference Protocol v2)",
                "tags": [v2_tag],
                "parameters": [v2_name],
                "requestBody": {"required": True, "content": {JSON: v2_request}},
                "responses": {
                    "200": _json_response("The output tensors.", "V2InferenceResponse"),
                    **_errors(400, 404, 413, 415, 503, 504, ref="V2Error"),
                },
            }
        },
    }
    schemas: dict[str, Any] = {
        **forms,
        "Params": params_schema(signature.params if signature is not None else None),
        "Predictions": {
            "type": "object",
            "properties": {"predictions": predictions_schema(outputs)},
            "required": ["predictions"],
        },
        "Error": {
            "type": "object",
            "properties": {
                "error_code": {"type": "string", "example": "INVALID_PARAMETER_VALUE"},
                "message": {"type": "string"},
            },
            "required": ["error_code", "message"],
        },
        **_v2_schemas(signature, output_names),
    }
    description = f"Model **{name}** (flavor `{flavor}`), served by flavorkit {version}."
    if signature is None:
        description += " The model has no signature: inputs are passed to it unchecked."
    return {
        "openapi": "3.1.0",
        "info": {"title": f"flavorkit: {name}", "version": version, "description": description},
        "paths": paths,
        "components": {"schemas": schemas},
    }
