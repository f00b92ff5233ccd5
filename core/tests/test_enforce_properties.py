"""Property: a frame is always accepted by the schema inferred from it, with its values unchanged.

``enforce_schema(df, infer_schema(df))`` must accept ``df`` for every dtype inference supports,
missing values included, keep every column and every value, and hand back ``df`` itself when each
column already has its declared type's dtype (no copy).

Columns are named (str or int labels; a positional frame's labels 0..n-1 are integer names, as
MLflow infers them), so a column with missing values is optional and ``pd.NA`` in it passes. A
hand-written *unnamed* schema's inputs are always required, and there ``pd.NA`` in an integer
column is rejected as MLflow rejects it (``test_positional_frame_with_na_in_an_int_column`` in
test_enforce.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from flavorkit.enforce import enforce_schema
from flavorkit.signature import infer_schema

# dtype name -> (value strategy, can hold missing values, missing marker)
_INT = st.integers(-100, 100)
_UINT = st.integers(0, 200)
_FLOAT = st.floats(-1e6, 1e6, allow_nan=False, width=32)
_TEXT = st.text(alphabet="abcxyz é", max_size=5)
_DAYS = st.integers(-20_000, 40_000)  # within datetime64[ns] range

COLUMN_KINDS: dict[str, tuple[st.SearchStrategy[Any], str | None]] = {
    "bool": (st.booleans(), None),
    "int8": (_INT, None),
    "int16": (_INT, None),
    "int32": (_INT, None),
    "int64": (st.integers(-(2**62), 2**62), None),
    "uint8": (_UINT, None),
    "uint16": (_UINT, None),
    "uint32": (_UINT, None),
    "float32": (_FLOAT, "nan"),
    "float64": (st.floats(allow_nan=False, allow_infinity=False), "nan"),
    "str": (_TEXT, "none"),
    "object-str": (_TEXT, "none"),
    "object-bytes": (st.binary(min_size=1, max_size=4), "none"),
    "datetime64[ns]": (_DAYS, "nat"),
    "datetime64[s]": (_DAYS, "nat"),
    "Int64": (st.integers(-(2**62), 2**62), "na"),
    "Int32": (_INT, "na"),
    "boolean": (st.booleans(), "na"),
    "string": (_TEXT, "na"),
    "Float64": (st.floats(allow_nan=False, allow_infinity=False), "na"),
}


def _series(kind: str, values: list[Any], missing: list[bool]) -> pd.Series:
    marker = COLUMN_KINDS[kind][1]
    if marker is None:
        missing = [False] * len(values)
    if kind.startswith("datetime64"):
        unit = kind[len("datetime64[") : -1]
        arr = np.array(values, dtype="int64").astype("datetime64[D]").astype(kind)
        arr[np.array(missing, dtype=bool)] = np.datetime64("NaT")
        assert arr.dtype == np.dtype(f"datetime64[{unit}]")
        return pd.Series(arr)
    cells = [None if m else v for v, m in zip(values, missing, strict=True)]
    if kind in ("object-str", "object-bytes"):
        return pd.Series(cells, dtype=object)
    if kind in ("float32", "float64"):
        return pd.Series([np.nan if c is None else c for c in cells], dtype=kind)
    return pd.Series(cells, dtype=kind)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(1, 6))
    kinds = draw(st.lists(st.sampled_from(sorted(COLUMN_KINDS)), min_size=1, max_size=6))
    int_labels = draw(st.booleans())
    labels: list[Any]
    if int_labels:  # integer labels, named "0", "1", ... in the schema
        labels = list(draw(st.permutations(range(len(kinds) + 1))))[: len(kinds)]
        if labels[0] == 0:  # pandas makes a RangeIndex of 0, 1, ... or 0, 2, ...: positional
            labels = [len(kinds), *labels[1:]]
    else:
        labels = draw(
            st.lists(
                st.text(alphabet="abcdefghij0", min_size=1, max_size=4),
                min_size=len(kinds),
                max_size=len(kinds),
                unique=True,
            )
        )
    columns = {}
    for label, kind in zip(labels, kinds, strict=True):
        values = draw(st.lists(COLUMN_KINDS[kind][0], min_size=rows, max_size=rows))
        missing = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
        columns[label] = _series(kind, values, missing)
    return pd.DataFrame(columns)


# what enforcement may widen a dtype to; anything else must come back exactly as it was
_CANONICAL = {
    "int8": "int32",
    "int16": "int32",
    "uint8": "int32",
    "uint16": "int32",
    "uint32": "int64",
    "datetime64[s]": "datetime64[ns]",
    "Int32": "Int32",
    "float16": "float32",
}


@settings(max_examples=150, deadline=None)
@given(frames())
def test_a_frame_passes_the_schema_inferred_from_it(df: pd.DataFrame) -> None:
    schema = infer_schema(df)
    result = enforce_schema(df, schema)
    assert list(result.columns) == list(df.columns)
    for label in df.columns:
        before, after = df[label], result[label]
        expected_dtype = _CANONICAL.get(str(before.dtype), str(before.dtype))
        assert str(after.dtype) == expected_dtype, (label, before.dtype, after.dtype)
        pd.testing.assert_series_equal(after, before.astype(after.dtype))  # a lossless widening
    if all(
        str(df[c].dtype) not in _CANONICAL or _CANONICAL[str(df[c].dtype)] == str(df[c].dtype)
        for c in df.columns
    ):
        assert result is df


@settings(max_examples=40, deadline=None)
@given(frames())
def test_the_inferred_schema_survives_its_json_round_trip(df: pd.DataFrame) -> None:
    # what a loaded model enforces is the schema read back from MLmodel, not the one inferred
    from flavorkit.schema import Schema

    schema = Schema.from_json(infer_schema(df).to_json())
    result = enforce_schema(df, schema)
    assert list(result.columns) == list(df.columns)
