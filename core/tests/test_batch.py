"""flavorkit.batch: real files through a real (toy) flavor, every input and output format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from toyflavor_pkg import ToyModel

import flavorkit
from flavorkit.batch import predict_batches, predict_files
from flavorkit.errors import BatchScoringError, SchemaEnforcementError
from flavorkit.pyfunc import PyFuncModel

pytestmark = [
    pytest.mark.usefixtures("registry"),
    pytest.mark.filterwarnings("ignore:Input column.*not in the model's signature:UserWarning"),
]

MODEL = ToyModel([2.0, -1.0], bias=0.5)


def frame(n: int, start: int = 0) -> pd.DataFrame:
    i = np.arange(start, start + n, dtype=float)
    return pd.DataFrame({"id": np.arange(start, start + n), "a": i, "b": i / 2})


def expected(df: pd.DataFrame) -> np.ndarray:
    return MODEL.predict(df[["a", "b"]])


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    example = pd.DataFrame({"a": [1.0, 2.0], "b": [0.5, 0.0]})
    flavorkit.save_model(MODEL, tmp_path / "m", input_example=example)
    return tmp_path / "m"


def write(df: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        df.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        df.to_json(path, orient="records", lines=True)
    else:
        df.to_parquet(path, index=False)
    return path


def read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path)
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True)
    return pd.read_parquet(path)


@pytest.mark.parametrize("src", [".csv", ".parquet", ".jsonl"])
@pytest.mark.parametrize("dst", [".csv", ".parquet", ".jsonl"])
def test_every_input_and_output_format(model_dir: Path, tmp_path: Path, src: str, dst: str) -> None:
    df = frame(1000)
    source = write(df, tmp_path / f"in{src}")
    out = tmp_path / f"out{dst}"
    summary = predict_files(model_dir, source, out, batch_size=128, keep_columns=["id"])
    assert summary.rows == 1000 and summary.files == 1 and summary.output == out
    got = read(out)
    assert list(got.columns) == ["id", "prediction"]
    np.testing.assert_array_equal(got["id"], df["id"])
    np.testing.assert_allclose(got["prediction"], expected(df))
    assert not list(tmp_path.glob(".*.tmp")), "the temporary file was renamed, not left behind"


def test_integers_in_a_csv_read_as_the_declared_double(model_dir: Path, tmp_path: Path) -> None:
    # Without the signature's types pyarrow reads whole numbers as int64, which 'double' refuses.
    source = tmp_path / "ints.csv"
    source.write_text("a,b\n1,2\n3,4\n")
    predict_files(model_dir, source, tmp_path / "o.parquet")
    np.testing.assert_allclose(pq.read_table(tmp_path / "o.parquet")["prediction"], [0.5, 2.5])


def test_directories_and_globs_in_order(model_dir: Path, tmp_path: Path) -> None:
    parts = tmp_path / "parts"
    (parts / "nested").mkdir(parents=True)
    write(frame(10, 0), parts / "p0.parquet")
    write(frame(10, 10), parts / "p1.csv")
    write(frame(10, 20), parts / "nested" / "p2.jsonl")
    (parts / "_SUCCESS").write_text("")
    (parts / ".p3.parquet.crc").write_text("junk")
    out = tmp_path / "o.parquet"
    summary = predict_files(model_dir, parts, out, keep_columns=["id"])
    assert summary.files == 3
    # sorted by path: nested/p2.jsonl, p0.parquet, p1.csv
    assert read(out)["id"].tolist() == [*range(20, 30), *range(10), *range(10, 20)]
    summary = predict_files(model_dir, str(parts / "**" / "*.parquet"), out)
    assert summary.files == 1 and summary.rows == 10


def test_bad_inputs_fail_before_the_model_loads(tmp_path: Path) -> None:
    not_a_model = tmp_path / "nothing"
    write(frame(3), tmp_path / "in.csv")
    with pytest.raises(BatchScoringError, match=r"missing\.csv: no such file"):
        predict_files(not_a_model, tmp_path / "missing.csv", tmp_path / "o.parquet")
    with pytest.raises(BatchScoringError, match=r"unknown output type '\.txt'"):
        predict_files(not_a_model, tmp_path / "in.csv", tmp_path / "o.txt")
    with pytest.raises(BatchScoringError, match=r"matches no CSV"):
        predict_files(not_a_model, str(tmp_path / "*.parquet"), tmp_path / "o.parquet")
    (tmp_path / "doc.json").write_text("{}")
    with pytest.raises(BatchScoringError, match=r"name JSON Lines files \.jsonl"):
        predict_files(not_a_model, tmp_path / "doc.json", tmp_path / "o.parquet")
    with pytest.raises(BatchScoringError, match="output's directory"):
        predict_files(not_a_model, tmp_path / "in.csv", tmp_path / "no" / "o.parquet")
    with pytest.raises(BatchScoringError, match="on_error must be"):
        predict_files(not_a_model, tmp_path / "in.csv", tmp_path / "o.csv", on_error="ignore")  # type: ignore[arg-type]


def test_keep_columns_must_exist_and_not_clash(model_dir: Path, tmp_path: Path) -> None:
    source = write(frame(5), tmp_path / "in.parquet")
    with pytest.raises(BatchScoringError, match=r"\['nope'\] not in the input; its columns are"):
        predict_files(model_dir, source, tmp_path / "o.parquet", keep_columns=["nope"])
    write(frame(5).assign(prediction=1), source)
    with pytest.raises(BatchScoringError, match="clash with the model's output"):
        predict_files(model_dir, source, tmp_path / "o.parquet", keep_columns=["prediction"])


class RefusesNaN:
    """Fails a whole batch on a missing value, as scikit-learn's estimators do."""

    def predict(self, data, params=None):  # type: ignore[no-untyped-def]
        if data.isna().any().any():
            raise ValueError("Input X contains NaN.")
        return MODEL.predict(data, params)


