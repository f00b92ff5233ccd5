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
