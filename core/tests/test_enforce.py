"""Schema and params enforcement: MLflow's accept/reject decisions, and where we differ on purpose.

Every table row is one case from mlflow-format.md §5 (or one deliberate difference, ids prefixed
``delta-``): the input, the spec, and either the accepted output (dtype and values) or a regex
the error must match, column name included. The decisions were checked against MLflow 3.17.2.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse

from flavorkit.enforce import check_value, enforce_param_value, enforce_params, enforce_schema
from flavorkit.errors import SchemaEnforcementError, SchemaError
from flavorkit.schema import (
    AnyType,
    Array,
    ColSpec,
    ColumnType,
    DataType,
    Map,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    TensorSpec,
)

D = DataType


@dataclass(frozen=True)
class Ok:
    """Accepted: the column's dtype afterwards and, if given, its values."""

    dtype: str
    values: list[Any] | None = None


@dataclass(frozen=True)
class Err:
    """Rejected with a SchemaEnforcementError whose message matches this regex."""

    pattern: str


def col(values: Any, dtype: Any = None) -> pd.DataFrame:
    """A one-column frame named 'x'."""
    return pd.DataFrame({"x": pd.Series(values, dtype=dtype)})


def named(t: ColumnType, required: bool = True) -> Schema:
    return Schema([ColSpec(t, "x", required)])


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return bool(a is b or a == b)


def check(result_fn: Callable[[], Any], expected: Ok | Err) -> Any:
    """Run one case and compare with its expectation; returns the result when accepted."""
    if isinstance(expected, Err):
        with pytest.raises(SchemaEnforcementError, match=expected.pattern):
            result_fn()
        return None
    result = result_fn()
    column = result.iloc[:, 0]
    assert str(column.dtype) == expected.dtype
    if expected.values is not None:
        got = column.tolist()
        assert len(got) == len(expected.values)
        assert all(_same(a, b) for a, b in zip(got, expected.values, strict=True)), got
    return result


# -- scalar column types (§5 "Scalar DataType rules") -------------------------------------------

