"""The Open Inference Protocol v2 (KServe, MLServer, Triton REST), with no web framework in it.

Tensors come from the signature: a TensorSpec is one tensor (its name, or ``input-0`` when
unnamed; datatype from its dtype; its shape, ``-1`` for any size); a column of a ColSpec schema
is one tensor of shape ``[-1]``:

==================================  =========  ==============================================
column type                         datatype   data
==================================  =========  ==============================================
boolean / integer / long            BOOL / INT32 / INT64
float / double                      FP32 / FP64
string                              BYTES      text
binary                              BYTES      base64 text, as in ``/invocations``
datetime                            BYTES      ISO 8601 text
Array(scalar)                       its type   shape ``[-1, -1]``: one row per row
Array(...), Object, Map, Any        BYTES      one JSON text per row
==================================  =========  ==============================================

Requests are checked strictly, as Triton does: each input must be a declared tensor, with the
declared datatype, and ``data`` (flat in row-major order, or nested) must hold exactly
``prod(shape)`` values of that datatype. ``2.5`` in an INT64 tensor, ``1`` in a BOOL tensor,
``null`` or text in a numeric tensor are 400s, never cast. The request's ``parameters`` are the
model's params (MLServer's ``content_type`` and ``headers`` keys are ignored); ``outputs`` picks
outputs by name. The binary-data extension is not supported. Outputs are one tensor per array,
per dict key or per DataFrame column of the predictions.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flavorkit.examples import predictions_to_json
from flavorkit.schema import Array, ColSpec, DataType, Schema, TensorSpec
from flavorkit.serve.errors import RequestError
from flavorkit.serve.scoring import check_params

if TYPE_CHECKING:
    import numpy as np

    from flavorkit.schema import InputSpec
    from flavorkit.signature import ModelSignature

__all__ = [
    "DATATYPES",
    "TensorMeta",
    "decode_request",
    "encode_outputs",
    "input_tensors",
    "model_metadata",
    "output_tensors",
]

#: v2 datatype → numpy dtype name (BYTES: Python objects).
DATATYPES = {
    "BOOL": "bool",
    "UINT8": "uint8",
    "UINT16": "uint16",
    "UINT32": "uint32",
    "UINT64": "uint64",
    "INT8": "int8",
    "INT16": "int16",
    "INT32": "int32",
    "INT64": "int64",
    "FP16": "float16",
    "FP32": "float32",
    "FP64": "float64",
    "BYTES": "object",
}
_BY_NUMPY = {v: k for k, v in DATATYPES.items() if k != "BYTES"}
_BY_DATATYPE = {
    DataType.boolean: "BOOL",
    DataType.integer: "INT32",
    DataType.long: "INT64",
    DataType.float: "FP32",
    DataType.double: "FP64",
    DataType.string: "BYTES",
    DataType.binary: "BYTES",
    DataType.datetime: "BYTES",
}
_IGNORED_PARAMETERS = ("content_type", "headers")
_TENSOR_KEYS = {"name", "shape", "datatype", "data", "parameters"}
_REQUEST_KEYS = {"id", "parameters", "inputs", "outputs"}


@dataclass(frozen=True)
class TensorMeta:
    """One tensor of the model's v2 metadata, and the signature entry it comes from."""

    name: str
    datatype: str
    shape: tuple[int, ...]
    spec: InputSpec | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}


def datatype_of(dtype: Any) -> str:
    """The v2 datatype of a numpy dtype (text, bytes, objects and datetimes are BYTES)."""
    import numpy as np

    return _BY_NUMPY.get(np.dtype(dtype).name, "BYTES")


def _tensors(schema: Schema | None, prefix: str) -> list[TensorMeta]:
    if schema is None:
        return []
    out = []
    for i, spec in enumerate(schema.inputs):
        name = str(spec.name) if spec.name is not None else f"{prefix}-{i}"  # V2 names are text
        if isinstance(spec, TensorSpec):
            out.append(TensorMeta(name, datatype_of(spec.type), spec.shape, spec))
            continue
        t = spec.type
        if isinstance(t, DataType):
            out.append(TensorMeta(name, _BY_DATATYPE[t], (-1,), spec))
        elif isinstance(t, Array) and isinstance(t.items, DataType):
            out.append(TensorMeta(name, _BY_DATATYPE[t.items], (-1, -1), spec))
        else:
            out.append(TensorMeta(name, "BYTES", (-1,), spec))
    return out


