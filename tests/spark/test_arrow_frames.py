"""The Arrow UDF's batch -> pandas step gives exactly the frame ``to_pandas`` gives.

A feature table of one numeric type without nulls is copied straight into one column-major
block (the fast path); everything else goes through ``RecordBatch.to_pandas``. Both must hand
the model the same frame: values, dtypes, column names and index.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pa = pytest.importorskip("pyarrow", reason="pyarrow is not installed; run `nox -s spark`")

from flavorkit.spark.worker import UDFSpec, _arrow_frame, _one_block  # noqa: E402

NAMES = ("a", "b", "c")
RNG = np.random.default_rng(1)


def spec(names: tuple[str, ...] | None = NAMES) -> UDFSpec:
    return UDFSpec(archive="m.zip", model_uri="m", input_names=names, result_type=None)


def expected(arrays: list, names: list) -> pd.DataFrame:
    frame = pa.RecordBatch.from_arrays(arrays, names=[str(n) for n in names]).to_pandas()
    frame.columns = names
    return frame


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "int8", "uint16"])
def test_one_numeric_type_without_nulls_is_one_block(dtype: str) -> None:
    arrays = [pa.array((RNG.random(50) * 100).astype(dtype)) for _ in NAMES]
    batch = pa.RecordBatch.from_arrays(arrays, names=list(NAMES))
    block = _one_block(batch)
    assert block is not None and block.flags.f_contiguous and block.dtype == dtype
    frame = _arrow_frame(spec(), tuple(arrays))
    pd.testing.assert_frame_equal(frame, expected(arrays, list(NAMES)))
    assert frame.to_numpy().dtype == dtype


def test_sliced_arrays_keep_their_offset() -> None:
    """Spark hands over whole arrays, but a slice (an offset into a buffer) must still be right."""
    arrays = [pa.array(RNG.random(100))[30:70] for _ in NAMES]
    pd.testing.assert_frame_equal(
        _arrow_frame(spec(), tuple(arrays)), expected(arrays, list(NAMES))
    )


@pytest.mark.parametrize(
    "arrays",
    [
        [pa.array([1, None, 3]), pa.array([4, 5, 6]), pa.array([7, 8, 9])],  # ints with a null
        [pa.array([1.0, None, 3.0]), pa.array([4.0, 5, 6]), pa.array([7.0, 8, 9])],
        [pa.array([1, 2, 3]), pa.array([4.0, 5, 6]), pa.array([7, 8, 9])],  # mixed types
        [pa.array(["x", "y", "z"]), pa.array(["p", "q", "r"]), pa.array(["s", "t", "u"])],
        [pa.array([True, False, True])] * 3,
        [pa.array([], pa.float64())] * 3,
    ],
    ids=["int-null", "float-null", "mixed", "strings", "bools", "empty"],
)
def test_anything_else_goes_through_to_pandas(arrays: list) -> None:
    batch = pa.RecordBatch.from_arrays(arrays, names=list(NAMES))
    assert _one_block(batch) is None
    pd.testing.assert_frame_equal(
        _arrow_frame(spec(), tuple(arrays)), expected(arrays, list(NAMES))
    )


def test_a_struct_brings_its_own_names_and_unnamed_schemas_bind_by_position() -> None:
    arrays = [pa.array(RNG.random(20)) for _ in NAMES]
    struct = pa.StructArray.from_arrays(arrays, names=["c", "a", "b"])
    pd.testing.assert_frame_equal(
        _arrow_frame(spec(), (struct,)), expected(arrays, ["c", "a", "b"])
    )
    pd.testing.assert_frame_equal(
        _arrow_frame(spec(None), tuple(arrays)), expected(arrays, [0, 1, 2])
    )
