"""The ``flavorkit`` command driven as a user drives it: a subprocess, real files, a real model.

Every class of bad input ends in exit code 1 and exactly one line on stderr, ``flavorkit: error:
...``, naming the file, key or argument and what to do, with no traceback (``--debug`` and
``FLAVORKIT_DEBUG=1`` add one). Checks that need no model answer before the model is loaded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

pytest.importorskip(
    "flavorkit_sklearn",
    reason="needs flavorkit-sklearn: run `python3 -m nox -s core`, which installs it",
)

ROWS = "sepal_length,petal_length\n5.1,1.4\n6.2,4.5\n4.9,1.3\n7.0,6.0\n"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLAVORKIT_")}
    env.update(extra)
    return env


def flavorkit(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flavorkit.cli", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(**env),
    )


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved scikit-learn model, its damaged copies, and input files of every kind."""
    import warnings

    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    import flavorkit

    w = tmp_path_factory.mktemp("user")
    (w / "rows.csv").write_text(ROWS)
    X = pd.read_csv(w / "rows.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flavorkit.save_model(
            LogisticRegression().fit(X, [0, 1, 0, 1]), w / "model", input_example=X.head(2)
        )
    text = (w / "model" / "MLmodel").read_text()

    def variant(name: str, edit: Callable[[dict], None] | str) -> None:
        shutil.copytree(w / "model", w / name)
        if isinstance(edit, str):
            (w / name / "MLmodel").write_text(edit)
            return
        doc = yaml.safe_load(text)
        edit(doc)
        (w / name / "MLmodel").write_text(yaml.safe_dump(doc))

    lines = text.splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if line.startswith("signature"))
    variant("truncated", "".join(lines[:cut]))  # valid YAML, signature and the rest gone
    variant("flavorless", lambda d: d.update(flavors={}))
    variant("no-example-type", lambda d: d["saved_input_example_info"].pop("type"))
    variant(
        "list-for-string",
        lambda d: d["flavors"]["sklearn"].update(serialization_format=["skops"]),
    )
    shutil.copytree(w / "model", w / ".model.flavorkit-0123456789ab.tmp")  # a killed save's
    (w / "model.joblib").write_bytes(b"\x80\x04\x95 a joblib pickle")
    (w / "hf").mkdir()
    (w / "hf" / "config.json").write_text("{}")
    (w / "hf" / "model.safetensors").write_bytes(b"\0" * 8)
    (w / "empty.csv").write_text("")
    (w / "header.csv").write_text("sepal_length,petal_length\n")
    (w / "empty.json").write_text("")
    (w / "list.json").write_text("[]")
    (w / "rows.xlsx").write_text("not really")
    X.to_parquet(w / "rows.parquet")
    for engine in ("pyarrow", "fastparquet"):  # as Python sees a missing engine: import fails
        (w / "no-parquet" / engine).mkdir(parents=True)
        (w / "no-parquet" / engine / "__init__.py").write_text(
            f'raise ModuleNotFoundError("No module named {engine!r}")\n'
        )
    return w


# (id, argv with {w} for the work directory, the message's expected part)
CASES = [
    ("model-missing", ["predict", "-m", "{w}/nope", "-i", "{w}/rows.csv"],
     "{w}/nope: no such directory. Pass the directory a model was saved to"),
    ("model-is-a-file", ["predict", "-m", "{w}/model.joblib", "-i", "{w}/rows.csv"],
     "{w}/model.joblib: a file, not a model directory"),
    ("no-MLmodel-hugging-face", ["info", "{w}/hf"],
     "{w}/hf: not an MLmodel directory: it has no MLmodel file (it holds config.json, "
     "model.safetensors; it looks like a Hugging Face model folder). To make one"),
    ("truncated-info", ["info", "{w}/truncated"],
     "{w}/truncated/MLmodel: key 'utc_time_created': missing. MLflow and flavorkit always "
     "write it as the last key, so the file was probably cut short."),
    ("truncated-predict", ["predict", "-m", "{w}/truncated", "-i", "{w}/rows.csv"],
     "key 'utc_time_created': missing"),
    ("flavorless", ["info", "{w}/flavorless"],
     "{w}/flavorless/MLmodel: key 'flavors': empty: the file names no flavor"),
    ("example-type-lost", ["info", "{w}/no-example-type"],
     "key 'saved_input_example_info.type': expected a string, got nothing (null)"),
    ("list-where-a-string-belongs", ["predict", "-m", "{w}/list-for-string", "-i", "{w}/rows.csv"],
     "MLmodel key 'sklearn.serialization_format' is ['skops']"),
    ("model-path-too-long", ["info", "{w}/" + "x" * 300],
     "path is longer than the file system allows"),
    ("killed-save-leftover", ["info", "{w}/.model.flavorkit-0123456789ab.tmp"],
     "a temporary of a save that did not finish (it was killed), not a model; `flavorkit gc"),
    ("input-missing", ["predict", "-m", "{w}/model", "-i", "{w}/missing.csv"],
     "{w}/missing.csv: no such input file (-i)."),
    ("input-is-a-folder", ["predict", "-m", "{w}/model", "-i", "{w}/hf"],
     "{w}/hf: several inputs, a folder or a pattern need a streamed output"),
    ("input-type-unknown", ["predict", "-m", "{w}/model", "-i", "{w}/rows.xlsx"],
     "{w}/rows.xlsx: flavorkit reads .csv, .json, .parquet"),
    ("output-type-unknown", ["predict", "-m", "{w}/model", "-i", "{w}/rows.csv", "-o", "{w}/o.txt"],
     "{w}/o.txt: flavorkit writes .json, .csv, .parquet, .pq, .jsonl outputs (-o), not .txt"),
    ("output-dir-missing",
     ["predict", "-m", "{w}/model", "-i", "{w}/rows.csv", "-o", "{w}/no/such/o.json"],
     "the output's directory {w}/no/such does not exist; create it first."),
    ("output-is-the-input",
     ["predict", "-m", "{w}/model", "-i", "{w}/rows.csv", "-o", "{w}/rows.csv"],
     "the output (-o) is also an input (-i)"),
    ("params-not-json", ["predict", "-m", "{w}/model", "-i", "{w}/rows.csv", "--params", "[oops"],
     "--params is not valid JSON"),
    ("load-option-malformed",
     ["predict", "-m", "{w}/model", "-i", "{w}/rows.csv", "--load-option", "x"],
     "--load-option 'x': expected KEY=VALUE"),
    ("empty-csv", ["predict", "-m", "{w}/model", "-i", "{w}/empty.csv"],
     "{w}/empty.csv: the input file is empty; it holds no rows."),
    ("header-only-csv", ["predict", "-m", "{w}/model", "-i", "{w}/header.csv"],
     "{w}/header.csv: the CSV holds only a header line, no rows."),
    ("empty-json", ["predict", "-m", "{w}/model", "-i", "{w}/empty.json"],
     "{w}/empty.json: the input file is empty; it holds no rows."),
    ("json-empty-list", ["predict", "-m", "{w}/model", "-i", "{w}/list.json"],
     "{w}/list.json: the input holds no rows."),
]  # fmt: skip

