"""Input examples: ``input_example.json`` and ``serving_input_example.json``.

Why a model carries an example: it documents the model (what one request looks like, with real
values, next to the signature that only gives types), and it is the payload a deployment is
smoke-tested with: ``serving_input_example.json`` is a ready-made body for ``POST /invocations``.

Both files use MLflow's exact forms (``mlflow-format.md`` §7), so a model saved here shows the same
example in MLflow, and an example MLflow wrote (3.x, or 1.x/2.x ``format: tf-serving``) loads here.

=========================  ===============================================  ========================
example                    ``input_example.json`` (compact ``json.dumps``)  ``type``
=========================  ===============================================  ========================
DataFrame, named columns   ``{"columns": [...], "data": [[...]]}``          dataframe (split)
DataFrame, columns 0..n-1  ``{"data": [[...]]}``                            dataframe (values)
ndarray                    nested list                                      ndarray
dict of ndarrays           ``{"name": [[...]], ...}``                       ndarray
dict, list, scalar, date   the JSON value as it is                          json_object
scipy csr / csc            ``{"data", "indices", "indptr", "shape"}``       sparse_matrix_csr / _csc
``(data, params)``         ``{"inputs": <above>, "params": {...}}``         as for ``data``
=========================  ===============================================  ========================

``serving_input_example.json`` (``indent=2``) is :func:`to_serving_payload` of the same example:
``{"dataframe_split": ...}`` for DataFrames, ``{"inputs": ...}`` otherwise (sparse matrices
densified), plus a top-level ``"params"``. A chat/completions/embeddings dict (a key ``messages``,
``prompt`` or ``input``) is not wrapped, and its params are merged into it, as in MLflow.

Values are written as JSON the way MLflow's encoder does: bytes as ``base64.encodebytes`` text
(with its newlines), dates, datetimes and pandas Timestamps as ``isoformat()``, numpy scalars via
``.item()`` (so float32 ``5.1`` is written ``5.099999904632568``), and missing values (NaN, NaT,
``pd.NA``) as ``null``.

Where flavorkit differs from MLflow, on purpose:

* NaN becomes ``null`` everywhere. MLflow does so for arrays, but with pandas 3 its DataFrame
  examples and any NaN inside a dict or list come out as the bare token ``NaN``, which is not JSON.
* A pandas Series is saved as a one-column DataFrame (its name, if a string, names the column; an
  unnamed Series is positional). MLflow 3 rejects Series examples.
* A DataFrame with duplicated column names, or with column names that are not strings (other than
  the default positional ``0..n-1``), is refused: it could not be read back to the same columns.
* ``datetime64`` arrays are written as ISO strings (MLflow writes nanosecond ones as integers),
  and ``datetime.date``/``datetime.time`` scalars are accepted as ``json_object`` examples.
* A ``(data, {})`` tuple still records ``params: 'true'`` so that readers unwrap ``inputs``.

Reading: :func:`load_input_example` rebuilds the data, typed by the model's input schema when one
is given (DataFrame columns cast to the ColSpec pandas types, datetime columns parsed, binary
columns base64-decoded; arrays built with each TensorSpec's dtype). Columns of Array/Object/Map
type stay as parsed JSON: enforcement checks them at predict time. A model directory is untrusted
data, so a file path in ``saved_input_example_info`` must stay inside it.

:func:`parse_serving_payload` is the scoring server's JSON-body parser (§8), with no web framework
in it, so a server, the CLI and tests share it.

numpy, pandas and scipy are imported only inside functions that need them: importing this module
stays cheap, and checking whether an example *is* a DataFrame or sparse matrix never imports a
library that the caller has not imported already.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import importlib
import json
import math
import os
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flavorkit.errors import InputExampleError
from flavorkit.schema import ColSpec, DataType, ParamSchema, Schema, TensorSpec

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from flavorkit.schema import InputSpec

__all__ = [
    "EXAMPLE_FILENAME",
    "EXAMPLE_TYPES",
    "LLM_INPUT_KEYS",
    "SERVING_EXAMPLE_FILENAME",
    "SERVING_INPUT_KEYS",
    "is_unified_llm_input",
    "load_input_example",
    "load_serving_input_example",
    "parse_serving_payload",
    "predictions_to_json",
    "save_input_example",
    "to_serving_payload",
]

EXAMPLE_FILENAME = "input_example.json"
SERVING_EXAMPLE_FILENAME = "serving_input_example.json"
EXAMPLE_TYPES = ("dataframe", "ndarray", "json_object", "sparse_matrix_csc", "sparse_matrix_csr")
SERVING_INPUT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
LLM_INPUT_KEYS = ("messages", "prompt", "input")

_SUPPORTED = (
    "a pandas DataFrame or Series, a numpy ndarray, a dict of str -> ndarray, a scipy "
    "csr/csc matrix, a JSON-like dict or list, a scalar (str, bytes, int, float, bool), a "
    "date/datetime, or a (data, params) tuple of one of these and a dict"
)
_REQUIRED_INPUT_FORMAT = (
    "The input must be a JSON dictionary with exactly one of the input fields {"
    + ", ".join(repr(k) for k in sorted(SERVING_INPUT_KEYS))
    + "}"
)
_INPUT_FORMAT_HINT = (
    'Wrap the data, e.g. {"dataframe_split": {"columns": [...], "data": [[...]]}}, '
    '{"dataframe_records": [{...}]}, {"inputs": ...} or {"instances": [...]}, '
    'with an optional "params": {...}.'
)
_FINE_DATETIME_UNITS = ("ns", "ps", "fs", "as")


# -- saving -------------------------------------------------------------------------------------


def save_input_example(model_dir: str | os.PathLike[str], example: Any) -> dict[str, Any]:
    """Write ``input_example.json`` and ``serving_input_example.json`` into ``model_dir``.

    Returns the ``saved_input_example_info`` mapping for the MLmodel file, exactly as MLflow
    writes it. Both texts are built before anything is written, so a bad example writes nothing.
    """
    root = os.fspath(model_dir)
    if not os.path.isdir(root):
        raise InputExampleError(
            f"{root}: not a directory; create the model directory before saving its example."
        )
    data, params = _split_params(example)
    conv = _convert(data)
    info: dict[str, Any] = {
        "artifact_path": EXAMPLE_FILENAME,
        "serving_input_path": SERVING_EXAMPLE_FILENAME,
        "type": conv.type,
    }
    if conv.orient is not None:
        info["pandas_orient"] = conv.orient
    stored: Any = conv.stored
    json_params = None
    if params is not None:
        json_params = _params_to_json(params)
        stored = {"inputs": stored, "params": json_params}
        info["params"] = "true"
    example_text = json.dumps(stored)
    serving_text = json.dumps(_serving_body(conv, json_params), indent=2)
    _write_text(os.path.join(root, EXAMPLE_FILENAME), example_text)
    _write_text(os.path.join(root, SERVING_EXAMPLE_FILENAME), serving_text)
    return info


def to_serving_payload(data: Any, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The MLflow scoring-protocol request body for ``data`` (and ``params``), ready for JSON.

    ``data`` takes every form :func:`save_input_example` takes, a ``(data, params)`` tuple
    included. DataFrames become ``{"dataframe_split": ...}``; arrays, dicts of arrays, JSON values
    and (densified) sparse matrices ``{"inputs": ...}``; params a top-level ``"params"``.
    """
    data, tuple_params = _split_params(data)
    if tuple_params is not None:
        if params is not None:
            raise InputExampleError(
                "Params were given twice: in the (data, params) tuple and as params=; "
                "pass them once."
            )
        params = tuple_params
    conv = _convert(data)
    return _serving_body(conv, None if params is None else _params_to_json(params))


