"""Refusing the JSON values that MLflow's scoring server would change silently.

MLflow's server casts JSON data to the signature's types with ``astype`` / ``np.array(dtype=)``
before enforcement (``mlflow-format.md`` §8), and those casts lose data without a word:

=============================================  ==========================  =====================
sent                                           to a column / tensor of     MLflow predicts on
=============================================  ==========================  =====================
``2.5``                                        ``long``, ``integer``, int  ``2``
``3000000000``                                 ``integer`` (int32)         ``-1294967296``
``-1``                                         ``uint8`` tensor            ``255``
``"false"``, ``"no"``                          ``boolean``                 ``True``
``2``                                          ``boolean``                 ``True``
``1e39``                                       ``float`` (float32)         ``inf``
=============================================  ==========================  =====================

flavorkit's server answers these with a 400 that names the column, the value and the fix. What
is lossless stays accepted, as in MLflow: ``2`` or ``2.0`` for a ``long``, ``2`` for a
``double``, ``true``/``false`` and ``0``/``1`` for a ``boolean``, numeric strings such as
``"3"`` where pandas parses them exactly (``"2.5"`` for a ``long`` fails in the cast itself).

The check reads only the values that feed an integer, boolean or narrow-float column, in the
places :func:`flavorkit.examples.parse_serving_payload` takes them from, before it casts them;
it does not parse anything itself. CSV needs no such check: ``pd.read_csv(dtype=...)`` already
refuses ``2.5`` for an integer column.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flavorkit.schema import ColSpec, DataType, Schema, TensorSpec
from flavorkit.serve.errors import RequestError

if TYPE_CHECKING:
    from flavorkit.schema import InputSpec

__all__ = ["check_lossless"]

Check = Callable[[Any], "str | None"]  # a value → None if it converts exactly, else why not

#: The exact range of each numpy integer type, and the largest finite value of the small floats:
#: what a JSON number must fit to convert without loss (the OpenAPI document states them too).
INT_BOUNDS = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint8": (0, 2**8 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
}
FLOAT_MAX = {"float16": 65504.0, "float32": 3.4028234663852886e38}


def check_lossless(body: Mapping[str, Any], key: str, schema: Schema | None) -> None:
    """Raise a 400 :class:`RequestError` if a value under ``body[key]`` would be cast lossily.

    ``key`` is the input key of the body (``dataframe_split``, ``dataframe_records``,
    ``instances`` or ``inputs``). Malformed shapes are left alone: the parser reports them.
    """
    if schema is None:
        return
    checks = _checks(schema)
    if not checks:
        return
    value = body.get(key)
    if key == "dataframe_split":
        _check_split(value, schema, checks)
    elif key == "dataframe_records" or (_is_row_list(value) and schema.has_input_names()):
        for row in value if isinstance(value, list) else []:
            if isinstance(row, Mapping):
                _check_row(row, checks)
    elif isinstance(value, Mapping):
        _check_row(value, checks)
    elif schema.has_input_names():
        named = [s for s in schema.inputs if s.name is not None]
        if len(named) == 1 and isinstance(value, list) and named[0].name in checks:
            _check_leaves(value, named[0].name, checks[named[0].name])  # a bare list, one input
    elif 0 in checks:
        _check_leaves(value, 0, checks[0])  # unnamed: the whole value is cast to the first spec


def _checks(schema: Schema) -> dict[str | int, tuple[str, Check]]:
    """Column name (or position, for unnamed schemas) → (type label, check) for lossy targets."""
    out: dict[str | int, tuple[str, Check]] = {}
    for i, spec in enumerate(schema.inputs):
        found = _check_for(spec)
        if found is not None:
            out[spec.name if spec.name is not None else i] = found
    return out


def _check_for(spec: InputSpec) -> tuple[str, Check] | None:
    if isinstance(spec, TensorSpec):
        dtype = spec.type
        label = f"tensor of {dtype.name}"
        if dtype.kind == "b":
            return label, _check_bool
        if dtype.name in INT_BOUNDS:
            return label, _int_check(*INT_BOUNDS[dtype.name])
        if dtype.name in FLOAT_MAX:
            return label, _float_check(FLOAT_MAX[dtype.name])
        return None
    assert isinstance(spec, ColSpec)
    t = spec.type
    if t is DataType.boolean:
        return "boolean", _check_bool
    if t is DataType.integer:
        return "integer", _int_check(*INT_BOUNDS["int32"])
    if t is DataType.long:
        return "long", _int_check(*INT_BOUNDS["int64"])
    if t is DataType.float:
        return "float", _float_check(FLOAT_MAX["float32"])
    return None


def _int_check(lo: int, hi: int) -> Check:
    def check(v: Any) -> str | None:
        if isinstance(v, float):
            if not math.isfinite(v) or not v.is_integer():
                return f"{v!r} is not a whole number; MLflow's server would truncate it"
            v = int(v)
        if isinstance(v, int) and not isinstance(v, bool) and not lo <= v <= hi:
            return f"{v!r} is outside [{lo}, {hi}]; MLflow's server would wrap it around"
        return None

    return check


def _float_check(limit: float) -> Check:
    def check(v: Any) -> str | None:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            try:
                big = math.isfinite(float(v)) and abs(float(v)) > limit
            except OverflowError:  # an int too large for a float
                big = True
            if big:
                return f"{v!r} is beyond ±{limit:g}; MLflow's server would make it infinite"
        return None

    return check


def _check_bool(v: Any) -> str | None:
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, (int, float)) and v in (0, 1):
        return None
    if isinstance(v, str):
        return f"{v!r} is text; MLflow's server would read any non-empty text as true"
    if isinstance(v, (int, float)):
        return f"{v!r} is not 0 or 1; MLflow's server would read it as true"
    return None  # lists, objects: the cast itself fails and says so


def _check_leaves(value: Any, column: str | int, found: tuple[str, Check]) -> None:
    label, check = found
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(v)
            continue
        if v is None:
            continue
        problem = check(v)
        if problem is not None:
            what = f"Column {column!r}" if isinstance(column, str) else f"Input {column}"
            fix = (
                "Send true/false."
                if label in ("boolean", "tensor of bool")
                else "Send values that fit the declared type, or declare a wider type."
            )
            raise RequestError(
                400,
                f"Invalid input. {what} ({label}): {problem}; flavorkit rejects it instead. {fix}",
                error_code="INVALID_PARAMETER_VALUE",
            )


def _check_row(row: Mapping[Any, Any], checks: dict[str | int, tuple[str, Check]]) -> None:
    for column, found in checks.items():
        if column in row:
            _check_leaves(row[column], column, found)


def _check_split(value: Any, schema: Schema, checks: dict[str | int, tuple[str, Check]]) -> None:
    if not isinstance(value, Mapping) or not isinstance(value.get("data"), list):
        return
    columns = value.get("columns")
    positions: dict[int, tuple[str | int, tuple[str, Check]]] = {}
    if schema.is_tensor_spec() and len(schema.inputs) == 1 and 0 in checks:
        width = max((len(r) for r in value["data"] if isinstance(r, list)), default=1)
        positions = {i: (i, checks[0]) for i in range(width)}  # every column feeds the tensor
    elif isinstance(columns, list):
        for i, c in enumerate(columns):
            if isinstance(c, (str, int)) and not isinstance(c, bool) and c in checks:
                positions[i] = (c, checks[c])
    elif not schema.has_input_names():
        positions = {i: (i, checks[i]) for i in range(len(schema.inputs)) if i in checks}
    for row in value["data"]:
        cells = row if isinstance(row, list) else [row]
        for i, (column, found) in positions.items():
            if i < len(cells):
                _check_leaves(cells[i], column, found)


def _is_row_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], Mapping)
