"""``flavorkit.dask.predict``: a model over a Dask DataFrame's partitions, meta from the signature.

| output schema | result | meta |
|---|---|---|
| one column or a (-1,) tensor | a Series named after the output (or ``prediction``) | its dtype |
| several columns or tensors | a DataFrame, one column per output | their dtypes |
| a (-1, k) tensor | a DataFrame ``prediction_0`` .. ``prediction_{k-1}`` | its dtype |
| none | as the model returns it | inferred by Dask (runs the model on a sample) |

The result has the input's index, so ``ddf.assign(p=predict(ddf, uri))`` lines up.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flavorkit.api import load_model, resolve_model_path
from flavorkit.errors import BatchScoringError, FlavorkitError, MissingExtraError
from flavorkit.mlmodel import Model
from flavorkit.predictions import DEFAULT_NAME, prediction_columns
from flavorkit.schema import ColSpec, DataType, Schema, TensorSpec

if TYPE_CHECKING:
    from flavorkit.pyfunc import PyFuncModel

__all__ = ["load_count", "meta_for", "predict", "score_partition"]

_MODELS: dict[tuple[str, bool, tuple[tuple[str, Any], ...]], PyFuncModel] = {}
_LOCK = threading.Lock()
_LOADS = 0


def predict(
    ddf: Any,
    model_uri: str | os.PathLike[str],
    *,
    params: Mapping[str, Any] | None = None,
    trust: bool = False,
    load_options: Mapping[str, Any] | None = None,
    meta: Any = None,
) -> Any:
    """Score every partition of ``ddf`` with the model at ``model_uri``; a lazy Dask collection.

    ``meta`` overrides the one built from the output signature. ``trust`` and ``load_options``
    go to :func:`flavorkit.load_model` on each worker.
    """
    MissingExtraError.check(("dask", "pandas"), extra="dask", feature="flavorkit.dask.predict")
    uri = os.fspath(model_uri)
    signature = Model.load(resolve_model_path(uri)).signature
    if meta is None and signature is not None:
        meta = meta_for(signature.outputs)
    inputs = signature.inputs if signature is not None else None
    names = None
    if inputs is not None and inputs.has_input_names():
        names = tuple(str(n) for n in inputs.input_names())
    options = tuple(sorted((load_options or {}).items()))
    kwargs: dict[str, Any] = {} if meta is None else {"meta": meta}
    return ddf.map_partitions(
        score_partition, uri, names, dict(params) if params else None, trust, options, **kwargs
    )


def meta_for(outputs: Schema | None) -> Any:
    """An empty Series or DataFrame with the output's names and dtypes (``None`` if unknown)."""
    import numpy as np
    import pandas as pd

    if outputs is None:
        return None
    columns: dict[str, Any] = {}
    for i, spec in enumerate(outputs.inputs):
        name = str(spec.name) if spec.name is not None else (DEFAULT_NAME if i == 0 else str(i))
        if isinstance(spec, TensorSpec):
            if len(spec.shape) == 2 and spec.shape[1] > 0:
                for j in range(spec.shape[1]):
                    columns[f"{name}_{j}"] = spec.type
                continue
            if len(spec.shape) > 1:
                return None  # vectors per row of unknown width: let Dask look at a sample
            columns[name] = spec.type
        elif isinstance(spec, ColSpec) and isinstance(spec.type, DataType):
            columns[name] = spec.type.to_pandas()
        else:
            columns[name] = np.dtype(object)
    if len(columns) == 1 and len(outputs.inputs) == 1 and not _is_matrix(outputs):
        ((name, dtype),) = columns.items()
        return pd.Series(np.empty(0, dtype=dtype), name=name)
    return pd.DataFrame({k: np.empty(0, dtype=v) for k, v in columns.items()})


def _is_matrix(outputs: Schema) -> bool:
    spec = outputs.inputs[0]
    return isinstance(spec, TensorSpec) and len(spec.shape) == 2


def load_count() -> int:
    """How many models this process has loaded (tests read it)."""
    return _LOADS


def _model(uri: str, trust: bool, options: tuple[tuple[str, Any], ...]) -> PyFuncModel:
    global _LOADS
    key = (uri, trust, options)
    model = _MODELS.get(key)
    if model is None:
        with _LOCK:
            model = _MODELS.get(key)
            if model is None:
                model = load_model(uri, trust=trust, **dict(options))
                _MODELS[key] = model
                _LOADS += 1
    return model


def score_partition(
    part: Any,
    uri: str,
    names: tuple[str, ...] | None,
    params: dict[str, Any] | None,
    trust: bool,
    options: tuple[tuple[str, Any], ...],
) -> Any:
    """One pandas partition through the model (runs on the workers)."""
    import pandas as pd

    model = _model(uri, trust, options)
    data = part if names is None else part[[c for c in part.columns if str(c) in names]]
    try:
        predictions = model.predict(data, params)
    except FlavorkitError as e:
        raise type(e)(f"flavorkit.dask.predict({uri}): {e}") from None
    columns = prediction_columns(predictions, len(part))
    out: dict[str, Any] = {}
    for name, values in columns.items():
        if values.ndim == 2:
            for j in range(values.shape[1]):
                out[f"{name}_{j}"] = values[:, j]
        else:
            out[name] = values
    if len(out) == 1 and len(columns) == 1 and next(iter(columns.values())).ndim == 1:
        ((name, values),) = out.items()
        return pd.Series(values, index=part.index, name=name)
    if not out:
        raise BatchScoringError(f"flavorkit.dask.predict({uri}): the model returned no columns.")
    return pd.DataFrame(out, index=part.index)
