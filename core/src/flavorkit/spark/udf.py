"""The driver side of :func:`spark_udf`: read the signature, ship the model, build the UDF.

The model directory is zipped (stored, not compressed: model files are mostly compressed
already) and registered with ``SparkContext.addArchive``; Spark copies it to every executor and
unpacks it once there, which is what lets a cluster score a model that lives on the driver's
disk. Registering the same model again in the same SparkContext reuses the archive.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flavorkit.api import resolve_model_path
from flavorkit.errors import FlavorkitError, MissingExtraError, SchemaEnforcementError
from flavorkit.mlmodel import Model
from flavorkit.schema import ColSpec, DataType, Schema
from flavorkit.spark.types import parse_result_type, result_type_for
from flavorkit.spark.worker import UDFSpec, make_udf_function

__all__ = ["SparkModelUDF", "spark_udf"]

_SHIPPED: dict[tuple[int, str], str] = {}  # (id of SparkContext, model digest) -> archive name
_STAGING: list[str] = []


def spark_udf(
    spark: Any,
    model_uri: str | os.PathLike[str],
    result_type: Any = None,
    *,
    params: Mapping[str, Any] | None = None,
    trust: bool = False,
    load_options: Mapping[str, Any] | None = None,
) -> SparkModelUDF:
    """A Spark SQL function that scores its columns with the model at ``model_uri``.

    Call it with column names or Columns bound by position to the signature's inputs, with one
    ``struct(...)`` whose fields are named like the inputs, or with nothing to use the
    signature's own column names: ``df.withColumn("p", udf())``. ``result_type`` (a pyspark
    ``DataType`` or DDL string) defaults to the output schema's type (``double`` without one).
    ``params`` go to every ``predict`` call. ``trust`` is the caller's decision to allow formats
    that run code on load; nothing in the model can grant it.
    """
    MissingExtraError.check(
        ("pyspark", "pyarrow"), extra="spark", feature="flavorkit.spark.spark_udf"
    )
    root = resolve_model_path(model_uri)
    meta = Model.load(root)
    if meta.pyfunc_flavor() is None:
        raise FlavorkitError(
            f'{root}: model does not have the "python_function" flavor, so Spark cannot score it.'
        )
    signature = meta.signature
    inputs = signature.inputs if signature is not None else None
    outputs = signature.outputs if signature is not None else None
    dtype = result_type_for(outputs) if result_type is None else parse_result_type(result_type)
    names: tuple[str, ...] | None = None
    if inputs is not None and inputs.has_input_names():
        names = tuple(str(n) for n in inputs.input_names())
    spec = UDFSpec(
        arrow=_arrow_udf_fits(inputs, dtype),
        timezone=str(spark.conf.get("spark.sql.session.timeZone")),
        archive=_ship(spark.sparkContext, root, meta),
        model_uri=str(model_uri),
        input_names=names,
        result_type=dtype,
        params=dict(params) if params is not None else None,
        trust=trust,
        load_options=dict(load_options or {}),
    )
    return SparkModelUDF(spec)


#: Signature column types whose pandas form is the same from Arrow's ``to_pandas`` as from
#: Spark's own pandas conversion, so the Arrow UDF feeds the model exactly what the pandas
#: UDF would.
_ARROW_INPUTS = frozenset(
    {
        DataType.boolean,
        DataType.integer,
        DataType.long,
        DataType.float,
        DataType.double,
        DataType.string,
        DataType.datetime,
    }
)


def _arrow_udf_fits(inputs: Schema | None, result_type: Any) -> bool:
    """Whether to score through an Arrow iterator UDF rather than a pandas one.

    The Arrow UDF (PySpark >= 4.1) skips Spark's column-by-column Arrow -> pandas conversion
    and its per-value checks of the returned Series; flavorkit builds the pandas frame in one
    call and returns one Arrow array. It is used for named scalar inputs of the types above
    and a scalar number, bool or string result; anything else (tensors, arrays, structs,
    maps, no signature) keeps the pandas UDF, whose conversions those types rely on.
    """
    from pyspark.sql import types as T
    from pyspark.sql.pandas import functions

    if not hasattr(functions, "arrow_udf") or inputs is None or not inputs.has_input_names():
        return False
    if inputs.is_tensor_spec() or not all(
        isinstance(spec, ColSpec) and isinstance(spec.type, DataType) and spec.type in _ARROW_INPUTS
        for spec in inputs.inputs
    ):
        return False
    scalars = (T.NumericType, T.BooleanType, T.StringType)
    return isinstance(result_type, scalars) and not isinstance(result_type, T.DecimalType)


class SparkModelUDF:
    """The UDF :func:`spark_udf` returns; calling it on columns gives a Column."""

    def __init__(self, spec: UDFSpec):
        from pyspark.sql.pandas import functions

        self.spec = spec
        self.result_type = spec.result_type
        wrap: Any = functions.arrow_udf if spec.arrow else functions.pandas_udf
        self._udf = wrap(make_udf_function(spec), returnType=spec.result_type)

    def __call__(self, *columns: Any) -> Any:
        names = self.spec.input_names
        if not columns:
            if names is None:
                raise SchemaEnforcementError(
                    f"{self.spec.model_uri}: the model's signature names no input columns; "
                    "pass the columns to the UDF, e.g. udf('a', 'b')."
                )
            columns = names
        elif names is not None and len(columns) > len(names):
            raise SchemaEnforcementError(
                f"{self.spec.model_uri}: {len(columns)} columns given but the signature declares "
                f"{len(names)} inputs {list(names)}; columns bind to them by position."
            )
        return self._udf(*columns)


def _ship(sc: Any, root: Path, meta: Model) -> str:
    """Register the model directory with Spark once per SparkContext; its archive's name."""
    digest = _digest(root, meta)
    key = (id(sc), digest)
    if key in _SHIPPED:
        return _SHIPPED[key]
    name = f"flavorkit-model-{digest}.zip"
    staging = tempfile.mkdtemp(prefix="flavorkit-spark-")
    if not _STAGING:
        atexit.register(_clean_staging)
    _STAGING.append(staging)
    archive = Path(staging) / name
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(root).as_posix())
    sc.addArchive(str(archive))
    _SHIPPED[key] = name
    return name


def _digest(root: Path, meta: Model) -> str:
    """Names the archive: the same model files give the same name, a re-saved model a new one."""
    h = hashlib.sha256(str(root).encode())
    for path in sorted(root.rglob("*")):
        if path.is_file():
            st = path.stat()
            h.update(f"{path.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}".encode())
    h.update(str(meta.model_uuid).encode())
    return h.hexdigest()[:16]


def _clean_staging() -> None:
    for staging in _STAGING:
        shutil.rmtree(staging, ignore_errors=True)
