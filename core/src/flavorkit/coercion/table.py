"""The coercion table: which received dtype becomes which declared scalar type, and how.

One column of caller data (numpy, pandas nullable, pyarrow-backed or object dtype) is checked
against one :class:`~flavorkit.datatypes.DataType`; the result is an *action*: :data:`KEEP` (the
column passes unchanged), a dtype to cast to, :class:`Values` (converted values), or a
:class:`Reject` that the caller turns into one :class:`~flavorkit.errors.SchemaEnforcementError`.
The rules themselves are the table in :mod:`flavorkit.enforce`'s docstring. Decisions that depend
on the dtype alone are memoised (:func:`static_action`), which keeps a one-row predict cheap.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flavorkit.datatypes import DataType

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "ColumnInput",
    "KEEP",
    "Reject",
    "SLOW",
    "Values",
    "exact_by_id",
    "is_int_label",
    "plan_scalar",
    "static_action",
    "type_str",
]


KEEP = None  # a column that passes unchanged


class ColumnInput:
    """One input column being checked: where it is, how to name it, and its data on demand."""

    __slots__ = ("df", "dtype", "label", "name", "pos", "ref", "required", "series", "where")

    def __init__(
        self, df: Any, pos: int, label: Any, name: str | int, dtype: Any, required: bool
    ) -> None:
        self.df = df
        self.pos = pos
        self.label = label
        self.name = name
        self.dtype = dtype
        self.required = required
        self.series: Any = None
        if isinstance(name, str):
            self.where = f"Column {name!r}"
            self.ref = f"df[{int(label) if is_int_label(label) else label!r}]"
        else:
            self.where = f"Column {name}"
            self.ref = f"df.iloc[:, {pos}]"

    def values(self) -> Any:
        if self.series is None:
            self.series = self.df.iloc[:, self.pos]
        return self.series


class Reject(Exception):
    """A column rule failed: ``got`` describes the input, ``why`` and ``fix`` complete the text.

    ``fix`` may use ``{ref}`` (how to address the column, ``df['x']``).
    """

    def __init__(self, got: str, why: str, fix: str = "") -> None:
        super().__init__(why)
        self.got = got
        self.why = why
        self.fix = fix


def is_int_label(label: Any) -> bool:
    if isinstance(label, bool):
        return False
    if isinstance(label, int):
        return True
    np = sys.modules.get("numpy")
    return np is not None and isinstance(label, np.integer)


class Values:
    """Replacement values for a column (already converted)."""

    __slots__ = ("values",)

    def __init__(self, values: Any) -> None:
        self.values = values


_EXACT: dict[DataType, Any] = {}


_EXACT_BY_ID: dict[int, Any] = {}


SLOW = object()  # the decision depends on the values (or is an error): take the full path


_STATIC: dict[tuple[Any, int], Any] = {}  # (dtype, id(DataType)) -> action


def static_action(d: Any, t: DataType) -> Any:
    """The action for dtype ``d`` → ``t`` when it depends on the dtype alone, memoised; else SLOW.

    Only numpy dtypes and ``StringDtype`` are memoised (a bounded set); anything that looks at
    values (int64 → double, object, datetime units, nullable columns) or fails returns SLOW.
    """
    key = (d, id(t))
    try:
        return _STATIC[key]
    except (KeyError, TypeError):
        pass
    import numpy as np
    import pandas as pd

    action: Any = SLOW
    if isinstance(d, np.dtype):
        target = _exact_dtypes()[t]
        text_ok = {DataType.string: "O", DataType.binary: "OS"}.get(t, "")
        if d == target or d.kind in text_ok:
            action = KEEP
        elif d.kind in "biuf" and t in _NULLABLE and _upcast(d, t):
            action = target
    elif isinstance(d, pd.StringDtype):
        action = KEEP if t in (DataType.string, DataType.binary) else SLOW
    else:
        return SLOW
    _STATIC[key] = action
    return action


def _upcast(d: np.dtype[Any], t: DataType) -> bool:
    """MLflow's safe-cast rule between numpy number/bool kinds."""
    target: np.dtype[Any] = _exact_dtypes()[t]
    kind, tkind = d.kind, target.kind
    if kind == tkind:
        return d.itemsize <= target.itemsize
    if kind == "u" and tkind == "i":
        return d.itemsize < target.itemsize
    if kind in "iu" and t is DataType.double:
        return d.itemsize <= 6
    return False


_NULLABLE = {
    DataType.boolean: "boolean",
    DataType.integer: "Int32",
    DataType.long: "Int64",
    DataType.float: "Float32",
    DataType.double: "Float64",
}


def exact_by_id() -> dict[int, Any]:
    """``_exact_dtypes`` keyed by ``id(DataType)`` (hashing an Enum member runs Python code)."""
    if not _EXACT_BY_ID:
        _EXACT_BY_ID.update({id(t): d for t, d in _exact_dtypes().items()})
    return _EXACT_BY_ID


