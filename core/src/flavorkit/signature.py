"""Model signatures and their inference from example data.

A :class:`ModelSignature` is the ``signature`` block of an MLmodel file: input and output
:class:`~flavorkit.schema.Schema` plus the :class:`~flavorkit.schema.ParamSchema`, each stored as a
JSON string, exactly as MLflow stores them.

Inference follows MLflow 3.x, and ``core/tests/test_mlflow_parity.py`` records MLflow 3.17.2's
answer for each rule: the dtype mapping (bool → boolean, int8/16/32 and uint8/16 → integer,
int64 and uint32 → long, float16/32 → float, float64 → double, str → string, bytes → binary,
datetime64 → datetime); a value that says nothing about its type (``None``, NaN, ``pd.NA``,
``NaT``, ``{}``, ``[]``) is Any, so an example such as a chat message with
``"additional_kwargs": {}`` still gives a signature; an Any property is optional, and so is a
dict input's value that is missing or a list holding a missing value; integer column labels
(a positional frame's ``0..n-1`` too) are integer names; every numpy dtype, uint64 included, is a
tensor type (uint64 columns have none); params are scalars, 1-D lists or ndarrays, datetimes or
dicts, and anything predict could not take (a tuple, ``None``, bytes, a 2-D list) fails at
inference. It differs where MLflow is known to be wrong:

* pandas nullable dtypes infer the matching type: ``Int64`` → long, ``boolean`` → boolean,
  ``string`` → string, ``Float64`` → double (MLflow #25593);
* a column with missing values is ``required: false`` whatever its dtype (MLflow #15031);
* a list of records whose numbers mix ints and floats widens to ``double`` instead of failing;
* data with no signature type raises :class:`~flavorkit.errors.SchemaError` naming the column,
  where MLflow's ``infer_signature`` logs a warning and records ``Any`` (which then checks
  nothing); an empty list as a param is refused rather than typed ``datetime``.
"""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Mapping
from dataclasses import fields as dataclass_fields
from dataclasses import is_dataclass
from typing import Any

from flavorkit.errors import SchemaEnforcementError, SchemaError
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
    "schema_from_dataclass",
]


class ModelSignature:
    """What a model accepts (``inputs``, ``params``) and returns (``outputs``).

    As in MLflow, at least one part must be given, ``inputs`` and ``outputs`` may also be a
    dataclass (converted with :func:`schema_from_dataclass`), and the parts can be replaced after
    creation (``signature.params = ParamSchema([...])``); every assignment is checked, so a
    signature never holds something that would fail later or that MLflow could not read.
    """

    __slots__ = ("_inputs", "_outputs", "_params")
    __hash__ = None  # type: ignore[assignment]  # mutable, as MLflow's

    def __init__(
        self,
        inputs: Schema | Any | None = None,
        outputs: Schema | Any | None = None,
        params: ParamSchema | None = None,
    ):
        self._inputs = _schema_part(inputs, "inputs")
        self._outputs = _schema_part(outputs, "outputs")
        self._params = _params_part(params)
        if self._inputs is None and self._outputs is None and not self._params:
            raise SchemaError(
                "A signature needs at least one of inputs, outputs or params (MLflow cannot load "
                "one without); pass a Schema or ParamSchema, or save the model without a signature."
            )

    @property
    def inputs(self) -> Schema | None:
        """The input :class:`~flavorkit.schema.Schema`, or ``None``."""
        return self._inputs

    @inputs.setter
    def inputs(self, value: Schema | Any | None) -> None:
        self._inputs = _schema_part(value, "inputs")

    @property
    def outputs(self) -> Schema | None:
        """The output :class:`~flavorkit.schema.Schema`, or ``None``."""
        return self._outputs

    @outputs.setter
    def outputs(self, value: Schema | Any | None) -> None:
        self._outputs = _schema_part(value, "outputs")

    @property
    def params(self) -> ParamSchema | None:
        """The :class:`~flavorkit.schema.ParamSchema` of inference params, or ``None``."""
        return self._params

    @params.setter
    def params(self, value: ParamSchema | None) -> None:
        self._params = _params_part(value)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ModelSignature)
            and self.inputs == other.inputs
            and self.outputs == other.outputs
            and (self.params or None) == (other.params or None)
        )

    def __repr__(self) -> str:
        return (
            f"ModelSignature(inputs={self.inputs!r}, outputs={self.outputs!r}, "
            f"params={self.params!r})"
        )

    def to_dict(self) -> dict[str, str | None]:
        """The MLmodel form: each part as a JSON string, or ``None``.

        Raises SchemaError when every part is empty (after parts were set to ``None``): MLflow
        refuses to load such a signature, so it is never written.
        """
        if self.inputs is None and self.outputs is None and not self.params:
            raise SchemaError(
                "This signature has no inputs, outputs or params left, and MLflow cannot load "
                "such a signature; set one of them, or set the model's signature to None."
            )
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


