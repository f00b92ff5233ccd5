"""Turning caller input into what the model expects.

:func:`enforce_schema` checks data against a signature's input schema and converts it where the
conversion is safe; :func:`enforce_params` does the same for inference params, and
:func:`check_value` for one Array/Object/Map value. They make **the same accept/reject decision
as MLflow 3.x** (``_enforce_schema``, ``_enforce_params_schema``), so a model accepts the same
input under flavorkit and under MLflow, except in the rows marked **Δn**: the deliberate
differences listed at the end, each a place where MLflow loses data silently, fails with an
unrelated error, or rejects values that a pandas nullable dtype holds exactly.

Every rejection raises :class:`~flavorkit.errors.SchemaEnforcementError`; its ``input_name`` is
the column, tensor or param at fault.

**Input for a column-based schema**

| input | becomes |
|---|---|
| DataFrame | itself |
| Series | a one-column DataFrame, labelled with the Series name (or ``0``) |
| scalar | ``pd.DataFrame([x])``: one row, column ``0`` |
| dict of scalars or lists of str; any dict if a column is Array/Object | one row |
| other dict | ``pd.DataFrame(d)``: one column per key |
| list, ndarray | ``pd.DataFrame(x)``; integer labels only fit an unnamed schema (Δ5) |
| named schema | the declared columns in schema order; absent optional ones stay absent |
| missing required column | error listing all missing and all extra names (Δ1) |
| undeclared column | dropped with **one** ``UserWarning`` naming all of them (Δ3) |
| int label ``0`` for the declared name ``"0"`` | matched like any other name (Δ3) |
| unnamed schema of N columns | the first N columns by position (more: warning, Δ3; fewer: error) |
| input that already matches | returned as is, **the same object** (Δ4) |

**Scalar column types**, checked per column (vectorised, no per-row Python)

| received dtype → declared type | result |
|---|---|
| bool, int32, int64, float32, float64, datetime64[ns] → same type | unchanged |
| object or ``StringDtype`` → string; object, ``StringDtype``, ``S`` → binary | unchanged |
| (u)int8/16 → integer; int32 → integer; (u)int8/16/32, int64 → long | cast up |
| (u)int8/16/32 → double; float16/32 → float; float16/32 → double | cast up |
| int64 → double or float | cast only if every value is 0 or 1 |
| int64, uint32 → integer; uint64 → long; ints → float; float64 → float | error |
| floats → integer/long (NaN + whole numbers adds a missing-values hint) | error |
| bool ↔ numbers; numbers, datetimes → string/binary; category, sparse | error |
| object → boolean | ``infer_objects()``; bool is kept, still-object passes as is |
| object → integer/long/float | ``infer_objects()``, then the rules above |
| object → double | ``infer_objects()``, then ``pd.to_numeric`` (Decimal, None) |
| datetime64[s/ms/us] → datetime | cast to ns; tz-aware or out-of-range is an error |
| object (date, datetime) → datetime | ``astype("datetime64[ns]")`` |
| ``StringDtype`` (ISO text) → datetime | error, as MLflow under pandas 3: use pd.to_datetime |
| Int8..Int64, UInt8..UInt32, Float32/64, boolean | numpy rules on the base type (Δ2) |
| ``pd.NA`` in a nullable column | kept if optional (Δ2); else error for int/bool targets |
| pyarrow-backed (``int64[pyarrow]``, ...) | numpy rules, cast to numpy; no 0/1 rule, as MLflow |

**Array, Object, Map, Any**, checked per cell and recursively (:func:`check_value`)

| type | accepts |
|---|---|
| Array(T) | a list or ndarray whose items pass as a column of T (``[1, 2]`` fails double) |
| Object | a dict with every required property and no undeclared one |
| Map(T) | a dict with str keys and values of T |
| Any | anything |
| missing cell in an optional column | ``None``, ``[]``/``{}`` and, Δ2, NaN or ``pd.NA`` |

**Tensor-based schemas** (no casting)

| input | rule |
|---|---|
| ndarray, scipy sparse | same ndim, each dim equal unless -1, same dtype (``<U5`` counts as str) |
| ragged | spec ``(object, (-1,))`` takes anything; a 1-D object array fits ``(-1, -1, ...)`` |
| DataFrame, 1 column | scalars (shape (-1,) or (-1, 1), cast), list cells (stacked, cast), arrays |
| DataFrame, n columns | the shape must be ``(-1, n)``; then ``df.to_numpy()`` is checked |
| named specs | a dict name → ndarray (lists rejected) or a DataFrame; returns a dict |
| list or anything else | error |

**Params**

| situation | result |
|---|---|
| no params schema | params ignored with a ``UserWarning``; the model gets ``{}`` |
| unknown or non-str names | dropped with one warning; non-str keys are stringified |
| missing param | its default |
| int → long/float/double; np.int32/64 → float/double; float → double | converted |
| any accepted value | returned as a Python builtin (``2`` → ``2.0``) |
| bool → number, float → long, number → str, np.float64 → float | error |
| datetime | ``np.datetime64(v).item()``: ISO str, date, datetime, numpy datetime |
| shape (-1,) | a 1-D list or ndarray, each item converted; tuple, scalar, 2-D is an error |
| Object | checked like an Object cell; passed on as given |
| ``None`` | accepted for a scalar param |
| several failures | one error naming all of them |

**Differences from MLflow** (Δ) and why

1. Messages name the column, tensor or param, the expected and received type or shape, and the fix:
   ``Column 'petal_width' (double): got int64 with values other than 0/1, which cannot be
   converted to float64 without loss. Cast the column with df['petal_width'].astype('float64')
   or declare it as long.``
2. pandas nullable dtypes are accepted by the numpy rules of their base type (``Int64`` → double
   only if 0/1, ``Int32`` → long is cast to ``Int64``) and stay nullable, so ``pd.NA`` survives in
   optional columns; MLflow casts them to numpy and fails on ``pd.NA`` and on ``Int64`` → double.
   Required columns keep MLflow's decision: ``required`` means the column must be present, and
   ``pd.NA`` cannot become a numpy integer or bool (unnamed inputs are always required, so an
   unnamed Int column with ``pd.NA`` is rejected). A missing cell (NaN, ``pd.NA``) of an optional
   Array/Object/Map column passes (MLflow fails on the NaN that ``pd.DataFrame(records)`` makes).
3. Nothing declared is dropped. Signature names are strings, so an integer column label ``0``
   matches the name ``"0"`` (MLflow reads name ``0`` as "no name" and drops the column silently,
   mlflow#26069). Undeclared columns are dropped with one warning, also for unnamed schemas
   (MLflow drops those silently).
4. Vectorised per column, and no copy when the input already matches: MLflow rebuilds the frame
   column by column, ~175 ms for a 600-column row (mlflow#7948). When something must change,
   only the columns that need it are converted; the others are shared with the input (a frame of
   at most 65,536 cells whose columns all end up with one dtype is cast in one pass instead,
   which is faster). Caller dicts are never mutated.
5. An ndarray or list has integer column labels, so it fails a named column schema in both;
   our error says to pass a DataFrame with the named columns.
6. A one-column DataFrame feeding a tensor is read by position (MLflow reads row label ``0`` and
   fails on any other index).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flavorkit.errors import SchemaEnforcementError
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
    Schema,
    SparkMLVector,
    TensorSpec,
)

if TYPE_CHECKING:
    import numpy as np

__all__ = ["check_value", "enforce_param_value", "enforce_params", "enforce_schema"]


# -- public API ---------------------------------------------------------------------------------


def enforce_schema(data: Any, schema: Schema) -> Any:
    """Check ``data`` against ``schema`` and return it in the form the model expects.

    For a column-based schema the result is a DataFrame holding the schema's columns in schema
    order (the input object itself when it already matches); for a tensor-based schema it is an
    ndarray (one unnamed tensor) or a dict name → ndarray. Raises
    :class:`~flavorkit.errors.SchemaEnforcementError`.
    """
    if not isinstance(schema, Schema):
        raise TypeError(f"enforce_schema() needs a Schema, got {type(schema).__name__}.")
    extras: list[Any] = []
    if schema.is_tensor_spec():
        result = _enforce_tensors(data, schema, extras)
    else:
        result = _enforce_columns(data, schema, extras)
    if extras:
        warnings.warn(
            f"Found extra inputs {extras} that the model signature does not declare; "
            "they are dropped before predict.",
            UserWarning,
            stacklevel=2,
        )
    return result


def enforce_params(
    params: Mapping[str, Any] | None, schema: ParamSchema | None, *, strict: bool = False
) -> dict[str, Any]:
    """Check inference ``params`` against ``schema``; return every declared param, converted.

    Unknown params are dropped with a warning (MLflow's rule), missing ones get their default, and
    all failures are reported in one :class:`~flavorkit.errors.SchemaEnforcementError`. With
    ``strict=True`` (a flavor's predictor asks for it by setting ``strict_params = True``),
    undeclared params are an error instead of a warning.
    """
    if strict:
        _refuse_undeclared(params, schema)
    if schema is None:
        if params is not None and not (isinstance(params, Mapping) and len(params) == 0):
            given = list(params) if isinstance(params, Mapping) else type(params).__name__
            warnings.warn(
                f"params {given} are ignored: the model signature declares no params. "
                "Add a params schema to the signature to pass them to the model.",
                UserWarning,
                stacklevel=2,
            )
        return {}
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise SchemaEnforcementError(
            f"params must be a dict of name → value, got {type(params).__name__}: {params!r}. "
            f"The model declares {[p.name for p in schema]}."
        )
    if any(not isinstance(k, str) for k in params):
        warnings.warn(
            "params keys should be strings; converting them with str().", UserWarning, stacklevel=2
        )
        params = {str(k): v for k, v in params.items()}
    declared = {p.name for p in schema}
    unknown = [k for k in params if k not in declared]
    if unknown:
        warnings.warn(
            f"Unrecognized params {unknown} are ignored; the model declares {sorted(declared)}. "
            "To pass them, add them to the signature's params schema.",
            UserWarning,
            stacklevel=2,
        )
    result: dict[str, Any] = {}
    failures: list[SchemaEnforcementError] = []
    for spec in schema:
        if spec.name in params:
            try:
                result[spec.name] = enforce_param_value(spec, params[spec.name])
            except SchemaEnforcementError as e:
                failures.append(e)
        else:
            result[spec.name] = _copy_default(spec.default)
    if failures:
        if len(failures) == 1:
            raise failures[0]
        names = [e.input_name for e in failures]
        raise SchemaEnforcementError(
            f"Invalid params {names}: " + " ".join(str(e) for e in failures),
            input_name=names[0],
        )
    return result


def _refuse_undeclared(params: Mapping[str, Any] | None, schema: ParamSchema | None) -> None:
    if not isinstance(params, Mapping) or not params:
        return
    declared = sorted(p.name for p in schema) if schema is not None else []
    unknown = [str(k) for k in params if str(k) not in declared]
    if unknown:
        where = f"declares only {declared}" if declared else "declares no params"
        raise SchemaEnforcementError(
            f"Undeclared params {unknown}: the model {where}. Remove them, or save the model "
            "with a signature whose params schema declares them.",
            input_name=unknown[0],
        )


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
                f"a 1-D list of {_type_str(t)} (shape (-1,))",
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


# -- column-based schemas ----------------------------------------------------------------------

_KEEP = None  # a column that passes unchanged


class _Col:
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
            self.ref = f"df[{int(label) if _is_int_label(label) else label!r}]"
        else:
            self.where = f"Column {name}"
            self.ref = f"df.iloc[:, {pos}]"

    def values(self) -> Any:
        if self.series is None:
            self.series = self.df.iloc[:, self.pos]
        return self.series


class _Reject(Exception):
    """A column rule failed: ``got`` describes the input, ``why`` and ``fix`` complete the text.

    ``fix`` may use ``{ref}`` (how to address the column, ``df['x']``).
    """

    def __init__(self, got: str, why: str, fix: str = "") -> None:
        super().__init__(why)
        self.got = got
        self.why = why
        self.fix = fix


def _enforce_columns(data: Any, schema: Schema, extras: list[Any]) -> Any:
    import pandas as pd

    origin = None
    if not isinstance(data, pd.DataFrame):
        origin = _origin(data)
        data = _to_dataframe(data, schema)
    specs: list[ColSpec] = schema.inputs  # type: ignore[assignment]
    if schema.has_input_names():
        positions = _resolve_named(data, specs, extras, origin)
    else:
        ncols = data.shape[1]
        if ncols < len(specs):
            raise SchemaEnforcementError(
                f"Model inference is missing inputs: the signature declares {len(specs)} "
                f"unnamed inputs but the input has {ncols} column(s). Unnamed inputs are matched "
                f"by position: pass {len(specs)} columns in signature order.",
                input_name=ncols,
            )
        positions = list(range(len(specs)))
        if ncols > len(specs):
            extras.extend(data.columns[len(specs) :].tolist())
    return _convert_columns(data, specs, positions)


def _origin(data: Any) -> str | None:
    """How to describe an input that has no column names, for the missing-columns hint."""
    import numpy as np
    import pandas as pd

    if isinstance(data, np.ndarray):
        return "a numpy array"
    if isinstance(data, list) and not all(isinstance(r, dict) for r in data):
        return "a list"
    if isinstance(data, pd.Series) and data.name is None:
        return "an unnamed Series"
    if np.isscalar(data):
        return "a scalar"
    return None


def _is_scalar(x: Any) -> bool:
    import numpy as np

    return bool(np.isscalar(x)) or x is None


def _to_dataframe(data: Any, schema: Schema) -> Any:
    """MLflow's normalisation of non-DataFrame input for a column-based schema."""
    import numpy as np
    import pandas as pd

    try:
        if isinstance(data, pd.Series):
            return pd.DataFrame(data)
        if np.isscalar(data):
            return pd.DataFrame([data])
        if isinstance(data, dict):
            one_row = any(isinstance(s.type, (Array, Object)) for s in schema.inputs) or all(
                _is_scalar(v) or (isinstance(v, list) and all(isinstance(i, str) for i in v))
                for v in data.values()
            )
            if one_row:
                return pd.DataFrame([data])
            if all(
                isinstance(v, np.ndarray) and v.dtype.type == np.str_ and v.shape == ()
                for v in data.values()
            ):
                return pd.DataFrame([data])
            return pd.DataFrame(
                {
                    k: v.tolist() if isinstance(v, np.ndarray) and v.ndim > 1 else v
                    for k, v in data.items()
                }
            )
        if isinstance(data, (list, np.ndarray)):
            return pd.DataFrame(data)
    except SchemaEnforcementError:
        raise
    except Exception as e:
        raise SchemaEnforcementError(
            "This model has a column-based signature, which takes a pandas DataFrame; the "
            f"{type(data).__name__} input could not be turned into one: {e}"
        ) from None
    names = schema.input_names()
    raise SchemaEnforcementError(
        "This model has a column-based signature, which takes a pandas DataFrame (or a Series, "
        f"dict, list, numpy array or scalar), but got {type(data).__module__}."
        f"{type(data).__qualname__}. Pass a DataFrame with the columns {names}."
    )


def _resolve_named(
    df: Any, specs: list[ColSpec], extras: list[Any], origin: str | None
) -> list[int]:
    """Positions of the schema's columns in ``df`` (-1: optional and absent); records extras."""
    labels = df.columns.tolist()
    names = [s.name for s in specs]
    if labels == names:
        return list(range(len(names)))
    index: dict[Any, int] = {}
    duplicated: set[Any] = set()
    for pos, label in enumerate(labels):
        if label in index:
            duplicated.add(label)
        else:
            index[label] = pos
    aliases: dict[str, int] | None = None  # "0" -> position of the integer label 0
    positions: list[int] = []
    used: set[int] = set()
    missing: list[str] = []
    for spec in specs:
        pos = index.get(spec.name, -1)
        if pos < 0:  # a str label wins; else an integer label 0 stands for the name "0"
            if aliases is None:
                aliases = {}
                for label, p in index.items():
                    if _is_int_label(label):
                        aliases.setdefault(str(label), p)
            pos = aliases.get(spec.name, -1)  # type: ignore[arg-type]
        if pos >= 0 and labels[pos] in duplicated:
            raise SchemaEnforcementError(
                f"Column {spec.name!r}: the input has {labels.count(labels[pos])} columns "
                f"labelled {labels[pos]!r}. Give each column a unique name.",
                input_name=spec.name,
            )
        if pos < 0 and spec.required:
            missing.append(spec.name)  # type: ignore[arg-type]
        positions.append(pos)
        if pos >= 0:
            used.add(pos)
    extra = [label for pos, label in enumerate(labels) if pos not in used]
    if missing:
        msg = f"Model is missing inputs {missing} required by its signature."
        if extra:
            msg += f" Note that there were extra inputs: {extra}."
        if origin is not None:
            msg += (
                f" The input was {origin}, which has no column names: pass a pandas DataFrame "
                f"with the named columns, e.g. pd.DataFrame(data, columns={names})."
            )
        else:
            msg += f" Pass a DataFrame whose columns include {missing}."
        raise SchemaEnforcementError(msg, input_name=missing[0])
    extras.extend(extra)
    return positions


def _is_int_label(label: Any) -> bool:
    if isinstance(label, bool):
        return False
    if isinstance(label, int):
        return True
    np = sys.modules.get("numpy")
    return np is not None and isinstance(label, np.integer)


def _convert_columns(df: Any, specs: list[ColSpec], positions: list[int]) -> Any:
    """Check every declared column; convert only those that need it; never copy needlessly."""
    exact = _exact_by_id()
    dtypes = _column_dtypes(df)
    labels: list[Any] | None = None
    take: list[int] = []
    # per output column: _KEEP, a numpy/pandas dtype to cast to, or replacement values
    actions: list[Any] = []
    any_action = False
    memo: dict[tuple[int, int], Any] = {}  # (id(dtype), id(DataType)) -> dtype-only decision
    for spec, pos in zip(specs, positions, strict=True):
        if pos < 0:
            continue  # optional and absent
        take.append(pos)
        t = spec.type
        d = dtypes[pos]
        key = (id(d), id(t))  # ids: hashing an Enum member or a dtype runs Python code
        action = memo.get(key, _SLOW)
        if action is _SLOW:
            e = exact.get(id(t))
            if e is not None:
                action = _KEEP if d is e else _static_action(d, t)  # type: ignore[arg-type]
                memo[key] = action
        if action is not _SLOW:
            actions.append(action)
            if action is not _KEEP:
                any_action = True
            continue
        if labels is None:
            labels = df.columns.tolist()
        col = _Col(
            df, pos, labels[pos], spec.name if spec.name is not None else pos, d, spec.required
        )
        try:
            action = _plan_scalar(col, t) if isinstance(t, DataType) else _plan_cells(col, t)
        except _Reject as r:
            raise _column_error(col, t, r) from None
        actions.append(action)
        any_action = any_action or action is not _KEEP
    identity = take == list(range(len(dtypes)))
    if not any_action:
        return df if identity else df.take(take, axis=1)
    return _assemble(df, take, identity, actions, dtypes)


def _column_dtypes(df: Any) -> list[Any]:
    """The column dtypes, in order.

    ``df.dtypes`` builds a Series each call (~12 µs, a quarter of the one-row budget); the block
    manager's ``get_dtypes()`` is the array that Series wraps (0.4 µs). pandas keeps it private,
    so anything unexpected falls back to the public attribute.
    """
    get = getattr(getattr(df, "_mgr", None), "get_dtypes", None)
    dtypes: list[Any] = getattr(get() if callable(get) else None, "tolist", list)()
    if len(dtypes) == df.shape[1]:
        return dtypes
    return list(df.dtypes.tolist())


def _column_error(col: _Col, t: DataType | ColumnType, r: _Reject) -> SchemaEnforcementError:
    fix = r.fix.format(ref=col.ref) if r.fix else ""
    msg = f"{col.where} ({_type_str(t)}): got {r.got}{r.why}."
    if fix:
        msg += " " + fix
    return SchemaEnforcementError(msg, input_name=col.name)


def _assemble(
    df: Any, take: list[int], identity: bool, actions: list[Any], dtypes: list[Any]
) -> Any:
    """Build the result from the kept columns and the converted ones, in schema order."""
    import numpy as np
    import pandas as pd

    base = df if identity else df.take(take, axis=1)
    first = next(a for a in actions if a is not _KEEP)
    small = len(base) * len(actions) <= _SMALL_FRAME
    if isinstance(first, np.dtype) and all(
        a is first or (small and a is _KEEP and (dtypes[p] is first or dtypes[p] == first))
        for a, p in zip(actions, take, strict=True)
    ):
        # every column ends up as ``first`` (only exact upcasts get here): one vectorised cast
        # of the whole frame, without pandas' per-block astype. Columns that already have that
        # dtype are only copied along when the frame is small.
        arr = base.to_numpy(dtype=first)
        return pd.DataFrame(arr, index=base.index, columns=base.columns, copy=False)
    changed = [i for i, a in enumerate(actions) if a is not _KEEP]
    if len(changed) <= 8:
        out = base.copy(deep=False)
        for i in changed:
            out.isetitem(i, _apply(base.iloc[:, i], actions[i]))
        return out
    # many columns change: cast them in groups (one take + one cast per target), then reorder
    groups: dict[Any, list[int]] = {}
    pieces = []
    order: list[int] = []
    kept = [i for i, a in enumerate(actions) if a is _KEEP]
    if kept:
        pieces.append(base.take(kept, axis=1))
        order.extend(kept)
    for i in changed:
        a = actions[i]
        if isinstance(a, _Values):
            pieces.append(pd.DataFrame({base.columns[i]: _raw(a.values)}, index=base.index))
            order.append(i)
        else:
            groups.setdefault(a, []).append(i)
    for target, cols in groups.items():
        pieces.append(base.take(cols, axis=1).astype(target))
        order.extend(cols)
    out = pd.concat(pieces, axis=1) if len(pieces) > 1 else pieces[0]
    inverse = [0] * len(order)
    for j, i in enumerate(order):
        inverse[i] = j
    return out.take(inverse, axis=1)


class _Values:
    """Replacement values for a column (already converted)."""

    __slots__ = ("values",)

    def __init__(self, values: Any) -> None:
        self.values = values


def _apply(series: Any, action: Any) -> Any:
    """The new values of one column, as an array (a Series would be aligned on the index)."""
    if isinstance(action, _Values):
        return _raw(action.values)
    return series.astype(action).array


def _raw(values: Any) -> Any:
    return values.array if hasattr(values, "array") else values


_SMALL_FRAME = 65_536  # cells: below this one cast of the whole frame beats per-column work
_EXACT: dict[DataType, Any] = {}
_EXACT_BY_ID: dict[int, Any] = {}
_SLOW = object()  # the decision depends on the values (or is an error): take the full path
_STATIC: dict[tuple[Any, int], Any] = {}  # (dtype, id(DataType)) -> action


def _static_action(d: Any, t: DataType) -> Any:
    """The action for dtype ``d`` → ``t`` when it depends on the dtype alone, memoised; else _SLOW.

    Only numpy dtypes and ``StringDtype`` are memoised (a bounded set); anything that looks at
    values (int64 → double, object, datetime units, nullable columns) or fails returns _SLOW.
    """
    key = (d, id(t))
    try:
        return _STATIC[key]
    except (KeyError, TypeError):
        pass
    import numpy as np
    import pandas as pd

    action: Any = _SLOW
    if isinstance(d, np.dtype):
        target = _exact_dtypes()[t]
        text_ok = {DataType.string: "O", DataType.binary: "OS"}.get(t, "")
        if d == target or d.kind in text_ok:
            action = _KEEP
        elif d.kind in "biuf" and t in _NULLABLE and _upcast(d, t):
            action = target
    elif isinstance(d, pd.StringDtype):
        action = _KEEP if t in (DataType.string, DataType.binary) else _SLOW
    else:
        return _SLOW
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


def _exact_by_id() -> dict[int, Any]:
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


def _plan_scalar(col: _Col, t: DataType) -> Any:
    """What to do with a column whose dtype is not exactly ``t``'s: keep, cast, or replace."""
    import numpy as np
    import pandas as pd

    d = col.dtype
    if isinstance(d, np.dtype):
        if d == _exact_dtypes()[t]:
            return _KEEP
        if d.kind == "O":
            return _plan_object(col, t)
        return _plan_numpy(col, d, t, col.values)
    if isinstance(d, pd.StringDtype):
        if t in (DataType.string, DataType.binary):
            return _KEEP
        if t is DataType.datetime:
            raise _Reject(
                str(d),
                " (text): strings are not parsed as dates",
                "Parse them first with pd.to_datetime({ref}).",
            )
        raise _Reject(
            str(d),
            f" (text), which is not converted to {_target_str(t)}",
            "Convert with pd.to_numeric({ref}) or declare the column as string."
            if t is not DataType.boolean
            else "Map the text to True/False first, or declare the column as string.",
        )
    if isinstance(d, pd.CategoricalDtype):
        raise _Reject(
            "category",
            ", and categorical columns are not converted",
            f"Convert with {{ref}}.astype({_numpy_name(t)!r}).",
        )
    if isinstance(d, pd.DatetimeTZDtype):
        if t is DataType.datetime:
            raise _Reject(
                str(d),
                ": the datetime type holds timezone-naive values",
                "Drop the timezone with {ref}.dt.tz_convert(None) (as UTC) or "
                "{ref}.dt.tz_localize(None) (as local time).",
            )
        raise _mismatch(str(d), t, None)
    if isinstance(d, pd.SparseDtype):
        raise _Reject(
            str(d), ": sparse columns are not supported", "Densify with {ref}.sparse.to_dense()."
        )
    numpy_dtype = getattr(d, "numpy_dtype", None)
    if type(d).__name__ == "ArrowDtype" and isinstance(numpy_dtype, np.dtype):
        # MLflow casts pyarrow-backed columns to numpy by the numpy rules (not the 0/1 rule,
        # which it applies to numpy int64 only); a pd.NA then fails the cast
        action = _plan_numpy(col, numpy_dtype, t, col.values, got=str(d), zero_one=False)
        if isinstance(action, _Values):
            return action
        target = action if action is not _KEEP else _exact_dtypes()[t]
        try:
            return _Values(col.values().astype(target))
        except (ValueError, TypeError) as e:
            raise _Reject(str(d), f", which cannot be cast to {target}: {e}") from None
    if isinstance(numpy_dtype, np.dtype) and numpy_dtype.kind in "biuf":
        return _plan_nullable(col, d, numpy_dtype, t)
    raise _mismatch(str(d), t, None)


def _plan_numpy(
    col: _Col,
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
        raise _Reject(
            got,
            ", and values are not converted to strings",
            f"Convert with {{ref}}.astype(str){_declare_hint(d)}.",
        )
    if t is DataType.binary:
        if kind == "S":
            return _KEEP
        raise _Reject(
            got,
            ", which is not binary data",
            f"Pass bytes values (an object column of bytes){_declare_hint(d)}.",
        )
    if t is DataType.datetime:
        if kind == "M":
            try:
                return _Values(values().astype("datetime64[ns]"))
            except (ValueError, OverflowError) as e:  # OutOfBoundsDatetime is a ValueError
                raise _Reject(
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
        raise _Reject(
            got,
            f" with values other than 0/1, which cannot be converted to {target} without loss",
            f"Cast the column with {{ref}}.astype({target.name!r}) or declare it as long.",
        )
    if kind == "f" and target.kind in "iu":
        series = values()
        if series.hasnans and _all_whole(series):
            raise _Reject(
                got,
                " holding NaN and otherwise whole numbers, which cannot be converted to "
                f"{target} without loss",
                "Integer columns cannot hold NaN, so the missing values made the column float: "
                "pass {ref}.astype('Int64') and declare the column optional (required: false), "
                "or declare it as double.",
            )
    raise _mismatch(got, t, d)


def _plan_nullable(col: _Col, d: Any, numpy_dtype: np.dtype[Any], t: DataType) -> Any:
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
        raise _Reject(
            str(d),
            f" with {n} missing value(s) (pd.NA) in a required column",
            f"Fill them (e.g. {{ref}}.fillna(0)), or {optional} to pass them through as "
            f"{_NULLABLE[t]}.",
        )
    target = _NULLABLE[t]
    if action is _KEEP or str(d) == target:
        return _KEEP
    return target


def _plan_object(col: _Col, t: DataType) -> Any:
    """An object column: ``infer_objects()`` first, then the rules for what it became."""
    import numpy as np
    import pandas as pd

    if t in (DataType.string, DataType.binary):
        return _KEEP
    series = col.values()
    inferred = series.infer_objects()
    d2 = inferred.dtype
    if isinstance(d2, np.dtype) and d2.kind == "O":
        if t is DataType.boolean:
            return _KEEP
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if t is DataType.double:
            try:
                numeric = pd.to_numeric(series, errors="raise")
            except (ValueError, TypeError) as e:
                raise _Reject(
                    f"object ({kind} values)",
                    f", which cannot be read as numbers: {e}",
                    "Convert with pd.to_numeric({ref}) after cleaning the values.",
                ) from None
            return _Values(numeric.astype("float64"))
        if t is DataType.datetime:
            try:
                return _Values(series.astype("datetime64[ns]"))
            except (ValueError, TypeError) as e:
                raise _Reject(
                    f"object ({kind} values)",
                    f", which cannot be read as datetimes: {e}",
                    "Convert with pd.to_datetime({ref}).",
                ) from None
        raise _mismatch(f"object ({kind} values)", t, None)
    sub = _Col(col.df, col.pos, col.label, col.name, d2, col.required)
    sub.series = inferred
    sub.where, sub.ref = col.where, col.ref
    action = _plan_scalar(sub, t)
    if action is _KEEP:
        return _Values(inferred)
    if isinstance(action, _Values):
        return action
    return _Values(inferred.astype(action))


def _all_zero_or_one(series: Any) -> bool:
    arr = series.to_numpy()
    return arr.size == 0 or bool(arr.min() >= 0 and arr.max() <= 1)


def _all_whole(series: Any) -> bool:
    import numpy as np

    arr = series.dropna().to_numpy()
    return bool(np.all(np.mod(arr, 1) == 0))


def _mismatch(got: str, t: DataType, d: Any) -> _Reject:
    target = _target_str(t)
    return _Reject(
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


def _type_str(t: Any) -> str:
    if isinstance(t, DataType):
        return t.value
    return repr(t)


def _plan_cells(col: _Col, t: ColumnType) -> Any:
    """Array/Object/Map/Any columns: every cell checked; replaced only if a cell changed."""
    import numpy as np

    if isinstance(t, AnyType):
        return _KEEP
    series = col.values()
    cells = series.tolist()
    out: list[Any] = []
    changed = False
    for i, v in enumerate(cells):
        r = check_value(v, t, where=f"{col.where}, row {i}", required=col.required)
        changed = changed or r is not v
        out.append(r)
    if not changed and isinstance(col.dtype, np.dtype) and col.dtype.kind == "O":
        return _KEEP
    return _Values(_boxed(out))


def _boxed(items: list[Any]) -> Any:
    import numpy as np

    arr = np.empty(len(items), dtype=object)
    for i, x in enumerate(items):
        arr[i] = x
    return arr


# -- single values ------------------------------------------------------------------------------


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


def _an(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _describe(value: Any) -> str:
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
            f"{where} ({t.value}): expected a single {t.value} value, got {_describe(value)}.",
            input_name=_head(where),
        )
    series = pd.Series([value])
    col = _Col(None, 0, 0, 0, series.dtype, required)
    col.series = series
    try:
        action = _plan_scalar(col, t)
    except _Reject as r:
        raise SchemaEnforcementError(
            f"{where} ({t.value}): got {_describe(value)}, read as {r.got}{r.why}. "
            f"Pass {_an(_PY_NAMES[t])} value.",
            input_name=_head(where),
        ) from None
    if action is _KEEP:
        return value
    if isinstance(action, _Values):
        return action.values.tolist()[0]
    return series.astype(action).tolist()[0]


_PY_NAMES = {
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
            f"{where} ({_type_str(t)}): expected a list, got {_describe(value)}. "
            "Pass the values as a list.",
            input_name=_head(where),
        )
    if isinstance(items, DataType):
        if len(value) == 0:
            return value
        return _check_scalar_items(value, items, where, required)
    out = [
        check_value(x, items, where=f"{where}, item {i}", required=required)
        for i, x in enumerate(value)
    ]
    if all(a is b for a, b in zip(out, value, strict=True)):
        return value
    return _boxed(out) if _is_ndarray(value) else out


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
            f"{where} ({_type_str(Array(t))}): the items do not form a list of {t.value}: {e}",
            input_name=_head(where),
        ) from None
    col = _Col(None, 0, 0, 0, series.dtype, required)
    col.series = series
    try:
        action = _plan_scalar(col, t)
    except _Reject as r:
        raise SchemaEnforcementError(
            f"{where} ({_type_str(Array(t))}): got items of type {r.got}{r.why}. "
            f"Pass a list of {_PY_NAMES[t]} values.",
            input_name=_head(where),
        ) from None
    converted = series
    if action is not _KEEP:
        converted = action.values if isinstance(action, _Values) else series.astype(action)
    try:  # MLflow hands the model the items as an array of the type's numpy dtype
        arr = converted.to_numpy(dtype=t.to_numpy())
    except Exception as e:  # nested lists, text that is not ASCII for binary, ...
        raise SchemaEnforcementError(
            f"{where} ({_type_str(Array(t))}): the items cannot be read as {t.value} values "
            f"({type(e).__name__}: {e}). Pass a flat list of {_PY_NAMES[t]} values.",
            input_name=_head(where),
        ) from None
    if action is _KEEP:
        return value
    if isinstance(value, np.ndarray):
        return arr if t is not DataType.datetime else converted.to_numpy()
    return converted.tolist()


def _check_object(value: Any, t: Object, where: str, required: bool) -> Any:
    if _absent(value, required, False) or (not required and isinstance(value, dict) and not value):
        return value
    if not isinstance(value, dict):
        raise SchemaEnforcementError(
            f"{where} ({_type_str(t)}): expected a dict with properties "
            f"{[p.name for p in t.properties]}, got {_describe(value)}.",
            input_name=_head(where),
        )
    props = {p.name: p for p in t.properties}
    missing = sorted(n for n, p in props.items() if p.required and n not in value)
    if missing:
        raise SchemaEnforcementError(
            f"{where} ({_type_str(t)}): missing required properties {missing}. "
            f"Add them to the dict.",
            input_name=_head(where),
        )
    invalid = [k for k in value if k not in props]
    if invalid:
        raise SchemaEnforcementError(
            f"{where} ({_type_str(t)}): properties {invalid} are not declared in the schema "
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
            f"{where} ({_type_str(t)}): expected a dict with str keys, got {_describe(value)}.",
            input_name=_head(where),
        )
    bad = [k for k in value if not isinstance(k, str)]
    if bad:
        raise SchemaEnforcementError(
            f"{where} ({_type_str(t)}): map keys must be strings, got {_describe(bad[0])}. "
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


# -- tensor-based schemas ----------------------------------------------------------------------


def _enforce_tensors(data: Any, schema: Schema, extras: list[Any]) -> Any:
    import numpy as np
    import pandas as pd

    specs: list[TensorSpec] = schema.inputs  # type: ignore[assignment]
    if isinstance(data, pd.Series):
        data = pd.DataFrame(data)
    if schema.has_input_names():
        names: list[str] = [s.name for s in specs]  # type: ignore[misc]
        if len(names) == 1 and isinstance(data, np.ndarray):
            data = {names[0]: data}
        if isinstance(data, pd.DataFrame):
            positions = _resolve_named(
                data, [ColSpec(DataType.string, n) for n in names], extras, None
            )
            return {
                s.name: _reshape_column(s, data.iloc[:, p])
                for s, p in zip(specs, positions, strict=True)
            }
        if isinstance(data, dict):
            missing = [n for n in names if n not in data]
            extra = [k for k in data if k not in names]
            if missing:
                msg = f"Model is missing inputs {missing} required by its signature."
                if extra:
                    msg += f" Note that there were extra inputs: {extra}."
                raise SchemaEnforcementError(
                    msg + f" Pass a dict with the keys {names}.", input_name=missing[0]
                )
            extras.extend(extra)
            result = {}
            for s in specs:
                value = data[s.name]
                if not isinstance(value, np.ndarray):
                    raise SchemaEnforcementError(
                        f"Tensor {s.name!r} ({_tensor_str(s)}): expected a numpy array, got "
                        f"{type(value).__name__}. Pass np.asarray(value, dtype={s.type.name!r}).",
                        input_name=s.name,
                    )
                result[s.name] = _check_tensor(value, s)
            return result
        raise SchemaEnforcementError(
            f"This model takes named tensors {names}: pass a dict of name → numpy array (or a "
            f"DataFrame with those columns), got {type(data).__name__}.",
            input_name=names[0],
        )
    spec = specs[0]
    if isinstance(data, pd.DataFrame):
        if data.empty:
            raise SchemaEnforcementError(
                f"Tensor ({_tensor_str(spec)}): the input DataFrame is empty.", input_name=0
            )
        ncols = data.shape[1]
        if ncols == 1:
            return _reshape_column(spec, data.iloc[:, 0])
        if spec.shape != (-1, ncols):
            raise SchemaEnforcementError(
                f"Tensor ({_tensor_str(spec)}): a DataFrame with {ncols} columns can only feed a "
                f"tensor of shape (-1, {ncols}), but the signature declares {spec.shape}. "
                f"Pass a numpy array of shape {spec.shape} instead.",
                input_name=0,
            )
        return _check_tensor(data.to_numpy(), spec)
    if isinstance(data, np.ndarray) or _is_sparse(data):
        return _check_tensor(data, spec)
    raise SchemaEnforcementError(
        f"Tensor ({_tensor_str(spec)}): this model takes a numpy array (or a DataFrame), but an "
        f"input of type {type(data)} was found. Pass np.asarray(data, dtype={spec.type.name!r}).",
        input_name=0,
    )


def _is_sparse(x: Any) -> bool:
    return type(x).__module__.startswith("scipy.sparse") and type(x).__name__ in (
        "csr_matrix",
        "csc_matrix",
        "csr_array",
        "csc_array",
    )


def _tensor_str(spec: TensorSpec) -> str:
    return f"{spec.type.name}, shape {spec.shape}"


def _tensor_where(spec: TensorSpec) -> str:
    return "Tensor" if spec.name is None else f"Tensor {spec.name!r}"


def _check_tensor(values: Any, spec: TensorSpec) -> Any:
    """MLflow's exact shape and dtype check (no casting), with its two ragged exceptions."""
    import numpy as np

    expected = spec.shape
    dtype = values.dtype if isinstance(values, np.ndarray) else values.data.dtype
    shape = tuple(values.shape)
    if len(expected) == 1 and expected[0] == -1 and spec.type == np.dtype("O"):
        return values
    if len(expected) > 1 and -1 in expected[1:] and len(shape) == 1 and dtype == np.dtype("O"):
        return values
    where = _tensor_where(spec)
    name = spec.name if spec.name is not None else 0
    if len(expected) != len(shape) or any(
        e not in (-1, a) for e, a in zip(expected, shape, strict=True)
    ):
        raise SchemaEnforcementError(
            f"{where} ({_tensor_str(spec)}): shape of input {shape} does not match expected "
            f"shape {expected} (-1 = any size). Pass an array of that shape (arr.reshape(...)), "
            "or check that this is the right input.",
            input_name=name,
        )
    clean = np.dtype(dtype.char) if dtype.char in "US" else dtype
    if clean != spec.type:
        raise SchemaEnforcementError(
            f"{where} ({_tensor_str(spec)}): dtype of input {dtype} does not match expected dtype "
            f"{spec.type}. Tensors are not cast: pass arr.astype({spec.type.name!r}).",
            input_name=name,
        )
    return values


def _reshape_column(spec: TensorSpec, series: Any) -> Any:
    """One DataFrame column feeding one tensor (MLflow: ``_reshape_and_cast_pandas_column_values``).

    The first cell is read by position (MLflow reads row label 0).
    """
    import numpy as np

    where = _tensor_where(spec)
    name = spec.name if spec.name is not None else 0
    shape = spec.shape
    if not shape or shape[0] != -1 or -1 in shape[1:]:
        raise SchemaEnforcementError(
            f"{where} ({_tensor_str(spec)}): a DataFrame column can only feed a tensor whose "
            "first dimension is -1 and the others fixed. Pass a numpy array instead.",
            input_name=name,
        )
    if len(series) == 0:
        raise SchemaEnforcementError(
            f"{where} ({_tensor_str(spec)}): the input column is empty.", input_name=name
        )
    first = series.iloc[0]
    if np.isscalar(first):
        if shape not in ((-1,), (-1, 1)):
            raise SchemaEnforcementError(
                f"{where} ({_tensor_str(spec)}): the DataFrame column holds scalars, which only "
                f"fit shape (-1,) or (-1, 1), not {shape}. Put one list or array of shape "
                f"{shape[1:]} in each cell, or pass a numpy array.",
                input_name=name,
            )
        try:
            arr = np.array(series, dtype=spec.type).reshape(shape)
        except (ValueError, TypeError) as e:
            raise SchemaEnforcementError(
                f"{where} ({_tensor_str(spec)}): the column's values cannot be cast to "
                f"{spec.type}: {e}",
                input_name=name,
            ) from None
        return _check_tensor(arr, spec)
    is_list = isinstance(first, list) and len(first) > 0 and np.isscalar(first[0])
    if is_list or isinstance(first, np.ndarray):
        try:
            stacked = np.vstack(series.tolist()).reshape(shape)
            if is_list:
                stacked = stacked.astype(spec.type)
        except (ValueError, TypeError):
            stacked = None
        if stacked is None or len(stacked) != len(series):
            raise SchemaEnforcementError(
                f"{where} ({_tensor_str(spec)}): the values in the DataFrame column cannot be "
                f"reshaped to {shape}. Make every cell a list or array of shape {shape[1:]} "
                f"whose values can be cast to {spec.type}.",
                input_name=name,
            )
        return stacked
    raise SchemaEnforcementError(
        f"{where} ({_tensor_str(spec)}): a DataFrame column feeding a tensor must hold scalars, "
        f"lists of scalars or numpy arrays, got {_describe(first)}.",
        input_name=name,
    )


# -- params -------------------------------------------------------------------------------------

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
        f"Param '{spec.name}' ({_type_str(spec.type)}"
        f"{', shape (-1,)' if spec.shape else ''}): expected {expected}, "
        f"got {_describe(value)}. {fix}",
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
            spec, value, f"a single {t.value}", f"Pass {_an(_PY_NAMES[t])} such as {_EXAMPLES[t]}."
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
        spec, value, f"{_an(t.value)}{detail}", f"Pass {_an(_PY_NAMES[t])} such as {_EXAMPLES[t]}."
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


def _copy_default(default: Any) -> Any:
    if isinstance(default, (list, dict)):
        import copy

        return copy.deepcopy(default)
    return default
