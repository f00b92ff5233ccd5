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
| list, ndarray | ``pd.DataFrame(x)``: labels 0..n-1 fit an unnamed schema or those names (Δ5) |
| named schema | the declared columns in schema order; absent optional ones stay absent |
| missing required column | error listing all missing and all extra names (Δ1) |
| undeclared column | dropped with **one** ``UserWarning`` naming all of them (Δ3) |
| label ``0`` for name ``"0"``, label ``"0"`` for name ``0`` | matched as the same name (Δ3) |
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
| Array(Array(T)) | also a 2-D ndarray (n-D for n Arrays), checked as one block and kept n-D |
| Array(binary) | text items become bytes (ASCII), as MLflow converts them |
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
3. Nothing declared is dropped. An integer column label ``0`` matches the name ``"0"``, and
   the integer name ``0`` (which MLflow infers for integer labels) matches the label ``"0"`` that
   JSON input carries; MLflow matches only the same type (and older MLflow read name ``0`` as
   "no name" and dropped the column silently, mlflow#26069). Undeclared columns are dropped
   with one warning, also for unnamed schemas (MLflow drops those silently).
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

import warnings
from typing import Any

from flavorkit.coercion.cells import check_value
from flavorkit.coercion.params import enforce_param_value
from flavorkit.enforce.columns import enforce_columns
from flavorkit.enforce.params import enforce_params
from flavorkit.enforce.tensors import enforce_tensors
from flavorkit.schema import Schema

__all__ = ["check_value", "enforce_param_value", "enforce_params", "enforce_schema"]


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
        result = enforce_tensors(data, schema, extras)
    else:
        result = enforce_columns(data, schema, extras)
    if extras:
        warnings.warn(
            f"Found extra inputs {extras} that the model signature does not declare; "
            "they are dropped before predict.",
            UserWarning,
            stacklevel=2,
        )
    return result
