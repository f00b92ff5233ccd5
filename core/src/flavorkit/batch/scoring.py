"""Feeding batches through a loaded model: the part of bulk scoring that knows about models.

:func:`score_batch` turns one pyarrow record batch into an output table (kept input columns
first, then the prediction columns of :func:`flavorkit.predictions.prediction_columns`), and
:func:`predict_batches` applies it to any iterable of batches. Enforcement is the model's own
(``PyFuncModel.predict``), so a batch that does not fit the signature fails exactly as a call
to ``predict`` would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from flavorkit.errors import BatchScoringError
from flavorkit.predictions import prediction_columns
from flavorkit.pyfunc import PyFuncModel

__all__ = ["check_keep_columns", "predict_batches", "score_batch", "to_arrow_columns"]


def predict_batches(
    model: PyFuncModel | str,
    batches: Iterable[Any],
    *,
    params: Mapping[str, Any] | None = None,
    keep_columns: Sequence[str] = (),
    trust: bool = False,
) -> Iterator[Any]:
    """Score each batch and yield it: pyarrow tables for arrow input, DataFrames for pandas.

    ``model`` is a loaded model or a URI (loaded once with :func:`flavorkit.load_model`);
    ``keep_columns`` are input columns carried into each output ahead of the predictions.
    """
    import pandas as pd
    import pyarrow as pa

    if not isinstance(model, PyFuncModel):
        from flavorkit.api import load_model

        model = load_model(model, trust=trust)
    keep = tuple(keep_columns)
    for batch in batches:
        if isinstance(batch, pd.DataFrame):
            table = pa.Table.from_pandas(batch, preserve_index=False)
            check_keep_columns(keep, table.schema.names)
            yield score_batch(model, table, params, keep).to_pandas()
        elif isinstance(batch, (pa.RecordBatch, pa.Table)):
            check_keep_columns(keep, batch.schema.names)
            yield score_batch(model, batch, params, keep)
        else:
            raise BatchScoringError(
                f"predict_batches takes pyarrow RecordBatches or Tables or pandas DataFrames, "
                f"got {type(batch).__name__}."
            )


def score_batch(
    model: PyFuncModel, batch: Any, params: Mapping[str, Any] | None, keep: Sequence[str]
) -> Any:
    """One arrow batch through the model, as a pyarrow Table (kept columns, then predictions)."""
    import pyarrow as pa

    frame = model_input(model, batch).to_pandas()
    predictions = model.predict(frame, dict(params) if params is not None else None)
    columns = to_arrow_columns(prediction_columns(predictions, batch.num_rows), pa)
    clash = sorted(set(keep) & set(columns))
    if clash:
        raise BatchScoringError(
            f"--keep-columns {clash} clash with the model's output column(s) of the same name; "
            "rename the input column or keep fewer columns."
        )
    names = [*keep, *columns]
    arrays = [batch.column(name) for name in keep] + list(columns.values())
    return pa.Table.from_arrays(arrays, names=names)


def model_input(model: PyFuncModel, batch: Any) -> Any:
    """The batch's columns the signature names (all of them without named inputs).

    Undeclared columns would only be dropped by enforcement, with a warning per batch; not
    converting them to pandas at all is also faster. A declared column that is missing stays
    missing, so enforcement reports it by name.
    """
    names = declared_names(model)
    if names is None:
        return batch
    present = [n for n in batch.schema.names if n in names]
    return batch if len(present) == batch.num_columns else batch.select(present)


def declared_names(model: PyFuncModel) -> set[str] | None:
    sig = model.signature
    if sig is None or sig.inputs is None or not sig.inputs.has_input_names():
        return None
    return {str(n) for n in sig.inputs.input_names()}


def to_arrow_columns(columns: Mapping[str, Any], pa: Any) -> dict[str, Any]:
    """Prediction arrays as arrow arrays; an (n, k) array becomes a fixed-size list column."""
    out: dict[str, Any] = {}
    for name, values in columns.items():
        if values.ndim == 2:
            flat = pa.array(values.reshape(-1))
            out[name] = pa.FixedSizeListArray.from_arrays(flat, values.shape[1])
        elif values.dtype == object:
            out[name] = pa.array(list(values))
        else:
            out[name] = pa.array(values)
    return out


def check_keep_columns(keep: Sequence[str], available: Sequence[str]) -> None:
    missing = [c for c in keep if c not in available]
    if missing:
        raise BatchScoringError(
            f"--keep-columns {missing} not in the input; its columns are {list(available)}."
        )
