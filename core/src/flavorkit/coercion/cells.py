"""One value against one column type: cells, list items, properties and Object params.

:func:`check_value` applies the column rules of :mod:`flavorkit.coercion.table` to a single value
and recurses through Array, Object and Map types; :func:`plan_cells` runs it over the cells of an
Array/Object/Map column.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from flavorkit.coercion.table import KEEP, ColumnInput, Reject, Values, plan_scalar, type_str
from flavorkit.datatypes import AnyType, Array, ColumnType, DataType, Map, Object, SparkMLVector
from flavorkit.errors import SchemaEnforcementError

if TYPE_CHECKING:
    pass

__all__ = ["PY_NAMES", "a_or_an", "check_value", "describe", "plan_cells"]


def check_value(value: Any, column_type: ColumnType, *, where: str, required: bool = True) -> Any:
    """Check one value (a cell, an item, a property or an Object param) against a column type.

    Returns the value itself when nothing needs converting, else a converted copy; the input is
    never mutated. ``where`` prefixes error messages (``"Column 'tags', row 3"``); a missing value
    (``None``, NaN, ``pd.NA``) passes when ``required`` is false.
    """
    if isinstance(column_type, AnyType):
        return value
    if isinstance(column_type, DataType):
        return _check_scalar_value(value, column_type, where, required)
    if isinstance(column_type, Array):
        return _check_array(value, column_type, where, required)
    if isinstance(column_type, Object):
        return _check_object(value, column_type, where, required)
    if isinstance(column_type, Map):
        return _check_map(value, column_type, where, required)
    if isinstance(column_type, SparkMLVector):
        raise SchemaEnforcementError(
            f"{where} (sparkml_vector): Spark ML vectors can only be checked by Spark; "
            "flavorkit cannot enforce this type on pandas data.",
        )
    raise TypeError(f"check_value() needs a column type, got {column_type!r}")


def plan_cells(col: ColumnInput, t: ColumnType) -> Any:
    """Array/Object/Map/Any columns: every cell checked; replaced only if a cell changed."""
    import numpy as np

    if isinstance(t, AnyType):
        return KEEP
    series = col.values()
    cells = series.tolist()
    out: list[Any] = []
    changed = False
    for i, v in enumerate(cells):
        r = check_value(v, t, where=f"{col.where}, row {i}", required=col.required)
        changed = changed or r is not v
        out.append(r)
    if not changed and isinstance(col.dtype, np.dtype) and col.dtype.kind == "O":
        return KEEP
    return Values(_boxed(out))


def _boxed(items: list[Any]) -> Any:
    import numpy as np

    arr = np.empty(len(items), dtype=object)
    for i, x in enumerate(items):
        arr[i] = x
    return arr


def _is_missing(x: Any) -> bool:
    if x is None:
        return True
    if isinstance(x, float):
        return x != x
    pd = sys.modules.get("pandas")
    return pd is not None and (x is pd.NA or x is pd.NaT)


def _absent(value: Any, required: bool, any_items: bool) -> bool:
    """A missing Array/Object/Map: None if optional or of Any; NaN or pd.NA too if optional."""
    if value is None:
        return not required or any_items
    return not required and _is_missing(value)


def a_or_an(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and len(shape) > 0:
        return f"{type(value).__name__} of shape {shape} and dtype {getattr(value, 'dtype', '?')}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


_FAST_SCALARS: dict[DataType, type] = {
    DataType.double: float,
    DataType.string: str,
    DataType.boolean: bool,
}


def _check_scalar_value(value: Any, t: DataType, where: str, required: bool) -> Any:
    """A scalar cell, item or property: the column rules applied to a one-value column."""
    if not required and _is_missing(value):
        return None
    vt = type(value)
    if _FAST_SCALARS.get(t) is vt or (
        t is DataType.long and vt is int and -(2**63) <= value < 2**63
    ):
        return value
    import numpy as np
    import pandas as pd

    if not np.isscalar(value):
        raise SchemaEnforcementError(
            f"{where} ({t.value}): expected a single {t.value} value, got {describe(value)}.",
            input_name=_head(where),
        )
    series = pd.Series([value])
    col = ColumnInput(None, 0, 0, 0, series.dtype, required)
    col.series = series
    try:
        action = plan_scalar(col, t)
    except Reject as r:
        raise SchemaEnforcementError(
            f"{where} ({t.value}): got {describe(value)}, read as {r.got}{r.why}. "
            f"Pass {a_or_an(PY_NAMES[t])} value.",
            input_name=_head(where),
        ) from None
    if action is KEEP:
        return value
    if isinstance(action, Values):
        return action.values.tolist()[0]
    return series.astype(action).tolist()[0]


PY_NAMES = {
    DataType.boolean: "bool",
    DataType.integer: "int",
    DataType.long: "int",
    DataType.float: "float",
    DataType.double: "float",
    DataType.string: "str",
    DataType.binary: "bytes",
    DataType.datetime: "datetime",
}


def _head(where: str) -> str:
    """The column or param name out of a ``where`` text (for ``input_name``)."""
    for prefix in ("Column ", "Param "):
        if where.startswith(prefix):
            rest = where[len(prefix) :]
            if rest.startswith("'"):
                end = rest.find("'", 1)
                return rest[1:end] if end > 0 else rest
            return rest.split(",")[0].split("[")[0]
    return where


def _is_ndarray(value: Any) -> bool:
    np = sys.modules.get("numpy")  # an ndarray implies numpy is imported: never import it here
    return np is not None and isinstance(value, np.ndarray)


def _check_array(value: Any, t: Array, where: str, required: bool) -> Any:
    items = t.items
    is_list = isinstance(value, list) or _is_ndarray(value)
    if _absent(value, required, isinstance(items, AnyType)) or (
        is_list and len(value) == 0 and (not required or isinstance(items, AnyType))
    ):
        return value
    if not is_list:
        raise SchemaEnforcementError(
            f"{where} ({type_str(t)}): expected a list, got {describe(value)}. "
            "Pass the values as a list.",
            input_name=_head(where),
        )
    if isinstance(items, DataType):
        if len(value) == 0:
            return value
        return _check_scalar_items(value, items, where, required)
    scalar, depth = _innermost(t)
    if scalar is not None and _is_ndarray(value) and value.ndim == depth and value.size:
        # an n-D array for n nested Arrays (a 2-D array cell of Array(Array(long))): checked as
        # one block and handed on as an n-D array of the type's dtype, as MLflow does
        flat_in = value.reshape(-1)
        flat = _check_scalar_items(flat_in, scalar, where, required)
        return value if flat is flat_in else flat.reshape(value.shape)
    out = [
        check_value(x, items, where=f"{where}, item {i}", required=required)
        for i, x in enumerate(value)
    ]
    if all(a is b for a, b in zip(out, value, strict=True)):
        return value
    return _boxed(out) if _is_ndarray(value) else out


def _innermost(t: Array) -> tuple[DataType | None, int]:
    """The scalar type at the bottom of nested Arrays and how many Arrays lead to it."""
    depth, items = 1, t.items
    while isinstance(items, Array):
        depth, items = depth + 1, items.items
    return (items if isinstance(items, DataType) else None), depth


def _check_scalar_items(value: Any, t: DataType, where: str, required: bool) -> Any:
    """The items of an Array(scalar): checked as one column of type ``t``, as MLflow does."""
    if isinstance(value, list):
        fast = _FAST_SCALARS.get(t)
        if fast is not None and all(type(x) is fast for x in value):
            return value
        if t is DataType.long and all(type(x) is int and -(2**63) <= x < 2**63 for x in value):
            return value
    import numpy as np
    import pandas as pd

    try:
        series = pd.Series(value)
    except (ValueError, TypeError) as e:
        raise SchemaEnforcementError(
            f"{where} ({type_str(Array(t))}): the items do not form a list of {t.value}: {e}",
            input_name=_head(where),
        ) from None
    col = ColumnInput(None, 0, 0, 0, series.dtype, required)
    col.series = series
    try:
        action = plan_scalar(col, t)
    except Reject as r:
        raise SchemaEnforcementError(
            f"{where} ({type_str(Array(t))}): got items of type {r.got}{r.why}. "
            f"Pass a list of {PY_NAMES[t]} values.",
            input_name=_head(where),
        ) from None
    converted = series
    if action is not KEEP:
        converted = action.values if isinstance(action, Values) else series.astype(action)
    try:  # MLflow hands the model the items as an array of the type's numpy dtype
        arr = converted.to_numpy(dtype=t.to_numpy())
    except Exception as e:  # nested lists, text that is not ASCII for binary, ...
        raise SchemaEnforcementError(
            f"{where} ({type_str(Array(t))}): the items cannot be read as {t.value} values "
            f"({type(e).__name__}: {e}). Pass a flat list of {PY_NAMES[t]} values.",
            input_name=_head(where),
        ) from None
    if t is DataType.binary and any(isinstance(x, str) for x in value):
        # text items become bytes (ASCII, checked above), as MLflow converts them
        if isinstance(value, np.ndarray):
            return arr
        return [x.encode("ascii") if isinstance(x, str) else x for x in value]
    if action is KEEP:
        return value
    if isinstance(value, np.ndarray):
        return arr if t is not DataType.datetime else converted.to_numpy()
    return converted.tolist()


def _check_object(value: Any, t: Object, where: str, required: bool) -> Any:
    if _absent(value, required, False) or (not required and isinstance(value, dict) and not value):
        return value
    if not isinstance(value, dict):
        raise SchemaEnforcementError(
            f"{where} ({type_str(t)}): expected a dict with properties "
            f"{[p.name for p in t.properties]}, got {describe(value)}.",
            input_name=_head(where),
        )
    props = {p.name: p for p in t.properties}
    missing = sorted(n for n, p in props.items() if p.required and n not in value)
    if missing:
        raise SchemaEnforcementError(
            f"{where} ({type_str(t)}): missing required properties {missing}. "
            f"Add them to the dict.",
            input_name=_head(where),
        )
    invalid = [k for k in value if k not in props]
    if invalid:
        raise SchemaEnforcementError(
            f"{where} ({type_str(t)}): properties {invalid} are not declared in the schema "
            f"(declared: {sorted(props)}). Remove them or add them to the signature.",
            input_name=_head(where),
        )
    out: dict[Any, Any] | None = None
    for k, v in value.items():
        p = props[k]
        r = check_value(v, p.type, where=f"{where}, property {k!r}", required=p.required)
        if r is not v:
            if out is None:
                out = dict(value)
            out[k] = r
    return value if out is None else out


def _check_map(value: Any, t: Map, where: str, required: bool) -> Any:
    if _absent(value, required, isinstance(t.values, AnyType)) or (
        isinstance(value, dict) and not value and (not required or isinstance(t.values, AnyType))
    ):
        return value
    if not isinstance(value, dict):
        raise SchemaEnforcementError(
            f"{where} ({type_str(t)}): expected a dict with str keys, got {describe(value)}.",
            input_name=_head(where),
        )
    bad = [k for k in value if not isinstance(k, str)]
    if bad:
        raise SchemaEnforcementError(
            f"{where} ({type_str(t)}): map keys must be strings, got {describe(bad[0])}. "
            "Convert the keys with str().",
            input_name=_head(where),
        )
    out: dict[str, Any] | None = None
    for k, v in value.items():
        r = check_value(v, t.values, where=f"{where}, key {k!r}", required=required)
        if r is not v:
            if out is None:
                out = dict(value)
            out[k] = r
    return value if out is None else out
