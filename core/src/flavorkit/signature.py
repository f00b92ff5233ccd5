"""Model signatures and their inference from example data.

A :class:`ModelSignature` is the ``signature`` block of an MLmodel file: input and output
:class:`~flavorkit.schema.Schema` plus the :class:`~flavorkit.schema.ParamSchema`, each stored as a
JSON string, exactly as MLflow stores them.

Inference follows MLflow's dtype mapping (bool → boolean, int8/16/32 and uint8/16 → integer,
int64 and uint32 → long, float16/32 → float, float64 → double, str → string, bytes → binary,
datetime64 → datetime), and is right where MLflow is known to be wrong:

* pandas nullable dtypes infer the matching type: ``Int64`` → long, ``boolean`` → boolean,
  ``string`` → string, ``Float64`` → double (MLflow #25593);
* a column with missing values is ``required: false`` whatever its dtype (MLflow #15031);
* a list of records whose numbers mix ints and floats widens to ``double`` instead of failing.
"""

from __future__ import annotations

import datetime as _dt
import decimal
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flavorkit.errors import SchemaError
from flavorkit.schema import (
    AnyType,
    Array,
    ColSpec,
    ColumnType,
    DataType,
    Map,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    TensorSpec,
)

__all__ = [
    "ModelSignature",
    "infer_param_schema",
    "infer_schema",
    "infer_signature",
    "infer_signature_from_prediction",
]