def input_tensors(signature: ModelSignature | None) -> list[TensorMeta]:
    """The model's input tensors (empty when it has no signature: any input is accepted)."""
    return _tensors(signature.inputs if signature is not None else None, "input")


def output_tensors(signature: ModelSignature | None) -> list[TensorMeta]:
    """The model's output tensors, as declared; an unnamed multi-column output is one tensor."""
    outputs = signature.outputs if signature is not None else None
    if outputs is not None and not outputs.has_input_names() and not outputs.is_tensor_spec():
        first = _tensors(outputs, "output")[0]
        width = len(outputs.inputs)
        return [TensorMeta("output-0", first.datatype, (-1,) if width == 1 else (-1, width))]
    return _tensors(outputs, "output")


def model_metadata(name: str, flavor: str, signature: ModelSignature | None) -> dict[str, Any]:
    """``GET /v2/models/{name}``: the tensors, and the params when the signature has some."""
    meta: dict[str, Any] = {
        "name": name,
        "versions": [],
        "platform": f"flavorkit-{flavor}",
        "inputs": [t.to_dict() for t in input_tensors(signature)],
        "outputs": [t.to_dict() for t in output_tensors(signature)],
    }
    if signature is not None and signature.params:
        meta["parameters"] = {"params": signature.params.to_dict()}
    return meta


# -- requests -----------------------------------------------------------------------------------


def decode_request(
    body: bytes, signature: ModelSignature | None
) -> tuple[Any, dict[str, Any] | None, list[str] | None, str | None]:
    """``(data, params, requested output names, request id)`` of an infer request; 400 if bad."""
    try:
        request = json.loads(body)
    except (ValueError, RecursionError) as e:
        raise RequestError(400, f"The request body is not valid JSON: {e}") from None
    if not isinstance(request, dict):
        raise RequestError(400, "The request body must be a JSON object with an 'inputs' list.")
    unknown = sorted(set(request) - _REQUEST_KEYS)
    if unknown:
        raise RequestError(
            400, f"Unknown fields {unknown} in the request; allowed: {sorted(_REQUEST_KEYS)}."
        )
    inputs = request.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise RequestError(400, "'inputs' must be a non-empty list of tensors.")
    request_id = request.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise RequestError(400, "'id' must be a string.")
    params = _request_params(request.get("parameters"))
    check_params(params, signature)
    outputs = _requested_outputs(request.get("outputs"))
    declared = {t.name: t for t in input_tensors(signature)}
    arrays: dict[str, Any] = {}
    for i, tensor in enumerate(inputs):
        name, array = _decode_tensor(tensor, i, declared)
        if name in arrays:
            raise RequestError(400, f"Input {name!r} is given twice.")
        arrays[name] = array
    return _model_input(arrays, signature, declared), params, outputs, request_id