@pytest.fixture
def nan_refusing(model_dir: Path) -> PyFuncModel:
    loaded = flavorkit.load_model(model_dir)
    return PyFuncModel(loaded.metadata, RefusesNaN(), flavor="toy", raw_model=None)


def with_nan_at(df: pd.DataFrame, row: int) -> pd.DataFrame:
    df = df.copy()
    df.loc[row, "a"] = np.nan
    return df


def test_fail_names_file_rows_and_column_and_leaves_no_output(
    model_dir: Path, nan_refusing: PyFuncModel, tmp_path: Path
) -> None:
    source = write(with_nan_at(frame(300), 150), tmp_path / "in.parquet")
    out = tmp_path / "o.parquet"
    with pytest.raises(BatchScoringError) as info:
        predict_files(nan_refusing, source, out, batch_size=100)
    assert str(info.value) == f"{source}: rows 100-199: ValueError: Input X contains NaN."
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))
    # a column the signature refuses is named, with its type
    write(frame(300).astype({"a": str}), source)
    with pytest.raises(BatchScoringError) as info:
        predict_files(model_dir, source, out, batch_size=100)
    assert str(info.value).startswith(f"{source}: rows 0-99: Column 'a'")
    assert isinstance(info.value.__cause__, SchemaEnforcementError)
    # a CSV value that cannot be parsed as the declared type names the row and value
    (tmp_path / "bad.csv").write_text("a,b\n1,2\noops,3\n")
    with pytest.raises(
        BatchScoringError, match=r"bad\.csv: cannot be read: .*invalid value 'oops'"
    ):
        predict_files(model_dir, tmp_path / "bad.csv", out)
    assert not out.exists()


def test_skip_records_failing_batches_and_files(nan_refusing: PyFuncModel, tmp_path: Path) -> None:
    write(with_nan_at(frame(300), 150), tmp_path / "p0.parquet")
    write(frame(50, 300), tmp_path / "p1.csv")
    (tmp_path / "p2.parquet").write_bytes(b"not parquet at all")
    out = tmp_path / "o.parquet"
    summary = predict_files(
        nan_refusing,
        str(tmp_path / "p*"),
        out,
        batch_size=100,
        on_error="skip",
        keep_columns=["id"],
    )
    assert (summary.rows, summary.failed_rows, summary.errors) == (250, 100, 2)
    assert read(out)["id"].tolist() == [*range(100), *range(200, 350)]
    assert summary.errors_path is not None
    entries = [json.loads(line) for line in summary.errors_path.read_text().splitlines()]
    assert entries[0]["file"].endswith("p0.parquet") and entries[0]["rows"] == [100, 199]
    assert entries[0]["error"] == "ValueError: Input X contains NaN."
    assert entries[1]["file"].endswith("p2.parquet") and entries[1]["rows"] is None
    assert "cannot be read" in entries[1]["error"]
    assert "2 failed batch(es)/file(s), 100 rows skipped" in str(summary)
    # A clean rerun removes the stale errors file: it described a run that no longer applies.
    (tmp_path / "p2.parquet").unlink()
    write(frame(300), tmp_path / "p0.parquet")
    summary = predict_files(nan_refusing, str(tmp_path / "p*"), out, on_error="skip")
    assert summary.errors == 0 and summary.errors_path is None
    assert not (tmp_path / "o.parquet.errors.jsonl").exists()