def predictions_to_json(predictions: Any) -> Any:
    """Predictions as the scoring protocol returns them under ``"predictions"``.

    ndarray → nested lists; DataFrame → a list of row objects (``orient="records"``); Series → the
    records of a one-column frame; dicts and lists as they are, arrays inside them converted. NaN
    becomes ``null``.
    """
    if _isinstance_of(predictions, "pandas", "Series"):
        predictions = predictions.to_frame()
    if _isinstance_of(predictions, "pandas", "DataFrame"):
        return _to_json(predictions.to_dict(orient="records"), "predictions")
    return _to_json(predictions, "predictions")


def is_unified_llm_input(body: Any) -> bool:
    """True for a chat/completions/embeddings body, which MLflow passes to the model unwrapped."""
    return isinstance(body, Mapping) and any(k in body for k in LLM_INPUT_KEYS)


@dataclass(frozen=True)
class _Converted:
    type: str
    stored: Any  # the JSON value of input_example.json, without params
    serving: dict[str, Any]  # the serving body, without params
    orient: str | None = None
    llm: bool = False


def _split_params(example: Any) -> tuple[Any, Mapping[str, Any] | None]:
    if isinstance(example, tuple):
        if len(example) == 2 and isinstance(example[1], Mapping):
            return example[0], example[1]
        raise InputExampleError(
            f"A tuple input example must be (data, params) with params a dict of inference "
            f"parameters; got a tuple of {len(example)} items. Pass a sequence of values as a "
            f"list."
        )
    return example, None


