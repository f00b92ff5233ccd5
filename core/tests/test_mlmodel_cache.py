"""Parsed MLmodel files kept by their bytes: the same answers as PyYAML, and no yaml when warm.

The fresh-process check runs in a subprocess (the cache exists to spare fresh processes); the
others read through :meth:`Model.load` in this process, with the cache root in ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from flavorkit import mlmodel_cache
from flavorkit.errors import MLmodelError
from flavorkit.mlmodel import Model
from flavorkit.schema import ColSpec, Schema
from flavorkit.signature import ModelSignature


def _written() -> str:
    """An MLmodel as flavorkit writes one: two flavors, a signature, an example, run metadata."""
    model = Model(run_id="0123456789abcdef0123456789abcdef", mlflow_version="3.18.0")
    model.add_flavor("python_function", loader_module="mlflow.sklearn", model_path="model.skops")
    model.add_flavor("sklearn", pickled_model="model.skops", myfw_option=3, code=None)
    model.signature = ModelSignature(inputs=Schema([ColSpec("double", "sepal_length")]))
    model.saved_input_example_info = {"artifact_path": "input_example.json", "type": "dataframe"}
    return model.to_yaml()


MLFLOW_SKLEARN = _written()

# MLflow 1.x: env as a plain path, `data` instead of `model_path`, no uuid, a float version.
MLFLOW_1X = """\
flavors:
  python_function: {data: model.pkl, env: conda.yaml, loader_module: mlflow.sklearn}
  sklearn: {pickled_model: model.pkl, sklearn_version: 0.23}
mlflow_version: 1.30
utc_time_created: '2020-10-01 10:00:00.123456'
"""

PROBE = """
    import json, sys
    from flavorkit.mlmodel import Model
    model = Model.load(sys.argv[1])
    print(json.dumps({"model": model.to_dict(), "yaml_imported": "yaml" in sys.modules}))
"""


@pytest.fixture(autouse=True)
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLAVORKIT_CACHE_DIR", str(tmp_path / "cache" / "models"))
    monkeypatch.delenv(mlmodel_cache.CACHE_SWITCH_ENV, raising=False)
    return tmp_path / "cache"


def entries(cache_root: Path) -> list[Path]:
    return sorted((cache_root / "mlmodel").glob("*.json"))


def model_dir(tmp_path: Path, text: str, name: str = "m") -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "MLmodel").write_text(text, encoding="utf-8")
    return d


def probe(d: Path, subprocess_env, **env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROBE), str(d)],
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_warm_start_reads_the_same_model_without_yaml(
    tmp_path: Path, cache_root: Path, subprocess_env
) -> None:
    d = model_dir(tmp_path, MLFLOW_SKLEARN)
    env = {"FLAVORKIT_CACHE_DIR": str(cache_root / "models")}
    cold = probe(d, subprocess_env, **env)
    assert cold["yaml_imported"] and len(entries(cache_root)) == 1
    warm = probe(d, subprocess_env, **env)
    assert not warm["yaml_imported"]
    assert warm["model"] == cold["model"] == Model.from_yaml(MLFLOW_SKLEARN).to_dict()


@pytest.mark.parametrize("text", [MLFLOW_SKLEARN, MLFLOW_1X], ids=["mlflow3", "mlflow1"])
def test_a_remembered_file_gives_what_parsing_gives(
    tmp_path: Path, cache_root: Path, text: str
) -> None:
    d = model_dir(tmp_path, text)
    parsed = Model.load(d)
    remembered = Model.load(d)
    assert mlmodel_cache.remembered((d / "MLmodel").read_bytes()) is not None
    assert remembered.to_dict() == parsed.to_dict() == Model.from_yaml(text).to_dict()
    assert remembered.to_yaml() == parsed.to_yaml()


def test_a_file_changed_by_one_byte_is_parsed_again(tmp_path: Path, cache_root: Path) -> None:
    d = model_dir(tmp_path, MLFLOW_SKLEARN)
    assert Model.load(d).flavors["sklearn"]["myfw_option"] == 3
    (d / "MLmodel").write_text(MLFLOW_SKLEARN.replace("myfw_option: 3", "myfw_option: 4"))
    assert Model.load(d).flavors["sklearn"]["myfw_option"] == 4
    assert len(entries(cache_root)) == 2


def test_an_entry_for_other_bytes_is_a_miss(tmp_path: Path, cache_root: Path) -> None:
    d = model_dir(tmp_path, MLFLOW_SKLEARN)
    Model.load(d)
    (entry,) = entries(cache_root)
    forged = json.loads(entry.read_text())
    forged["text"] = forged["text"].replace("myfw_option: 3", "myfw_option: 5")
    forged["document"]["flavors"]["sklearn"]["myfw_option"] = 5
    entry.write_text(json.dumps(forged))
    assert Model.load(d).flavors["sklearn"]["myfw_option"] == 3  # parsed, not taken


@pytest.mark.parametrize("damage", ["", "{not json", '{"format": 99}', "[1, 2]"])
def test_a_corrupt_entry_is_parsed_past_and_rewritten(
    tmp_path: Path, cache_root: Path, damage: str
) -> None:
    d = model_dir(tmp_path, MLFLOW_SKLEARN)
    Model.load(d)
    (entry,) = entries(cache_root)
    entry.write_text(damage)
    assert Model.load(d).to_dict() == Model.from_yaml(MLFLOW_SKLEARN).to_dict()
    assert json.loads(entry.read_text())["format"] == 1


def test_a_document_json_cannot_hold_exactly_is_not_kept(tmp_path: Path, cache_root: Path) -> None:
    text = MLFLOW_1X.replace("'2020-10-01 10:00:00.123456'", "2020-10-01 10:00:00.123456")
    d = model_dir(tmp_path, text)  # an unquoted timestamp parses to a datetime
    assert Model.load(d).utc_time_created == "2020-10-01 10:00:00.123456"
    assert entries(cache_root) == []


def test_an_invalid_file_is_not_kept_and_still_fails(tmp_path: Path, cache_root: Path) -> None:
    d = model_dir(tmp_path, MLFLOW_1X.replace("utc_time_created", "utc_time_lost"))
    for _ in range(2):
        with pytest.raises(MLmodelError, match="utc_time_created"):
            Model.load(d)
    assert entries(cache_root) == []


def test_an_unwritable_cache_costs_only_speed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("FLAVORKIT_CACHE_DIR", str(blocker / "models"))
    d = model_dir(tmp_path, MLFLOW_SKLEARN)
    assert Model.load(d).to_dict() == Model.load(d).to_dict()


def test_it_can_be_turned_off(
    tmp_path: Path, cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(mlmodel_cache.CACHE_SWITCH_ENV, "0")
    Model.load(model_dir(tmp_path, MLFLOW_SKLEARN))
    assert entries(cache_root) == []


def test_the_oldest_entries_go_first(
    tmp_path: Path, cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mlmodel_cache, "MAX_ENTRIES", 3)
    dirs = [
        model_dir(tmp_path, MLFLOW_SKLEARN.replace("myfw_option: 3", f"myfw_option: {i}"), f"m{i}")
        for i in range(5)
    ]
    long_ago = time.time() - 1000
    for age, d in enumerate(dirs):  # file times are coarse: give each entry its own
        Model.load(d)
        written = mlmodel_cache._entry_file((d / "MLmodel").read_bytes())
        os.utime(written, (long_ago + age, long_ago + age))
    kept = entries(cache_root)
    assert len(kept) == 3
    newest = {mlmodel_cache._entry_file((d / "MLmodel").read_bytes()) for d in dirs[2:]}
    assert set(kept) == newest
