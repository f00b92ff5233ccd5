"""Schemas: what a model accepts and returns, in MLflow's JSON form.

A :class:`Schema` is a non-empty list of :class:`ColSpec` (tabular or JSON-like data) or of
:class:`TensorSpec` (arrays), never a mix. Column types are a scalar :class:`DataType` or the
nested :class:`Array`, :class:`Object` (with :class:`Property`), :class:`Map` and :class:`AnyType`.
:class:`ParamSpec` and :class:`ParamSchema` describe the inference-time ``params``.

``to_dict``/``to_json`` produce exactly the JSON MLflow writes (same key order, same separators),
so identical content gives identical text; ``from_dict``/``from_json`` read everything MLflow
1.x–3.x writes and raise :class:`~flavorkit.errors.SchemaError` naming the entry and key at fault.

numpy is imported only when a :class:`TensorSpec` or a numpy/pandas dtype is asked for, so reading a
column-based signature (``flavorkit info``) stays light.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

from flavorkit.coercion.params import enforce_param_value
from flavorkit.datatypes import (
    AnyType,
    Array,
    ColumnType,
    DataType,
    Map,
    Object,
    ParamType,
    Property,
    SparkMLVector,
    coerce_type,
    type_from_dict,
    type_to_dict,
)
from flavorkit.errors import SchemaEnforcementError, SchemaError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "AnyType",
    "Array",
    "ColSpec",
    "ColumnType",
    "DataType",
    "Map",
    "Object",
    "ParamSchema",
    "ParamSpec",
    "Property",
    "Schema",
    "SparkMLVector",
    "TensorSpec",
]


@dataclass(frozen=True)
class ColSpec:
    """One column: its type, its name (``None`` when positional) and whether it is required.

    A name is a string or, as in MLflow, an integer: the label of a frame column such as ``0``.
    Integer names are written as JSON numbers (``"name": 0``) and read back as integers.
    """

    type: ColumnType
    name: str | int | None = None
    required: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", coerce_type(self.type, f"column {self.name!r}"))
        name: Any = self.name
        if name is not None and not isinstance(name, str):
            if isinstance(name, bool) or not isinstance(name, numbers.Integral):
                raise SchemaError(
                    f"Column names must be strings or integers, got {type(name).__name__} {name!r}."
                )
            object.__setattr__(self, "name", int(name))  # a numpy integer label -> int
        if not isinstance(self.required, bool):
            raise SchemaError(
                f"Column {name!r}: required must be True or False, got {self.required!r}."
            )

    def to_dict(self) -> dict[str, Any]:
        d = type_to_dict(self.type)
        if self.name is not None:
            d["name"] = self.name
        d["required"] = self.required
        return d

    def __repr__(self) -> str:
        req = "required" if self.required else "optional"
        if self.name is None:
            return f"{self.type!r} ({req})"
        return f"{self.name!r}: {self.type!r} ({req})"


@dataclass(frozen=True, init=False)
class TensorSpec:
    """One tensor: numpy dtype (unsized: ``str``, not ``<U5``), shape (-1 = any size) and name."""

    type: np.dtype[Any]
    shape: tuple[int, ...]
    name: str | None = None

    def __init__(self, type: Any, shape: Sequence[int], name: str | None = None):
        import numpy as np

        where = "Tensor" if name is None else f"Tensor {name!r}"
        try:
            dtype = np.dtype(type)
        except TypeError as e:
            raise SchemaError(f"{where}: {type!r} is not a numpy dtype ({e}).") from None
        if dtype.kind in "US" and dtype.itemsize:
            base = dtype.name.rstrip("0123456789")
            raise SchemaError(
                f"{where}: sized dtype {dtype.str!r} is not allowed in a signature; "
                f"use np.dtype({base!r})."
            )
        if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
            raise SchemaError(f"{where}: shape must be a list or tuple, got {shape!r}")
        dims = tuple(shape)
        if not all(isinstance(d, int) and not isinstance(d, bool) and d >= -1 for d in dims):
            raise SchemaError(
                f"{where}: shape {list(dims)} must hold integers >= 0, or -1 for any size."
            )
        object.__setattr__(self, "type", dtype)
        object.__setattr__(self, "shape", dims)
        object.__setattr__(self, "name", name)

    @property
    def required(self) -> bool:
        """Tensors are always required."""
        return True

    def to_dict(self) -> dict[str, Any]:
        spec = {"dtype": self.type.name, "shape": list(self.shape)}
        if self.name is None:
            return {"type": "tensor", "tensor-spec": spec}
        return {"name": self.name, "type": "tensor", "tensor-spec": spec}

    def __repr__(self) -> str:
        info = f"Tensor({self.type.name!r}, {self.shape!r})"
        return info if self.name is None else f"{self.name!r}: {info}"


InputSpec = Union[ColSpec, TensorSpec]
InputName = Union[str, int]


class Schema:
    """A non-empty list of column specs or of tensor specs: what a model takes or returns."""

    def __init__(self, inputs: Sequence[InputSpec]):
        if isinstance(inputs, (str, bytes, Mapping)) or not isinstance(inputs, Iterable):
            raise SchemaError(
                f"A schema takes a list of ColSpec or TensorSpec, got {type(inputs).__name__}."
            )
        specs: list[InputSpec] = list(inputs)
        others = sorted(
            {type(x).__name__ for x in specs if not isinstance(x, (ColSpec, TensorSpec))}
        )
        if others:
            raise SchemaError(f"A schema takes ColSpec or TensorSpec entries, not {others}.")
        if not specs:
            raise SchemaError("A schema needs at least one ColSpec or TensorSpec.")
        if not (
            all(isinstance(x, ColSpec) for x in specs)
            or all(isinstance(x, TensorSpec) for x in specs)
        ):
            kinds = sorted({type(x).__name__ for x in specs})
            raise SchemaError(f"A schema holds either ColSpecs or TensorSpecs, not {kinds}.")
        named = [x.name is not None for x in specs]
        if any(named) and not all(named):
            raise SchemaError(
                "A schema's inputs must be all named or all unnamed; got names "
                f"{[x.name for x in specs]}."
            )
        if isinstance(specs[0], TensorSpec) and len(specs) > 1 and not all(named):
            raise SchemaError("Several TensorSpecs need a name each.")
        if not all(named) and any(not x.required for x in specs):
            raise SchemaError("Unnamed inputs cannot be optional: name them or make them required.")
        names = [x.name for x in specs if x.name is not None]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise SchemaError(f"A schema has duplicated input names: {duplicated}")
        self.inputs: list[InputSpec] = specs

    def __len__(self) -> int:
        return len(self.inputs)

    def __iter__(self) -> Iterator[InputSpec]:
        return iter(self.inputs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and self.inputs == other.inputs

    def __hash__(self) -> int:
        return hash(tuple(self.inputs))

    def __repr__(self) -> str:
        return f"Schema({self.inputs!r})"

    # -- MLflow's Schema API: same names, same answers -------------------------------------------

    def is_tensor_spec(self) -> bool:
        """True when the schema describes tensors rather than columns."""
        return isinstance(self.inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        """True when inputs are named (columns or tensors by name, not by position)."""
        return self.inputs[0].name is not None

    def input_names(self) -> list[InputName]:
        """Input names, or positions 0..n-1 for an unnamed schema."""
        return [x.name if x.name is not None else i for i, x in enumerate(self.inputs)]

    def required_input_names(self) -> list[InputName]:
        """The names (or positions) of the inputs that must be present."""
        return [n for n, x in zip(self.input_names(), self.inputs, strict=True) if x.required]

    def optional_input_names(self) -> list[InputName]:
        """The names of the inputs that may be absent (always empty for an unnamed schema)."""
        return [n for n, x in zip(self.input_names(), self.inputs, strict=True) if not x.required]

    def input_types(self) -> list[Any]:
        """Each input's type: a column type, or a numpy dtype for a tensor."""
        return [x.type for x in self.inputs]

    def input_types_dict(self) -> dict[InputName, Any]:
        """Name → type; only for a named schema."""
        return {name: spec.type for name, spec in self.input_dict().items()}

    def input_dict(self) -> dict[InputName, InputSpec]:
        """Name → spec; only for a named schema."""
        if not self.has_input_names():
            raise SchemaError("This schema's inputs are unnamed, so there is no name → input map.")
        return {x.name: x for x in self.inputs if x.name is not None}

    def numpy_types(self) -> list[np.dtype[Any]]:
        """The numpy dtype of each input: the tensor dtypes, or each scalar column's dtype.

        Columns of Array, Object, Map or Any type have none, which raises SchemaError.
        """
        if self.is_tensor_spec():
            return [x.type for x in self.inputs]  # type: ignore[misc]
        return [t.to_numpy() for t in self._scalar_types("numpy")]

    def pandas_types(self) -> list[Any]:
        """The pandas dtype of each scalar column (``object`` for string and binary).

        Tensor schemas have none (use :meth:`numpy_types`), nor do Array, Object, Map or Any
        columns: both raise SchemaError.
        """
        if self.is_tensor_spec():
            raise SchemaError("A tensor schema has no pandas types; use numpy_types() instead.")
        return [t.to_pandas() for t in self._scalar_types("pandas")]

    def _scalar_types(self, kind: str) -> list[DataType]:
        types = self.input_types()
        others = [
            n for n, t in zip(self.input_names(), types, strict=True) if not isinstance(t, DataType)
        ]
        if others:
            raise SchemaError(
                f"Inputs {others} are not scalar DataType columns, so they have no {kind} type."
            )
        return types

    def to_dict(self) -> list[dict[str, Any]]:
        return [x.to_dict() for x in self.inputs]

    def to_json(self) -> str:
        """MLflow's exact JSON text (``json.dumps`` with default separators)."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Any) -> Schema:
        if not isinstance(data, list):
            raise SchemaError(f"A schema must be a JSON list of specs, got {type(data).__name__}.")
        return cls([_spec_from_dict(item, i) for i, item in enumerate(data)])

    @classmethod
    def from_json(cls, text: str) -> Schema:
        return cls.from_dict(_loads(text, "schema"))


def _loads(text: str, what: str) -> Any:
    if not isinstance(text, str):
        raise SchemaError(f"The {what} must be a JSON string, got {type(text).__name__}.")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise SchemaError(f"The {what} is not valid JSON: {e}") from None


def _spec_from_dict(item: Any, index: int) -> InputSpec:
    where = f"schema entry {index}"
    if not isinstance(item, dict):
        raise SchemaError(f"{where}: expected a JSON object, got {item!r}.")
    if "type" not in item:
        raise SchemaError(f"{where}: missing key 'type' in {item!r}.")
    name = item.get("name")  # MLflow writes integer names for frames with integer column labels
    if name is not None and (not isinstance(name, (str, int)) or isinstance(name, bool)):
        raise SchemaError(f"{where}: key 'name' must be a string or an integer, got {name!r}.")
    if item["type"] == "tensor":
        spec = item.get("tensor-spec")
        if not isinstance(spec, dict) or not {"dtype", "shape"} <= spec.keys():
            raise SchemaError(
                f"{where}: a tensor needs 'tensor-spec': {{'dtype': ..., 'shape': [...]}}, "
                f"got {item!r}."
            )
        tensor_name = name if name is None or isinstance(name, str) else str(name)
        return TensorSpec(spec["dtype"], _shape(spec["shape"], where), tensor_name)
    required = item.get("required", True)
    if required is None:  # MLflow reads a missing 'required' of complex types as None
        required = True
    if not isinstance(required, bool):
        raise SchemaError(f"{where}: key 'required' must be true or false, got {required!r}.")
    return ColSpec(type_from_dict(item, where), name, required)


def _shape(value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)):
        raise SchemaError(f"{where}: 'shape' must be a list of integers, got {value!r}.")
    return tuple(value)


@dataclass(frozen=True)
class ParamSpec:
    """One inference parameter: name, type, default and shape (``None`` scalar, ``(-1,)`` list).

    The default is validated and normalised (``2`` for a double becomes ``2.0``) on creation.
    """

    name: str
    type: ParamType
    default: Any
    shape: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", str(self.name))
        t: Any = self.type
        if isinstance(t, str):
            t = coerce_type(t, f"param '{self.name}'")
        if not isinstance(t, (DataType, Object)):
            raise SchemaError(
                f"Param '{self.name}': type must be a scalar DataType or an Object, got {t!r}."
            )
        if t is DataType.binary:
            raise SchemaError(f"Param '{self.name}': binary params are not supported.")
        object.__setattr__(self, "type", t)
        if self.shape is not None:
            shape = tuple(self.shape)
            if shape != (-1,):
                raise SchemaError(
                    f"Param '{self.name}': shape must be None (a scalar) or (-1,) (a 1-D list), "
                    f"got {shape}."
                )
            object.__setattr__(self, "shape", shape)
        try:
            default = self.validate(self.default)
        except SchemaEnforcementError as e:
            raise SchemaError(f"Param '{self.name}': invalid default: {e}") from None
        object.__setattr__(self, "default", default)

    def validate(self, value: Any) -> Any:
        """Return ``value`` converted to this param's type, or raise SchemaEnforcementError."""
        return enforce_param_value(self, value)

    def to_dict(self) -> dict[str, Any]:
        default = self.default
        if self.type is DataType.datetime and default is not None:
            default = [v.isoformat() for v in default] if self.shape else default.isoformat()
        d: dict[str, Any] = {
            "name": self.name,
            "default": default,
            "shape": list(self.shape) if self.shape is not None else None,
        }
        d.update(type_to_dict(self.type))
        return d

    @classmethod
    def from_dict(cls, d: Any, index: int = 0) -> ParamSpec:
        where = f"param entry {index}"
        if not isinstance(d, dict):
            raise SchemaError(f"{where}: expected a JSON object, got {d!r}.")
        key = "type" if "type" in d else "dtype"  # old MLflow wrote 'dtype'
        missing = {"name", key, "default"} - d.keys()
        if missing:
            raise SchemaError(f"{where}: missing keys {sorted(missing)} in {d!r}.")
        if d[key] == "object":
            t: ParamType = type_from_dict({**d, "type": "object"}, where)  # type: ignore[assignment]
        else:
            t = coerce_type(d[key], where)  # type: ignore[assignment]
        shape = d.get("shape")
        if shape is not None:
            shape = _shape(shape, where)
        return cls(d["name"], t, d["default"], shape)

    def __repr__(self) -> str:
        shape = f" (shape: {self.shape})" if self.shape is not None else ""
        return f"{self.name!r}: {self.type!r} (default: {self.default!r}){shape}"


@dataclass(frozen=True)
class ParamSchema:
    """The params a model accepts at predict time."""

    params: tuple[ParamSpec, ...] = field(default_factory=tuple)

    def __init__(self, params: Sequence[ParamSpec]):
        specs = tuple(params)
        if not all(isinstance(p, ParamSpec) for p in specs):
            raise SchemaError("ParamSchema takes ParamSpec instances.")
        names = [p.name for p in specs]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise SchemaError(f"Duplicated param names: {duplicated}")
        object.__setattr__(self, "params", specs)

    def __iter__(self) -> Iterator[ParamSpec]:
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    def to_dict(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.params]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Any) -> ParamSchema:
        if not isinstance(data, list):
            raise SchemaError(f"A param schema must be a JSON list, got {type(data).__name__}.")
        return cls([ParamSpec.from_dict(d, i) for i, d in enumerate(data)])

    @classmethod
    def from_json(cls, text: str) -> ParamSchema:
        return cls.from_dict(_loads(text, "param schema"))
