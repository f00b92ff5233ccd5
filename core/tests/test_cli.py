"""The flavorkit command: flavors, info, validate, predict — real files, exit codes, messages."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from toyflavor_pkg import ToyModel

import flavorkit
from flavorkit.cli import main
from flavorkit.mlmodel import Model

pytestmark = pytest.mark.usefixtures("registry")

X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, 0.0, -1.0]})
MODEL = ToyModel([2.0, -1.0], bias=0.5)


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    flavorkit.save_model(MODEL, tmp_path / "m", input_example=(X.head(2), {"scale": 1.0}))
    return tmp_path / "m"


def test_flavors_lists_in_process_plugins(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flavors", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["flavors"][0]["name"] == "toy"
    assert report["errors"] == []


def test_info_text_and_json(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(model_dir)]) == 0
    out = capsys.readouterr().out
    assert "Flavor       toy" in out
    assert "'a': double (required)" in out
    assert "'scale': double (default: 1.0)" in out
    assert main(["info", "--json", str(model_dir)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["flavors"]["python_function"]["loader_module"] == "flavorkit.mlflow_loader"
    assert info["requirements"] == [f"flavorkit=={flavorkit.__version__}"]


def test_validate_passes_a_good_model(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(model_dir)]) == 0
    out = capsys.readouterr().out
    assert "✓ example: the saved example predicts through the signature" in out
    assert "0 failed" in out


def test_validate_fails_a_broken_model(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (model_dir / "conda.yaml").unlink()
    meta = Model.load(model_dir)
    meta.flavors["toy"]["data"] = "../escape.json"
    meta.save(model_dir)
    assert main(["validate", str(model_dir)]) == 1
    out = capsys.readouterr().out
    assert "✗ files: missing: python_function.env.conda (conda.yaml)" in out
    assert "✗ load:" in out
    assert "climbs out" in out


def test_errors_are_one_line_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["info", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("flavorkit: error: ")
    assert "Traceback" not in err


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_predict_reads_and_writes_each_format(
    model_dir: Path, tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        X.to_csv(source, index=False)
    elif suffix == ".parquet":
        X.to_parquet(source)
    else:
        source.write_text(
            json.dumps({"dataframe_split": X.to_dict(orient="split") | {"index": None}})
        )
    out = tmp_path / f"out{suffix}"
    assert main(["predict", "-m", str(model_dir), "-i", str(source), "-o", str(out)]) == 0
    expected = MODEL.predict(X)
    if suffix == ".json":
        np.testing.assert_allclose(json.loads(out.read_text())["predictions"], expected)
    elif suffix == ".csv":
        np.testing.assert_allclose(pd.read_csv(out)["prediction"], expected)
    else:
        np.testing.assert_allclose(pd.read_parquet(out)["prediction"], expected)


def test_predict_params_and_stdout(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.json"
    source.write_text(json.dumps(X.to_dict(orient="records")))
    code = main(["predict", "-m", str(model_dir), "-i", str(source), "--params", '{"scale": 2}'])
    assert code == 0
    predictions = json.loads(capsys.readouterr().out)["predictions"]
    np.testing.assert_allclose(predictions, MODEL.predict(X) * 2)


def test_predict_rejects_bad_input(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.csv"
    X[["a"]].to_csv(source, index=False)
    assert main(["predict", "-m", str(model_dir), "-i", str(source)]) == 1
    assert "b" in capsys.readouterr().err
    assert main(["predict", "-m", str(model_dir), "-i", str(source), "--params", "[1]"]) == 1
    assert "--params must be a JSON object" in capsys.readouterr().err


def test_load_options_reach_the_flavor(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.csv"
    X.to_csv(source, index=False)
    argv = ["predict", "-m", str(model_dir), "-i", str(source), "--load-option"]
    assert main([*argv, "color=[1, 2]"]) == 1
    assert "unknown toy load options: ['color']" in capsys.readouterr().err
    assert main([*argv, "no-equals"]) == 1
    assert "expected KEY=VALUE" in capsys.readouterr().err


def test_predict_large_input_in_chunks(model_dir: Path, tmp_path: Path) -> None:
    big = pd.DataFrame(np.random.default_rng(0).normal(size=(25_000, 2)), columns=["a", "b"])
    source = tmp_path / "big.parquet"
    big.to_parquet(source)
    out = tmp_path / "out.parquet"
    assert main(["predict", "-m", str(model_dir), "-i", str(source), "-o", str(out)]) == 0
    np.testing.assert_allclose(pd.read_parquet(out)["prediction"], MODEL.predict(big))


def test_predict_streams_folders_with_keep_columns_and_a_summary(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parts = tmp_path / "parts"
    parts.mkdir()
    X.assign(id=[1, 2, 3]).to_parquet(parts / "a.parquet")
    X.assign(id=[4, 5, 6]).to_json(parts / "b.jsonl", orient="records", lines=True)
    out = tmp_path / "out.csv"
    argv = ["predict", "-m", str(model_dir), "-i", str(parts), "-o", str(out)]
    assert main([*argv, "--keep-columns", "id", "--batch-size", "2"]) == 0
    got = pd.read_csv(out)
    assert got["id"].tolist() == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(got["prediction"], np.tile(MODEL.predict(X), 2))
    err = capsys.readouterr().err
    assert err.startswith(f"flavorkit: wrote 6 predictions for 6 rows of 2 files to {out} in ")
    assert "\r" not in err, "no progress bar when stderr is not a terminal"
    assert main([*argv, "--params", '{"scale": 2}']) == 0
    assert capsys.readouterr().err.startswith(
        "flavorkit: warning: Input column(s) ['id'] are not in the model's signature"
    )
    assert main([*argv, "--quiet", "--params", '{"scale": 2}']) == 0
    assert capsys.readouterr().err == ""
    np.testing.assert_allclose(pd.read_csv(out)["prediction"], np.tile(MODEL.predict(X), 2) * 2)


def test_predict_streamed_errors(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.csv"
    X.to_csv(good, index=False)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\nnot a number,1\n")
    out = tmp_path / "out.parquet"
    argv = ["predict", "-m", str(model_dir), "-i", str(good), str(bad), "-o", str(out)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"flavorkit: error: {bad}: cannot be read: ") and "Traceback" not in err
    assert not out.exists()
    assert main([*argv, "--on-error", "skip"]) == 0
    assert "1 failed batch(es)/file(s)" in capsys.readouterr().err
    assert len(pd.read_parquet(out)) == 3
    assert "bad.csv" in (tmp_path / "out.parquet.errors.jsonl").read_text()
    missing = ["predict", "-m", str(model_dir), "-i", str(tmp_path / "x.csv")]
    assert main([*missing, "-o", str(out)]) == 1
    assert "x.csv: no such input file (-i)" in capsys.readouterr().err
    assert main(["predict", "-m", str(model_dir), "-i", str(good), "--keep-columns", "id"]) == 1
    assert "need a streamed output" in capsys.readouterr().err