def _schema_part(value: Any, part: str) -> Schema | None:
    if value is None or isinstance(value, Schema):
        return value
    if is_dataclass(value):
        return schema_from_dataclass(value)
    raise SchemaError(
        f"Signature {part} must be a Schema, a dataclass or None, got {type(value).__name__} "
        f"{value!r:.60}."
    )


def _params_part(value: Any) -> ParamSchema | None:
    if value is None or isinstance(value, ParamSchema):
        return value
    raise SchemaError(
        f"Signature params must be a ParamSchema or None, got {type(value).__name__} {value!r:.60}."
    )


# -- dataclasses --------------------------------------------------------------------------------

_FIELD_TYPES: dict[Any, DataType] = {
    bool: DataType.boolean,
    int: DataType.long,
    float: DataType.float,  # MLflow maps float fields to float (float32), not double
    str: DataType.string,
    bytes: DataType.binary,
    _dt.date: DataType.datetime,
    _dt.datetime: DataType.datetime,
}


def schema_from_dataclass(cls: Any) -> Schema:
    """A column schema with one column per field of a dataclass (a class or an instance).

    The mapping is MLflow 3's: ``bool`` → boolean, ``int`` → long, ``float`` → float, ``str`` →
    string, ``bytes`` → binary, ``date``/``datetime`` → datetime, ``list[T]`` → Array, a nested
    dataclass → Object; ``Optional[T]`` makes the column (or property) optional. Other unions and
    types raise SchemaError naming the field.
    """
    if not is_dataclass(cls):
        raise SchemaError(f"{cls!r} is not a dataclass.")
    owner = cls if isinstance(cls, type) else type(cls)
    return Schema(
        [
            ColSpec(t, name, required)
            for name, t, required in _dataclass_fields(owner, owner.__name__)
        ]
    )


def _dataclass_fields(owner: type, where: str) -> list[tuple[str, ColumnType, bool]]:
    import typing

    try:
        hints = typing.get_type_hints(owner)
    except Exception as e:  # an annotation that names something undefined
        raise SchemaError(f"dataclass {where}: cannot resolve its type hints ({e}).") from None
    names = [f.name for f in dataclass_fields(owner)]
    return [(name, *_field_type(hints[name], f"{where}.{name}")) for name in names]


def _field_type(hint: Any, where: str) -> tuple[ColumnType, bool]:
    import types
    import typing

    required = True
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if len(args) != 2 or type(None) not in args:
            raise SchemaError(
                f"dataclass field {where}: only Optional[...] unions are supported, got {hint!r}."
            )
        hint = next(a for a in args if a is not type(None))
        required = False
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint) or (None,)
        if item is None:
            raise SchemaError(f"dataclass field {where}: give the item type, as in list[str].")
        item_type, _ = _field_type(item, f"{where}[]")
        return Array(item_type), required
    if isinstance(hint, type) and is_dataclass(hint):
        props = [Property(n, t, r) for n, t, r in _dataclass_fields(hint, where)]
        return Object(props), required
    t = _FIELD_TYPES.get(hint)
    if t is None:
        raise SchemaError(
            f"dataclass field {where}: type {hint!r} has no signature type; use bool, int, "
            "float, str, bytes, date, datetime, list[...], a dataclass or Optional[...]."
        )
    return t, required


def infer_signature(
    model_input: Any = None,
    model_output: Any = None,
    params: Mapping[str, Any] | None = None,
) -> ModelSignature:
    """Infer a signature from example input, output and params (at least one of them).

    A dataclass (class or instance) as input or output is converted with
    :func:`schema_from_dataclass`, as MLflow 3 does.
    """
    if model_input is None and model_output is None and not params:
        raise SchemaError(
            "infer_signature needs at least one of model_input, model_output or params: a "
            "signature with none of them cannot be saved (MLflow refuses to load it)."
        )
    return ModelSignature(
        inputs=_infer_part(model_input),
        outputs=_infer_part(model_output),
        params=infer_param_schema(params) if params else None,
    )