def _convert(example: Any) -> _Converted:
    if example is None:
        raise InputExampleError(f"The input example is None; give {_SUPPORTED}.")
    if _isinstance_of(example, "pydantic", "BaseModel"):
        example = example.model_dump()
    if isinstance(example, Mapping):
        return _convert_mapping(example)
    if _isinstance_of(example, "numpy", "ndarray"):
        data = _ndarray_to_json(example, "example")
        return _Converted("ndarray", data, {"inputs": data})
    if isinstance(example, list):
        if _contains_ndarray(example):
            raise InputExampleError(
                "The input example is a list holding numpy arrays; stack them into one ndarray "
                "(np.stack) or pass a dict of named arrays."
            )
        data = _to_json(example, "example")
        return _Converted("json_object", data, {"inputs": data})
    if _is_sparse(example):
        fmt = example.format
        if fmt not in ("csr", "csc"):
            raise InputExampleError(
                f"The input example is a scipy sparse matrix in {fmt!r} format; only csr and csc "
                f"are supported: convert it with .tocsr()."
            )
        stored = {
            "data": _ndarray_to_json(example.data, "example.data"),
            "indices": example.indices.tolist(),
            "indptr": example.indptr.tolist(),
            "shape": [int(d) for d in example.shape],
        }
        dense = _ndarray_to_json(example.toarray(), "example")
        return _Converted(f"sparse_matrix_{fmt}", stored, {"inputs": dense})
    if _isinstance_of(example, "pandas", "Series"):
        example = example.to_frame()
    if _isinstance_of(example, "pandas", "DataFrame"):
        split, orient = _frame_to_json(example)
        return _Converted("dataframe", split, {"dataframe_split": split}, orient)
    if _is_scalar(example):
        data = _to_json(example, "example")
        return _Converted("json_object", data, {"inputs": data})
    raise InputExampleError(
        f"Cannot save an input example of type {_type_name(example)}; give {_SUPPORTED}."
    )


def _convert_mapping(example: Mapping[Any, Any]) -> _Converted:
    is_array = [_isinstance_of(v, "numpy", "ndarray") for v in example.values()]
    if any(is_array):
        others = [k for k, a in zip(example, is_array, strict=True) if not a]
        if others:
            raise InputExampleError(
                f"The input example dict mixes numpy arrays with other values (keys {others!r}); "
                f"use only arrays (named tensors) or only JSON values."
            )
        bad = [k for k in example if not isinstance(k, str)]
        if bad:
            raise InputExampleError(
                f"A dict of arrays names tensors, so its keys must be strings; got {bad!r}."
            )
        arrays = {k: _ndarray_to_json(v, f"example[{k!r}]") for k, v in example.items()}
        return _Converted("ndarray", arrays, {"inputs": arrays})
    data = _to_json(example, "example")
    if is_unified_llm_input(data):
        return _Converted("json_object", data, data, llm=True)
    return _Converted("json_object", data, {"inputs": data})


def _serving_body(conv: _Converted, params: dict[str, Any] | None) -> dict[str, Any]:
    body = dict(conv.serving)
    if params is not None:
        if conv.llm:
            body.update(params)
        else:
            body["params"] = params
    return body


def _params_to_json(params: Any) -> dict[str, Any]:
    if not isinstance(params, Mapping):
        raise InputExampleError(
            f"Params must be a dict of name -> value, got {_type_name(params)}."
        )
    bad = [k for k in params if not isinstance(k, str)]
    if bad:
        raise InputExampleError(f"Param names must be strings, got {bad!r}.")
    return {k: _to_json(v, f"params[{k!r}]") for k, v in params.items()}


def _frame_to_json(df: pd.DataFrame) -> tuple[dict[str, Any], str]:
    columns: list[Any] = list(df.columns)
    counts = Counter(columns)
    duplicated = [c for c, n in counts.items() if n > 1]
    if duplicated:
        raise InputExampleError(
            f"The input example DataFrame has duplicated column names {duplicated!r}; the "
            f"example could not be read back to the same columns. Rename them."
        )
    positional = all(_is_int(c) for c in columns) and columns == list(range(len(columns)))
    if not positional:
        bad = [c for c in columns if not isinstance(c, str)]
        if bad:
            raise InputExampleError(
                f"The input example DataFrame has non-string column names {bad[:5]!r}; MLflow's "
                f"format names columns with strings. Use string names "
                f"(df.columns = df.columns.astype(str)) or the default 0..n-1 for positional "
                f"columns."
            )
    rows = df.to_dict(orient="split")["data"]
    data = _to_json(rows, "example.data")
    if positional:
        return {"data": data}, "values"
    return {"columns": [str(c) for c in columns], "data": data}, "split"


