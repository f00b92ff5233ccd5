"""Inputs a model's signature must reject, derived from a good input and its schema.

Why derive them: a plugin author should not have to think up bad inputs for each case, and a
signature that accepts anything is a bug in the contract, not in one case. From the example the
signature was inferred from, :func:`bad_inputs` builds one input with a **required input
missing** (a column, a dict key, a named tensor) and one with an input of an **incompatible
type** (text for a number column, numbers for a text column, a scalar for an array column,
text for a numeric tensor), plus a tensor of the **wrong rank**. Each must raise
:class:`~flavorkit.errors.SchemaEnforcementError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flavorkit.schema import AnyType, ColSpec, DataType, Schema, TensorSpec

__all__ = ["BadInput", "bad_inputs"]

_NOT_A_VALUE = "flavorkit-conformance-not-a-value"


@dataclass(frozen=True)
class BadInput:
    """An input the signature must reject: what is wrong with it, the data, the input it breaks."""

    description: str
    data: Any
    input_name: str | int | None = None


def bad_inputs(data: Any, schema: Schema) -> list[BadInput]:
    """Inputs derived from ``data`` (which satisfies ``schema``) that ``schema`` must reject.

    Returns an empty list for input kinds no rule covers (sparse matrices, a DataFrame for a
    tensor signature, a scalar), which the suite reports as a skip.
    """
    if schema.is_tensor_spec():
        return _tensor_bad_inputs(data, schema)
    return _column_bad_inputs(data, schema)


# -- columns ------------------------------------------------------------------------------------


def _wrong_value(t: Any, n: int) -> tuple[list[Any], str] | None:
    """``n`` values incompatible with column type ``t``, and how to describe them."""
    if isinstance(t, AnyType):
        return None
    if t in (DataType.string, DataType.binary):
        return list(range(1, n + 1)), "int values"
    if isinstance(t, DataType):
        return [_NOT_A_VALUE] * n, "str values"
    return list(range(1, n + 1)), "int scalars"  # Array, Object, Map: not a list / dict


def _pick_column(schema: Schema) -> tuple[int, ColSpec] | None:
    """The first column (required first) whose type has an incompatible replacement."""
    specs = [s for s in schema.inputs if isinstance(s, ColSpec)]
    ordered = [s for s in specs if s.required] + [s for s in specs if not s.required]
    for spec in ordered:
        if _wrong_value(spec.type, 1) is not None:
            return specs.index(spec), spec
    return None


def _column_label(spec: ColSpec, position: int) -> str | int:
    return spec.name if spec.name is not None else position


def _column_bad_inputs(data: Any, schema: Schema) -> list[BadInput]:
    import pandas as pd

    out: list[BadInput] = []
    required = [s for s in schema.inputs if isinstance(s, ColSpec) and s.required]
    picked = _pick_column(schema)
    if isinstance(data, pd.DataFrame):
        if required:
            if schema.has_input_names():
                name = required[0].name
                out.append(
                    BadInput(
                        f"the DataFrame without required column {name!r}",
                        data.drop(columns=[name]),
                        name,
                    )
                )
            elif data.shape[1] > 0:
                out.append(
                    BadInput(
                        f"the DataFrame without its last column (of {data.shape[1]} "
                        "unnamed columns)",
                        data.iloc[:, :-1],
                    )
                )
        if picked is not None:
            position, spec = picked
            label = _column_label(spec, position)
            bad = data.copy()
            values, what = _wrong_value(spec.type, len(bad)) or ([], "")
            column = bad.columns[position] if spec.name is None else spec.name
            bad[column] = pd.Series(values, index=bad.index)
            out.append(BadInput(f"column {label!r} ({spec.type!r}) given as {what}", bad, label))
        return out
    if isinstance(data, pd.Series) and picked is not None:
        values, what = _wrong_value(picked[1].type, len(data)) or ([], "")
        return [BadInput(f"the Series given as {what}", pd.Series(values))]
    if isinstance(data, Mapping) and schema.has_input_names():
        return _mapping_bad_inputs(data, required, picked)
    if isinstance(data, list) and data and all(isinstance(r, Mapping) for r in data):
        records: list[Mapping[str, Any]] = data
        if required and required[0].name is not None:
            name = required[0].name
            out.append(
                BadInput(
                    f"the records without required key {name!r}",
                    [{k: v for k, v in r.items() if k != name} for r in records],
                    name,
                )
            )
        if picked is not None and picked[1].name is not None:
            spec = picked[1]
            (value, *_), what = _wrong_value(spec.type, 1) or ([None], "")
            out.append(
                BadInput(
                    f"key {spec.name!r} ({spec.type!r}) of every record given as {what}",
                    [{**r, spec.name: value} for r in records],
                    spec.name,
                )
            )
        return out
    if isinstance(data, list) and data and picked is not None and len(schema.inputs) == 1:
        values, what = _wrong_value(picked[1].type, len(data)) or ([], "")
        return [BadInput(f"the list given as {what}", values)]
    return out


def _mapping_bad_inputs(
    data: Mapping[str, Any], required: list[ColSpec], picked: tuple[int, ColSpec] | None
) -> list[BadInput]:
    out: list[BadInput] = []
    name = required[0].name if required else None
    if name is not None and name in data:
        rest = {k: v for k, v in data.items() if k != name}
        out.append(BadInput(f"the dict without required key {name!r}", rest, name))
    if picked is not None and picked[1].name is not None and picked[1].name in data:
        spec = picked[1]
        current = data[picked[1].name]  # type: ignore[index]  # a dict input's names are str
        n = len(current) if isinstance(current, (list, tuple)) else 1
        values, what = _wrong_value(spec.type, n) or ([], "")
        value: Any = values if isinstance(current, (list, tuple)) else values[0]
        out.append(
            BadInput(
                f"key {spec.name!r} ({spec.type!r}) given as {what}",
                {**data, spec.name: value},
                spec.name,
            )
        )
    return out


# -- tensors ------------------------------------------------------------------------------------


def _wrong_dtype_array(arr: Any, spec: TensorSpec) -> tuple[Any, str] | None:
    import numpy as np

    kind = spec.type.kind
    if kind == "O":
        return None  # an object tensor accepts anything
    if kind in "biufcmM":
        return np.full(arr.shape, _NOT_A_VALUE), f"str (instead of {spec.type})"
    return np.zeros(arr.shape, dtype=np.float64), f"float64 (instead of {spec.type})"


def _tensor_bad_inputs(data: Any, schema: Schema) -> list[BadInput]:
    import numpy as np

    specs = [s for s in schema.inputs if isinstance(s, TensorSpec)]
    out: list[BadInput] = []
    if isinstance(data, np.ndarray) and len(specs) == 1:
        wrong = _wrong_dtype_array(data, specs[0])
        if wrong is not None:
            out.append(BadInput(f"the array with dtype {wrong[1]}", wrong[0]))
        out.append(
            BadInput(
                f"the array with shape {(*data.shape, 1)} (expected {specs[0].shape})",
                data[..., None],
            )
        )
        return out
    if isinstance(data, Mapping) and schema.has_input_names():
        named = [s for s in specs if s.name in data and isinstance(data[s.name], np.ndarray)]
        if not named:
            return out
        first = named[0]
        name = first.name
        assert name is not None
        rest = {k: v for k, v in data.items() if k != name}
        out.append(BadInput(f"the dict without required tensor {name!r}", rest, name))
        wrong = _wrong_dtype_array(data[name], first)
        if wrong is not None:
            out.append(
                BadInput(f"tensor {name!r} with dtype {wrong[1]}", {**data, name: wrong[0]}, name)
            )
        reshaped = data[name][..., None]
        out.append(
            BadInput(
                f"tensor {name!r} with shape {reshaped.shape} (expected {first.shape})",
                {**data, name: reshaped},
                name,
            )
        )
    return out
