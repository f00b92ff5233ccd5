"""Distributed scoring on Spark: any flavorkit model as a Spark SQL function.

``flavorkit.spark`` is for users whose data already lives in Spark. :func:`spark_udf` has the
semantics of ``mlflow.pyfunc.spark_udf`` in local env-manager mode (columns bound by the
signature's input names, the result type inferred from the output schema, params passed
through), but it is an iterator pandas UDF that loads the model **once per Python worker
process** and ships the model directory to executors through Spark itself
(``SparkContext.addArchive``), so it works on a cluster whose executors cannot see the driver's
disk. Models are resolved with :func:`flavorkit.api.resolve_model_path` and loaded with
:func:`flavorkit.load_model`, so every model URI the core understands works. It sits above the
core and needs the ``spark`` extra: ``pip install 'flavorkit[spark]'`` (PySpark 4 needs
Python ≥ 3.11). Importing this package imports neither PySpark nor pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["spark_udf"]

if TYPE_CHECKING:  # pragma: no cover
    from flavorkit.spark.udf import spark_udf


def __getattr__(name: str) -> Any:
    if name != "spark_udf":
        raise AttributeError(f"module 'flavorkit.spark' has no attribute {name!r}")
    value = importlib.import_module("flavorkit.spark.udf").spark_udf
    globals()[name] = value
    return value