def _ndarray_to_json(arr: np.ndarray[Any, Any], where: str) -> Any:
    import numpy as np

    kind = arr.dtype.kind
    if kind in "biuU":
        return arr.tolist()
    if kind == "f":
        values = arr.tolist()
        return _to_json(values, where) if bool(np.isnan(arr).any()) else values
    if kind == "M":
        if np.datetime_data(arr.dtype)[0] in _FINE_DATETIME_UNITS:
            arr = arr.astype("datetime64[us]")
        return _to_json(arr.tolist(), where)
    if kind in "SO":
        return _to_json(arr.tolist(), where)
    raise InputExampleError(
        f"{where}: an array of dtype {arr.dtype} cannot be written as JSON; use bool, integer, "
        f"float, str, bytes, datetime64 or object arrays of JSON-like values."
    )


def _to_json(obj: Any, where: str) -> Any:
    """``obj`` as plain JSON values, converted as MLflow's NumpyEncoder does, NaN as None."""
    if obj is None or isinstance(obj, (str, bool, int)):
        return obj
    if isinstance(obj, float):
        return None if math.isnan(obj) else float(obj)
    if isinstance(obj, Mapping):
        return {_json_key(k, where): _to_json(v, f"{where}[{k!r}]") for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_json(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, (bytes, bytearray)):
        return base64.encodebytes(bytes(obj)).decode("ascii")
    if type(obj).__name__ in ("NaTType", "NAType"):
        return None
    if isinstance(obj, (_dt.date, _dt.time)):  # datetime and pandas Timestamp included
        return obj.isoformat()
    if _isinstance_of(obj, "numpy", "generic"):
        return _numpy_scalar_to_json(obj, where)
    if _isinstance_of(obj, "numpy", "ndarray"):
        return _ndarray_to_json(obj, where)
    if _isinstance_of(obj, "pydantic", "BaseModel"):
        return _to_json(obj.model_dump(), where)
    raise InputExampleError(
        f"{where}: a value of type {_type_name(obj)} cannot be written as JSON; use str, int, "
        f"float, bool, None, bytes, dates, lists, dicts or numpy values."
    )


def _numpy_scalar_to_json(value: Any, where: str) -> Any:
    import numpy as np

    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        if np.datetime_data(value.dtype)[0] in _FINE_DATETIME_UNITS:
            value = value.astype("datetime64[us]")
        item = value.item()
        if isinstance(item, _dt.date):
            return item.isoformat()
        raise InputExampleError(f"{where}: cannot write datetime64 value {value!r} as JSON.")
    return _to_json(value.item(), where)


def _json_key(key: Any, where: str) -> Any:
    if key is None or isinstance(key, (str, int, float)):
        return key
    if _isinstance_of(key, "numpy", "generic"):
        return _json_key(key.item(), where)
    raise InputExampleError(
        f"{where}: dict key {key!r} of type {_type_name(key)} cannot be a JSON key; use strings."
    )


def _contains_ndarray(value: Any) -> bool:
    if _isinstance_of(value, "numpy", "ndarray"):
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains_ndarray(v) for v in value)
    if isinstance(value, Mapping):
        return any(_contains_ndarray(v) for v in value.values())
    return False


def _is_scalar(value: Any) -> bool:
    return isinstance(
        value, (str, bytes, bytearray, bool, int, float, _dt.date, _dt.time)
    ) or _isinstance_of(value, "numpy", "generic")


def _is_sparse(value: Any) -> bool:
    issparse = _loaded("scipy.sparse", "issparse")
    return issparse is not None and bool(issparse(value))


def _is_int(value: Any) -> bool:
    if isinstance(value, bool) or _isinstance_of(value, "numpy", "bool_"):
        return False
    return isinstance(value, int) or _isinstance_of(value, "numpy", "integer")


def _loaded(module: str, name: str) -> Any:
    """``module.name`` if the caller already imported ``module``, else None (nothing imported)."""
    mod = sys.modules.get(module)
    return getattr(mod, name, None) if mod is not None else None


def _isinstance_of(value: Any, module: str, name: str) -> bool:
    cls = _loaded(module, name)
    return isinstance(cls, type) and isinstance(value, cls)


