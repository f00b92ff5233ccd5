"""MLflow 3.17.2 and flavorkit's integrity files: manifests and signatures travel and load.

* ``mlflow.pyfunc.load_model`` loads a model carrying ``flavorkit_manifest.json`` and a signed
  one (``model.sig``) and predicts as flavorkit does;
* a model logged to MLflow tracking (an sqlite store: MLflow's real client and artifact
  repository) and downloaded back carries its manifest, verifies, and survives MLflow stamping
  ``run_id``/``model_id`` into MLmodel and writing ``registered_model_meta`` into registry
  downloads;
* a file changed in the artifact store fails the download, naming the URI and the file, and
  nothing enters the cache.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from interop_env import need_mlflow

need_mlflow()

import mlflow  # noqa: E402
import mlflow.pyfunc  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from interop_support import assert_same_output  # noqa: E402

import flavorkit  # noqa: E402
from flavorkit.errors import IntegrityError  # noqa: E402
from flavorkit.integrity import (  # noqa: E402
    MANIFEST_FILE,
    SIGNATURE_FILE,
    sign_model,
    verify_directory,
    verify_signature,
)
from flavorkit.tracking import log_model  # noqa: E402


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    private, public = tmp_path / "key.pem", tmp_path / "key.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A real MLflow tracking store (sqlite) with its artifacts under tmp_path, a fresh cache."""
    monkeypatch.setenv("FLAVORKIT_CACHE_DIR", str(tmp_path / "cache"))
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    experiment = mlflow.create_experiment("integrity", artifact_location=str(tmp_path / "art"))
    mlflow.set_experiment(experiment_id=experiment)
    yield tmp_path
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)


def test_mlflow_loads_manifest_carrying_and_signed_models(
    tmp_path: Path, iris: Any, logreg: Any, keys: tuple[Path, Path]
) -> None:
    X, _ = iris
    path = tmp_path / "m"
    flavorkit.save_model(logreg, path, input_example=X.head(3))
    assert (path / MANIFEST_FILE).is_file()
    expected = flavorkit.load_model(path, verify=True).predict(X.head(5))
    assert_same_output(mlflow.pyfunc.load_model(str(path)).predict(X.head(5)), expected)

    sign_model(path, private_key=keys[0])
    assert (path / SIGNATURE_FILE).is_file()
    assert_same_output(mlflow.pyfunc.load_model(str(path)).predict(X.head(5)), expected)
    # MLflow loading it wrote nothing that breaks the signature or the manifest
    verify_signature(path, public_key=keys[1])
    verify_directory(path)
    loaded = flavorkit.load_model(path, verify_signature=keys[1])
    assert_same_output(loaded.predict(X.head(5)), expected)


def test_logged_models_carry_the_manifest_and_verify_after_download(
    tracking: Path, iris: Any, logreg: Any
) -> None:
    X, _ = iris
    with mlflow.start_run():
        info = log_model(logreg, "model", input_example=X.head(3), registered_model_name="iris")
    for uri in (info.model_uri, info.runs_uri, info.registered_model_uri):
        assert uri is not None
        model = flavorkit.load_model(uri, verify=True)
        assert model.path is not None and (model.path / MANIFEST_FILE).is_file()
        verify_directory(model.path)  # run_id/model_id stamped into MLmodel: still genuine
    assert_same_output(model.predict(X.head(2)), logreg.predict(X.head(2)))


def test_a_changed_file_in_the_artifact_store_fails_the_download(
    tracking: Path, iris: Any, logreg: Any
) -> None:
    X, _ = iris
    with mlflow.start_run():
        info = log_model(logreg, "model", input_example=X.head(3))
    stored = Path(info.artifact_path.removeprefix("file://"))
    assert (stored / MANIFEST_FILE).is_file(), f"MLflow did not upload the manifest: {stored}"
    example = stored / "input_example.json"
    example.write_text(example.read_text().replace("5.1", "9.9"))
    with pytest.raises(IntegrityError, match=rf"{info.model_uri}: .*input_exa") as e:
        flavorkit.load_model(info.model_uri)
    assert e.value.file == "input_example.json"
    cache = tracking / "cache"
    entries = [p for p in cache.rglob("MLmodel")] if cache.exists() else []
    assert entries == [], f"a rejected download entered the cache: {entries}"
    shutil.rmtree(cache, ignore_errors=True)
