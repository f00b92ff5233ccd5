"""Bulk scoring on one machine: files, folders and globs streamed through a model in record batches.

``flavorkit.batch`` is what ``flavorkit predict`` runs on. It streams CSV and JSON Lines inputs
with ``pyarrow.dataset`` and parquet with ``pyarrow.parquet.ParquetFile.iter_batches`` (never a
whole-file reader), feeds one record batch at a time through a loaded model and appends the
predictions to a parquet, CSV or JSON Lines file, so peak memory is set by ``batch_size``, not by
the size of the input. The output is written under a
temporary name and renamed when complete; with ``on_error="skip"`` a failing batch or file is
recorded in an errors file and the run carries on. It sits above the core (it loads models only
through :func:`flavorkit.load_model`, so every model URI the core resolves works here) and needs
the ``batch`` extra: ``pip install 'flavorkit[batch]'`` (pyarrow and tqdm).

- :func:`predict_files` scores files into one output file and returns a :class:`BatchSummary`.
- :func:`predict_batches` feeds any iterable of pyarrow record batches, tables or pandas
  DataFrames through a loaded model and yields the scored batches.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["BatchSummary", "predict_batches", "predict_files"]

_LAZY = {
    "BatchSummary": "flavorkit.batch.run",
    "predict_files": "flavorkit.batch.run",
    "predict_batches": "flavorkit.batch.scoring",
}

if TYPE_CHECKING:  # pragma: no cover
    from flavorkit.batch.run import BatchSummary, predict_files
    from flavorkit.batch.scoring import predict_batches


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flavorkit.batch' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