def _type_name(value: Any) -> str:
    cls = type(value)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


# -- loading ------------------------------------------------------------------------------------


def load_input_example(
    model_dir: str | os.PathLike[str],
    info: Mapping[str, Any] | None,
    schema: Schema | None = None,
) -> Any:
    """Read the input example back, typed by the model's input ``schema`` when one is given.

    Returns None when ``info`` is None (the model has no example), ``(data, params)`` when the
    example was saved with params, else the data: a DataFrame, an ndarray (or a dict of them), a
    scipy csr/csc matrix, or the raw JSON value of a ``json_object`` example.
    """
    if info is None:
        return None
    example_type = _example_type(info)
    path = _resolve_inside(model_dir, info.get("artifact_path"), "artifact_path")
    try:
        raw = json.loads(_read_text(path, "input example"))
    except json.JSONDecodeError as e:
        raise InputExampleError(
            f"{path}: the input example file is not valid JSON ({e}); re-save the model with "
            f"its example."
        ) from None
    params: Any = None
    with_params = _is_true(info.get("params"))
    if with_params:
        if not isinstance(raw, dict) or "inputs" not in raw:
            raise InputExampleError(
                f"{path}: saved_input_example_info says the example has params, so the file "
                f"must be a JSON object with 'inputs' and 'params'; got {_json_kind(raw)}. "
                f"Re-save the model with its example."
            )
        params = raw.get("params")
        if params is not None and not isinstance(params, dict):
            raise InputExampleError(
                f"{path}: 'params' must be a JSON object, got {_json_kind(params)}."
            )
        raw = raw["inputs"]
    try:
        data = _decode_example(raw, example_type, info, schema)
    except InputExampleError as e:
        raise InputExampleError(f"{path}: {e}") from None
    return (data, params) if with_params else data


def load_serving_input_example(
    model_dir: str | os.PathLike[str], info: Mapping[str, Any] | None
) -> str | None:
    """The text of ``serving_input_example.json``, or None when the model records none.

    A file named in ``info`` but missing is an error, as for :func:`load_input_example`.
    """
    if info is None:
        return None
    if not isinstance(info, Mapping):
        raise InputExampleError(
            f"saved_input_example_info must be a mapping, got {_type_name(info)}."
        )
    rel = info.get("serving_input_path")
    if rel is None:
        return None
    path = _resolve_inside(model_dir, rel, "serving_input_path")
    return _read_text(path, "serving input example")


def _example_type(info: Any) -> str:
    if not isinstance(info, Mapping):
        raise InputExampleError(
            f"saved_input_example_info must be a mapping, got {_type_name(info)}."
        )
    example_type = info.get("type")
    if example_type not in EXAMPLE_TYPES:
        what = "has no 'type'" if example_type is None else f"type {example_type!r}"
        raise InputExampleError(
            f"flavorkit cannot load an example of {what}; known types: "
            f"{', '.join(EXAMPLE_TYPES)}. A newer MLflow may have saved it: upgrade flavorkit."
        )
    return str(example_type)


def _is_true(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "no")
    return bool(value)


def _resolve_inside(model_dir: str | os.PathLike[str], rel: Any, key: str) -> str:
    """``model_dir/rel``, refusing any path that leaves the (untrusted) model directory."""
    from flavorkit.errors import ModelPathError
    from flavorkit.safety import model_file

    try:
        return os.fspath(model_file(model_dir, rel, key=f"saved_input_example_info.{key}"))
    except ModelPathError as e:
        raise InputExampleError(f"{e} A model directory is untrusted data.") from None