@dataclass(frozen=True)
class ModelSignature:
    """What a model accepts (``inputs``, ``params``) and returns (``outputs``)."""

    inputs: Schema | None = None
    outputs: Schema | None = None
    params: ParamSchema | None = None

    def to_dict(self) -> dict[str, str | None]:
        """The MLmodel form: each part as a JSON string, or ``None``."""
        return {
            "inputs": self.inputs.to_json() if self.inputs is not None else None,
            "outputs": self.outputs.to_json() if self.outputs is not None else None,
            "params": self.params.to_json() if self.params else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelSignature:
        """Parse the MLmodel form; raises SchemaError naming the part that is wrong."""
        parts: dict[str, Any] = {}
        for key in ("inputs", "outputs", "params"):
            text = d.get(key)
            if text is None:
                parts[key] = None
                continue
            try:
                parts[key] = (ParamSchema if key == "params" else Schema).from_json(text)
            except SchemaError as e:
                raise SchemaError(f"signature.{key}: {e}") from None
        return cls(**parts)


def infer_signature(
    model_input: Any = None,
    model_output: Any = None,
    params: Mapping[str, Any] | None = None,
) -> ModelSignature:
    """Infer a signature from example input, output and params (any of them may be omitted)."""
    return ModelSignature(
        inputs=infer_schema(model_input) if model_input is not None else None,
        outputs=infer_schema(model_output) if model_output is not None else None,
        params=infer_param_schema(params) if params else None,
    )


def infer_signature_from_prediction(
    model_input: Any, prediction: Any, params: Mapping[str, Any] | None = None
) -> ModelSignature:
    """The signature a flavor records at save time, from its input example and prediction.

    As MLflow does, a 1-D array predicted for column-based input is one prediction per row, so it
    becomes a single unnamed column rather than a tensor.
    """
    inputs = infer_schema(model_input)
    if not inputs.is_tensor_spec() and _is_1d_array(prediction):
        import pandas as pd

        prediction = pd.Series(prediction)
    return ModelSignature(inputs, infer_schema(prediction), infer_param_schema(params) or None)


def _is_1d_array(x: Any) -> bool:
    ndim = getattr(x, "ndim", None)
    return ndim == 1 and type(x).__name__ in ("ndarray", "Series")


def infer_schema(data: Any) -> Schema:
    """Infer a :class:`Schema` from a DataFrame, Series, ndarray, sparse matrix, dict or list.

    Raises :class:`SchemaError` naming the column and the type that cannot be represented.
    """
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return _infer_dataframe(data)
    if isinstance(data, pd.Series):
        name = None if data.name is None else str(data.name)
        return Schema([_infer_column(data, name)])
    if isinstance(data, np.ndarray):
        return Schema([_tensor_spec(data, None)])
    if _is_sparse(data):
        return Schema([_tensor_spec(data, None)])
    if isinstance(data, dict):
        if not data:
            raise SchemaError("Cannot infer a schema from an empty dict.")
        for key in data:
            if not isinstance(key, str):
                raise SchemaError(f"Dict keys must be strings to name inputs, got {key!r}.")
        if all(isinstance(v, np.ndarray) for v in data.values()):
            return Schema([_tensor_spec(v, k) for k, v in data.items()])
        return Schema(
            [ColSpec(_infer_value(v, repr(k)), k, required=v is not None) for k, v in data.items()]
        )
    if isinstance(data, (list, tuple)):
        if not data:
            return Schema([ColSpec(DataType.string)])
        if all(isinstance(row, dict) for row in data):
            return _infer_records(data)
        types = [_infer_value(v, "list element") for v in data]
        return Schema([ColSpec(_merge_all(types, "list element"))])
    return Schema([ColSpec(_infer_value(data, "input"))])


def infer_param_schema(params: Mapping[str, Any] | None) -> ParamSchema:
    """Infer a :class:`ParamSchema` whose defaults are the given values."""
    if not params:
        return ParamSchema([])
    specs = []
    for name, value in params.items():
        where = f"param '{name}'"
        shape: tuple[int, ...] | None = None
        if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
            values = list(value)
            if any(isinstance(v, (list, tuple, dict)) for v in values):
                raise SchemaError(
                    f"{where}: only scalars or 1-D lists are supported, got {value!r}."
                )
            if not values:
                raise SchemaError(f"{where}: cannot infer a type from an empty list.")
            t = _merge_all([_infer_value(v, where) for v in values], where)
            shape, value = (-1,), values
        else:
            t = _infer_value(value, where)
        if not isinstance(t, (DataType, Object)) or t is DataType.binary:
            raise SchemaError(f"{where}: {type(value).__name__} values cannot be params.")
        specs.append(ParamSpec(name, t, value, shape))
    return ParamSchema(specs)


# -- containers ---------------------------------------------------------------------------------


def _infer_dataframe(df: Any) -> Schema:
    import pandas as pd

    if df.columns.has_duplicates:
        dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise SchemaError(f"Cannot infer a schema: duplicated column names {dup}.")
    positional = isinstance(df.columns, pd.RangeIndex) and (df.columns.start, df.columns.step) == (
        0,
        1,
    )
    specs = []
    for i, col in enumerate(df.columns):
        spec = _infer_column(df.iloc[:, i], None if positional else str(col))
        specs.append(spec)
    if positional and any(not s.required for s in specs):
        # MLflow forbids optional unnamed columns; a positional frame with gaps stays required.
        specs = [ColSpec(s.type, None, True) for s in specs]
    return Schema(specs)


def _infer_records(rows: Any) -> Schema:
    order: dict[str, None] = {}
    for row in rows:
        for key in row:
            if not isinstance(key, str):
                raise SchemaError(f"Record keys must be strings to name columns, got {key!r}.")
            order.setdefault(key)
    specs = []
    for key in order:
        present = [row[key] for row in rows if key in row and row[key] is not None]
        required = len(present) == len(rows)
        types = [_infer_value(v, f"column '{key}'") for v in present]
        t = _merge_all(types, f"column '{key}'") if types else AnyType()
        specs.append(ColSpec(t, key, required))
    return Schema(specs)


def _is_sparse(x: Any) -> bool:
    module = type(x).__module__
    return module.startswith("scipy.sparse") and type(x).__name__ in (
        "csr_matrix",
        "csc_matrix",
        "csr_array",
        "csc_array",
    )


def _tensor_spec(arr: Any, name: str | None) -> TensorSpec:
    import numpy as np

    dtype = arr.dtype
    if dtype.kind in "US":
        dtype = np.dtype(dtype.type)  # drop the size: <U5 -> str
    shape = (-1, *arr.shape[1:]) if arr.ndim else ()
    if dtype.kind == "u" and dtype.itemsize == 8:
        where = "tensor" if name is None else f"tensor '{name}'"
        raise SchemaError(f"{where}: uint64 has no signature type; cast it to int64 or float64.")
    return TensorSpec(dtype, shape, name)


# -- columns ------------------------------------------------------------------------------------

_NUMPY_KINDS = {
    ("b", 1): DataType.boolean,
    ("i", 1): DataType.integer,
    ("i", 2): DataType.integer,
    ("i", 4): DataType.integer,
    ("i", 8): DataType.long,
    ("u", 1): DataType.integer,
    ("u", 2): DataType.integer,
    ("u", 4): DataType.long,
    ("f", 2): DataType.float,
    ("f", 4): DataType.float,
    ("f", 8): DataType.double,
}


def _infer_column(series: Any, name: str | None) -> ColSpec:
    """One column: its type from the dtype (or the values, for object columns), optional if gaps."""
    where = "column" if name is None else f"column '{name}'"
    dtype = series.dtype
    has_missing = bool(series.isna().any())
    t: ColumnType | None = _dtype_to_type(dtype, where)
    if t is None:
        values = series.dropna() if has_missing else series
        t = _infer_object_values(values, where)
    return ColSpec(t, name, required=not has_missing)


def _dtype_to_type(dtype: Any, where: str) -> DataType | None:
    """Map a numpy or pandas dtype; ``None`` means 'inspect the values' (object columns)."""
    import numpy as np
    import pandas as pd

    if isinstance(dtype, pd.StringDtype):
        return DataType.string
    # Rejected as enforcement (and MLflow) would reject them, so a model accepts its own example.
    if isinstance(dtype, pd.DatetimeTZDtype):
        raise SchemaError(
            f"{where}: timezone-aware datetimes have no signature type; convert to naive UTC "
            "with .dt.tz_convert(None)."
        )
    if isinstance(dtype, pd.CategoricalDtype):
        raise SchemaError(
            f"{where}: categorical columns have no signature type; convert with "
            ".astype(<the categories' dtype>) before saving and predicting."
        )
    # pandas nullable extension dtypes (Int64, boolean, Float64, ...) expose numpy_dtype
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and numpy_dtype is not None:
        dtype = numpy_dtype
    if not isinstance(dtype, np.dtype):
        raise SchemaError(f"{where}: dtype {dtype} has no signature type.")
    kind = dtype.kind
    if kind == "O":
        return None
    if kind == "U":
        return DataType.string
    if kind == "S":
        return DataType.binary
    if kind == "M":
        return DataType.datetime
    t = _NUMPY_KINDS.get((kind, dtype.itemsize))
    if t is None:
        hint = " cast it to int64 or float64" if kind == "u" else " convert it to a supported type"
        raise SchemaError(f"{where}: dtype {dtype} has no signature type;{hint}.")
    return t


_INFERRED_KINDS = {
    "string": DataType.string,
    "bytes": DataType.binary,
    "boolean": DataType.boolean,
    "integer": DataType.long,
    "floating": DataType.double,
    "mixed-integer-float": DataType.double,
    "decimal": DataType.double,
    "datetime64": DataType.datetime,
    "datetime": DataType.datetime,
    "date": DataType.datetime,
}


def _infer_object_values(values: Any, where: str) -> ColumnType:
    """Type of an object column, from its values (vectorised by pandas where it can be)."""
    import pandas as pd

    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "empty":
        return AnyType()
    if kind in _INFERRED_KINDS:
        return _INFERRED_KINDS[kind]
    types = [_infer_value(v, where) for v in values]
    return _merge_all(types, where)


def _infer_value(value: Any, where: str) -> ColumnType:
    """The type of one Python or numpy value (lists become Array, dicts Object)."""
    import numpy as np

    if value is None:
        return AnyType()
    if isinstance(value, bool):
        return DataType.boolean
    if isinstance(value, int):
        return DataType.long
    if isinstance(value, float):
        return DataType.double
    if isinstance(value, str):
        return DataType.string
    if isinstance(value, (bytes, bytearray)):
        return DataType.binary
    if isinstance(value, (_dt.date, np.datetime64)):
        return DataType.datetime
    if isinstance(value, decimal.Decimal):
        return DataType.double
    if isinstance(value, np.generic):
        t = _dtype_to_type(value.dtype, where)
        if t is None:
            raise SchemaError(f"{where}: numpy object scalar {value!r} has no signature type.")
        return t
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _infer_value(value.item(), where)
        return Array(_merge_all([_infer_value(v, where) for v in value], where, empty_ok=True))
    if isinstance(value, (list, tuple)):
        return Array(_merge_all([_infer_value(v, where) for v in value], where, empty_ok=True))
    if isinstance(value, dict):
        if not value:
            raise SchemaError(f"{where}: cannot infer an Object type from an empty dict.")
        props = []
        for k, v in value.items():
            if not isinstance(k, str):
                raise SchemaError(f"{where}: object keys must be strings, got {k!r}.")
            props.append(Property(k, _infer_value(v, f"{where}.{k}"), required=v is not None))
        return Object(props)
    raise SchemaError(
        f"{where}: cannot infer a signature type from a value of type {type(value).__name__}."
    )


def _merge_all(types: list[ColumnType], where: str, empty_ok: bool = False) -> ColumnType:
    if not types:
        if empty_ok:
            return AnyType()
        raise SchemaError(f"{where}: cannot infer a type from no values.")
    result = types[0]
    for t in types[1:]:
        result = _merge(result, t, where)
    return result


_WIDEN = {
    frozenset({DataType.long, DataType.double}): DataType.double,
    frozenset({DataType.integer, DataType.long}): DataType.long,
    frozenset({DataType.float, DataType.double}): DataType.double,
}


def _merge(a: ColumnType, b: ColumnType, where: str) -> ColumnType:
    """The type that describes values of type ``a`` and of type ``b`` (MLflow's merge rules)."""
    if a == b:
        return a
    if isinstance(a, AnyType):
        return _optional(b)
    if isinstance(b, AnyType):
        return _optional(a)
    if isinstance(a, DataType) and isinstance(b, DataType):
        widened = _WIDEN.get(frozenset({a, b}))
        if widened is not None:
            return widened
    elif isinstance(a, Array) and isinstance(b, Array):
        return Array(_merge(a.items, b.items, where))
    elif isinstance(a, Map) and isinstance(b, Map):
        return Map(_merge(a.values, b.values, where))
    elif isinstance(a, Object) and isinstance(b, Object):
        pa = {p.name: p for p in a.properties}
        pb = {p.name: p for p in b.properties}
        props = []
        for name in {**pa, **pb}:
            if name in pa and name in pb:
                t = _merge(pa[name].type, pb[name].type, f"{where}.{name}")
                props.append(Property(name, t, pa[name].required and pb[name].required))
            else:
                p = pa.get(name) or pb[name]
                props.append(Property(name, p.type, required=False))
        return Object(props)
    raise SchemaError(f"{where}: values have incompatible types {a!r} and {b!r}.")


def _optional(t: ColumnType) -> ColumnType:
    """Merging with Any (a None value) makes an Object's properties optional, as in MLflow."""
    if isinstance(t, Object):
        return Object([Property(p.name, p.type, False) for p in t.properties])
    return t