def _exact_dtypes() -> dict[DataType, Any]:
    """DataType → the numpy dtype that passes unchanged (object for string and binary)."""
    if not _EXACT:
        import numpy as np

        for t in DataType:
            _EXACT[t] = (
                np.dtype(object) if t in (DataType.string, DataType.binary) else (t.to_numpy())
            )
    return _EXACT


def plan_scalar(col: ColumnInput, t: DataType) -> Any:
    """What to do with a column whose dtype is not exactly ``t``'s: keep, cast, or replace."""
    import numpy as np
    import pandas as pd

    d = col.dtype
    if isinstance(d, np.dtype):
        if d == _exact_dtypes()[t]:
            return KEEP
        if d.kind == "O":
            return _plan_object(col, t)
        return _plan_numpy(col, d, t, col.values)
    if isinstance(d, pd.StringDtype):
        if t in (DataType.string, DataType.binary):
            return KEEP
        if t is DataType.datetime:
            raise Reject(
                str(d),
                " (text): strings are not parsed as dates",
                "Parse them first with pd.to_datetime({ref}).",
            )
        raise Reject(
            str(d),
            f" (text), which is not converted to {_target_str(t)}",
            "Convert with pd.to_numeric({ref}) or declare the column as string."
            if t is not DataType.boolean
            else "Map the text to True/False first, or declare the column as string.",
        )
    if isinstance(d, pd.CategoricalDtype):
        raise Reject(
            "category",
            ", and categorical columns are not converted",
            f"Convert with {{ref}}.astype({_numpy_name(t)!r}).",
        )
    if isinstance(d, pd.DatetimeTZDtype):
        if t is DataType.datetime:
            raise Reject(
                str(d),
                ": the datetime type holds timezone-naive values",
                "Drop the timezone with {ref}.dt.tz_convert(None) (as UTC) or "
                "{ref}.dt.tz_localize(None) (as local time).",
            )
        raise _mismatch(str(d), t, None)
    if isinstance(d, pd.SparseDtype):
        raise Reject(
            str(d), ": sparse columns are not supported", "Densify with {ref}.sparse.to_dense()."
        )
    numpy_dtype = getattr(d, "numpy_dtype", None)
    if type(d).__name__ == "ArrowDtype" and isinstance(numpy_dtype, np.dtype):
        # MLflow casts pyarrow-backed columns to numpy by the numpy rules (not the 0/1 rule,
        # which it applies to numpy int64 only); a pd.NA then fails the cast
        action = _plan_numpy(col, numpy_dtype, t, col.values, got=str(d), zero_one=False)
        if isinstance(action, Values):
            return action
        target = action if action is not KEEP else _exact_dtypes()[t]
        try:
            return Values(col.values().astype(target))
        except (ValueError, TypeError) as e:
            raise Reject(str(d), f", which cannot be cast to {target}: {e}") from None
    if isinstance(numpy_dtype, np.dtype) and numpy_dtype.kind in "biuf":
        return _plan_nullable(col, d, numpy_dtype, t)
    raise _mismatch(str(d), t, None)


def _plan_numpy(
    col: ColumnInput,
    d: np.dtype[Any],
    t: DataType,
    values: Callable[[], Any],
    got: str | None = None,
    zero_one: bool = True,
) -> Any:
    """The numpy dtype rules (MLflow's ``_enforce_mlflow_datatype``) for a non-object dtype."""
    import numpy as np

    got = got or str(d)
    target = _exact_dtypes()[t]
    kind = d.kind
    if t is DataType.string:
        raise Reject(
            got,
            ", and values are not converted to strings",
            f"Convert with {{ref}}.astype(str){_declare_hint(d)}.",
        )
    if t is DataType.binary:
        if kind == "S":
            return KEEP
        raise Reject(
            got,
            ", which is not binary data",
            f"Pass bytes values (an object column of bytes){_declare_hint(d)}.",
        )
    if t is DataType.datetime:
        if kind == "M":
            try:
                return Values(values().astype("datetime64[ns]"))
            except (ValueError, OverflowError) as e:  # OutOfBoundsDatetime is a ValueError
                raise Reject(
                    got,
                    " with values outside the datetime64[ns] range (years 1677-2262)",
                    f"Clip or drop those values ({type(e).__name__}: {e}).",
                ) from None
        raise _mismatch(got, t, d)
    if _upcast(d, t):
        return target
    if zero_one and d == np.int64 and t in (DataType.float, DataType.double):
        if _all_zero_or_one(values()):
            return target
        raise Reject(
            got,
            f" with values other than 0/1, which cannot be converted to {target} without loss",
            f"Cast the column with {{ref}}.astype({target.name!r}) or declare it as long.",
        )
    if kind == "f" and target.kind in "iu":
        series = values()
        if series.hasnans and _all_whole(series):
            raise Reject(
                got,
                " holding NaN and otherwise whole numbers, which cannot be converted to "
                f"{target} without loss",
                "Integer columns cannot hold NaN, so the missing values made the column float: "
                "pass {ref}.astype('Int64') and declare the column optional (required: false), "
                "or declare it as double.",
            )
    raise _mismatch(got, t, d)