def _read_text(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        raise InputExampleError(
            f"{path}: the MLmodel's saved_input_example_info names this {what} file, but it does "
            f"not exist. Restore the file, or re-save the model with its example."
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputExampleError(f"{path}: cannot read the {what} file: {e}") from None


def _decode_example(raw: Any, example_type: str, info: Mapping[str, Any], schema: Any) -> Any:
    if example_type == "json_object":
        return raw
    if example_type == "ndarray":
        if (
            info.get("format") == "tf-serving"
            and isinstance(raw, dict)
            and len(raw) == 1
            and next(iter(raw)) in ("inputs", "instances")
        ):  # MLflow 1.x / early 2.x wrapped arrays as a TF-serving request
            key = next(iter(raw))
            return _parse_tensor_input(key, raw[key], schema)
        return _cast_inputs(raw, schema)
    if example_type == "dataframe":
        orient = info.get("pandas_orient", "split")
        df = _frame_from_json(raw, str(orient), "the example")
        return df if schema is None else _cast_frame(df, schema)
    return _sparse_from_json(raw, example_type, schema)


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON list"
    return f"the {type(value).__name__} {value!r}"[:80]


# -- parsing a scoring request ------------------------------------------------------------------


def parse_serving_payload(
    body: Mapping[str, Any],
    schema: Schema | None = None,
    *,
    param_schema: ParamSchema | None = None,
) -> tuple[Any, dict[str, Any] | None]:
    """Turn a scoring-protocol JSON body into ``(data, params)``, typed per ``schema``.

    ``body`` must hold exactly one of ``dataframe_split``, ``dataframe_records`` (→ DataFrame,
    cast to the schema's pandas types), ``inputs`` or ``instances`` (→ numpy arrays typed per
    TensorSpec/ColSpec; a dict becomes a dict of arrays, and ``instances`` rows become columns),
    plus an optional ``params`` object. A chat/completions/embeddings body (see
    :func:`is_unified_llm_input`) is returned as a dict, with the keys named in ``param_schema``
    moved to params. Independent of any web framework: a scoring server maps
    :class:`~flavorkit.errors.InputExampleError` to HTTP 400.
    """
    obj: Any = body  # callers pass decoded JSON, which may not be an object at all
    if not isinstance(obj, Mapping):
        what = "a list" if isinstance(obj, list) else f"unexpected input type {_type_name(obj)!r}"
        raise InputExampleError(f"{_REQUIRED_INPUT_FORMAT}. Received {what}.")
    if is_unified_llm_input(body):
        names = {p.name for p in param_schema} if param_schema is not None else set()
        data = {k: v for k, v in body.items() if k not in names}
        llm_params = {k: v for k, v in body.items() if k in names}
        return data, llm_params or None
    keys = [k for k in body if k in SERVING_INPUT_KEYS]
    if len(keys) != 1:
        raise InputExampleError(
            f"{_REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: "
            f"{list(body.keys())}. {_INPUT_FORMAT_HINT}"
        )
    params = body.get("params")
    if params is not None and not isinstance(params, Mapping):
        raise InputExampleError(
            f"'params' must be a JSON object of name -> value, got {_json_kind(params)}."
        )
    key = keys[0]
    if key.startswith("dataframe_"):
        frame = _frame_from_json(body[key], key[len("dataframe_") :], key)
        parsed: Any = frame if schema is None else _cast_frame(frame, schema)
    else:
        parsed = _parse_tensor_input(key, body[key], schema)
    return parsed, (dict(params) if params is not None else None)


def _frame_from_json(obj: Any, orient: str, where: str) -> pd.DataFrame:
    import pandas as pd

    if orient == "values" and isinstance(obj, list):
        obj = {"data": obj}
    if orient in ("split", "values"):
        if not isinstance(obj, dict):
            raise InputExampleError(
                f"Invalid input. Dataframe split format must be a dictionary. "
                f"Got {_json_kind(obj)} in {where}."
            )
        keys = set(obj)
        if "data" not in keys or keys - {"columns", "data", "index"}:
            raise InputExampleError(
                f"Invalid input. Dataframe split format must have 'data' field and optionally "
                f"'columns' and 'index' fields. Got {sorted(keys)} in {where}."
            )
        try:
            df = pd.DataFrame(data=obj["data"], columns=obj.get("columns"), index=obj.get("index"))
        except Exception as e:
            raise InputExampleError(
                f"Invalid input. {where} is not a valid DataFrame in 'split' format. Error: '{e}'"
            ) from None
    elif orient == "records":
        if not isinstance(obj, list):
            raise InputExampleError(
                f"Invalid input. Dataframe records format must be a list of records. "
                f"Got {_json_kind(obj)} in {where}."
            )
        try:
            df = pd.DataFrame(data=obj)
        except Exception as e:
            raise InputExampleError(
                f"Invalid input. {where} is not a valid DataFrame in 'records' format. Error: '{e}'"
            ) from None
    else:
        raise InputExampleError(
            f"Unknown pandas_orient {orient!r} for a DataFrame example; known: split, values, "
            f"records."
        )
    if df.columns.has_duplicates:
        duplicated = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise InputExampleError(f"Invalid input. {where} has duplicated column names {duplicated}.")
    result: pd.DataFrame = df
    return result


def _cast_frame(df: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Cast columns to the schema's pandas types, as MLflow's scoring server does."""
    specs: list[InputSpec] = list(schema.inputs)
    pairs: list[tuple[Any, InputSpec]]
    if schema.has_input_names():
        pairs = [(s.name, s) for s in specs if s.name in df.columns]
    elif schema.is_tensor_spec() and len(specs) == 1:
        pairs = [(c, specs[0]) for c in df.columns]
    else:
        n = min(len(specs), len(df.columns))
        pairs = list(zip(df.columns[:n], specs[:n], strict=True))
    for column, spec in pairs:
        series = df[column]
        if _already_cast(series, spec):
            continue  # astype + __setitem__ would copy the column for nothing (hot in serving)
        df[column] = _cast_column(series, spec, column)
    return df


def _already_cast(series: pd.Series[Any], spec: InputSpec) -> bool:
    """A numeric/bool/string column already holding the schema's pandas dtype."""
    if not isinstance(spec, ColSpec) or not isinstance(spec.type, DataType):
        return False
    if spec.type in (DataType.binary, DataType.datetime, DataType.string):
        return False  # binary is base64-decoded, datetimes parsed, strings checked per value
    return bool(series.dtype == spec.type.to_pandas())


def _cast_column(series: pd.Series[Any], spec: InputSpec, column: Any) -> Any:
    import pandas as pd

    target: Any = spec.type
    try:
        if isinstance(spec, TensorSpec):
            first = next((v for v in series if v is not None), None)
            if isinstance(first, list):  # multidimensional cells: enforcement reshapes them
                return series
            if spec.type.kind == "S":
                return series.map(_to_bytes)
            if spec.type.kind in "UO":
                return series.astype(object)
            return series.astype(spec.type)
        if not isinstance(spec.type, DataType):
            return series  # Array/Object/Map/Any: checked per value at predict time
        if spec.type is DataType.binary:
            return series.map(_b64decode)
        if spec.type is DataType.datetime:
            target = "datetime64[ns]"
            return pd.to_datetime(series, format="ISO8601").dt.as_unit("ns")
        target = spec.type.to_pandas()
        no_missing = (DataType.boolean, DataType.integer, DataType.long)
        if spec.type in no_missing and bool(series.isna().any()):
            return series  # these dtypes cannot hold missing values: enforcement decides
        return series.astype(target)
    except InputExampleError:
        raise
    except Exception as e:
        raise InputExampleError(
            f"Invalid input. Data is not compatible with model signature. Failed to convert "
            f"column {column!r} to type '{target}'. Error: '{e!r}'"
        ) from None


def _b64decode(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if not isinstance(value, str):
        raise InputExampleError(f"expected base64 text for a binary value, got {value!r}")
    try:
        return base64.decodebytes(value.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError) as e:
        raise InputExampleError(f"{value[:40]!r} is not base64 text ({e})") from None


def _to_bytes(value: Any) -> Any:
    if value is None or isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def _parse_tensor_input(key: str, value: Any, schema: Schema | None) -> Any:
    """``inputs`` / ``instances`` values as numpy arrays, as MLflow's ``parse_tf_serving_input``."""
    if key == "instances" and isinstance(value, list) and value and isinstance(value[0], dict):
        specs = _named_specs(schema)
        columns: dict[str, list[Any]] = {}
        for i, row in enumerate(value):
            if not isinstance(row, dict):
                raise InputExampleError(
                    f"Invalid input. instances[{i}] is {_json_kind(row)}, but instances[0] is a "
                    f"JSON object: give every instance as an object of column -> value."
                )
            for column, v in row.items():
                columns.setdefault(column, []).append(v)
        data = {c: _convert_value(v, specs.get(c), f"column {c!r}") for c, v in columns.items()}
        _check_column_lengths(data, schema)
        return data
    return _cast_inputs(value, schema)


def _named_specs(schema: Schema | None) -> dict[str, InputSpec]:
    if schema is None or not schema.has_input_names():
        return {}
    return {s.name: s for s in schema.inputs if s.name is not None}


def _check_column_lengths(data: dict[str, Any], schema: Schema | None) -> None:
    specs = _named_specs(schema)
    lengths = {}
    for column, values in data.items():
        spec = specs.get(column)
        if schema is not None and schema.has_input_names():
            if spec is None or not spec.required:
                continue
            if isinstance(spec, ColSpec) and not isinstance(spec.type, DataType):
                continue
        if isinstance(values, list) or getattr(values, "ndim", 0) >= 1:
            lengths[column] = len(values)
    if len(set(lengths.values())) > 1:
        raise InputExampleError(
            f"Invalid input. The length of values for each input/column name are not the same: "
            f"{lengths}."
        )


def _cast_inputs(data: Any, schema: Schema | None) -> Any:
    """MLflow's ``_cast_schema_type``: JSON ``inputs`` data → numpy, typed per the schema."""
    specs = _named_specs(schema)
    if schema is not None:
        bare_list = isinstance(data, list) and not any(isinstance(x, dict) for x in data)
        if len(specs) == 1 and bare_list:
            data = {next(iter(specs)): data}  # one named input given as a bare list
        elif not schema.has_input_names() and not (
            isinstance(data, list) or data is None or isinstance(data, (str, int, float))
        ):
            raise InputExampleError(
                f"Invalid input. Failed to parse input data. This model's signature has unnamed "
                f"inputs, which expect a single n-dimensional array or a single value, but an "
                f"input of type {type(data).__name__} was found."
            )
    if isinstance(data, dict):
        return {c: _convert_value(v, specs.get(c), f"input {c!r}") for c, v in data.items()}
    first = schema.inputs[0] if schema is not None else None
    if isinstance(data, list) and all(isinstance(x, dict) for x in data):
        return [
            {c: _convert_value(v, specs.get(c), f"input {c!r}") for c, v in row.items()}
            for row in data
        ]
    return _convert_value(data, first, "the input")


def _convert_value(data: Any, spec: InputSpec | None, where: str) -> Any:
    """MLflow's ``convert_data_type``, keeping missing values and binary data intact."""
    import numpy as np

    try:
        if spec is None:
            return _array_no_spec(data, where)
        if isinstance(spec, TensorSpec):
            return np.array(data, dtype=spec.type)
        t = spec.type
        if not isinstance(t, DataType):
            return data  # Array/Object/Map/Any: checked per value at predict time
        is_list = isinstance(data, list)
        if t is DataType.binary:
            decoded = _map_leaves(data, _b64decode)
            return np.array(decoded, dtype=object) if is_list else decoded
        if t in (DataType.boolean, DataType.integer, DataType.long, DataType.string) and (
            _has_none(data)
        ):
            return np.array(data, dtype=object) if is_list else data
        if is_list:
            return np.array(data, dtype=t.to_numpy())
        return np.array([data], dtype=t.to_numpy())[0]
    except InputExampleError as e:
        raise InputExampleError(f"Invalid input. Failed to convert {where}: {e}") from None
    except (TypeError, ValueError, OverflowError) as e:
        raise InputExampleError(
            f"Invalid input. Failed to convert {where} to {spec!r}. Error: {e!r}"
        ) from None


def _array_no_spec(data: Any, where: str) -> Any:
    import numpy as np

    try:
        arr = np.array(data)
    except ValueError as e:
        raise InputExampleError(
            f"Invalid input. {where} cannot be read as an n-dimensional array ({e}); send "
            f"rectangular data, or give the model a signature."
        ) from None
    if arr.dtype == object and arr.size:
        leaves = arr.ravel().tolist()
        if any(v is None for v in leaves) and all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in leaves
        ):
            return arr.astype(np.float64)  # numbers with nulls: NaN, not an object array
    return arr


def _map_leaves(data: Any, fn: Any) -> Any:
    if isinstance(data, list):
        return [_map_leaves(v, fn) for v in data]
    return fn(data)


def _has_none(data: Any) -> bool:
    if isinstance(data, list):
        return any(_has_none(v) for v in data)
    return data is None


def _sparse_from_json(raw: Any, example_type: str, schema: Schema | None) -> Any:
    try:
        sparse = importlib.import_module("scipy.sparse")
    except ImportError:
        raise InputExampleError(
            "Reading a sparse-matrix input example needs scipy: pip install scipy"
        ) from None
    keys = {"data", "indices", "indptr", "shape"}
    if not isinstance(raw, dict) or not keys <= set(raw):
        raise InputExampleError(
            f"A {example_type} example must be a JSON object with keys {sorted(keys)}; got "
            f"{_json_kind(raw) if not isinstance(raw, dict) else sorted(raw)}."
        )
    spec = schema.inputs[0] if schema is not None and len(schema.inputs) == 1 else None
    import numpy as np

    if isinstance(spec, TensorSpec):
        values = np.array(raw["data"], dtype=spec.type)
    else:
        values = _array_no_spec(raw["data"], "the sparse data")
    cls = sparse.csc_matrix if example_type == "sparse_matrix_csc" else sparse.csr_matrix
    try:
        return cls((values, raw["indices"], raw["indptr"]), shape=tuple(raw["shape"]))
    except (TypeError, ValueError) as e:
        raise InputExampleError(f"Invalid {example_type} example: {e}") from None