def _infer_part(data: Any) -> Schema | None:
    if data is None:
        return None
    if is_dataclass(data):
        return schema_from_dataclass(data)
    return infer_schema(data)


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
        name = None if data.name is None else _column_name(data.name)
        spec = _infer_column(data, name)
        if name is None and not spec.required:  # unnamed inputs cannot be optional
            spec = ColSpec(spec.type, None, True)
        return Schema([spec])
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
            [ColSpec(_infer_value(v, repr(k)), k, required=_no_missing(v)) for k, v in data.items()]
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
    """Infer a :class:`ParamSchema` whose defaults are the given values.

    Scalars, 1-D lists and 1-D ndarrays, datetimes and dicts (Object) are accepted, as in MLflow;
    tuples, ``None``, bytes and nested lists raise SchemaError at inference, because the param
    could never be passed at predict time. Every inferred spec is checked to accept the value
    it was inferred from.
    """
    if params is None:
        return ParamSchema([])
    if not isinstance(params, Mapping):
        raise SchemaError(
            f"Params must be a dict of name -> value, got {type(params).__name__} {params!r:.60}."
        )
    specs = []
    for name, value in params.items():
        where = f"param '{name}'"
        shape: tuple[int, ...] | None = None
        default = value
        if isinstance(value, tuple):
            raise SchemaError(
                f"{where}: a tuple cannot be a param value; pass a list for a 1-D param, as "
                f"predict(params=...) takes lists, got {value!r}."
            )
        if isinstance(value, list) or type(value).__name__ == "ndarray":
            values = list(value) if getattr(value, "ndim", 1) else [value]
            if getattr(value, "ndim", 1) != 1 or any(
                isinstance(v, (list, tuple, dict)) or type(v).__name__ == "ndarray" for v in values
            ):
                raise SchemaError(
                    f"{where}: only scalars or 1-D lists are supported, got {value!r}."
                )
            if not values:
                raise SchemaError(f"{where}: cannot infer a type from an empty list.")
            t = _merge_all([_infer_value(v, where) for v in values], where)
            shape, default = (-1,), values
        else:
            t = _infer_value(value, where)
        if not isinstance(t, (DataType, Object)) or t is DataType.binary:
            raise SchemaError(f"{where}: {type(value).__name__} values cannot be params.")
        spec = ParamSpec(name, t, default, shape)
        try:  # the schema must accept the very value it was inferred from
            spec.validate(value)
        except SchemaEnforcementError as e:
            raise SchemaError(
                f"{where}: the inferred type does not accept the value ({e})."
            ) from None
        specs.append(spec)
    return ParamSchema(specs)


# -- containers ---------------------------------------------------------------------------------


def _infer_dataframe(df: Any) -> Schema:

    if df.columns.has_duplicates:
        dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise SchemaError(f"Cannot infer a schema: duplicated column names {dup}.")
    specs = []
    for i, col in enumerate(df.columns):
        specs.append(_infer_column(df.iloc[:, i], _column_name(col)))
    return Schema(specs)


def _column_name(label: Any) -> str | int:
    """A frame label as a signature name: integer labels stay integers (``0``), as in MLflow."""
    if isinstance(label, bool) or not isinstance(label, (int, str)):
        import numpy as np

        if isinstance(label, np.integer):
            return int(label)
        return str(label)
    return label


def _infer_records(rows: Any) -> Schema:
    order: dict[str | int, None] = {}
    for row in rows:
        for key in row:
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise SchemaError(
                    f"Record keys must be strings or integers to name columns, got {key!r}."
                )
            order.setdefault(key)
    specs = []
    for key in order:
        present = [row[key] for row in rows if key in row and row[key] is not None]
        required = len(present) == len(rows)
        types = [_infer_value(v, f"column {key!r}") for v in present]
        t = _merge_all(types, f"column {key!r}") if types else AnyType()
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
    return TensorSpec(dtype, shape, name)  # any numpy dtype, uint64 included, as in MLflow


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


def _infer_column(series: Any, name: str | int | None) -> ColSpec:
    """One column: its type from the dtype (or the values, for object columns), optional if gaps."""
    where = "column" if name is None else f"column {name!r}"
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


def _is_decimal(value: Any) -> bool:
    """``isinstance(value, decimal.Decimal)`` without importing decimal: no Decimal exists
    in a process that never imported it."""
    decimal = sys.modules.get("decimal")
    return decimal is not None and isinstance(value, decimal.Decimal)


def _infer_value(value: Any, where: str) -> ColumnType:
    """The type of one Python or numpy value (lists become Array, dicts Object)."""
    import numpy as np

    if _is_missing(value):
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
    if _is_decimal(value):
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
        if not value:  # nothing to type it by: Any, as MLflow (an empty ndarray stays Array)
            return AnyType()
        return Array(_merge_all([_infer_value(v, where) for v in value], where))
    if isinstance(value, dict):
        if not value:
            return AnyType()  # as MLflow: e.g. a chat message's "additional_kwargs": {}
        props = []
        for k, v in value.items():
            if not isinstance(k, str):
                raise SchemaError(f"{where}: object keys must be strings, got {k!r}.")
            prop_type = _infer_value(v, f"{where}.{k}")
            props.append(Property(k, prop_type, required=not isinstance(prop_type, AnyType)))
        return Object(props)
    raise SchemaError(
        f"{where}: cannot infer a signature type from a value of type {type(value).__name__}."
    )


def _is_missing(value: Any) -> bool:
    """None, NaN, ``pd.NA`` or ``pd.NaT``: a value that says nothing about the type (→ Any)."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value  # NaN
    pd = sys.modules.get("pandas")
    return pd is not None and (value is pd.NA or value is pd.NaT)


def _no_missing(value: Any) -> bool:
    """MLflow's requiredness of a dict input's value: absent if it, or an item of it, is missing."""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "Series":
        return not any(_is_missing(v) for v in value)
    return not _is_missing(value)


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
