"""A model's predictions as named columns, whatever shape the framework returned them in.

Bulk scoring writes predictions next to each other in a table (a parquet file, a Spark column, a
Dask partition), so every engine needs the same answer to "what are the columns of this output?".
It lives here once: :func:`prediction_columns` turns a DataFrame, Series, dict, ndarray or list
into ``{name: values}`` with one value per input row, and checks that count.

| prediction | columns |
|---|---|
| DataFrame | its columns (names as strings) |
| Series | one column, named after the Series or ``prediction`` |
| dict of arrays | one column per key |
| 1-D ndarray, list | one column ``prediction`` |
| 2-D ndarray (n, k) | one column ``prediction`` holding the (n, k) array (each row a k-vector) |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flavorkit.errors import FlavorkitError

__all__ = ["DEFAULT_NAME", "PredictionShapeError", "prediction_columns"]

DEFAULT_NAME = "prediction"


class PredictionShapeError(FlavorkitError, ValueError):
    """A model returned predictions that do not line up with its input rows."""

    error_code = "INVALID_PARAMETER_VALUE"


def prediction_columns(
    predictions: Any, n_rows: int, *, default_name: str = DEFAULT_NAME
) -> dict[str, Any]:
    """``{name: values}`` for ``predictions`` of ``n_rows`` rows; values are numpy arrays.

    A 1-D array holds one value per row; a 2-D array one vector per row. Raises
    :class:`PredictionShapeError` naming the column when a length differs from ``n_rows``.
    """
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        columns = {str(k): predictions[k].to_numpy() for k in predictions.columns}
    elif isinstance(predictions, pd.Series):
        name = default_name if predictions.name is None else str(predictions.name)
        columns = {name: predictions.to_numpy()}
    elif isinstance(predictions, Mapping):
        columns = {str(k): _as_array(v, np) for k, v in predictions.items()}
    else:
        columns = {default_name: _as_array(predictions, np)}
    for name, values in columns.items():
        got = len(values) if values.ndim else 1
        if values.ndim == 0 or got != n_rows:
            raise PredictionShapeError(
                f"The model returned {got} value(s) in {name!r} for {n_rows} input rows; "
                "bulk scoring needs one prediction per row."
            )
    return columns


def _as_array(values: Any, np: Any) -> Any:
    if hasattr(values, "to_numpy"):
        return values.to_numpy()
    if isinstance(values, np.ndarray):
        return values if values.ndim <= 2 else _rows_of_objects(values, np)
    if isinstance(values, (list, tuple)):
        arr = np.asarray(values) if _is_rectangular(values) else None
        if arr is None or arr.ndim > 2 or arr.dtype == object:
            return _rows_of_objects(values, np)
        return arr
    if hasattr(values, "toarray"):  # a scipy sparse matrix
        return np.asarray(values.toarray())
    return np.asarray(values)


def _is_rectangular(values: Any) -> bool:
    lengths = {len(v) for v in values if hasattr(v, "__len__") and not isinstance(v, str)}
    return len(lengths) <= 1


def _rows_of_objects(values: Any, np: Any) -> Any:
    """A 1-D object array with one item per row (ragged or >2-D outputs)."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out