SCALAR_CASES: list[tuple[str, pd.DataFrame, Schema, Ok | Err]] = [
    # exact matches and the string/binary pass-throughs
    ("float64-double", col([1.5, 2.0]), named(D.double), Ok("float64", [1.5, 2.0])),
    ("bool-boolean", col([True, False]), named(D.boolean), Ok("bool", [True, False])),
    ("int32-integer", col([1, 2], "int32"), named(D.integer), Ok("int32", [1, 2])),
    ("object-string-not-cast", col([1, "a"], object), named(D.string), Ok("object", [1, "a"])),
    ("str-string", col(["a", "b"]), named(D.string), Ok("str", ["a", "b"])),
    ("str-binary", col(["a", "b"]), named(D.binary), Ok("str", ["a", "b"])),
    ("bytes-binary", col([b"a", b"bc"], object), named(D.binary), Ok("object", [b"a", b"bc"])),
    # safe upcasts
    ("int32-long", col([1, 2], "int32"), named(D.long), Ok("int64", [1, 2])),
    ("uint32-long", col([1, 2], "uint32"), named(D.long), Ok("int64", [1, 2])),
    ("int8-integer", col([1, 2], "int8"), named(D.integer), Ok("int32", [1, 2])),
    ("int16-integer", col([1, 2], "int16"), named(D.integer), Ok("int32", [1, 2])),
    ("uint16-integer", col([1, 2], "uint16"), named(D.integer), Ok("int32", [1, 2])),
    ("int32-double", col([1, 2], "int32"), named(D.double), Ok("float64", [1.0, 2.0])),
    ("uint32-double", col([1, 2], "uint32"), named(D.double), Ok("float64", [1.0, 2.0])),
    ("float32-double", col([1.5, 2], "float32"), named(D.double), Ok("float64", [1.5, 2.0])),
    ("float16-float", col([1.5, 2], "float16"), named(D.float), Ok("float32", [1.5, 2.0])),
    # int64 -> double/float only for 0/1
    ("int64-01-double", col([0, 1, 1]), named(D.double), Ok("float64", [0.0, 1.0, 1.0])),
    ("int64-01-float", col([0, 1]), named(D.float), Ok("float32", [0.0, 1.0])),
    (
        "int64-double-rejected",
        col([0, 2]),
        named(D.double),
        Err(
            r"^Column 'x' \(double\): got int64 with values other than 0/1, which cannot be "
            r"converted to float64 without loss\. Cast the column with "
            r"df\['x'\]\.astype\('float64'\) or declare it as long\.$"
        ),
    ),
    ("int64-float-rejected", col([5]), named(D.float), Err(r"Column 'x' \(float\): got int64")),
    # rejected conversions
    ("int64-integer", col([1]), named(D.integer), Err(r"Column 'x' \(integer\): got int64.*int32")),
    ("uint32-integer", col([1], "uint32"), named(D.integer), Err(r"'x' \(integer\): got uint32")),
    ("uint64-long", col([1], "uint64"), named(D.long), Err(r"Column 'x' \(long\): got uint64")),
    ("int16-float", col([1], "int16"), named(D.float), Err(r"Column 'x' \(float\): got int16")),
    (
        "int64-string",
        col([1, 2]),
        named(D.string),
        Err(r"'x' \(string\): got int64.*astype\(str\)"),
    ),
    ("int64-binary", col([1]), named(D.binary), Err(r"Column 'x' \(binary\): got int64")),
    ("float64-float", col([1.5]), named(D.float), Err(r"'x' \(float\): got float64.*float32")),
    ("float64-long", col([1.5]), named(D.long), Err(r"Column 'x' \(long\): got float64")),
    ("float32-integer", col([1.5], "float32"), named(D.integer), Err(r"'x' \(integer\): got")),
    (
        "float-nan-long-hint",
        col([1.0, np.nan]),
        named(D.long),
        Err(
            r"'x' \(long\): got float64 holding NaN and otherwise whole numbers.*"
            r"astype\('Int64'\).*optional"
        ),
    ),
    ("bool-double", col([True]), named(D.double), Err(r"Column 'x' \(double\): got bool")),
    ("int-boolean", col([1]), named(D.boolean), Err(r"Column 'x' \(boolean\): got int64")),
    # object columns
    (
        "object-boolean-keeps-none",
        col([True, None], object),
        named(D.boolean),
        Ok("object", [True, None]),
    ),
    ("object-bool-boolean", col([True, False], object), named(D.boolean), Ok("bool")),
    ("object-int-long", col([1, 2], object), named(D.long), Ok("int64", [1, 2])),
    (
        "object-int-none-long",
        col([1, None], object),
        named(D.long),
        Err(r"'x' \(long\): got float64 holding NaN"),
    ),
    (
        "object-decimal-double",
        col([decimal.Decimal("1.5"), None]),
        named(D.double),
        Ok("float64", [1.5, float("nan")]),
    ),
    (
        "object-mixed-double",
        col([1, "a"], object),
        named(D.double),
        Err(r"'x' \(double\): got object \(mixed-integer values\).*pd\.to_numeric"),
    ),
    (
        "object-none-long",
        col([None, None], object),
        named(D.long),
        Err(r"'x' \(long\): got object"),
    ),
    # datetimes
    (
        "datetime-s-to-ns",
        col(np.array(["2020-01-01"], dtype="datetime64[s]")),
        named(D.datetime),
        Ok("datetime64[ns]", [pd.Timestamp("2020-01-01")]),
    ),
    (
        "datetime-us-to-ns",
        col(np.array(["2020-01-01"], dtype="datetime64[us]")),
        named(D.datetime),
        Ok("datetime64[ns]"),
    ),
    (
        "object-dates-datetime",
        col([dt.date(2020, 1, 1)], object),
        named(D.datetime),
        Ok("datetime64[ns]", [pd.Timestamp("2020-01-01")]),
    ),
    (
        "iso-strings-datetime",
        col(["2020-01-01"]),
        named(D.datetime),
        Err(r"'x' \(datetime\): got str.*pd\.to_datetime\(df\['x'\]\)"),
    ),
    (
        "tz-aware-datetime",
        col(pd.to_datetime(["2020-01-01"]).tz_localize("UTC")),
        named(D.datetime),
        Err(r"'x' \(datetime\): got datetime64\[.*UTC\].*tz_convert\(None\)"),
    ),
    (
        "datetime-out-of-ns-range",
        col(np.array(["2300-01-01"], dtype="datetime64[us]")),
        named(D.datetime),
        Err(r"'x' \(datetime\): got datetime64\[us\] with values outside"),
    ),
    (
        "timedelta-datetime",
        col(pd.to_timedelta([1], unit="s")),
        named(D.datetime),
        Err(r"'x' \(datetime\): got timedelta64"),
    ),
    # unsupported pandas dtypes name their fix
    (
        "category-string",
        col(["a"], "category"),
        named(D.string),
        Err(r"'x' \(string\): got category.*astype\('str'\)"),
    ),
    (
        "sparse-double",
        col(pd.arrays.SparseArray([1.0, 0.0])),
        named(D.double),
        Err(r"'x' \(double\): got Sparse.*sparse\.to_dense\(\)"),
    ),
    # delta 2: pandas nullable dtypes, by the numpy rules of their base type, stay nullable
    ("delta-Int64-long", col([1, 2], "Int64"), named(D.long), Ok("Int64", [1, 2])),
    ("delta-Int32-long", col([1, 2], "Int32"), named(D.long), Ok("Int64", [1, 2])),
    ("delta-Int8-integer", col([1], "Int8"), named(D.integer), Ok("Int32", [1])),
    ("delta-UInt32-long", col([1], "UInt32"), named(D.long), Ok("Int64", [1])),
    ("delta-Int32-double", col([1, None], "Int32"), named(D.double), Ok("Float64", [1.0, pd.NA])),
    (
        "delta-Int64-01-double",
        col([0, 1, None], "Int64"),
        named(D.double, False),
        Ok("Float64", [0.0, 1.0, pd.NA]),
    ),
    (
        "delta-Int64-double-rejected",
        col([0, 5], "Int64"),
        named(D.double),
        Err(r"'x' \(double\): got Int64 with values other than 0/1"),
    ),
    (
        "delta-Int64-integer-rejected",
        col([1], "Int64"),
        named(D.integer),
        Err(r"'x' \(integer\): got Int64"),
    ),
    ("delta-Float32-double", col([1.5], "Float32"), named(D.double), Ok("Float64", [1.5])),
    (
        "delta-Float64-double",
        col([1.5, None], "Float64"),
        named(D.double),
        Ok("Float64", [1.5, pd.NA]),
    ),
    (
        "delta-boolean-boolean",
        col([True, None], "boolean"),
        named(D.boolean, False),
        Ok("boolean", [True, pd.NA]),
    ),
    ("delta-string-string", col(["a", None], "string"), named(D.string), Ok("string")),
    (
        "delta-Int64-NA-optional",
        col([1, None], "Int64"),
        named(D.long, False),
        Ok("Int64", [1, pd.NA]),
    ),
    (
        "delta-Int64-NA-required",
        col([1, None], "Int64"),
        named(D.long),
        Err(
            r"'x' \(long\): got Int64 with 1 missing value\(s\) \(pd\.NA\) in a required column"
            r".*required: false"
        ),
    ),
    (
        "delta-boolean-NA-required",
        col([True, None], "boolean"),
        named(D.boolean),
        Err(r"'x' \(boolean\): got boolean with 1 missing"),
    ),
    (
        "delta-Float64-int-rejected",
        col([1.5], "Float64"),
        named(D.long),
        Err(r"'x' \(long\): got Float64"),
    ),
]


@pytest.mark.parametrize(
    ("data", "schema", "expected"),
    [c[1:] for c in SCALAR_CASES],
    ids=[c[0] for c in SCALAR_CASES],
)
def test_scalar_column_rules(data: pd.DataFrame, schema: Schema, expected: Ok | Err) -> None:
    check(lambda: enforce_schema(data, schema), expected)


def test_the_error_carries_the_column_name() -> None:
    with pytest.raises(SchemaEnforcementError) as info:
        enforce_schema(
            pd.DataFrame({"petal_width": [1, 2]}), Schema([ColSpec(D.double, "petal_width")])
        )
    assert info.value.input_name == "petal_width"
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert isinstance(info.value, ValueError)