def _request_params(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise RequestError(400, "'parameters' must be a JSON object of param name -> value.")
    params = {k: v for k, v in raw.items() if k not in _IGNORED_PARAMETERS}
    return params or None


def _requested_outputs(raw: Any) -> list[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(
        isinstance(o, dict) and isinstance(o.get("name"), str) for o in raw
    ):
        raise RequestError(400, "'outputs' must be a list of objects with a 'name'.")
    return [o["name"] for o in raw]


def _decode_tensor(
    tensor: Any, index: int, declared: Mapping[str, TensorMeta]
) -> tuple[str, np.ndarray[Any, Any]]:
    where = f"inputs[{index}]"
    if not isinstance(tensor, dict):
        raise RequestError(400, f"{where} must be a JSON object with name, shape, datatype, data.")
    missing = sorted({"name", "shape", "datatype", "data"} - set(tensor))
    extra = sorted(set(tensor) - _TENSOR_KEYS)
    if missing or extra:
        problem = f"is missing {missing}" if missing else f"has unknown fields {extra}"
        raise RequestError(400, f"{where} {problem}; a tensor has {sorted(_TENSOR_KEYS)}.")
    name, shape, datatype, data = (tensor[k] for k in ("name", "shape", "datatype", "data"))
    if not isinstance(name, str):
        raise RequestError(400, f"{where}: 'name' must be a string.")
    where = f"Input {name!r}"
    meta = declared.get(name)
    if declared and meta is None:
        raise RequestError(
            400, f"{where} is not an input of the model; its inputs are {sorted(declared)}."
        )
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise RequestError(400, f"{where}: 'shape' must be a list of integers >= 0.")
    if not isinstance(datatype, str) or datatype not in DATATYPES:
        raise RequestError(
            400, f"{where}: unknown datatype {datatype!r}; use one of {sorted(DATATYPES)}."
        )
    if meta is not None and datatype != meta.datatype:
        raise RequestError(
            400,
            f"{where}: datatype {datatype} does not match the model's {meta.datatype}; send "
            f"{meta.datatype} (see GET /v2/models/{{name}}).",
        )
    params = tensor.get("parameters")
    if isinstance(params, dict) and "binary_data_size" in params:
        raise RequestError(400, f"{where}: the binary tensor data extension is not supported.")
    flat = _flatten(data)
    count = math.prod(shape)
    if len(flat) != count:
        raise RequestError(
            400, f"{where}: shape {shape} needs {count} values, but 'data' holds {len(flat)}."
        )
    array = _typed_array(flat, datatype, where)
    try:
        return name, array.reshape(shape)
    except ValueError as e:  # pragma: no cover - the count check above makes this unreachable
        raise RequestError(400, f"{where}: {e}") from None


def _flatten(data: Any) -> list[Any]:
    if not isinstance(data, list):
        return [data]
    if not any(isinstance(v, list) for v in data):
        return data
    flat: list[Any] = []
    stack: list[Any] = [data]
    while stack:  # depth-first, left to right: row-major order
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(reversed(v))
        else:
            flat.append(v)
    return flat


def _typed_array(flat: list[Any], datatype: str, where: str) -> np.ndarray[Any, Any]:
    """``flat`` as a 1-D array of ``datatype``; a 400 for a value that would not convert exactly."""
    import numpy as np

    if datatype == "BYTES":
        bad = next((v for v in flat if not isinstance(v, str)), None)
        if bad is not None:
            raise RequestError(400, f"{where} (BYTES): {bad!r} is not text.")
        return np.array(flat, dtype=object)
    target = np.dtype(DATATYPES[datatype])
    try:
        raw = np.array(flat)
    except (ValueError, OverflowError) as e:
        raise RequestError(400, f"{where} ({datatype}): {e}") from None
    if raw.size == 0:
        return raw.astype(target)
    kind = raw.dtype.kind
    if datatype == "BOOL":
        if kind != "b":
            raise RequestError(400, f"{where} (BOOL): send true/false, got {_first_bad(flat)!r}.")
        return raw
    if kind not in "biuf" or kind == "b":
        raise RequestError(400, f"{where} ({datatype}): {_first_bad(flat)!r} is not a number.")
    if target.kind in "iu":
        if kind == "f":
            whole = np.isfinite(raw) & (raw == np.round(raw))
            if not bool(whole.all()):
                bad = raw[~whole][0].item()
                raise RequestError(
                    400,
                    f"{where} ({datatype}): {bad!r} is not a whole number (it is not truncated).",
                )
        info = np.iinfo(target)
        lo, hi = raw.min().item(), raw.max().item()
        if lo < info.min or hi > info.max:
            bad = lo if lo < info.min else hi
            raise RequestError(
                400, f"{where} ({datatype}): {bad!r} is outside [{info.min}, {info.max}]."
            )
        return raw.astype(target)
    if target.itemsize < raw.dtype.itemsize or kind in "iu":
        finite = np.isfinite(raw.astype(np.float64))
        limit = float(np.finfo(target).max)
        big = finite & (np.abs(raw.astype(np.float64)) > limit)
        if bool(big.any()):
            raise RequestError(
                400, f"{where} ({datatype}): {raw[big][0].item()!r} is beyond ±{limit:g}."
            )
    return raw.astype(target)


def _first_bad(flat: list[Any]) -> Any:
    types = [type(v) for v in flat]
    common = max(set(types), key=types.count)
    return next((v for v in flat if type(v) is not common), flat[0])


def _model_input(
    arrays: dict[str, Any], signature: ModelSignature | None, declared: Mapping[str, TensorMeta]
) -> Any:
    schema = signature.inputs if signature is not None else None
    if schema is None or schema.is_tensor_spec():
        if len(arrays) == 1 and (schema is None or not schema.has_input_names()):
            return next(iter(arrays.values()))
        return arrays
    return _frame(arrays, schema, declared)


def _frame(arrays: dict[str, Any], schema: Schema, declared: Mapping[str, TensorMeta]) -> Any:
    """One DataFrame column per input tensor of a ColSpec schema, in the schema's order."""
    import pandas as pd

    columns: dict[Any, Any] = {}
    lengths: dict[str, int] = {}
    for position, meta in enumerate(declared.values()):
        if meta.name not in arrays:
            continue  # enforcement names the missing required columns
        array = arrays[meta.name]
        spec = meta.spec
        assert isinstance(spec, ColSpec)
        label: Any = spec.name if spec.name is not None else position
        columns[label] = _column(array, spec, meta)
        lengths[meta.name] = len(columns[label])
    if len(set(lengths.values())) > 1:
        raise RequestError(400, f"The inputs have different numbers of rows: {lengths}.")
    return pd.DataFrame(columns)


def _column(array: Any, spec: ColSpec, meta: TensorMeta) -> Any:
    import pandas as pd

    where = f"Input {meta.name!r}"
    t = spec.type
    if meta.shape == (-1, -1):  # Array(scalar): one list per row
        if array.ndim != 2:
            raise RequestError(
                400, f"{where}: shape must be [rows, items], got {list(array.shape)}."
            )
        return list(array)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise RequestError(
            400, f"{where}: a column has shape [rows] or [rows, 1], got {list(array.shape)}."
        )
    try:
        if t is DataType.binary:
            return [base64.b64decode(v, validate=True) for v in array]
        if t is DataType.datetime:
            return pd.to_datetime(pd.Series(array), format="ISO8601").dt.as_unit("ns")
        if not isinstance(t, DataType):
            return [json.loads(v) for v in array]
    except (ValueError, TypeError) as e:
        raise RequestError(400, f"{where}: cannot read its values as {t!r}: {e}") from None
    return array


# -- responses ----------------------------------------------------------------------------------


def encode_outputs(
    predictions: Any, signature: ModelSignature | None, names: list[str] | None = None
) -> list[dict[str, Any]]:
    """Predictions as v2 output tensors (one per array, dict key or column), filtered by name."""
    import numpy as np

    default = [t.name for t in output_tensors(signature)] or ["output-0"]
    if _is(predictions, "pandas", "DataFrame"):
        named: dict[str, Any] = {str(c): predictions[c].to_numpy() for c in predictions.columns}
    elif _is(predictions, "pandas", "Series"):
        series_name = predictions.name if isinstance(predictions.name, str) else default[0]
        named = {series_name: predictions.to_numpy()}
    elif isinstance(predictions, Mapping):
        named = {str(k): v for k, v in predictions.items()}
    else:
        named = {default[0]: predictions}
    if names is not None:
        unknown = [n for n in names if n not in named]
        if unknown:
            raise RequestError(
                400, f"Unknown outputs {unknown}; the model's outputs are {sorted(named)}."
            )
        named = {n: named[n] for n in names}
    tensors = []
    for name, value in named.items():
        array = np.asarray(value)
        if array.ndim == 0:
            array = array.reshape(1)
        datatype = datatype_of(array.dtype) if array.dtype.kind in "biuf" else "BYTES"
        data = predictions_to_json(array.ravel())
        if datatype == "BYTES":
            data = [v if isinstance(v, str) or v is None else json.dumps(v) for v in data]
        tensors.append(
            {"name": name, "datatype": datatype, "shape": list(array.shape), "data": data}
        )
    return tensors


def _is(value: Any, module: str, name: str) -> bool:
    import sys

    cls = getattr(sys.modules.get(module), name, None)
    return isinstance(cls, type) and isinstance(value, cls)
