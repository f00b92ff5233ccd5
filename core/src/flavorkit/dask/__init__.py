"""Distributed scoring on Dask: any flavorkit model mapped over the partitions of a DataFrame.

``flavorkit.dask`` is for users whose data already lives in Dask. :func:`predict` scores a Dask
DataFrame with ``map_partitions``; the result's ``meta`` (column names and dtypes) comes from
the model's output signature, so building the graph never runs the model. Each worker process
loads the model once (with :func:`flavorkit.load_model`, so every model URI the core understands
works) and keeps it for later partitions; with the distributed scheduler the URI must be
readable from the workers (a shared path or a ``models:/`` URI). It sits above the core and
needs the ``dask`` extra: ``pip install 'flavorkit[dask]'``. Importing this package imports
neither Dask nor pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["predict"]

if TYPE_CHECKING:  # pragma: no cover
    from flavorkit.dask.partitions import predict


def __getattr__(name: str) -> Any:
    if name != "predict":
        raise AttributeError(f"module 'flavorkit.dask' has no attribute {name!r}")
    value = importlib.import_module("flavorkit.dask.partitions").predict
    globals()[name] = value
    return value