def test_conversion_leaves_the_input_alone() -> None:
    df = col([1, 2], "int32")
    enforce_schema(df, named(D.long))
    assert str(df["x"].dtype) == "int32"


# -- input normalisation and column matching ----------------------------------------------------

XY = Schema([ColSpec(D.double, "x"), ColSpec(D.double, "y")])
XY_OPT = Schema([ColSpec(D.double, "x"), ColSpec(D.double, "y", required=False)])
UNNAMED2 = Schema([ColSpec(D.double), ColSpec(D.double)])
UNNAMED1 = Schema([ColSpec(D.double)])

NORMALISATION_CASES: list[tuple[str, Any, Schema, list[Any] | str]] = [
    # accepted: expected output columns; rejected: error regex
    ("series-named", pd.Series([1.0], name="x"), named(D.double), ["x"]),
    (
        "series-unnamed-vs-named",
        pd.Series([1.0]),
        named(D.double),
        r"missing inputs \['x'\].*unnamed Series, which has no column names",
    ),
    ("scalar-unnamed", 1.5, UNNAMED1, [0]),
    ("scalar-vs-named", 1.5, named(D.double), r"missing inputs \['x'\].*a scalar"),
    ("dict-of-scalars-one-row", {"x": 1.0, "y": 2.0}, XY, ["x", "y"]),
    ("dict-of-lists-columns", {"x": [1.0, 3.0], "y": [2.0, 1.0]}, XY, ["x", "y"]),
    ("list-of-dicts", [{"x": 1.0, "y": 2.0}, {"x": 3.0, "y": 4.0}], XY, ["x", "y"]),
    ("ndarray-unnamed", np.ones((2, 2)), UNNAMED2, [0, 1]),
    ("ndarray-unnamed-extra-columns", np.ones((2, 3)), UNNAMED2, [0, 1]),
    ("list-unnamed", [[1.0, 2.0]], UNNAMED2, [0, 1]),
    # delta 5: MLflow fails an ndarray against a named schema; we say how to fix it
    (
        "delta-ndarray-vs-named",
        np.ones((2, 1)),
        named(D.double),
        r"missing inputs \['x'\].*a numpy array, which has no column names: pass a pandas "
        r"DataFrame with the named columns, e\.g\. pd\.DataFrame\(data, columns=\['x'\]\)",
    ),
    ("delta-ndarray-1d-vs-named", np.ones(2), XY, r"missing inputs \['x', 'y'\].*numpy array"),
    ("list-vs-named", [1.0, 2.0], named(D.double), r"missing inputs \['x'\].*a list"),
    (
        "unnamed-too-few",
        np.ones(2),
        UNNAMED2,
        r"declares 2 unnamed inputs but the input has 1 column\(s\)",
    ),
    ("set-input", {1.0}, named(D.double), r"column-based signature.*got builtins\.set"),
    ("none-input", None, named(D.double), r"column-based signature.*got builtins\.NoneType"),
    ("optional-absent", pd.DataFrame({"x": [1.0]}), XY_OPT, ["x"]),
    ("optional-present", pd.DataFrame({"y": [1.0], "x": [2.0]}), XY_OPT, ["x", "y"]),
    ("reordered", pd.DataFrame({"y": [1.0], "x": [2.0]}), XY, ["x", "y"]),
    (
        "delta-missing-lists-all-and-extras",
        pd.DataFrame({"z": [1.0], "w": [1.0]}),
        Schema([ColSpec(D.double, "a"), ColSpec(D.double, "b"), ColSpec(D.double, "c", False)]),
        r"^Model is missing inputs \['a', 'b'\] required by its signature\. Note that there were "
        r"extra inputs: \['z', 'w'\]\. Pass a DataFrame whose columns include \['a', 'b'\]\.$",
    ),
    (
        "duplicated-declared-column",
        pd.DataFrame([[1.0, 2.0]], columns=["x", "x"]),
        named(D.double),
        r"Column 'x': the input has 2 columns labelled 'x'",
    ),
]


