"""The DataFrame of a numeric ``dataframe_split`` / ``dataframe_records`` body, in one copy.

Why: on a 1-row request, ``pd.DataFrame(data=rows, columns=...)`` followed by a cast per column
costs more than everything else the server does (it builds a Series per column, infers each
dtype, then casts). When every column of the signature is a number or a boolean, the rows
convert to one numpy array with a single ``np.array`` call, cast once to the signature's dtype,
and become the frame without another copy. Anything else (text, dates, missing values, ``null``,
an index, columns other than the signature's) returns ``None`` and takes the general parser,
:func:`flavorkit.examples.parse_serving_payload`, which is the reference: this function builds
the same frame, or none at all. Enforcement runs on the result either way.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flavorkit.schema import ColSpec, DataType, Schema

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["numeric_frame"]

_NUMERIC = (DataType.double, DataType.float, DataType.long, DataType.integer)


def numeric_frame(key: str, value: Any, schema: Schema | None) -> pd.DataFrame | None:
    """The frame of ``body[key]`` when the fast path applies, else ``None`` (use the parser)."""
    if schema is None or schema.is_tensor_spec() or not schema.has_input_names():
        return None
    types: dict[str, DataType] = {}
    for spec in schema.inputs:
        if not isinstance(spec, ColSpec) or not isinstance(spec.name, str):
            return None  # unnamed, or an integer name (JSON says "0" or 0): the general parser
        t = spec.type
        if not isinstance(t, DataType) or (t not in _NUMERIC and t is not DataType.boolean):
            return None
        types[spec.name] = t
    if key == "dataframe_split":
        found = _split(value, types)
    elif key == "dataframe_records":
        found = _records(value, types)
    else:
        return None
    if found is None:
        return None
    columns, rows = found
    frame: pd.DataFrame | None = _frame(columns, rows, types)
    return frame


def _split(value: Any, types: Mapping[str, DataType]) -> tuple[list[str], Any] | None:
    if not isinstance(value, dict) or set(value) != {"columns", "data"}:
        return None
    columns, rows = value["columns"], value["data"]
    if not isinstance(columns, list) or not _same_names(columns, types):
        return None
    if not isinstance(rows, list) or not rows:
        return None
    return columns, rows


def _records(value: Any, types: Mapping[str, DataType]) -> tuple[list[str], Any] | None:
    if not isinstance(value, list) or not value or not isinstance(value[0], dict):
        return None
    columns = list(value[0])
    if not _same_names(columns, types):
        return None
    try:
        rows = [
            [r[c] for c in columns] for r in value if isinstance(r, dict) and len(r) == len(columns)
        ]
    except KeyError:  # a record without one of the columns
        return None
    return (columns, rows) if len(rows) == len(value) else None


def _same_names(columns: list[Any], types: Mapping[str, DataType]) -> bool:
    return (
        len(columns) == len(types)
        and all(isinstance(c, str) for c in columns)
        and set(columns) == set(types)
    )


def _frame(columns: list[str], rows: list[Any], types: Mapping[str, DataType]) -> Any:
    import numpy as np
    import pandas as pd

    try:
        raw = np.array(rows)
    except (ValueError, OverflowError):  # ragged rows, ints past 64 bits
        return None
    if raw.ndim != 2 or raw.shape[1] != len(columns):
        return None
    wanted = [types[c] for c in columns]
    booleans = [t is DataType.boolean for t in wanted]
    if any(booleans):
        if not all(booleans) or raw.dtype.kind != "b":
            return None  # 0/1 for booleans, or booleans among numbers: the parser decides
    elif raw.dtype.kind not in "iuf":
        return None  # text, objects (None, nested lists), booleans for numbers
    dtypes = [t.to_pandas() for t in wanted]
    index = _column_index(tuple(columns))
    if len(set(dtypes)) == 1:
        block = raw.astype(dtypes[0], copy=False)
        return pd.DataFrame(block, columns=index, copy=False)
    arrays = [raw[:, i].astype(d) for i, d in enumerate(dtypes)]
    return pd.DataFrame(dict(enumerate(arrays)), copy=False).set_axis(index, axis=1)


@functools.lru_cache(maxsize=64)
def _column_index(columns: tuple[str, ...]) -> Any:
    """The frame's column labels, built once per column order.

    An object-dtype Index, as ``parse_serving_payload`` gives after enforcement: building
    pandas 3's default (Arrow-backed) string Index from a list costs more per 1-row request
    than the whole frame otherwise does.
    """
    import pandas as pd

    return pd.Index(list(columns), dtype=object)
