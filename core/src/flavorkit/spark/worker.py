"""The executor side of :func:`flavorkit.spark.spark_udf`: load once per process, score batches.

Python workers are reused across tasks (``spark.python.worker.reuse``, on by default), so the
model cache here, a module global, lives as long as the worker: each process loads each model
once, however many tasks and batches it runs. The UDF function itself is a small closure over a
:class:`UDFSpec` that calls :func:`score_batches` by reference, so the cache is this module's,
not a pickled copy.

A batch the model refuses raises one line naming the model, the column and the types the UDF
received, instead of a bare framework error deep in a Spark task's traceback.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flavorkit.errors import BatchScoringError, FlavorkitError

if TYPE_CHECKING:
    import pandas as pd

    from flavorkit.pyfunc import PyFuncModel

__all__ = ["UDFSpec", "load_count", "make_udf_function", "score_arrow_batches", "score_batches"]

_MODELS: dict[str, PyFuncModel] = {}
_LOCK = threading.Lock()
_LOADS = 0


@dataclass(frozen=True)
class UDFSpec:
    """Everything a worker needs to score: where the model is, how to bind and return columns."""

    archive: str
    model_uri: str
    input_names: tuple[str, ...] | None
    result_type: Any
    params: dict[str, Any] | None = None
    trust: bool = False
    load_options: dict[str, Any] = field(default_factory=dict)
    #: Score through an Arrow iterator UDF (PySpark >= 4.1) instead of a pandas one: set by
    #: :func:`flavorkit.spark.spark_udf` when the result is a scalar number, bool or string.
    arrow: bool = False
    #: The session time zone, for Arrow timestamps (the pandas UDF path localizes to it).
    timezone: str = "UTC"


def make_udf_function(spec: UDFSpec) -> Callable[..., Any]:
    """The function ``pandas_udf`` wraps; its type hints make it an iterator-of-batches UDF."""
    import typing

    if spec.arrow:
        import pyarrow as pa

        def predict_arrow(batches: Iterator[Any]) -> Iterator[Any]:
            return score_arrow_batches(spec, batches)

        predict_arrow.__annotations__ = {
            "batches": typing.Iterator[typing.Tuple[pa.Array, ...]],  # noqa: UP006
            "return": typing.Iterator[pa.Array],
        }
        return predict_arrow

    import pandas as pd

    def predict(batches: Iterator[Any]) -> Iterator[Any]:
        return score_batches(spec, batches)

    from pyspark.sql import types as T

    frames = typing.Union[pd.Series, pd.DataFrame]
    returns = pd.DataFrame if isinstance(spec.result_type, T.StructType) else pd.Series
    predict.__annotations__ = {  # real objects: pyspark reads them with get_type_hints
        "batches": typing.Iterator[typing.Tuple[frames, ...]],  # noqa: UP006
        "return": typing.Iterator[returns],  # type: ignore[valid-type]
    }
    return predict


def load_count() -> int:
    """How many models this process has loaded (tests and benchmarks read it)."""
    return _LOADS


def model_for(spec: UDFSpec) -> PyFuncModel:
    """The model of ``spec``, loaded on this worker's first batch and kept for the process."""
    global _LOADS
    model = _MODELS.get(spec.archive)
    if model is not None:
        return model
    with _LOCK:
        model = _MODELS.get(spec.archive)
        if model is None:
            from pyspark import SparkFiles

            from flavorkit.api import load_model

            path = SparkFiles.get(spec.archive)
            if not os.path.isdir(path):
                raise BatchScoringError(
                    f"{spec.model_uri}: the model archive {spec.archive} was not unpacked on "
                    f"this executor (expected a directory at {path})."
                )
            model = load_model(path, trust=spec.trust, **spec.load_options)
            _MODELS[spec.archive] = model
            _LOADS += 1
    return model


def _predict(spec: UDFSpec, model: Any, frame: Any) -> Any:
    """The model's predictions for one batch; an error names the columns and types involved."""
    try:
        return model.predict(frame, spec.params)
    except FlavorkitError as e:
        raise type(e)(_explain(spec, frame, e)) from None
    except (ValueError, TypeError) as e:
        raise BatchScoringError(_explain(spec, frame, e)) from None


def score_batches(spec: UDFSpec, batches: Iterator[Any]) -> Iterator[Any]:
    """Score each Arrow batch Spark hands over, as a Series (or a DataFrame for a struct)."""
    model = model_for(spec)
    for batch in batches:
        frame = _bind(spec, batch if isinstance(batch, tuple) else (batch,))
        predictions = _predict(spec, model, frame)
        yield _result(spec, predictions, len(frame))


