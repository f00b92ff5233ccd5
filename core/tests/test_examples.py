"""Input examples: MLflow's exact files, read-back, legacy forms, safety, the serving protocol."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flavorkit.errors import InputExampleError
from flavorkit.examples import (
    is_unified_llm_input,
    load_input_example,
    load_serving_input_example,
    parse_serving_payload,
    save_input_example,
    to_serving_payload,
)
from flavorkit.schema import ColSpec, DataType, Schema, TensorSpec

BASE_INFO = {
    "artifact_path": "input_example.json",
    "serving_input_path": "serving_input_example.json",
}


def saved(model_dir: Path) -> tuple[str, str]:
    return (
        (model_dir / "input_example.json").read_text(),
        (model_dir / "serving_input_example.json").read_text(),
    )


# -- the written files, byte for byte (mlflow-format.md §7) -------------------------------------

ROWS: list[tuple[str, Any, str, dict[str, Any], dict[str, Any]]] = [
    (
        "dataframe-named",
        pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
        '{"columns": ["a", "b"], "data": [[1, "x"], [2, "y"]]}',
        {"dataframe_split": {"columns": ["a", "b"], "data": [[1, "x"], [2, "y"]]}},
        {"type": "dataframe", "pandas_orient": "split"},
    ),
    (
        "dataframe-nan-null",
        pd.DataFrame(
            {"x": [1.5, np.nan], "s": ["a", None], "t": pd.to_datetime(["2024-01-02", "NaT"])}
        ),
        '{"columns": ["x", "s", "t"], '
        '"data": [[1.5, "a", "2024-01-02T00:00:00"], [null, null, null]]}',
        {
            "dataframe_split": {
                "columns": ["x", "s", "t"],
                "data": [[1.5, "a", "2024-01-02T00:00:00"], [None, None, None]],
            }
        },
        {"type": "dataframe", "pandas_orient": "split"},
    ),
    (
        "dataframe-rangeindex-values",
        pd.DataFrame([[1, 2.5], [3, 4.0]]),
        '{"data": [[1, 2.5], [3, 4.0]]}',
        {"dataframe_split": {"data": [[1, 2.5], [3, 4.0]]}},
        {"type": "dataframe", "pandas_orient": "values"},
    ),
    (
        "ndarray-float32",
        np.array([[5.1, 3.5], [4.9, 0.2]], dtype=np.float32),
        "[[5.099999904632568, 3.5], [4.900000095367432, 0.20000000298023224]]",
        {"inputs": [[5.099999904632568, 3.5], [4.900000095367432, 0.20000000298023224]]},
        {"type": "ndarray"},
    ),
    (
        "ndarray-nan-null",
        np.array([1.0, np.nan, 3.0]),
        "[1.0, null, 3.0]",
        {"inputs": [1.0, None, 3.0]},
        {"type": "ndarray"},
    ),
    (
        "dict-of-ndarrays",
        {"a": np.array([[1, 2]], dtype=np.int64), "b": np.array([0.5])},
        '{"a": [[1, 2]], "b": [0.5]}',
        {"inputs": {"a": [[1, 2]], "b": [0.5]}},
        {"type": "ndarray"},
    ),
    (
        "json-dict",
        {"question": "why?", "k": 3, "scores": [np.float32(0.5), np.int64(2)]},
        '{"question": "why?", "k": 3, "scores": [0.5, 2]}',
        {"inputs": {"question": "why?", "k": 3, "scores": [0.5, 2]}},
        {"type": "json_object"},
    ),
    (
        "json-list",
        ["a", "b"],
        '["a", "b"]',
        {"inputs": ["a", "b"]},
        {"type": "json_object"},
    ),
    (
        "json-scalar",
        42,
        "42",
        {"inputs": 42},
        {"type": "json_object"},
    ),
    (
        "datetime-isoformat",
        dt.datetime(2024, 1, 2, 3, 4, 5),
        '"2024-01-02T03:04:05"',
        {"inputs": "2024-01-02T03:04:05"},
        {"type": "json_object"},
    ),
    (
        "bytes-base64-newline",
        {"img": b"\x00\x01binary"},
        '{"img": "AAFiaW5hcnk=\\n"}',
        {"inputs": {"img": "AAFiaW5hcnk=\n"}},
        {"type": "json_object"},
    ),
    (
        "sparse-csr",
        sp.csr_matrix(np.array([[0.0, 1.5], [2.0, 0.0]])),
        '{"data": [1.5, 2.0], "indices": [1, 0], "indptr": [0, 1, 2], "shape": [2, 2]}',
        {"inputs": [[0.0, 1.5], [2.0, 0.0]]},
        {"type": "sparse_matrix_csr"},
    ),
    (
        "sparse-csc",
        sp.csc_matrix(np.array([[0.0, 1.5], [2.0, 0.0]])),
        '{"data": [2.0, 1.5], "indices": [1, 0], "indptr": [0, 1, 2], "shape": [2, 2]}',
        {"inputs": [[0.0, 1.5], [2.0, 0.0]]},
        {"type": "sparse_matrix_csc"},
    ),
    (
        "tuple-with-params",
        (pd.DataFrame({"a": [1]}), {"temperature": 0.5, "stop": ["\n"]}),
        '{"inputs": {"columns": ["a"], "data": [[1]]}, '
        '"params": {"temperature": 0.5, "stop": ["\\n"]}}',
        {
            "dataframe_split": {"columns": ["a"], "data": [[1]]},
            "params": {"temperature": 0.5, "stop": ["\n"]},
        },
        {"type": "dataframe", "pandas_orient": "split", "params": "true"},
    ),
    (
        "llm-chat-unwrapped",
        ({"messages": [{"role": "user", "content": "hi"}]}, {"max_tokens": 5}),
        '{"inputs": {"messages": [{"role": "user", "content": "hi"}]}, '
        '"params": {"max_tokens": 5}}',
        {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5},
        {"type": "json_object", "params": "true"},
    ),
    (
        "series-named",
        pd.Series([1, 2], name="s"),
        '{"columns": ["s"], "data": [[1], [2]]}',
        {"dataframe_split": {"columns": ["s"], "data": [[1], [2]]}},
        {"type": "dataframe", "pandas_orient": "split"},
    ),
]


@pytest.mark.parametrize(
    ("example", "expected", "serving", "info"),
    [pytest.param(*row[1:], id=row[0]) for row in ROWS],
)
def test_written_files_match_mlflow(
    tmp_path: Path, example: Any, expected: str, serving: dict[str, Any], info: dict[str, Any]
) -> None:
    got_info = save_input_example(tmp_path, example)
    assert got_info == {**BASE_INFO, **info}
    example_text, serving_text = saved(tmp_path)
    assert example_text == expected
    assert serving_text == json.dumps(serving, indent=2)
    assert to_serving_payload(example) == serving


def test_serving_file_is_indented_by_two(tmp_path: Path) -> None:
    save_input_example(tmp_path, (np.array([[1, 2]]), {"k": 1}))
    assert saved(tmp_path)[1] == (
        '{\n  "inputs": [\n    [\n      1,\n      2\n    ]\n  ],\n  "params": {\n    "k": 1\n  }\n}'
    )


def test_encoding_of_special_values(tmp_path: Path) -> None:
    long = bytes(range(60))  # encodebytes breaks lines every 76 characters
    example = {
        "long": long,
        "date": dt.date(2024, 5, 6),
        "ts": pd.Timestamp("2024-05-06 07:08:09.5"),
        "dt64": np.datetime64("2024-05-06T07:08:09.123456789"),
        "nat": pd.NaT,
        "na": pd.NA,
        "nan": float("nan"),
        "flag": np.bool_(True),
        "nested": (1, np.array([1.5, np.nan])),
    }
    save_input_example(tmp_path, example)
    data = json.loads(saved(tmp_path)[0])
    assert (
        data["long"]
        == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\nOTo7\n"
    )
    assert data["date"] == "2024-05-06"
    assert data["ts"] == "2024-05-06T07:08:09.500000"
    assert data["dt64"] == "2024-05-06T07:08:09.123456"
    assert [data["nat"], data["na"], data["nan"]] == [None, None, None]
    assert data["flag"] is True
    assert data["nested"] == [1, [1.5, None]]


def test_unnamed_series_and_nullable_dtypes(tmp_path: Path) -> None:
    info = save_input_example(tmp_path, pd.Series([1, None], dtype="Int64"))
    assert info["pandas_orient"] == "values"
    assert saved(tmp_path)[0] == '{"data": [[1], [null]]}'


def test_a_bad_example_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputExampleError):
        save_input_example(tmp_path, {"ok": 1, "bad": object()})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("example", "match"),
    [
        pytest.param({1, 2}, r"type set; give a pandas DataFrame", id="set"),
        pytest.param(object(), r"type object; give", id="object"),
        pytest.param(None, r"is None", id="none"),
        pytest.param((1, 2, 3), r"\(data, params\).*tuple of 3 items", id="tuple3"),
        pytest.param(
            pd.DataFrame([[1, 2]], columns=["a", "a"]), r"duplicated column names \['a'\]", id="dup"
        ),
        pytest.param(
            pd.DataFrame([[1, 2]], columns=[1, 2]),
            r"non-string column names \[1, 2\]",
            id="int-cols",
        ),
        pytest.param(
            pd.DataFrame([[1, 2]], columns=["a", 0]),
            r"non-string column names \[0\]",
            id="mixed-cols",
        ),
        pytest.param({"a": np.array([1]), "b": 2}, r"mixes numpy arrays.*\['b'\]", id="mixed-dict"),
        pytest.param([np.array([1, 2])], r"list holding numpy arrays", id="array-in-list"),
        pytest.param(np.array([1 + 2j]), r"dtype complex128 cannot be written", id="complex"),
        pytest.param({"k": {1, 2}}, r"example\['k'\]: a value of type set", id="nested-set"),
        pytest.param((1, {1: "x"}), r"Param names must be strings", id="param-name"),
        pytest.param(sp.coo_matrix([[1]]), r"'coo' format.*tocsr", id="coo"),
    ],
)
def test_unsupported_examples(tmp_path: Path, example: Any, match: str) -> None:
    with pytest.raises(InputExampleError, match=match):
        save_input_example(tmp_path, example)


def test_save_needs_an_existing_directory(tmp_path: Path) -> None:
    with pytest.raises(InputExampleError, match="not a directory"):
        save_input_example(tmp_path / "missing", [1])


# -- reading back -------------------------------------------------------------------------------


def test_dataframe_read_back_cast_to_schema(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "i": np.array([1, 2], dtype=np.int32),
            "l": [10, 20],
            "f": np.array([0.5, 1.5], dtype=np.float32),
            "d": [0.25, np.nan],
            "s": ["x", "y"],
            "b": [True, False],
            "t": pd.to_datetime(["2024-01-02 03:04:05", "2024-06-07 00:00:00"]),
            "bin": [b"\x00\xff", b"abc"],
        }
    )
    schema = Schema(
        [
            ColSpec(DataType.integer, "i"),
            ColSpec(DataType.long, "l"),
            ColSpec(DataType.float, "f"),
            ColSpec(DataType.double, "d", required=False),
            ColSpec(DataType.string, "s"),
            ColSpec(DataType.boolean, "b"),
            ColSpec(DataType.datetime, "t"),
            ColSpec(DataType.binary, "bin"),
        ]
    )
    info = save_input_example(tmp_path, df)
    got = load_input_example(tmp_path, info, schema)
    expected = df.astype({"s": object, "t": "datetime64[ns]"})
    pd.testing.assert_frame_equal(got, expected)
    raw = load_input_example(tmp_path, info)  # no schema: as JSON gave it
    assert raw["t"].tolist() == ["2024-01-02T03:04:05", "2024-06-07T00:00:00"]


def test_values_orient_read_back_with_unnamed_schema(tmp_path: Path) -> None:
    info = save_input_example(tmp_path, pd.DataFrame([[1, 2.5], [3, 4.0]]))
    got = load_input_example(
        tmp_path, info, Schema([ColSpec(DataType.long), ColSpec(DataType.float)])
    )
    expected = pd.DataFrame({0: [1, 3], 1: np.array([2.5, 4.0], dtype=np.float32)})
    pd.testing.assert_frame_equal(got, expected)


def test_missing_values_are_not_forced_into_integer_or_bool(tmp_path: Path) -> None:
    info = save_input_example(tmp_path, pd.DataFrame({"b": [True, None]}))
    got = load_input_example(
        tmp_path, info, Schema([ColSpec(DataType.boolean, "b", required=False)])
    )
    assert got["b"].tolist()[0] is True
    assert pd.isna(got["b"].tolist()[1])


def test_ndarray_read_back_typed_per_tensor_spec(tmp_path: Path) -> None:
    arr = np.array([[5.1, np.nan]], dtype=np.float32)
    info = save_input_example(tmp_path, arr)
    got = load_input_example(tmp_path, info, Schema([TensorSpec(np.float32, (-1, 2))]))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, arr)
    untyped = load_input_example(tmp_path, info)
    # MLflow 3.17.2 reads it back without a schema as array([[5.1, None]], dtype=object)
    assert untyped.dtype == object
    assert untyped.tolist() == [[5.099999904632568, None]]


def test_dict_of_arrays_read_back(tmp_path: Path) -> None:
    example = {"ids": np.array([[1, 2]], dtype=np.int32), "w": np.array([0.5], dtype=np.float32)}
    info = save_input_example(tmp_path, example)
    schema = Schema([TensorSpec(np.int32, (-1, 2), "ids"), TensorSpec(np.float32, (-1,), "w")])
    got = load_input_example(tmp_path, info, schema)
    assert set(got) == {"ids", "w"}
    for name, arr in example.items():
        assert got[name].dtype == arr.dtype
        np.testing.assert_array_equal(got[name], arr)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_read_back(tmp_path: Path, fmt: str) -> None:
    matrix = sp.random(4, 3, density=0.5, format=fmt, random_state=0, dtype=np.float32)
    info = save_input_example(tmp_path, matrix)
    got = load_input_example(tmp_path, info, Schema([TensorSpec(np.float32, (-1, 3))]))
    assert got.format == fmt
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.toarray(), matrix.toarray())


def test_json_object_and_params_read_back(tmp_path: Path) -> None:
    example = ({"q": ["a", "b"], "n": 2}, {"temperature": 0.5})
    info = save_input_example(tmp_path, example)
    assert load_input_example(tmp_path, info) == ({"q": ["a", "b"], "n": 2}, {"temperature": 0.5})
    info = save_input_example(tmp_path, (np.array([1, 2]), {}))
    assert info["params"] == "true"
    data, params = load_input_example(tmp_path, info)
    np.testing.assert_array_equal(data, [1, 2])
    assert params == {}


def test_no_info_means_no_example(tmp_path: Path) -> None:
    assert load_input_example(tmp_path, None) is None
    assert load_serving_input_example(tmp_path, None) is None
    assert (
        load_serving_input_example(tmp_path, {"artifact_path": "x.json", "type": "ndarray"}) is None
    )


def test_serving_example_text(tmp_path: Path) -> None:
    info = save_input_example(tmp_path, pd.DataFrame({"a": [1]}))
    assert load_serving_input_example(tmp_path, info) == saved(tmp_path)[1]


@pytest.mark.parametrize(
    ("stored", "schema", "expected"),
    [
        pytest.param(
            {"inputs": [[1, 2], [3, 4]]},
            Schema([TensorSpec(np.float32, (-1, 2))]),
            np.array([[1, 2], [3, 4]], dtype=np.float32),
            id="inputs-list",
        ),
        pytest.param({"instances": [[1, 2]]}, None, np.array([[1, 2]]), id="instances-list"),
        pytest.param({"inputs": [1.5, 2.5]}, None, np.array([1.5, 2.5]), id="list-of-scalars"),
    ],
)
def test_legacy_tf_serving_examples_are_unwrapped(
    tmp_path: Path, stored: Any, schema: Schema | None, expected: Any
) -> None:
    (tmp_path / "input_example.json").write_text(json.dumps(stored))
    info = {"artifact_path": "input_example.json", "type": "ndarray", "format": "tf-serving"}
    got = load_input_example(tmp_path, info, schema)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_legacy_tf_serving_named_tensors(tmp_path: Path) -> None:
    stored = {"inputs": {"a": [[1.0, 2.0]], "b": [1]}}
    (tmp_path / "input_example.json").write_text(json.dumps(stored))
    info = {"artifact_path": "input_example.json", "type": "ndarray", "format": "tf-serving"}
    schema = Schema([TensorSpec(np.float32, (-1, 2), "a"), TensorSpec(np.int64, (-1,), "b")])
    got = load_input_example(tmp_path, info, schema)
    assert got["a"].dtype == np.float32
    assert got["b"].dtype == np.int64
    # a 3.x example may name a tensor "inputs": without format: tf-serving it is not unwrapped
    info3 = {"artifact_path": "input_example.json", "type": "ndarray"}
    assert set(load_input_example(tmp_path, info3)) == {"inputs"}


def test_legacy_params_with_tf_serving(tmp_path: Path) -> None:
    stored = {"inputs": {"inputs": [[1, 2]]}, "params": {"k": 1}}
    (tmp_path / "input_example.json").write_text(json.dumps(stored))
    info = {**BASE_INFO, "type": "ndarray", "format": "tf-serving", "params": "true"}
    data, params = load_input_example(tmp_path, info)
    np.testing.assert_array_equal(data, [[1, 2]])
    assert params == {"k": 1}


# -- loading errors -----------------------------------------------------------------------------


def test_unknown_type(tmp_path: Path) -> None:
    (tmp_path / "input_example.json").write_text("[]")
    with pytest.raises(
        InputExampleError,
        match=r"saved_input_example_info.type is 'image', not an example type flavorkit reads "
        r"\(dataframe, ndarray, json_object, sparse_matrix_csc, sparse_matrix_csr\)",
    ) as unknown:
        load_input_example(tmp_path, {"artifact_path": "input_example.json", "type": "image"})
    assert "upgrade" not in str(unknown.value)  # nothing says a newer version wrote it
    with pytest.raises(InputExampleError, match=r"has no 'type'.*the MLmodel file is damaged"):
        load_input_example(tmp_path, {"artifact_path": "input_example.json"})


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    info = {**BASE_INFO, "type": "ndarray"}
    with pytest.raises(InputExampleError, match=r"input_example\.json.*does not exist") as e:
        load_input_example(tmp_path, info)
    assert str(tmp_path) in str(e.value)
    assert isinstance(e.value, ValueError)
    with pytest.raises(InputExampleError, match=r"serving_input_example\.json.*does not exist"):
        load_serving_input_example(tmp_path, info)


def test_corrupt_file_names_the_path(tmp_path: Path) -> None:
    (tmp_path / "input_example.json").write_text("{not json")
    with pytest.raises(InputExampleError, match=r"input_example.json: .*not valid JSON"):
        load_input_example(tmp_path, {**BASE_INFO, "type": "json_object"})


def test_params_flag_without_wrapper(tmp_path: Path) -> None:
    (tmp_path / "input_example.json").write_text("[1, 2]")
    with pytest.raises(InputExampleError, match="'inputs' and 'params'"):
        load_input_example(tmp_path, {**BASE_INFO, "type": "json_object", "params": "true"})


@pytest.mark.parametrize(
    ("artifact_path", "match"),
    [
        pytest.param("/etc/passwd", "is absolute", id="absolute"),
        pytest.param("C:\\secrets.json", "is absolute", id="windows-drive"),
        pytest.param("../outside.json", "climbs out of the model directory", id="dotdot"),
        pytest.param("sub/../../outside.json", "climbs out of the model", id="nested"),
        pytest.param("", "expected a relative path", id="empty"),
        pytest.param(5, "expected a relative path", id="not-a-string"),
    ],
)
def test_paths_must_stay_inside_the_model(tmp_path: Path, artifact_path: Any, match: str) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (tmp_path / "outside.json").write_text("[1]")
    info = {"artifact_path": artifact_path, "type": "json_object"}
    with pytest.raises(InputExampleError, match=match):
        load_input_example(model, info)
    with pytest.raises(InputExampleError, match=match):
        load_serving_input_example(model, {"serving_input_path": artifact_path})


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_out_of_the_model_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (tmp_path / "secret.json").write_text('"secret"')
    (model / "input_example.json").symlink_to(tmp_path / "secret.json")
    with pytest.raises(
        InputExampleError, match=r"outside the model directory .*a symlink leads out"
    ):
        load_input_example(model, {**BASE_INFO, "type": "json_object"})
    (model / "inner.json").write_text('"ok"')
    (model / "link.json").symlink_to(model / "inner.json")
    assert load_input_example(model, {"artifact_path": "link.json", "type": "json_object"}) == "ok"


# -- the scoring protocol (§8) ------------------------------------------------------------------


def test_serving_round_trip_dataframe() -> None:
    df = pd.DataFrame({"a": [1, 2], "b": [0.5, np.nan], "c": ["x", "y"]})
    schema = Schema(
        [ColSpec(DataType.long, "a"), ColSpec(DataType.double, "b"), ColSpec(DataType.string, "c")]
    )
    body = json.loads(json.dumps(to_serving_payload(df, {"k": 1})))
    data, params = parse_serving_payload(body, schema)
    pd.testing.assert_frame_equal(data, df.astype({"c": object}))
    assert params == {"k": 1}


def test_serving_dataframe_records_cast_like_mlflow() -> None:
    body = {"dataframe_records": [{"a": 2.5, "b": "AAE=\n"}, {"a": 3, "b": "YWI=\n"}]}
    data, params = parse_serving_payload(
        body, Schema([ColSpec(DataType.long, "a"), ColSpec(DataType.binary, "b")])
    )
    assert data["a"].tolist() == [2, 3]  # MLflow's astype truncates 2.5 silently
    assert data["b"].tolist() == [b"\x00\x01", b"ab"]
    assert params is None


def test_serving_round_trip_ndarray() -> None:
    arr = np.array([[1.5, 2.5]], dtype=np.float32)
    body = json.loads(json.dumps(to_serving_payload(arr)))
    data, params = parse_serving_payload(body, Schema([TensorSpec(np.float32, (-1, 2))]))
    assert data.dtype == np.float32
    np.testing.assert_array_equal(data, arr)
    assert params is None


def test_serving_round_trip_named_tensors() -> None:
    example = {"x": np.array([[1, 2]], dtype=np.int32), "y": np.array([True])}
    schema = Schema([TensorSpec(np.int32, (-1, 2), "x"), TensorSpec(np.bool_, (-1,), "y")])
    data, _ = parse_serving_payload(to_serving_payload(example), schema)
    for name, arr in example.items():
        assert data[name].dtype == arr.dtype
        np.testing.assert_array_equal(data[name], arr)


def test_serving_round_trip_json_object_with_colspecs() -> None:
    example = {"a": [1, 2], "s": ["p", None], "img": [b"\x00", b"\x01"]}
    schema = Schema(
        [
            ColSpec(DataType.double, "a"),
            ColSpec(DataType.string, "s"),
            ColSpec(DataType.binary, "img"),
        ]
    )
    data, _ = parse_serving_payload(to_serving_payload(example), schema)
    assert data["a"].dtype == np.float64
    assert data["s"].tolist() == ["p", None]  # not the string 'None'
    assert data["img"].tolist() == [b"\x00", b"\x01"]


def test_serving_round_trip_sparse_is_dense() -> None:
    matrix = sp.csr_matrix(np.array([[0.0, 1.0], [2.0, 0.0]]))
    data, _ = parse_serving_payload(
        to_serving_payload(matrix), Schema([TensorSpec(np.float64, (-1, 2))])
    )
    np.testing.assert_array_equal(data, matrix.toarray())


def test_serving_instances_rows_become_columns() -> None:
    body = {"instances": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}], "params": {"k": 2}}
    schema = Schema([ColSpec(DataType.integer, "a"), ColSpec(DataType.string, "b")])
    data, params = parse_serving_payload(body, schema)
    assert data["a"].dtype == np.int32
    assert data["a"].tolist() == [1, 2]
    assert data["b"].tolist() == ["x", "y"]
    assert params == {"k": 2}
    with pytest.raises(InputExampleError, match=r"length of values .* not the same"):
        parse_serving_payload({"instances": [{"a": 1, "b": "x"}, {"a": 2}]}, schema)


def test_serving_inputs_single_named_column_and_unnamed_schema() -> None:
    data, _ = parse_serving_payload({"inputs": [1, 2]}, Schema([ColSpec(DataType.double, "x")]))
    assert data["x"].dtype == np.float64
    with pytest.raises(InputExampleError, match=r"unnamed inputs"):
        parse_serving_payload({"inputs": {"a": [1]}}, Schema([TensorSpec(np.float32, (-1,))]))


def test_serving_tuple_form_and_params_twice() -> None:
    assert to_serving_payload(([1], {"k": 1})) == {"inputs": [1], "params": {"k": 1}}
    with pytest.raises(InputExampleError, match="given twice"):
        to_serving_payload(([1], {"k": 1}), {"k": 2})


def test_serving_unified_llm_input() -> None:
    body = to_serving_payload({"messages": [{"role": "user", "content": "hi"}]}, {"temperature": 0})
    assert is_unified_llm_input(body)
    data, params = parse_serving_payload(body)
    assert data == body  # without a param schema everything stays data, as in MLflow
    assert params is None


def test_serving_unified_llm_input_with_param_schema() -> None:
    pytest.importorskip("flavorkit.enforce")
    from flavorkit.schema import ParamSchema, ParamSpec

    body = {"prompt": "hi", "temperature": 0.2}
    data, params = parse_serving_payload(
        body, param_schema=ParamSchema([ParamSpec("temperature", DataType.double, 1.0)])
    )
    assert data == {"prompt": "hi"}
    assert params == {"temperature": 0.2}


@pytest.mark.parametrize(
    ("body", "received"),
    [
        pytest.param({"data": [1]}, "Received dictionary with input fields: ['data']", id="none"),
        pytest.param(
            {"inputs": [1], "instances": [1]},
            "Received dictionary with input fields: ['inputs', 'instances']",
            id="two",
        ),
        pytest.param([1, 2], "Received a list.", id="list"),
    ],
)
def test_exactly_one_input_field(body: Any, received: str) -> None:
    with pytest.raises(InputExampleError) as e:
        parse_serving_payload(body)
    message = str(e.value)
    assert message.startswith(
        "The input must be a JSON dictionary with exactly one of the input fields "
        "{'dataframe_records', 'dataframe_split', 'inputs', 'instances'}. "
    )
    assert received in message


@pytest.mark.parametrize(
    ("body", "match"),
    [
        pytest.param({"inputs": [1], "params": [1]}, "'params' must be a JSON object", id="params"),
        pytest.param({"dataframe_split": [[1]]}, "split format must be a dictionary", id="split"),
        pytest.param({"dataframe_split": {"rows": []}}, "must have 'data' field", id="split-keys"),
        pytest.param({"dataframe_records": {"a": 1}}, "must be a list of records", id="records"),
        pytest.param(
            {"dataframe_split": {"columns": ["a", "a"], "data": [[1, 2]]}}, "duplicated", id="dup"
        ),
        pytest.param({"inputs": [[1], [1, 2]]}, "n-dimensional array", id="ragged"),
    ],
)
def test_malformed_bodies(body: Any, match: str) -> None:
    with pytest.raises(InputExampleError, match=match):
        parse_serving_payload(body)


def test_column_cast_failure_names_the_column() -> None:
    body = {"dataframe_split": {"columns": ["a"], "data": [["x"]]}}
    with pytest.raises(InputExampleError, match="Failed to convert column 'a' to type 'int64'"):
        parse_serving_payload(body, Schema([ColSpec(DataType.long, "a")]))


def test_importing_the_module_imports_no_numpy_pandas_or_scipy() -> None:
    code = (
        "import sys, flavorkit.examples as e; e.to_serving_payload({'a': [1]}); "
        "print(sorted(m for m in ('numpy', 'pandas', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- property: DataFrame save -> load with the schema gives the frame back ----------------------

_COLUMN_KINDS = {
    "long": st.integers(min_value=-(2**63), max_value=2**63 - 1),
    "double": st.floats(allow_nan=True, allow_infinity=True),
    "string": st.text(max_size=8),
    "boolean": st.booleans(),
}


@st.composite
def frames(draw: st.DrawFn) -> tuple[pd.DataFrame, Schema]:
    names = draw(st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=4, unique=True))
    kinds = [draw(st.sampled_from(sorted(_COLUMN_KINDS))) for _ in names]
    n_rows = draw(st.integers(min_value=0, max_value=5))
    columns = {
        name: draw(st.lists(_COLUMN_KINDS[kind], min_size=n_rows, max_size=n_rows))
        for name, kind in zip(names, kinds, strict=True)
    }
    dtypes = {"long": "int64", "double": "float64", "string": "str", "boolean": "bool"}
    df = pd.DataFrame(
        {
            name: pd.Series(columns[name], dtype=dtypes[kind])
            for name, kind in zip(names, kinds, strict=True)
        }
    )
    return df, Schema(
        [ColSpec(DataType(kind), name) for name, kind in zip(names, kinds, strict=True)]
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frames())
def test_property_dataframe_round_trip(tmp_path: Path, case: tuple[pd.DataFrame, Schema]) -> None:
    df, schema = case
    info = save_input_example(tmp_path, df)
    got = load_input_example(tmp_path, info, schema)
    expected = df.astype({spec.name: spec.type.to_pandas() for spec in schema.inputs})  # type: ignore[union-attr]
    pd.testing.assert_frame_equal(got, expected, check_index_type=False)