#: Cases answered before the model is loaded: the model directory is never opened for them.
BEFORE_LOADING = {
    "input-missing", "input-type-unknown", "output-type-unknown", "output-dir-missing",
    "output-is-the-input", "params-not-json", "load-option-malformed", "empty-csv",
    "header-only-csv", "empty-json", "input-is-a-folder",
}  # fmt: skip


@pytest.mark.parametrize(("argv", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_input_gets_one_line_and_exit_code_1(
    work: Path, argv: list[str], expected: str, request: pytest.FixtureRequest
) -> None:
    case = request.node.callspec.id
    args = [a.format(w=work) for a in argv]
    if case in BEFORE_LOADING:
        # a model whose weights are gone: loading it would fail with another message, so the
        # expected one proves the check came first
        broken = work / f"unloadable-{case}"
        if not broken.exists():
            shutil.copytree(work / "model", broken)
            (broken / "model.skops").unlink()
        args = [str(broken) if a == str(work / "model") else a for a in args]
    result = flavorkit(*args)
    assert result.returncode == 1, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("flavorkit: error: "), lines
    assert expected.format(w=work) in lines[0]
    assert "Traceback" not in result.stderr


def test_validate_fails_a_damaged_model_and_a_killed_saves_leftover(work: Path) -> None:
    for name, expected in (
        ("truncated", "key 'utc_time_created': missing"),
        (".model.flavorkit-0123456789ab.tmp", "a temporary of a save that did not finish"),
    ):
        result = flavorkit("validate", str(work / name))
        assert result.returncode == 1
        assert result.stdout.startswith("✗ MLmodel: ") and expected in result.stdout
        assert result.stderr == ""


@pytest.mark.parametrize("direction", ["input", "output"])
def test_parquet_without_an_engine_names_what_to_install(work: Path, direction: str) -> None:
    io = (
        ["-i", str(work / "rows.parquet")]
        if direction == "input"
        else ["-i", str(work / "rows.csv"), "-o", str(work / "out.parquet")]
    )
    pythonpath = os.pathsep.join([str(work / "no-parquet"), *sys.path])
    result = flavorkit("predict", "-m", str(work / "model"), *io, PYTHONPATH=pythonpath)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    [line] = lines
    verb = "reading" if direction == "input" else "writing"
    assert f"{verb} Parquet needs pyarrow, which is not installed: `pip install pyarrow`" in line
    assert "'flavorkit[batch]'" in line and "Traceback" not in line
    assert not (work / "out.parquet").exists()


def test_debug_shows_the_traceback(work: Path) -> None:
    for how in (["--debug"], []):
        env = {} if how else {"FLAVORKIT_DEBUG": "1"}
        result = flavorkit(*how, "info", str(work / "nope"), **env)
        assert result.returncode == 1
        assert result.stderr.startswith("Traceback")
        assert result.stderr.splitlines()[-1].startswith("flavorkit: error: ")
    after = flavorkit("info", str(work / "nope"), "--debug")  # after the command, too
    assert after.stderr.startswith("Traceback")


def test_a_successful_predict_to_a_file_prints_one_summary_line(work: Path) -> None:
    out = work / "out.csv"
    result = flavorkit(
        "predict", "-m", str(work / "model"), "-i", str(work / "rows.csv"), "-o", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("flavorkit: wrote 4 predictions for 4 rows of 1 file to ")
    assert str(out) in line
    assert out.read_text().splitlines()[0].strip('"') == "prediction"
    assert not [p for p in work.iterdir() if p.name.startswith(".out.csv")]  # no temporary left


def test_gc_removes_a_dead_saves_leftovers(tmp_path: Path) -> None:
    base = tmp_path / ".m.flavorkit-0123456789ab"
    Path(f"{base}.tmp").mkdir()
    Path(f"{base}.lock").write_text("1\n")  # no process holds it: the save is dead
    result = flavorkit("gc", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{tmp_path}: removed 1 leftover(s) of killed saves")
    assert list(tmp_path.iterdir()) == []
    missing = flavorkit("gc", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "no such directory to clean" in missing.stderr
