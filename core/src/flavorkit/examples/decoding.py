"""JSON → example data, typed by the model's input schema when one is given.

The inverse of :mod:`flavorkit.examples.encoding`: DataFrame columns cast to the ColSpec pandas
types (datetimes parsed, binary base64-decoded), arrays built with each TensorSpec's dtype, sparse
matrices rebuilt. Array/Object/Map columns stay as parsed JSON for enforcement to check.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flavorkit.errors import InputExampleError
from flavorkit.schema import ColSpec, DataType, Schema, TensorSpec

if TYPE_CHECKING:
    import pandas as pd

    from flavorkit.schema import InputSpec

__all__ = ["cast_frame", "decode_example", "frame_from_json", "json_kind", "parse_tensor_input"]


def decode_example(raw: Any, example_type: str, info: Mapping[str, Any], schema: Any) -> Any:
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
            return parse_tensor_input(key, raw[key], schema)
        return _cast_inputs(raw, schema)
    if example_type == "dataframe":
        orient = info.get("pandas_orient", "split")
        df = frame_from_json(raw, str(orient), "the example")
        return df if schema is None else cast_frame(df, schema)
    return _sparse_from_json(raw, example_type, schema)


def json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON list"
    return f"the {type(value).__name__} {value!r}"[:80]


def frame_from_json(obj: Any, orient: str, where: str) -> pd.DataFrame:
    import pandas as pd

    if orient == "values" and isinstance(obj, list):
        obj = {"data": obj}
    if orient in ("split", "values"):
        if not isinstance(obj, dict):
            raise InputExampleError(
                f"Invalid input. Dataframe split format must be a dictionary. "
                f"Got {json_kind(obj)} in {where}."
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
                f"Got {json_kind(obj)} in {where}."
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


def cast_frame(df: pd.DataFrame, schema: Schema) -> pd.DataFrame:
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


def parse_tensor_input(key: str, value: Any, schema: Schema | None) -> Any:
    """``inputs`` / ``instances`` values as numpy arrays, as MLflow's ``parse_tf_serving_input``."""
    if key == "instances" and isinstance(value, list) and value and isinstance(value[0], dict):
        specs = _named_specs(schema)
        columns: dict[str, list[Any]] = {}
        for i, row in enumerate(value):
            if not isinstance(row, dict):
                raise InputExampleError(
                    f"Invalid input. instances[{i}] is {json_kind(row)}, but instances[0] is a "
                    f"JSON object: give every instance as an object of column -> value."
                )
            for column, v in row.items():
                columns.setdefault(column, []).append(v)
        data = {c: _convert_value(v, specs.get(c), f"column {c!r}") for c, v in columns.items()}
        _check_column_lengths(data, schema)
        return data
    return _cast_inputs(value, schema)


def _named_specs(schema: Schema | None) -> dict[str | int, InputSpec]:
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
    """``np.array(data)``, as MLflow reads data it has no spec for: nulls stay ``None``.

    Numbers with nulls therefore come back as an object array holding ``None`` (not float NaN),
    exactly what MLflow 3.x hands the model for the same example or request.
    """
    import numpy as np

    try:
        return np.array(data)
    except ValueError as e:
        raise InputExampleError(
            f"Invalid input. {where} cannot be read as an n-dimensional array ({e}); send "
            f"rectangular data, or give the model a signature."
        ) from None


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
            f"{json_kind(raw) if not isinstance(raw, dict) else sorted(raw)}."
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