def _plan_nullable(col: ColumnInput, d: Any, numpy_dtype: np.dtype[Any], t: DataType) -> Any:
    """A pandas nullable column (Int*, UInt*, Float*, boolean): numpy rules, NA kept if allowed."""
    if t not in _NULLABLE:
        return _plan_numpy(col, numpy_dtype, t, col.values, got=str(d))
    series = col.values()
    has_na = bool(series.hasnans)
    values = (lambda: series.dropna()) if has_na else col.values
    action = _plan_numpy(col, numpy_dtype, t, values, got=str(d))
    if has_na and col.required and t in (DataType.boolean, DataType.integer, DataType.long):
        n = int(series.isna().sum())
        optional = (
            "declare the column optional (required: false)"
            if isinstance(col.name, str)
            else "name the inputs and declare this one optional (unnamed inputs are required)"
        )
        raise Reject(
            str(d),
            f" with {n} missing value(s) (pd.NA) in a required column",
            f"Fill them (e.g. {{ref}}.fillna(0)), or {optional} to pass them through as "
            f"{_NULLABLE[t]}.",
        )
    target = _NULLABLE[t]
    if action is KEEP or str(d) == target:
        return KEEP
    return target


def _plan_object(col: ColumnInput, t: DataType) -> Any:
    """An object column: ``infer_objects()`` first, then the rules for what it became."""
    import numpy as np
    import pandas as pd

    if t in (DataType.string, DataType.binary):
        return KEEP
    series = col.values()
    inferred = series.infer_objects()
    d2 = inferred.dtype
    if isinstance(d2, np.dtype) and d2.kind == "O":
        if t is DataType.boolean:
            return KEEP
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if t is DataType.double:
            try:
                numeric = pd.to_numeric(series, errors="raise")
            except (ValueError, TypeError) as e:
                raise Reject(
                    f"object ({kind} values)",
                    f", which cannot be read as numbers: {e}",
                    "Convert with pd.to_numeric({ref}) after cleaning the values.",
                ) from None
            return Values(numeric.astype("float64"))
        if t is DataType.datetime:
            try:
                return Values(series.astype("datetime64[ns]"))
            except (ValueError, TypeError) as e:
                raise Reject(
                    f"object ({kind} values)",
                    f", which cannot be read as datetimes: {e}",
                    "Convert with pd.to_datetime({ref}).",
                ) from None
        raise _mismatch(f"object ({kind} values)", t, None)
    sub = ColumnInput(col.df, col.pos, col.label, col.name, d2, col.required)
    sub.series = inferred
    sub.where, sub.ref = col.where, col.ref
    action = plan_scalar(sub, t)
    if action is KEEP:
        return Values(inferred)
    if isinstance(action, Values):
        return action
    return Values(inferred.astype(action))


def _all_zero_or_one(series: Any) -> bool:
    arr = series.to_numpy()
    return arr.size == 0 or bool(arr.min() >= 0 and arr.max() <= 1)


def _all_whole(series: Any) -> bool:
    import numpy as np

    arr = series.dropna().to_numpy()
    return bool(np.all(np.mod(arr, 1) == 0))


def _mismatch(got: str, t: DataType, d: Any) -> Reject:
    target = _target_str(t)
    return Reject(
        got,
        f", which cannot be converted to {target} without loss",
        f"Cast the column with {{ref}}.astype({_numpy_name(t)!r}) if its values fit"
        f"{_declare_hint(d, ', or')}.",
    )


def _target_str(t: DataType) -> str:
    return {DataType.string: "str", DataType.binary: "bytes"}.get(t, _numpy_name(t))


def _numpy_name(t: DataType) -> str:
    return t.numpy_name


_KIND_TYPES = {
    ("b", 1): "boolean",
    ("i", 1): "integer",
    ("i", 2): "integer",
    ("i", 4): "integer",
    ("i", 8): "long",
    ("u", 1): "integer",
    ("u", 2): "integer",
    ("u", 4): "long",
    ("f", 2): "float",
    ("f", 4): "float",
    ("f", 8): "double",
}


def _declare_hint(d: Any, joiner: str = " or") -> str:
    """``" or declare it as long"`` for the type the received dtype would be inferred as."""
    if d is None:
        return ""
    kind = getattr(d, "kind", "")
    name = _KIND_TYPES.get((kind, getattr(d, "itemsize", 0)))
    if name is None and kind == "M":
        name = "datetime"
    return f"{joiner} declare it as {name}" if name else ""


def type_str(t: Any) -> str:
    if isinstance(t, DataType):
        return t.value
    return repr(t)
