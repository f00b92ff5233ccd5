"""Spark SQL types for a signature: what ``result_type=None`` means, and how results are cast.

| output schema | result type |
|---|---|
| none | ``double`` (as MLflow) |
| one column of a scalar type | that type (``long`` → ``LongType``...) |
| one ``Array(T)`` column / one tensor of shape (-1, k) | ``array<T>`` |
| one tensor of shape (-1,) | its element type |
| several columns or tensors | a struct with one field per output |
"""

from __future__ import annotations

from typing import Any

from flavorkit.errors import SchemaError
from flavorkit.schema import Array, DataType, Map, Object, Schema, TensorSpec

__all__ = ["numpy_dtype_for", "parse_result_type", "result_type_for", "spark_type"]

_SCALARS = {
    DataType.boolean: "BooleanType",
    DataType.integer: "IntegerType",
    DataType.long: "LongType",
    DataType.float: "FloatType",
    DataType.double: "DoubleType",
    DataType.string: "StringType",
    DataType.binary: "BinaryType",
    DataType.datetime: "TimestampType",
}

_NUMPY_KINDS = {
    "b": "BooleanType",
    "U": "StringType",
    "S": "BinaryType",
    "O": "StringType",
    "M": "TimestampType",
}

_NUMPY_NAMES = {
    "int8": "ByteType",
    "int16": "ShortType",
    "int32": "IntegerType",
    "int64": "LongType",
    "uint8": "ShortType",
    "uint16": "IntegerType",
    "uint32": "LongType",
    "float16": "FloatType",
    "float32": "FloatType",
    "float64": "DoubleType",
}


def spark_type(t: Any) -> Any:
    """The Spark SQL type of a signature column type."""
    from pyspark.sql import types as T

    if isinstance(t, DataType):
        return getattr(T, _SCALARS[t])()
    if isinstance(t, Array):
        return T.ArrayType(spark_type(t.items))
    if isinstance(t, Object):
        return T.StructType([T.StructField(p.name, spark_type(p.type)) for p in t.properties])
    if isinstance(t, Map):
        return T.MapType(T.StringType(), spark_type(t.values))
    raise SchemaError(f"No Spark type for {t!r}; pass result_type= to spark_udf.")


def _tensor_type(spec: TensorSpec) -> Any:
    from pyspark.sql import types as T

    name = _NUMPY_NAMES.get(spec.type.name) or _NUMPY_KINDS.get(spec.type.kind)
    if name is None:
        raise SchemaError(f"No Spark type for tensor dtype {spec.type}; pass result_type=.")
    element = getattr(T, name)()
    for _ in spec.shape[1:]:
        element = T.ArrayType(element)
    return element


def _output_type(spec: Any) -> Any:
    return _tensor_type(spec) if isinstance(spec, TensorSpec) else spark_type(spec.type)


def result_type_for(outputs: Schema | None) -> Any:
    """The result type ``spark_udf`` infers from a model's output schema."""
    from pyspark.sql import types as T

    if outputs is None:
        return T.DoubleType()
    specs = list(outputs.inputs)
    if len(specs) == 1:
        return _output_type(specs[0])
    fields = []
    for i, spec in enumerate(specs):
        name = str(spec.name) if spec.name is not None else f"_{i}"
        fields.append(T.StructField(name, _output_type(spec)))
    return T.StructType(fields)


def parse_result_type(result_type: Any) -> Any:
    """A Spark DataType from a DataType or a DDL string (``"double"``, ``"array<float>"``)."""
    from pyspark.sql import types as T

    if isinstance(result_type, T.DataType):
        return result_type
    if isinstance(result_type, str):
        try:
            return T.DataType.fromDDL(result_type)
        except Exception as e:
            raise SchemaError(f"result_type {result_type!r} is not a Spark SQL type: {e}") from None
    raise SchemaError(
        f"result_type must be a pyspark DataType or a DDL string, got {type(result_type).__name__}"
    )


def numpy_dtype_for(dt: Any) -> str | None:
    """The numpy dtype a scalar Spark result is cast to before it goes back to Spark."""
    from pyspark.sql import types as T

    table = {
        T.BooleanType: "bool",
        T.ByteType: "int8",
        T.ShortType: "int16",
        T.IntegerType: "int32",
        T.LongType: "int64",
        T.FloatType: "float32",
        T.DoubleType: "float64",
    }
    for cls, name in table.items():
        if isinstance(dt, cls):
            return name
    return None