def score_arrow_batches(spec: UDFSpec, batches: Iterator[Any]) -> Iterator[Any]:
    """The Arrow UDF's loop: Arrow columns in, one pandas frame per batch, an Arrow array out.

    Spark's pandas UDF turns every column into its own Series and each result Series back into
    Arrow with checks per value; here the batch becomes one DataFrame (one column-major block
    for a table of one numeric type, which an estimator takes without copying again; one
    ``to_pandas`` otherwise) and the predictions go back as one ``pyarrow.array``. Enforcement
    is the model's own, as on the pandas path.
    """
    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_type

    model = model_for(spec)
    target = to_arrow_type(spec.result_type)
    for batch in batches:
        frame = _arrow_frame(spec, batch if isinstance(batch, tuple) else (batch,))
        predictions = _predict(spec, model, frame)
        values = _result(spec, predictions, len(frame), as_series=False)
        try:
            yield pa.array(values, type=target, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
            raise BatchScoringError(
                f"spark_udf({spec.model_uri}): cannot return {values.dtype} predictions as "
                f"{spec.result_type.simpleString()}: {e}"
            ) from None


def _arrow_frame(spec: UDFSpec, args: tuple[Any, ...]) -> pd.DataFrame:
    """The pandas frame the pandas UDF would have built (:func:`_bind`), from Arrow columns.

    Timestamps come as UTC instants; like Spark's pandas conversion they become naive local
    times of the session time zone.
    """
    import pandas as pd
    import pyarrow as pa

    if len(args) == 1 and pa.types.is_struct(args[0].type):
        batch = pa.RecordBatch.from_struct_array(args[0])
        names: list[Any] = list(batch.schema.names)
    else:
        names = list(spec.input_names or ())
        if len(names) < len(args):
            names = list(range(len(args)))  # unnamed schemas bind by position
        names = names[: len(args)]
        batch = pa.RecordBatch.from_arrays(list(args), names=[str(n) for n in names])
    block = _one_block(batch)
    if block is not None:
        one_block: pd.DataFrame = pd.DataFrame(block, columns=names, copy=False)
        return one_block
    frame: pd.DataFrame = batch.to_pandas()
    frame.columns = names
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            frame[name] = column.dt.tz_convert(spec.timezone).dt.tz_localize(None)
    return frame


def _one_block(batch: Any) -> Any:
    """The batch as one column-major matrix when ``to_pandas`` would give one block anyway.

    That is when every column has the same integer or float type and no nulls (a null would
    make ``to_pandas`` turn integers into floats): the common case of a feature table, and the
    one where ``to_pandas``' general machinery costs several times more than the copy itself.
    ``None`` for anything else.
    """
    import numpy as np
    import pyarrow as pa

    types = {column.type for column in batch.columns}
    if len(types) != 1 or batch.num_rows == 0:
        return None
    (kind,) = types
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)) or pa.types.is_float16(kind):
        return None
    if any(column.null_count for column in batch.columns):
        return None
    block = np.empty((batch.num_rows, batch.num_columns), dtype=kind.to_pandas_dtype(), order="F")
    for i, column in enumerate(batch.columns):
        block[:, i] = column.to_numpy(zero_copy_only=True)
    return block


def _bind(spec: UDFSpec, args: tuple[Any, ...]) -> pd.DataFrame:
    """One DataFrame with the signature's column names (a struct argument brings its own)."""
    import pandas as pd

    if len(args) == 1 and isinstance(args[0], pd.DataFrame):
        struct: pd.DataFrame = args[0]
        return struct
    names: list[Any] = list(spec.input_names or ())
    if len(names) < len(args):
        names = list(range(len(args)))  # unnamed schemas bind by position
    frame: pd.DataFrame = pd.DataFrame(
        {names[i]: s.reset_index(drop=True) for i, s in enumerate(args)}
    )
    return frame


def _explain(spec: UDFSpec, frame: pd.DataFrame, e: BaseException) -> str:
    received = ", ".join(f"{c!r} ({frame[c].dtype})" for c in frame.columns)
    message = " ".join(str(e).split())
    if not isinstance(e, FlavorkitError):
        message = f"{type(e).__name__}: {message}"
    return f"spark_udf({spec.model_uri}): {message} [the UDF received columns {received}]"


def _result(spec: UDFSpec, predictions: Any, n_rows: int, *, as_series: bool = True) -> Any:
    import pandas as pd
    from pyspark.sql import types as T

    from flavorkit.predictions import prediction_columns

    columns = prediction_columns(predictions, n_rows)
    dt = spec.result_type
    if isinstance(dt, T.StructType):
        names = [f.name for f in dt.fields]
        if all(n in columns for n in names):
            values = [columns[n] for n in names]
        elif len(columns) == 1 and next(iter(columns.values())).ndim == 2:
            matrix = next(iter(columns.values()))
            values = [matrix[:, i] for i in range(matrix.shape[1])]
        else:
            values = list(columns.values())
        if len(values) != len(names):
            raise BatchScoringError(
                f"spark_udf({spec.model_uri}): result_type has fields {names} but the model "
                f"returned {list(columns)}."
            )
        return pd.DataFrame(
            {n: _cast(spec, v, f.dataType) for n, v, f in zip(names, values, dt, strict=True)}
        )
    if len(columns) != 1:
        raise BatchScoringError(
            f"spark_udf({spec.model_uri}): the model returned {len(columns)} outputs "
            f"{list(columns)} for the scalar result type {dt.simpleString()}; pass a struct "
            "result_type with one field per output."
        )
    values = _cast(spec, next(iter(columns.values())), dt)
    return pd.Series(values) if as_series else values


def _cast(spec: UDFSpec, values: Any, dt: Any) -> Any:
    from pyspark.sql import types as T

    from flavorkit.spark.types import numpy_dtype_for

    if isinstance(dt, T.ArrayType):
        if values.ndim == 2:
            return list(values)
        if values.dtype != object:
            return [[v] for v in values]
        return list(values)
    if values.ndim == 2:
        if values.shape[1] != 1:
            raise BatchScoringError(
                f"spark_udf({spec.model_uri}): the model returns {values.shape[1]} values per "
                f"row; use result_type='array<{dt.simpleString()}>' or a struct."
            )
        values = values[:, 0]
    target = numpy_dtype_for(dt)
    if isinstance(dt, T.StringType):
        return values.astype(str) if values.dtype != object else values
    if target is None or values.dtype == target:
        return values
    try:
        return values.astype(target)
    except (ValueError, TypeError) as e:
        raise BatchScoringError(
            f"spark_udf({spec.model_uri}): cannot return {values.dtype} predictions as "
            f"{dt.simpleString()}: {e}"
        ) from None