@pytest.mark.parametrize(
    ("data", "schema", "expected"),
    [c[1:] for c in NORMALISATION_CASES],
    ids=[c[0] for c in NORMALISATION_CASES],
)
def test_input_normalisation(data: Any, schema: Schema, expected: list[Any] | str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if isinstance(expected, str):
            with pytest.raises(SchemaEnforcementError, match=expected):
                enforce_schema(data, schema)
        else:
            result = enforce_schema(data, schema)
            assert isinstance(result, pd.DataFrame)
            assert list(result.columns) == expected


def test_missing_column_error_names_the_first_missing_input() -> None:
    with pytest.raises(SchemaEnforcementError) as info:
        enforce_schema(pd.DataFrame({"y": [1.0]}), XY)
    assert info.value.input_name == "x"


# -- delta 3 and 4: nothing declared is dropped, nothing copied needlessly ----------------------


@pytest.mark.parametrize(
    "df",
    [
        pd.DataFrame(
            {"a": [1.5], "b": [1], "c": [True], "d": ["s"], "e": pd.Series(["t"], dtype=object)}
        ),
        pd.DataFrame(
            {
                "a": [1.5, np.nan],
                "b": [1, 2],
                "c": [True, False],
                "d": ["s", None],
                "e": pd.to_datetime(["2020-01-01", None]).astype("datetime64[ns]"),
            }
        ),
        pd.DataFrame(
            {
                "a": pd.array([1.5, None], dtype="Float64"),
                "b": pd.array([1, None], dtype="Int64"),
                "c": pd.array([True, None], dtype="boolean"),
                "d": pd.array(["s", None], dtype="string"),
                "e": [b"x", b"y"],
            }
        ),
    ],
    ids=["numpy", "with-missing-values", "nullable"],
)
def test_a_matching_frame_is_returned_as_is(df: pd.DataFrame) -> None:
    types = {
        "float64": D.double,
        "Float64": D.double,
        "int64": D.long,
        "Int64": D.long,
        "bool": D.boolean,
        "boolean": D.boolean,
        "str": D.string,
        "string": D.string,
        "object": D.string,
        "datetime64[ns]": D.datetime,
    }
    specs = [
        ColSpec(
            D.binary
            if c == "e" and df[c].dtype == object and isinstance(df[c][0], bytes)
            else types[str(df[c].dtype)],
            c,
            required=not df[c].isna().any(),
        )
        for c in df.columns
    ]
    assert enforce_schema(df, Schema(specs)) is df
    # an absent optional column does not force a copy either
    specs.append(ColSpec(D.double, "absent", required=False))
    assert enforce_schema(df, Schema(specs)) is df


def test_only_columns_that_need_it_are_converted() -> None:
    rows = 100_000  # big enough that unchanged columns are never copied along
    df = pd.DataFrame({"a": np.arange(rows, dtype="int32"), "b": np.ones(rows), "c": np.ones(rows)})
    result = enforce_schema(
        df, Schema([ColSpec(D.long, "a"), ColSpec(D.double, "b"), ColSpec(D.double, "c")])
    )
    assert str(result["a"].dtype) == "int64"
    assert np.shares_memory(result["b"].to_numpy(), df["b"].to_numpy())
    assert np.shares_memory(result["c"].to_numpy(), df["c"].to_numpy())


def test_many_conversions_keep_schema_order_and_values() -> None:
    rng = np.random.default_rng(0)
    data: dict[str, Any] = {}
    specs = []
    for i in range(30):
        kind = i % 3
        data[f"c{i}"] = [
            rng.normal(size=50),
            rng.normal(size=50).astype("float32"),
            rng.integers(0, 9, size=50).astype("int16"),
        ][kind]
        specs.append(ColSpec([D.double, D.double, D.long][kind], f"c{i}"))
    df = pd.DataFrame(data)
    specs = specs[::-1]
    result = enforce_schema(df, Schema(specs))
    assert list(result.columns) == [s.name for s in specs]
    for s in specs:
        pd.testing.assert_series_equal(result[s.name], df[s.name].astype(s.type.to_numpy()))


def test_extra_columns_are_dropped_with_exactly_one_warning() -> None:
    df = pd.DataFrame({"extra1": [0], "x": [1.0], "extra2": [0], "y": [2.0]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = enforce_schema(df, XY)
    assert list(result.columns) == ["x", "y"]
    assert len(caught) == 1
    assert issubclass(caught[0].category, UserWarning)
    assert "['extra1', 'extra2']" in str(caught[0].message)
    assert caught[0].filename == __file__


def test_delta_unnamed_schema_warns_about_ignored_columns() -> None:
    with pytest.warns(UserWarning, match=r"extra inputs \[2\]"):
        result = enforce_schema(np.ones((1, 3)), UNNAMED2)
    assert list(result.columns) == [0, 1]


def test_no_warning_when_nothing_is_dropped() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enforce_schema(pd.DataFrame({"y": [1.0], "x": [2.0]}), XY)


@pytest.mark.parametrize("label", ["0", 0, np.int64(0)], ids=["str", "int", "numpy-int"])
def test_delta_a_column_named_0_is_a_column_like_any_other(label: Any) -> None:
    # mlflow#26069: MLflow reads the name 0 as "no name" and silently drops the column
    df = pd.DataFrame({2: [1.0], label: [2.0], 1: [3.0]})
    schema = Schema([ColSpec(D.double, "2"), ColSpec(D.double, "0"), ColSpec(D.double, "1")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = enforce_schema(df, schema)
    assert result.iloc[0].tolist() == [1.0, 2.0, 3.0]
    assert result is df


def test_str_label_wins_over_an_int_label_of_the_same_text() -> None:
    df = pd.DataFrame({0: [1.0], "0": [2.0]})
    with pytest.warns(UserWarning, match=r"extra inputs \[0\]"):
        result = enforce_schema(df, Schema([ColSpec(D.double, "0")]))
    assert result.iloc[0].tolist() == [2.0]


def test_positional_frame_with_na_in_an_int_column() -> None:
    # unnamed inputs are always required, and MLflow cannot turn pd.NA into a numpy int
    df = pd.DataFrame({0: [1.5, 2.5], 1: pd.array([1, None], dtype="Int64")})
    with pytest.raises(
        SchemaEnforcementError,
        match=r"Column 1 \(long\): got Int64 with 1 missing.*"
        r"name the inputs and declare this one optional",
    ) as info:
        enforce_schema(df, Schema([ColSpec(D.double), ColSpec(D.long)]))
    assert info.value.input_name == 1


def test_the_index_is_kept() -> None:
    df = pd.DataFrame({"x": np.array([1, 2], dtype="int32")}, index=["r1", "r2"])
    result = enforce_schema(df, named(D.long))
    assert result.index.tolist() == ["r1", "r2"]


@pytest.mark.parametrize("changed", [1, 12], ids=["few-changes", "many-changes"])
def test_conversions_with_a_duplicated_index(changed: int) -> None:
    data: dict[str, Any] = {f"c{i}": np.array([1, 2], dtype="int32") for i in range(changed)}
    data["o"] = np.array([1, 2], dtype=object)  # replaced values, not a cast
    data["f"] = np.array([0.5, 1.5])  # kept as is
    df = pd.DataFrame(data, index=[7, 7])
    specs = [ColSpec(D.long, c) for c in data if c != "f"] + [ColSpec(D.double, "f")]
    result = enforce_schema(df, Schema(specs[::-1]))
    assert result.index.tolist() == [7, 7]
    assert list(result.columns) == [s.name for s in specs[::-1]]
    assert result["o"].tolist() == [1, 2] and str(result["o"].dtype) == "int64"
    assert result["f"].tolist() == [0.5, 1.5]


# -- Array, Object, Map, Any (per cell) ---------------------------------------------------------

OBJ = Object([Property("a", D.double), Property("b", D.string, required=False)])
NESTED = Array(Array(D.long))

CELL_CASES: list[tuple[str, Any, ColumnType, bool, Any]] = [
    # (id, cell value, type, required, expected value after enforcement or Err)
    ("array-double", [1.5, 2.5], Array(D.double), True, [1.5, 2.5]),
    (
        "array-ints-for-double",
        [1, 2],
        Array(D.double),
        True,
        Err(
            r"Column 'x', row 0 \(Array\(double\)\): got items of type int64 with values "
            r"other than 0/1"
        ),
    ),
    ("array-01-for-double", [0, 1], Array(D.double), True, [0.0, 1.0]),
    ("array-mixed-for-double", [1, 2.5], Array(D.double), True, [1.0, 2.5]),
    ("array-ndarray", np.array([1.5]), Array(D.double), True, np.array([1.5])),
    (
        "array-not-a-list",
        "abc",
        Array(D.double),
        True,
        Err(r"Column 'x', row 0 \(Array\(double\)\): expected a list, got str 'abc'"),
    ),
    ("array-none-required", None, Array(D.double), True, Err(r"expected a list, got NoneType")),
    ("array-none-optional", None, Array(D.double), False, None),
    ("array-empty-required", [], Array(D.double), True, []),
    ("array-any-none-required", None, Array(AnyType()), True, None),
    ("delta-array-nan-optional", float("nan"), Array(D.double), False, float("nan")),
    ("array-nan-any-required", float("nan"), Array(AnyType()), True, Err(r"expected a list")),
    (
        "array-of-strings-nested-lists",
        [[1, 2]],
        Array(D.string),
        True,
        Err(r"Array\(string\)\): the items cannot be read as string values"),
    ),
    ("nested-array", [[1, 2], [3]], NESTED, True, [[1, 2], [3]]),
    (
        "nested-array-bad-item",
        [[1, 2], [1.5]],
        NESTED,
        True,
        Err(r"Column 'x', row 0, item 1 \(Array\(long\)\): got items of type float64"),
    ),
    ("object-ok", {"a": 1.5}, OBJ, True, {"a": 1.5}),
    ("object-int-1-for-double", {"a": 1}, OBJ, True, {"a": 1.0}),
    (
        "object-int-5-for-double",
        {"a": 5},
        OBJ,
        True,
        Err(
            r"Column 'x', row 0, property 'a' \(double\): got int 5, read as int64 with values "
            r"other than 0/1"
        ),
    ),
    (
        "object-missing-property",
        {"b": "s"},
        OBJ,
        True,
        Err(
            r"row 0 \(\{a: double \(required\), b: string \(optional\)\}\): missing required "
            r"properties \['a'\]"
        ),
    ),
    (
        "object-undeclared-property",
        {"a": 1.5, "z": 1},
        OBJ,
        True,
        Err(r"properties \['z'\] are not declared in the schema \(declared: \['a', 'b'\]\)"),
    ),
    ("object-optional-property-none", {"a": 1.5, "b": None}, OBJ, True, {"a": 1.5, "b": None}),
    (
        "object-required-property-none",
        {"a": None},
        OBJ,
        True,
        Err(r"property 'a' \(double\): expected a single double value, got NoneType"),
    ),
    ("object-not-a-dict", [1], OBJ, True, Err(r"expected a dict with properties \['a', 'b'\]")),
    ("object-empty-optional", {}, OBJ, False, {}),
    ("delta-object-nan-optional", float("nan"), OBJ, False, float("nan")),
    (
        "object-nested-array",
        {"a": [1, 2]},
        Object([Property("a", Array(D.long))]),
        True,
        {"a": [1, 2]},
    ),
    ("map-ok", {"k": 1}, Map(D.long), True, {"k": 1}),
    (
        "map-int-key",
        {1: 1},
        Map(D.long),
        True,
        Err(r"\(Map\(str -> long\)\): map keys must be strings, got int 1"),
    ),
    (
        "map-bad-value",
        {"k": 1.5},
        Map(D.long),
        True,
        Err(r"Column 'x', row 0, key 'k' \(long\): got float 1.5"),
    ),
    ("map-of-arrays", {"k": ["a"]}, Map(Array(D.string)), True, {"k": ["a"]}),
    ("map-any-empty", {}, Map(AnyType()), True, {}),
    ("any-anything", {"whatever": [1, "x"]}, AnyType(), True, {"whatever": [1, "x"]}),
]


def _cell_matches(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return _same(a, b)
    return bool(a == b and type(a) is type(b))


@pytest.mark.parametrize(
    ("value", "t", "required", "expected"),
    [c[1:] for c in CELL_CASES],
    ids=[c[0] for c in CELL_CASES],
)
def test_cells(value: Any, t: ColumnType, required: bool, expected: Any) -> None:
    df = pd.DataFrame({"x": pd.Series([value], dtype=object)})
    schema = Schema([ColSpec(t, "x", required)])
    if isinstance(expected, Err):
        with pytest.raises(SchemaEnforcementError, match=expected.pattern) as info:
            enforce_schema(df, schema)
        assert info.value.input_name == "x"
        return
    result = enforce_schema(df, schema)
    assert _cell_matches(result["x"].iloc[0], expected)


def test_cells_are_not_mutated() -> None:
    cell = {"a": 1}
    df = pd.DataFrame({"x": pd.Series([cell], dtype=object)})
    result = enforce_schema(df, Schema([ColSpec(OBJ, "x")]))
    assert cell == {"a": 1} and type(cell["a"]) is int
    assert result["x"].iloc[0] == {"a": 1.0}


def test_complex_columns_that_already_match_are_not_copied() -> None:
    df = pd.DataFrame({"x": pd.Series([[1.5], [2.5, 3.5]], dtype=object), "y": ["a", "b"]})
    schema = Schema([ColSpec(Array(D.double), "x"), ColSpec(D.string, "y")])
    assert enforce_schema(df, schema) is df


def test_dict_input_with_array_column_is_one_row() -> None:
    result = enforce_schema({"x": [1.5, 2.5]}, Schema([ColSpec(Array(D.double), "x")]))
    assert len(result) == 1 and result["x"].iloc[0] == [1.5, 2.5]


def test_sparkml_vector_columns_cannot_be_checked() -> None:
    from flavorkit.schema import SparkMLVector

    with pytest.raises(SchemaEnforcementError, match="sparkml_vector"):
        enforce_schema(pd.DataFrame({"x": [[1.0]]}), Schema([ColSpec(SparkMLVector(), "x")]))


def test_check_value_directly() -> None:
    assert check_value([1.5], Array(D.double), where="Item") == [1.5]
    assert check_value(None, Array(D.double), where="Item", required=False) is None
    with pytest.raises(SchemaEnforcementError, match=r"^Item \(Map\(str -> long\)\): map keys"):
        check_value({1: 1}, Map(D.long), where="Item")


# -- tensors ------------------------------------------------------------------------------------

F32_M14 = Schema([TensorSpec("float32", (-1, 4))])
XY_TENSORS = Schema([TensorSpec("float32", (-1, 4), "x"), TensorSpec("int64", (-1,), "y")])

TENSOR_CASES: list[tuple[str, Any, Schema, tuple[str, tuple[int, ...]] | str]] = [
    # accepted: (dtype, shape) of the ndarray; rejected: regex
    ("exact", np.ones((3, 4), dtype="float32"), F32_M14, ("float32", (3, 4))),
    (
        "shape-mismatch",
        np.ones((3, 5), dtype="float32"),
        F32_M14,
        r"^Tensor \(float32, shape \(-1, 4\)\): shape of input \(3, 5\) does not match expected "
        r"shape \(-1, 4\)",
    ),
    (
        "ndim-mismatch",
        np.ones(4, dtype="float32"),
        F32_M14,
        r"shape of input \(4,\) does not match",
    ),
    (
        "fixed-dim-mismatch",
        np.ones((2, 4), dtype="float32"),
        Schema([TensorSpec("float32", (3, 4))]),
        r"shape of input \(2, 4\)",
    ),
    (
        "dtype-mismatch",
        np.ones((3, 4)),
        F32_M14,
        r"dtype of input float64 does not match expected dtype float32.*astype\('float32'\)",
    ),
    ("sized-str-is-str", np.array(["a", "bc"]), Schema([TensorSpec("str", (-1,))]), ("<U2", (2,))),
    (
        "ragged-object-spec-takes-anything",
        np.ones((2, 3)),
        Schema([TensorSpec("object", (-1,))]),
        ("float64", (2, 3)),
    ),
    (
        "ragged-object-input",
        np.array([np.ones(2), np.ones(3)], dtype=object),
        Schema([TensorSpec("float64", (-1, -1))]),
        ("object", (2,)),
    ),
    (
        "sparse-csr",
        scipy.sparse.csr_matrix(np.ones((2, 4), dtype="float32")),
        F32_M14,
        ("float32", (2, 4)),
    ),
    (
        "list-rejected",
        [[1.0] * 4],
        F32_M14,
        r"takes a numpy array \(or a DataFrame\), but an input of type <class 'list'> was found",
    ),
    (
        "df-multi-columns",
        pd.DataFrame(np.ones((2, 4), dtype="float32")),
        F32_M14,
        ("float32", (2, 4)),
    ),
    (
        "df-multi-columns-float64",
        pd.DataFrame(np.ones((2, 4))),
        F32_M14,
        r"dtype of input float64 does not match expected dtype float32",
    ),
    (
        "df-columns-vs-shape",
        pd.DataFrame(np.ones((2, 3), dtype="float32")),
        F32_M14,
        r"a DataFrame with 3 columns can only feed a tensor of shape \(-1, 3\)",
    ),
    (
        "df-one-column-scalars-cast",
        pd.DataFrame({"a": [1.0, 2.0]}),
        Schema([TensorSpec("float32", (-1,))]),
        ("float32", (2,)),
    ),
    (
        "df-one-column-scalars-2d",
        pd.DataFrame({"a": [1.0, 2.0]}),
        Schema([TensorSpec("float32", (-1, 1))]),
        ("float32", (2, 1)),
    ),
    (
        "df-one-column-scalars-wrong-shape",
        pd.DataFrame({"a": [1.0, 2.0]}),
        F32_M14,
        r"the DataFrame column holds scalars, which only fit shape \(-1,\) or \(-1, 1\)",
    ),
    (
        "df-list-cells-cast",
        pd.DataFrame({"a": [[1.0] * 4, [2.0] * 4]}),
        F32_M14,
        ("float32", (2, 4)),
    ),
    (
        "df-list-cells-ragged",
        pd.DataFrame({"a": [[1.0] * 4, [2.0] * 3]}),
        F32_M14,
        r"cannot be reshaped to \(-1, 4\)",
    ),
    (
        "df-ndarray-cells",
        pd.DataFrame({"a": [np.ones(4, dtype="float32")] * 2}),
        F32_M14,
        ("float32", (2, 4)),
    ),
    ("df-empty", pd.DataFrame({"a": []}), F32_M14, r"the input DataFrame is empty"),
    (
        "delta-df-offset-index",
        pd.DataFrame({"a": [1.0, 2.0]}, index=[5, 6]),
        Schema([TensorSpec("float64", (-1,))]),
        ("float64", (2,)),
    ),
    ("series", pd.Series([1.0, 2.0]), Schema([TensorSpec("float64", (-1,))]), ("float64", (2,))),
]


@pytest.mark.parametrize(
    ("data", "schema", "expected"),
    [c[1:] for c in TENSOR_CASES],
    ids=[c[0] for c in TENSOR_CASES],
)
def test_unnamed_tensors(
    data: Any, schema: Schema, expected: tuple[str, tuple[int, ...]] | str
) -> None:
    if isinstance(expected, str):
        with pytest.raises(SchemaEnforcementError, match=expected) as info:
            enforce_schema(data, schema)
        assert info.value.input_name == 0
        return
    result = enforce_schema(data, schema)
    assert (str(result.dtype), result.shape) == expected


def test_an_ndarray_that_matches_is_returned_as_is() -> None:
    arr = np.ones((3, 4), dtype="float32")
    assert enforce_schema(arr, F32_M14) is arr


def test_named_tensors_from_a_dict() -> None:
    x, y = np.ones((2, 4), dtype="float32"), np.arange(2)
    result = enforce_schema({"y": y, "x": x}, XY_TENSORS)
    assert list(result) == ["x", "y"]
    assert result["x"] is x and result["y"] is y


def test_named_tensors_reject_lists() -> None:
    with pytest.raises(
        SchemaEnforcementError, match=r"Tensor 'x' .*expected a numpy array, got list"
    ):
        enforce_schema({"x": [[1.0] * 4], "y": np.arange(2)}, XY_TENSORS)


def test_named_tensors_missing_and_extra() -> None:
    with pytest.raises(
        SchemaEnforcementError, match=r"missing inputs \['x'\].*extra inputs: \['z'\]"
    ):
        enforce_schema({"y": np.arange(2), "z": np.ones(1)}, XY_TENSORS)
    with pytest.warns(UserWarning, match=r"extra inputs \['z'\]"):
        enforce_schema({"x": np.ones((1, 4), "float32"), "y": np.arange(1), "z": 1}, XY_TENSORS)


def test_named_tensor_dtype_error_names_the_tensor() -> None:
    with pytest.raises(
        SchemaEnforcementError, match=r"Tensor 'y' \(int64, shape \(-1,\)\): dtype"
    ) as info:
        enforce_schema({"x": np.ones((1, 4), "float32"), "y": np.ones(1)}, XY_TENSORS)
    assert info.value.input_name == "y"


def test_named_tensors_from_a_dataframe() -> None:
    df = pd.DataFrame({"x": [[1.0] * 4, [2.0] * 4], "y": [1, 2]})
    result = enforce_schema(df, XY_TENSORS)
    assert result["x"].dtype == np.float32 and result["x"].shape == (2, 4)
    assert result["y"].dtype == np.int64 and result["y"].shape == (2,)


def test_one_named_tensor_takes_a_bare_ndarray() -> None:
    arr = np.ones((2, 4), dtype="float32")
    assert enforce_schema(arr, Schema([TensorSpec("float32", (-1, 4), "x")]))["x"] is arr


def test_named_tensors_reject_other_inputs() -> None:
    with pytest.raises(SchemaEnforcementError, match=r"takes named tensors \['x', 'y'\].*got list"):
        enforce_schema([1.0], XY_TENSORS)


# -- params -------------------------------------------------------------------------------------

PARAM_CASES: list[tuple[str, ParamSpec, Any, Any]] = [
    # (id, spec, value, expected value (checked with its Python type) or Err)
    ("int-double", ParamSpec("p", D.double, 1.5), 2, 2.0),
    ("int-long", ParamSpec("p", D.long, 1), 2, 2),
    ("int-float", ParamSpec("p", D.float, 1.5), 2, 2.0),
    ("np-int64-double", ParamSpec("p", D.double, 1.5), np.int64(2), 2.0),
    ("np-int32-long", ParamSpec("p", D.long, 1), np.int32(2), 2),
    ("np-float32-double", ParamSpec("p", D.double, 1.5), np.float32(2.5), 2.5),
    ("np-float64-double", ParamSpec("p", D.double, 1.5), np.float64(2.5), 2.5),
    ("np-bool-boolean", ParamSpec("p", D.boolean, True), np.bool_(False), False),
    ("str-string", ParamSpec("p", D.string, "s"), "x", "x"),
    ("none-scalar", ParamSpec("p", D.long, 1), None, None),
    ("big-int-integer", ParamSpec("p", D.integer, 1), 2**40, 2**40),
    (
        "np-float64-float",
        ParamSpec("p", D.float, 1.5),
        np.float64(2.5),
        Err(r"^Param 'p' \(float\): expected a float .*got float64 np\.float64\(2\.5\)"),
    ),
    ("np-int8-long", ParamSpec("p", D.long, 1), np.int8(2), Err(r"Param 'p' \(long\)")),
    ("bool-long", ParamSpec("p", D.long, 1), True, Err(r"Param 'p' \(long\): expected a long")),
    ("float-long", ParamSpec("p", D.long, 1), 2.0, Err(r"got float 2\.0\. Pass an int such as 1")),
    ("int-boolean", ParamSpec("p", D.boolean, True), 1, Err(r"Param 'p' \(boolean\)")),
    ("int-string", ParamSpec("p", D.string, "s"), 1, Err(r"Param 'p' \(string\)")),
    ("decimal-string", ParamSpec("p", D.string, "s"), decimal.Decimal(1), Err(r"'p' \(string\)")),
    (
        "str-double",
        ParamSpec("p", D.double, 1.5),
        "x",
        Err(r"Param 'p' \(double\): expected a double.*got str 'x'\. Pass a float such as 1\.5"),
    ),
    ("list-scalar-param", ParamSpec("p", D.long, 1), [1], Err(r"expected a single long")),
    ("iso-date", ParamSpec("p", D.datetime, "2023-01-02"), "2023-01-01", dt.date(2023, 1, 1)),
    (
        "iso-datetime",
        ParamSpec("p", D.datetime, "2023-01-02"),
        "2023-01-01T10:00:00",
        dt.datetime(2023, 1, 1, 10),
    ),
    (
        "datetime",
        ParamSpec("p", D.datetime, "2023-01-02"),
        dt.datetime(2023, 1, 1, 5),
        dt.datetime(2023, 1, 1, 5),
    ),
    (
        "np-datetime64",
        ParamSpec("p", D.datetime, "2023-01-02"),
        np.datetime64("2023-01-01"),
        dt.date(2023, 1, 1),
    ),
    (
        "int-datetime",
        ParamSpec("p", D.datetime, "2023-01-02"),
        5,
        Err(r"Param 'p' \(datetime\): expected a date or datetime, got int 5"),
    ),
    ("list-long", ParamSpec("p", D.long, [1], (-1,)), [1, 2], [1, 2]),
    ("list-mixed-double", ParamSpec("p", D.double, [1.0], (-1,)), [1, 2.5], [1.0, 2.5]),
    ("ndarray-long", ParamSpec("p", D.long, [1], (-1,)), np.array([1, 2]), [1, 2]),
    ("empty-list", ParamSpec("p", D.long, [1], (-1,)), [], []),
    ("list-of-none", ParamSpec("p", D.long, [1], (-1,)), [None], [None]),
    (
        "tuple-rejected",
        ParamSpec("p", D.long, [1], (-1,)),
        (1, 2),
        Err(r"Param 'p' \(long, shape \(-1,\)\): expected a 1-D list of long .*got tuple"),
    ),
    ("scalar-for-list", ParamSpec("p", D.long, [1], (-1,)), 1, Err(r"expected a 1-D list")),
    ("2d-list", ParamSpec("p", D.long, [1], (-1,)), [[1, 2]], Err(r"expected a 1-D list")),
    ("ragged-list", ParamSpec("p", D.long, [1], (-1,)), [[1], [1, 2]], Err(r"expected a 1-D list")),
    (
        "2d-ndarray",
        ParamSpec("p", D.long, [1], (-1,)),
        np.ones((2, 2)),
        Err(r"got ndarray of shape \(2, 2\)"),
    ),
    ("list-item-wrong", ParamSpec("p", D.long, [1], (-1,)), [1, 2.5], Err(r"Param 'p' \(long")),
    ("object", ParamSpec("p", OBJ, {"a": 1.0}), {"a": 2.5, "b": "x"}, {"a": 2.5, "b": "x"}),
    (
        "object-bad",
        ParamSpec("p", OBJ, {"a": 1.0}),
        {"a": 5},
        Err(r"Param 'p', property 'a' \(double\): got int 5"),
    ),
    ("object-not-dict", ParamSpec("p", OBJ, {"a": 1.0}), [1], Err(r"Param 'p' \(\{a: double")),
]


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [c[1:] for c in PARAM_CASES],
    ids=[c[0] for c in PARAM_CASES],
)
def test_param_values(spec: ParamSpec, value: Any, expected: Any) -> None:
    if isinstance(expected, Err):
        with pytest.raises(SchemaEnforcementError, match=expected.pattern) as info:
            enforce_param_value(spec, value)
        assert info.value.input_name == "p"
        return
    result = enforce_param_value(spec, value)
    assert result == expected
    assert type(result) is type(expected)
    if isinstance(result, list):
        assert [type(v) for v in result] == [type(v) for v in expected]


def test_param_values_are_python_builtins() -> None:
    spec = ParamSpec("p", D.double, 1.5)
    assert type(enforce_params({"p": np.float32(2.5)}, ParamSchema([spec]))["p"]) is float


def test_object_param_is_passed_on_as_given() -> None:
    value = {"a": 1}
    assert enforce_param_value(ParamSpec("p", OBJ, {"a": 1.0}), value) is value


def test_param_defaults_are_validated_and_normalised() -> None:
    assert ParamSpec("p", D.double, 1).default == 1.0
    assert type(ParamSpec("p", D.double, 1).default) is float
    assert ParamSpec("p", D.datetime, "2023-01-01").default == dt.date(2023, 1, 1)
    with pytest.raises(SchemaError, match=r"Param 'p'.*expected a long"):
        ParamSpec("p", D.long, 1.5)


SCHEMA = ParamSchema(
    [
        ParamSpec("mult", D.double, 1.5),
        ParamSpec("k", D.long, 3),
        ParamSpec("tags", D.string, ["a"], (-1,)),
    ]
)


def test_params_missing_get_defaults() -> None:
    assert enforce_params({"mult": 2}, SCHEMA) == {"mult": 2.0, "k": 3, "tags": ["a"]}
    assert enforce_params(None, SCHEMA) == {"mult": 1.5, "k": 3, "tags": ["a"]}


def test_param_list_defaults_are_not_shared() -> None:
    first = enforce_params({}, SCHEMA)
    first["tags"].append("b")
    assert enforce_params({}, SCHEMA)["tags"] == ["a"]


def test_unknown_params_are_dropped_with_one_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = enforce_params({"mult": 2.0, "nope": 1, "nada": 2}, SCHEMA)
    assert "nope" not in result and "nada" not in result
    assert len(caught) == 1 and "['nope', 'nada']" in str(caught[0].message)


def test_params_without_a_schema_are_ignored_with_a_warning() -> None:
    with pytest.warns(UserWarning, match=r"params \['x'\] are ignored"):
        assert enforce_params({"x": 1}, None) == {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert enforce_params(None, None) == {}
        assert enforce_params({}, None) == {}


def test_params_must_be_a_dict() -> None:
    with pytest.raises(SchemaEnforcementError, match=r"params must be a dict .*got list"):
        enforce_params([("mult", 2.0)], SCHEMA)  # type: ignore[arg-type]


def test_non_str_param_keys_are_stringified() -> None:
    schema = ParamSchema([ParamSpec("1", D.double, 0.5)])
    with pytest.warns(UserWarning, match="converting them with str"):
        assert enforce_params({1: 2.5}, schema) == {"1": 2.5}  # type: ignore[dict-item]


def test_all_param_failures_are_reported_together() -> None:
    with pytest.raises(SchemaEnforcementError) as info:
        enforce_params({"mult": "x", "k": 1.5, "tags": "a"}, SCHEMA)
    message = str(info.value)
    assert message.startswith("Invalid params ['mult', 'k', 'tags']: ")
    for name in ("mult", "k", "tags"):
        assert re.search(rf"Param '{name}' \(", message)
    assert info.value.input_name == "mult"


def test_enforce_schema_needs_a_schema() -> None:
    with pytest.raises(TypeError, match="needs a Schema"):
        enforce_schema(pd.DataFrame(), [ColSpec(D.double, "x")])  # type: ignore[arg-type]


def test_importing_enforce_imports_no_numpy_or_pandas() -> None:
    import subprocess
    import sys

    code = (
        "import sys, flavorkit.enforce\n"
        "from flavorkit.schema import ParamSpec\n"
        "from flavorkit.schema import Array, Object, Property\n"
        "ParamSpec('p', 'double', 2)\n"
        "ParamSpec('o', Object([Property('a', Array('double')), Property('b', 'long')]),"
        " {'a': [1.5], 'b': 2})\n"
        "print('numpy' in sys.modules, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_a_tensor_model_fed_numpy_never_imports_pandas() -> None:
    """Cold start: a numpy input to a tensor signature costs no ``import pandas`` (~0.5 s)."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        from flavorkit.enforce import enforce_schema
        from flavorkit.schema import Schema, TensorSpec
        for spec in (TensorSpec(np.dtype("float32"), (-1, 4)),
                     TensorSpec(np.dtype("float32"), (-1, 4), "x")):
            enforce_schema(np.ones((2, 4), np.float32), Schema([spec]))
        print("pandas" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "False"
