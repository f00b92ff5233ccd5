"""One inference param value against its :class:`~flavorkit.schema.ParamSpec`.

:func:`enforce_param_value` converts a value to the param's type and shape (MLflow's rules,
listed under **Params** in :mod:`flavorkit.enforce`). It needs only the column types, so
:class:`~flavorkit.schema.ParamSpec` validates its default with it without depending on the
enforcement of whole inputs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flavorkit.coercion.cells import PY_NAMES, a_or_an, check_value, describe
from flavorkit.coercion.table import type_str
from flavorkit.datatypes import DataType, Object
from flavorkit.errors import SchemaEnforcementError

if TYPE_CHECKING:
    from flavorkit.schema import ParamSpec

__all__ = ["enforce_param_value"]


def enforce_param_value(spec: ParamSpec, value: Any) -> Any:
    """Return ``value`` converted to ``spec``'s type and shape (used for defaults too).

    Scalars come back as Python builtins; a ``(-1,)`` param as a list. numpy is imported only for
    datetime params and for values that already are numpy objects.
    """
    t = spec.type
    where = f"Param '{spec.name}'"
    if spec.shape is not None:  # (-1,): a 1-D list
        if not _is_1d_list(value):
            raise _param_error(
                spec,
                value,
                f"a 1-D list of {type_str(t)} (shape (-1,))",
                f"Pass a list such as [{_EXAMPLES.get(t, '...')}].",
            )
        if isinstance(t, Object):  # as in MLflow, only None items pass
            if any(v is not None for v in value):
                raise _param_error(
                    spec, value, "a list of None", "Lists of objects are not supported as params."
                )
            return [None for _ in value]
        return [_param_scalar(spec, v, t) for v in value]
    if isinstance(t, Object):
        check_value(value, t, where=where)
        return value
    return _param_scalar(spec, value, t)


_EXAMPLES: dict[Any, str] = {
    DataType.boolean: "True",
    DataType.integer: "1",
    DataType.long: "1",
    DataType.float: "1.5",
    DataType.double: "1.5",
    DataType.string: "'text'",
    DataType.datetime: "'2024-01-31'",
}


# python types accepted per type (MLflow's DataType.check_type, for builtins)
_PARAM_EXACT: dict[DataType, tuple[type, ...]] = {
    DataType.boolean: (bool,),
    DataType.integer: (int,),
    DataType.long: (int,),
    DataType.float: (float,),
    DataType.double: (float,),
    DataType.string: (str,),
}


# declared type -> the types whose values may be converted to it
_PARAM_WIDEN = {
    DataType.long: (DataType.integer,),
    DataType.float: (DataType.integer, DataType.long),
    DataType.double: (DataType.integer, DataType.long, DataType.float),
}


def _param_error(spec: ParamSpec, value: Any, expected: str, fix: str) -> SchemaEnforcementError:
    return SchemaEnforcementError(
        f"Param '{spec.name}' ({type_str(spec.type)}"
        f"{', shape (-1,)' if spec.shape else ''}): expected {expected}, "
        f"got {describe(value)}. {fix}",
        input_name=spec.name,
    )


def _is_1d_list(value: Any) -> bool:
    """``np.array(value).ndim == 1`` for a list or ndarray, without importing numpy for lists."""
    if isinstance(value, list):
        np = sys.modules.get("numpy")
        for v in value:
            if isinstance(v, (list, tuple)):
                return False
            if np is not None and isinstance(v, np.ndarray) and v.ndim > 0:
                return False
        return True
    np = sys.modules.get("numpy")
    return np is not None and isinstance(value, np.ndarray) and value.ndim == 1


def _param_scalar(spec: ParamSpec, value: Any, t: DataType) -> Any:
    """One scalar param value (MLflow's ``_enforce_param_datatype``)."""
    if value is None:
        return None
    if t is DataType.datetime:
        return _param_datetime(spec, value)
    vt = type(value)
    if vt in _PARAM_EXACT.get(t, ()):
        return value
    matches = _param_types(value)
    if matches is None:
        raise _param_error(
            spec,
            value,
            f"a single {t.value}",
            f"Pass {a_or_an(PY_NAMES[t])} such as {_EXAMPLES[t]}.",
        )
    if t in matches or any(w in matches for w in _PARAM_WIDEN.get(t, ())):
        return _PY_TYPES[t](value)
    detail = {
        DataType.long: " (floats and bools are not converted to integers)",
        DataType.integer: " (floats and bools are not converted to integers)",
        DataType.float: " (only int and float32 values convert to float)",
        DataType.double: " (bools and strings are not converted to numbers)",
        DataType.boolean: " (numbers and strings are not converted to bool)",
        DataType.string: " (only str values are accepted)",
    }.get(t, "")
    raise _param_error(
        spec,
        value,
        f"{a_or_an(t.value)}{detail}",
        f"Pass {a_or_an(PY_NAMES[t])} such as {_EXAMPLES[t]}.",
    )


_PY_TYPES: dict[DataType, Callable[[Any], Any]] = {
    DataType.boolean: bool,
    DataType.integer: int,
    DataType.long: int,
    DataType.float: float,
    DataType.double: float,
    DataType.string: str,
}


def _param_types(value: Any) -> set[DataType] | None:
    """The DataTypes whose MLflow ``check_type`` accepts ``value``; None if not a scalar."""
    import numbers

    vt = type(value)
    if vt is bool:
        return {DataType.boolean}
    if vt is int:
        return {DataType.integer, DataType.long}
    if vt is float:
        return {DataType.float, DataType.double}
    if vt is str:
        return {DataType.string}
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.generic):
        found: set[DataType] = {
            t for t in _PARAM_EXACT if t is not DataType.string and np.dtype(vt) == t.to_numpy()
        }
        if isinstance(value, np.str_):
            found.add(DataType.string)
        return found
    if isinstance(value, (bytes, memoryview, numbers.Number)):
        return set()  # a scalar, but of no param type
    return None


def _param_datetime(spec: ParamSpec, value: Any) -> Any:
    import numpy as np

    try:
        result = np.datetime64(value).item()
    except Exception as e:  # MLflow rejects whatever numpy cannot parse
        raise _param_error(
            spec,
            value,
            "a date or datetime",
            f"Pass a datetime.date/datetime or an ISO string such as '2024-01-31' ({e}).",
        ) from None
    if isinstance(result, int):
        raise _param_error(
            spec,
            value,
            "a date or datetime",
            "Pass a datetime.date/datetime or an ISO string such as '2024-01-31'"
            " (nanosecond precision and integers are not accepted).",
        )
    return result