def test_an_interrupted_run_leaves_nothing(model_dir: Path, tmp_path: Path) -> None:
    source = write(frame(1000), tmp_path / "in.parquet")
    out = tmp_path / "o.parquet"
    model = flavorkit.load_model(model_dir)
    calls = 0
    real_predict = model.predict

    def predict_then_interrupt(data, params=None):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        return real_predict(data, params)

    model.predict = predict_then_interrupt  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        predict_files(model, source, out, batch_size=100)
    assert not out.exists() and not list(tmp_path.glob(".*"))


def test_two_dimensional_outputs(model_dir: Path, tmp_path: Path) -> None:
    class TwoOutputs:
        def predict(self, data, params=None):  # type: ignore[no-untyped-def]
            y = MODEL.predict(data, params)
            return np.stack([y, -y], axis=1)

    loaded = flavorkit.load_model(model_dir)
    model = PyFuncModel(loaded.metadata, TwoOutputs(), flavor="toy", raw_model=None)
    source = write(frame(10), tmp_path / "in.parquet")
    for suffix in (".parquet", ".csv", ".jsonl"):
        out = tmp_path / f"o{suffix}"
        predict_files(model, source, out)
        got = read(out)["prediction"]
        rows = [json.loads(v) if isinstance(v, str) else list(v) for v in got]
        np.testing.assert_allclose(np.array(rows), np.stack([expected(frame(10))] * 2, 1) * [1, -1])


def test_predict_batches_arrow_and_pandas(model_dir: Path) -> None:
    model = flavorkit.load_model(model_dir)
    df = frame(20)
    arrow = [pa.RecordBatch.from_pandas(df.iloc[:10]), pa.Table.from_pandas(df.iloc[10:])]
    tables = list(predict_batches(model, arrow, keep_columns=["id"]))
    assert all(isinstance(t, pa.Table) for t in tables)
    np.testing.assert_allclose(pa.concat_tables(tables)["prediction"], expected(df))
    frames = list(predict_batches(str(model_dir), [df.iloc[:5], df.iloc[5:]]))
    assert all(isinstance(f, pd.DataFrame) for f in frames)
    np.testing.assert_allclose(pd.concat(frames)["prediction"], expected(df))
    with pytest.raises(BatchScoringError, match="got list"):
        list(predict_batches(model, [[1, 2]]))


class SamplesArrowMemory:
    """Records the bytes arrow holds each time a batch reaches the model."""

    def __init__(self) -> None:
        self.peak = 0

    def predict(self, data, params=None):  # type: ignore[no-untyped-def]
        self.peak = max(self.peak, pa.total_allocated_bytes())
        return MODEL.predict(data, params)


def test_memory_is_set_by_the_batch_not_the_file(model_dir: Path, tmp_path: Path) -> None:
    meta = flavorkit.load_model(model_dir).metadata
    peaks = {}
    for rows in (250_000, 2_000_000):
        source = tmp_path / f"{rows}.parquet"
        with pq.ParquetWriter(source, pa.Table.from_pandas(frame(1)).schema) as w:
            for start in range(0, rows, 125_000):
                w.write_table(pa.Table.from_pandas(frame(125_000, start)))
        sampler = SamplesArrowMemory()
        model = PyFuncModel(meta, sampler, flavor="toy", raw_model=None)
        before = pa.total_allocated_bytes()
        summary = predict_files(model, source, tmp_path / "o.parquet", batch_size=10_000)
        assert summary.rows == rows
        peaks[rows] = sampler.peak - before
    # 8x the rows (48 MB of arrow data), about the same memory: row groups and batches in flight
    assert peaks[2_000_000] < 1.5 * peaks[250_000] + 2_000_000, peaks
    assert peaks[2_000_000] < 20_000_000, peaks


def test_import_is_light_and_a_missing_extra_is_named(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import flavorkit.batch, flavorkit.spark, flavorkit.dask\n"
        "heavy = ('numpy', 'pandas', 'pyarrow', 'tqdm', 'pyspark', 'dask')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "sys.modules['pyarrow'] = None\n"
        "from flavorkit.batch import predict_files\n"
        "from flavorkit.errors import MissingExtraError\n"
        "try:\n"
        "    predict_files('m', 'in.csv', 'out.parquet')\n"
        "except MissingExtraError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert out.stdout.startswith(
        "Bulk scoring (flavorkit.batch) needs pyarrow; install 'flavorkit[batch]': "
    )
