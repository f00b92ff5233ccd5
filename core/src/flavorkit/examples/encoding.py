"""Example data → JSON, the way MLflow's encoder writes it (the forms in :mod:`flavorkit.examples`).

:func:`convert_example` classifies an example (DataFrame, ndarray, dict of arrays, sparse, JSON
value, ``(data, params)``) and encodes it; :func:`predictions_to_json` encodes model output for a
scoring response. numpy, pandas and scipy are only looked at when the caller already imported them.
"""

from __future__ import annotations

import base64
import datetime as _dt
import math
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flavorkit.errors import InputExampleError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


__all__ = [
    "LLM_INPUT_KEYS",
    "Converted",
    "convert_example",
    "is_unified_llm_input",
    "params_to_json",
    "predictions_to_json",
    "split_params",
    "type_name",
]


LLM_INPUT_KEYS = ("messages", "prompt", "input")


_SUPPORTED = (
    "a pandas DataFrame or Series, a numpy ndarray, a dict of str -> ndarray, a scipy "
    "csr/csc matrix, a JSON-like dict or list, a scalar (str, bytes, int, float, bool), a "
    "date/datetime, or a (data, params) tuple of one of these and a dict"
)


_FINE_DATETIME_UNITS = ("ns", "ps", "fs", "as")


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
class Converted:
    type: str
    stored: Any  # the JSON value of input_example.json, without params
    serving: dict[str, Any]  # the serving body, without params
    orient: str | None = None
    llm: bool = False


def split_params(example: Any) -> tuple[Any, Mapping[str, Any] | None]:
    if isinstance(example, tuple):
        if len(example) == 2 and isinstance(example[1], Mapping):
            return example[0], example[1]
        raise InputExampleError(
            f"A tuple input example must be (data, params) with params a dict of inference "
            f"parameters; got a tuple of {len(example)} items. Pass a sequence of values as a "
            f"list."
        )
    return example, None


def convert_example(example: Any) -> Converted:
    if example is None:
        raise InputExampleError(f"The input example is None; give {_SUPPORTED}.")
    if _isinstance_of(example, "pydantic", "BaseModel"):
        example = example.model_dump()
    if isinstance(example, Mapping):
        return _convert_mapping(example)
    if _isinstance_of(example, "numpy", "ndarray"):
        data = _ndarray_to_json(example, "example")
        return Converted("ndarray", data, {"inputs": data})
    if isinstance(example, list):
        if _contains_ndarray(example):
            raise InputExampleError(
                "The input example is a list holding numpy arrays; stack them into one ndarray "
                "(np.stack) or pass a dict of named arrays."
            )
        data = _to_json(example, "example")
        return Converted("json_object", data, {"inputs": data})
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
        return Converted(f"sparse_matrix_{fmt}", stored, {"inputs": dense})
    if _isinstance_of(example, "pandas", "Series"):
        example = example.to_frame()
    if _isinstance_of(example, "pandas", "DataFrame"):
        split, orient = _frame_to_json(example)
        return Converted("dataframe", split, {"dataframe_split": split}, orient)
    if _is_scalar(example):
        data = _to_json(example, "example")
        return Converted("json_object", data, {"inputs": data})
    raise InputExampleError(
        f"Cannot save an input example of type {type_name(example)}; give {_SUPPORTED}."
    )


def _convert_mapping(example: Mapping[Any, Any]) -> Converted:
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
        return Converted("ndarray", arrays, {"inputs": arrays})
    data = _to_json(example, "example")
    if is_unified_llm_input(data):
        return Converted("json_object", data, data, llm=True)
    return Converted("json_object", data, {"inputs": data})


def params_to_json(params: Any) -> dict[str, Any]:
    if not isinstance(params, Mapping):
        raise InputExampleError(f"Params must be a dict of name -> value, got {type_name(params)}.")
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
        f"{where}: a value of type {type_name(obj)} cannot be written as JSON; use str, int, "
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
        f"{where}: dict key {key!r} of type {type_name(key)} cannot be a JSON key; use strings."
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


def type_name(value: Any) -> str:
    cls = type(value)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"
