"""The manifest written at save: sizes checked on every load, digests on verify, MLflow-safe."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pytest
import yaml
from toyflavor_pkg import ToyModel

import flavorkit
from flavorkit.errors import IntegrityError
from flavorkit.integrity import (
    MANIFEST_FILE,
    check_sizes,
    read_manifest,
    verify_directory,
    write_manifest,
)
from flavorkit.integrity.hashing import file_digest, file_digests
from flavorkit.validate import validate_model

pytestmark = pytest.mark.usefixtures("registry")

X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, 0.0, -1.0]})


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    path = tmp_path / "m"
    flavorkit.save_model(ToyModel([2.0, -1.0], bias=0.5), path, input_example=X.head(2))
    return path


def test_save_records_every_file_but_mlmodel(model_dir: Path) -> None:
    raw = json.loads((model_dir / MANIFEST_FILE).read_text())
    assert raw["format"] == "flavorkit-manifest/1"
    assert raw["algorithm"] == "sha256"
    assert raw["mlmodel"]["sections"] == ["flavors", "signature", "saved_input_example_info"]
    on_disk = sorted(
        p.name for p in model_dir.iterdir() if p.name not in ("MLmodel", MANIFEST_FILE)
    )
    assert sorted(raw["files"]) == on_disk
    model = model_dir / "model.json"
    assert raw["files"]["model.json"] == {
        "size": model.stat().st_size,
        "digest": hashlib.sha256(model.read_bytes()).hexdigest(),
    }
    assert verify_directory(model_dir) is not None
    assert check_sizes(model_dir) is True
    flavorkit.load_model(model_dir, verify=True)


def test_a_flipped_byte_fails_verification_naming_the_file(model_dir: Path) -> None:
    file = model_dir / "model.json"
    data = bytearray(file.read_bytes())
    data[data.index(b"0.5") + 2] ^= 0x01  # the bias 0.5 becomes 0.4: still valid JSON
    file.write_bytes(bytes(data))
    flavorkit.load_model(model_dir)  # same size: the cheap check on load cannot see it
    with pytest.raises(IntegrityError, match=r"model\.json has sha256 [0-9a-f]{16}…, ") as e:
        flavorkit.load_model(model_dir, verify=True)
    assert e.value.file == "model.json"
    assert "re-download or re-save" in str(e.value)


def test_a_truncated_file_fails_every_load(model_dir: Path) -> None:
    file = model_dir / "input_example.json"
    size = file.stat().st_size
    with open(file, "r+b") as f:
        f.truncate(size - 3)
    with pytest.raises(IntegrityError, match=rf"input_example\.json is {size - 3} bytes; the "
                       rf"manifest recorded {size}") as e:  # fmt: skip
        flavorkit.load_model(model_dir)
    assert e.value.file == "input_example.json"
    with pytest.raises(IntegrityError, match=r"input_example\.json"):
        flavorkit.load_native(model_dir)


def test_a_removed_file_fails_every_load(model_dir: Path) -> None:
    (model_dir / "requirements.txt").unlink()
    with pytest.raises(IntegrityError, match=r"requirements\.txt is missing") as e:
        flavorkit.load_model(model_dir)
    assert e.value.file == "requirements.txt"


def test_an_added_file_fails_verification(model_dir: Path) -> None:
    (model_dir / "extra").mkdir()
    (model_dir / "extra" / "payload.py").write_text("print('hi')\n")
    flavorkit.load_model(model_dir)
    with pytest.raises(IntegrityError, match=r"extra/payload\.py is not in the manifest") as e:
        verify_directory(model_dir)
    assert e.value.file == "extra/payload.py"


def test_every_difference_is_listed_in_one_error(model_dir: Path) -> None:
    (model_dir / "conda.yaml").unlink()
    (model_dir / "notes.txt").write_text("x")
    with pytest.raises(IntegrityError, match="2 differences") as e:
        verify_directory(model_dir, digests=False)
    assert "conda.yaml is missing" in str(e.value)
    assert "notes.txt is not in the manifest" in str(e.value)


def test_mlflow_rewriting_mlmodel_keeps_a_genuine_model_valid(model_dir: Path) -> None:
    """MLflow's log_model adds run_id, artifact_path, model_id and re-stamps uuid and time."""
    text = (model_dir / "MLmodel").read_text()
    raw = yaml.safe_load(text)
    raw.update(
        run_id="0123456789abcdef0123456789abcdef",
        artifact_path="file:///tmp/mlruns/1/models/m-1/artifacts",
        model_id="m-0123456789abcdef0123456789abcdef",
        model_uuid="m-0123456789abcdef0123456789abcdef",
        utc_time_created="2030-01-01 00:00:00.000001",
        mlflow_version="3.17.2",
    )
    # and JSON strings in the signature re-encoded with other spacing
    raw["signature"] = {
        k: json.dumps(json.loads(v), indent=2) if v else v for k, v in raw["signature"].items()
    }
    (model_dir / "MLmodel").write_text(yaml.safe_dump(raw, default_flow_style=True))
    (model_dir / "registered_model_meta").write_text("model_name: m\nmodel_version: '1'\n")
    (model_dir / "__pycache__").mkdir()
    (model_dir / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0" * 16)
    assert verify_directory(model_dir) is not None
    flavorkit.load_model(model_dir, verify=True)


def test_an_edited_flavor_section_fails_verification(model_dir: Path) -> None:
    raw = yaml.safe_load((model_dir / "MLmodel").read_text())
    raw["flavors"]["python_function"]["predict_fn"] = "other"
    (model_dir / "MLmodel").write_text(yaml.safe_dump(raw))
    with pytest.raises(IntegrityError, match="MLmodel's flavors, signature, saved_input") as e:
        verify_directory(model_dir)
    assert e.value.file == "MLmodel"


def test_models_without_a_manifest_load_as_before(model_dir: Path) -> None:
    (model_dir / MANIFEST_FILE).unlink()
    assert read_manifest(model_dir) is None
    assert check_sizes(model_dir) is False
    assert verify_directory(model_dir) is None
    flavorkit.load_model(model_dir, verify=True)
    checks = {c.name: c for c in validate_model(model_dir)}
    assert checks["manifest"].status == "warn"
    assert "carries none" in checks["manifest"].detail


def test_an_unreadable_manifest_is_named(model_dir: Path) -> None:
    (model_dir / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(IntegrityError, match=r"flavorkit_manifest\.json: the manifest is unread"):
        flavorkit.load_model(model_dir)


def test_write_manifest_accepts_changes_made_on_purpose(model_dir: Path) -> None:
    (model_dir / "requirements.txt").write_text("numpy==2.0\n")
    with pytest.raises(IntegrityError, match="flavorkit manifest MODEL"):
        flavorkit.load_model(model_dir)
    write_manifest(model_dir)
    assert not [p for p in model_dir.iterdir() if p.name.endswith(".tmp")]
    flavorkit.load_model(model_dir, verify=True)


def test_validate_reports_the_manifest(model_dir: Path) -> None:
    checks = {c.name: c for c in validate_model(model_dir)}
    assert checks["manifest"].status == "pass"
    assert "files match their sha256 digests" in checks["manifest"].detail
    (model_dir / "model.json").write_text('{"weights": [0, 0], "bias": 9.0}')
    checks = {c.name: c for c in validate_model(model_dir)}
    assert checks["manifest"].status == "fail"
    assert "model.json" in checks["manifest"].detail


def test_parallel_digests_equal_hashlib(tmp_path: Path) -> None:
    """Enough data to take the threaded path; every digest is the file's plain sha256."""
    names = []
    for i in range(5):
        name = f"d/shard-{i}.bin"
        (tmp_path / "d").mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(os.urandom(3_000_000 + i))
        names.append(name)
    (tmp_path / "empty").write_bytes(b"")
    names.append("empty")
    found = file_digests(tmp_path, names, workers=3)
    for name in names:
        assert found[name] == hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
    assert file_digest(tmp_path / "empty") == hashlib.sha256(b"").hexdigest()


def test_downloads_are_verified_before_they_enter_the_cache(model_dir: Path) -> None:
    """flavorkit.locations calls verify_download on every download; a tampered one is refused."""
    from flavorkit import locations

    source = "models:/churn/3"
    locations.verify_download(model_dir, source)
    (model_dir / MANIFEST_FILE).rename(model_dir.parent / "saved-manifest")
    locations.verify_download(model_dir, source)  # no manifest (MLflow's models): as before
    (model_dir.parent / "saved-manifest").rename(model_dir / MANIFEST_FILE)
    (model_dir / "model.json").write_text('{"weights": [0.0, 0.0], "bias": 1.5}')
    with pytest.raises(IntegrityError, match=r"^models:/churn/3: a difference") as e:
        locations.verify_download(model_dir, source)
    assert e.value.file == "model.json"
