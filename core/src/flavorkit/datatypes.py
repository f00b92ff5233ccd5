"""Column types: the scalar :class:`DataType` and the nested Array, Object, Map and Any types.

These are the types a column, an array item, a map value, an object property or a param is
declared with, and their MLflow JSON form (``{"type": "array", "items": ...}``). They sit below
:mod:`flavorkit.schema` (which adds column, tensor and param specs on top) so that the value
checks in :mod:`flavorkit.coercion`, which :class:`~flavorkit.schema.ParamSpec` uses to validate
its default, need nothing from the schema module. Every name here is also importable from
:mod:`flavorkit.schema`, where the docs and plugins import it.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Union

from flavorkit.errors import SchemaError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "AnyType",
    "Array",
    "ColumnType",
    "DataType",
    "Map",
    "Object",
    "ParamType",
    "Property",
    "SparkMLVector",
    "coerce_type",
    "type_from_dict",
    "type_to_dict",
]


_PY_FLOAT = float  # the enum below shadows the builtin name inside its body


class DataType(Enum):
    """A scalar column type, named as in MLflow's signature JSON."""

    boolean = "boolean"
    integer = "integer"
    long = "long"
    float = "float"
    double = "double"
    string = "string"
    binary = "binary"
    datetime = "datetime"

    def __repr__(self) -> str:
        return self.value

    @property
    def numpy_name(self) -> str:
        """The numpy dtype name, without importing numpy (``long`` → ``"int64"``)."""
        return _NUMPY_NAMES[self]

    def to_numpy(self) -> np.dtype[Any]:
        """The numpy dtype MLflow maps this type to (``string`` → ``<U0``, ``binary`` → ``|S0``)."""
        import numpy as np

        return np.dtype(_NUMPY_NAMES[self])

    def to_pandas(self) -> Any:
        """The pandas dtype enforcement casts to (``object`` for string and binary)."""
        import numpy as np

        if self in (DataType.string, DataType.binary):
            return np.dtype(object)
        return self.to_numpy()

    def to_python(self) -> type:
        """The Python type of one value (``datetime`` → :class:`datetime.date`)."""
        return _PYTHON_TYPES[self]

    @classmethod
    def check_type(cls, data_type: DataType, value: Any) -> bool:
        """Whether ``value`` is exactly a value of ``data_type``, as MLflow's check decides.

        The value's own type must be the type's numpy scalar type or Python type (``np.int64``
        or ``int`` for ``long``; ``bool`` is not an ``int`` here); ``datetime`` also takes
        :class:`datetime.datetime` and ``np.datetime64``, ``binary`` also ``bytearray``. No
        conversion is attempted: this answers "is it already that type", not "would it convert".
        """
        import numpy as np

        exact: set[type] = {np.dtype(_NUMPY_NAMES[data_type]).type, _PYTHON_TYPES[data_type]}
        if data_type is DataType.datetime:
            exact |= {_dt.datetime, np.datetime64}
        elif data_type is DataType.binary:
            exact.add(bytearray)
        return type(value) in exact


_NUMPY_NAMES = {
    DataType.boolean: "bool",
    DataType.integer: "int32",
    DataType.long: "int64",
    DataType.float: "float32",
    DataType.double: "float64",
    DataType.string: "str",
    DataType.binary: "bytes",
    DataType.datetime: "datetime64[ns]",
}


_PYTHON_TYPES: dict[DataType, type] = {
    DataType.boolean: bool,
    DataType.integer: int,
    DataType.long: int,
    DataType.float: _PY_FLOAT,
    DataType.double: _PY_FLOAT,
    DataType.string: str,
    DataType.binary: bytes,
    DataType.datetime: _dt.date,
}


@dataclass(frozen=True)
class Array:
    """A list whose items all have type ``items``."""

    items: ColumnType

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", coerce_type(self.items, "Array items"))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "array", "items": type_to_dict(self.items)}

    def __repr__(self) -> str:
        return f"Array({self.items!r})"


@dataclass(frozen=True)
class Property:
    """One named, typed field of an :class:`Object`."""

    name: str
    type: ColumnType
    required: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise SchemaError(f"Property name must be a string, got {type(self.name).__name__}")
        object.__setattr__(self, "type", coerce_type(self.type, f"property '{self.name}'"))

    def to_dict(self) -> dict[str, Any]:
        body = type_to_dict(self.type)
        body["required"] = self.required
        return {self.name: body}

    def __repr__(self) -> str:
        return f"{self.name}: {self.type!r} ({'required' if self.required else 'optional'})"


@dataclass(frozen=True)
class Object:
    """A JSON object with known properties; properties are kept sorted by name, as MLflow does."""

    properties: tuple[Property, ...]

    def __init__(self, properties: Sequence[Property]):
        props = tuple(properties)
        if not props:
            raise SchemaError("An Object type needs at least one property.")
        if not all(isinstance(p, Property) for p in props):
            raise SchemaError("Object properties must be Property instances.")
        names = [p.name for p in props]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise SchemaError(f"Object has duplicated property names: {duplicated}")
        object.__setattr__(self, "properties", tuple(sorted(props, key=lambda p: p.name)))

    def to_dict(self) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        for prop in self.properties:
            properties.update(prop.to_dict())
        return {"type": "object", "properties": properties}

    def __repr__(self) -> str:
        return "{" + ", ".join(map(repr, self.properties)) + "}"


@dataclass(frozen=True)
class Map:
    """A JSON object with string keys and values of one type."""

    values: ColumnType

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", coerce_type(self.values, "Map values"))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "map", "values": type_to_dict(self.values)}

    def __repr__(self) -> str:
        return f"Map(str -> {self.values!r})"


@dataclass(frozen=True)
class AnyType:
    """Any JSON-serialisable value, ``None`` included; nothing is checked."""

    def to_dict(self) -> dict[str, Any]:
        return {"type": "any"}

    def __repr__(self) -> str:
        return "Any"


@dataclass(frozen=True)
class SparkMLVector:
    """Spark ML's vector type: read and written back so Spark-saved signatures survive."""

    def to_dict(self) -> dict[str, Any]:
        return {"type": "sparkml_vector"}

    def __repr__(self) -> str:
        return "SparkML vector"


ColumnType = Union[DataType, Array, Object, Map, AnyType, SparkMLVector]


_COMPLEX = (Array, Object, Map, AnyType, SparkMLVector)


def coerce_type(value: Any, what: str) -> ColumnType:
    """Accept a type object or a scalar type name (``"double"``)."""
    if isinstance(value, (DataType, *_COMPLEX)):
        return value
    if isinstance(value, str):
        try:
            return DataType(value)
        except ValueError:
            pass
    names = [t.value for t in DataType]
    raise SchemaError(
        f"Unsupported type {value!r} for {what}: use a DataType, Array, Object, Map or AnyType, "
        f"or one of {names}."
    )


def type_to_dict(t: ColumnType) -> dict[str, Any]:
    if isinstance(t, DataType):
        return {"type": t.value}
    return t.to_dict()


def type_from_dict(d: Any, where: str) -> ColumnType:
    """Parse ``{"type": ..., ...}`` (a column, array item, map value or property body)."""
    if not isinstance(d, dict) or "type" not in d:
        raise SchemaError(f"{where}: expected an object with a 'type' key, got {d!r}.")
    kind = d["type"]
    try:
        if kind == "array":
            return Array(type_from_dict(d.get("items"), f"{where} items"))
        if kind == "map":
            return Map(type_from_dict(d.get("values"), f"{where} values"))
        if kind == "object":
            props = d.get("properties")
            if not isinstance(props, dict):
                raise SchemaError(f"{where}: 'properties' must be an object, got {props!r}.")
            return Object([_property_from_dict(n, body, where) for n, body in props.items()])
        if kind == "any":
            return AnyType()
        if kind == "sparkml_vector":
            return SparkMLVector()
        return coerce_type(kind, where)
    except SchemaError as e:
        if str(e).startswith(where):
            raise
        raise SchemaError(f"{where}: {e}") from None


def _property_from_dict(name: str, body: Any, where: str) -> Property:
    inner = f"{where} property '{name}'"
    t = type_from_dict(body, inner)
    required = body.get("required", True)
    if not isinstance(required, bool):
        raise SchemaError(f"{inner}: 'required' must be true or false, got {required!r}.")
    return Property(name, t, required)


ParamType = Union[DataType, Object]
