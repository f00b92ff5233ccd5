"""Model URIs and the download cache, without a tracking server (tests/tracking has the server).

Parsing, the cache location, the commit-by-rename and the sweep of partial downloads are plain
file-system and string logic; what MLflow's client does with a URI is tested against a real
``mlflow server`` in tests/tracking.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flavorkit import locations
from flavorkit.errors import ModelURIError
from flavorkit.locations import ModelURI, parse_model_uri

RUN = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
MODEL_ID = "m-24f16d34b5c14f0e9a0d1e2f3a4b5c6d"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (f"runs:/{RUN}/model", ModelURI(f"runs:/{RUN}/model", "run", run_id=RUN, path="model")),
        (
            f"runs:/{RUN}/nested/model",
            ModelURI(f"runs:/{RUN}/nested/model", "run", run_id=RUN, path="nested/model"),
        ),
        (f"models:/{MODEL_ID}", ModelURI(f"models:/{MODEL_ID}", "model_id", model_id=MODEL_ID)),
        ("models:/iris/3", ModelURI("models:/iris/3", "version", name="iris", version="3")),
        (
            "models:/iris@champion",
            ModelURI("models:/iris@champion", "alias", name="iris", alias="champion"),
        ),
        (
            "models:/team@x@prod",  # split on the last @, as MLflow does
            ModelURI("models:/team@x@prod", "alias", name="team@x", alias="prod"),
        ),
        ("models:/iris/latest", ModelURI("models:/iris/latest", "latest", name="iris")),
        (
            "models:/iris/Production",
            ModelURI("models:/iris/Production", "latest", name="iris", stage="Production"),
        ),
        (
            "models:/iris/2/sub/dir",
            ModelURI(
                "models:/iris/2/sub/dir", "version", name="iris", version="2", subpath="sub/dir"
            ),
        ),
        ("s3://bucket/models/iris", ModelURI("s3://bucket/models/iris", "artifact")),
        (
            "mlflow-artifacts:/1/abc/artifacts",
            ModelURI("mlflow-artifacts:/1/abc/artifacts", "artifact"),
        ),
    ],
)
def test_parse_model_uri(uri: str, expected: ModelURI) -> None:
    assert parse_model_uri(uri) == expected


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("runs:/", "the form is runs:/<run_id>/<artifact path>"),
        (f"runs:/{RUN}", "the form is runs:/<run_id>/<artifact path>"),
        ("models:/", "not a models:/ URI; the forms are"),
        ("models:/iris", r"names a model but no version or alias.*models:/iris/1"),
        ("models:/@prod", "empty model name or alias"),
        ("models:/iris@", "empty model name or alias"),
    ],
)
def test_malformed_uris_say_the_forms(uri: str, message: str) -> None:
    with pytest.raises(ModelURIError, match=message) as caught:
        parse_model_uri(uri)
    assert str(caught.value).startswith(f"{uri}: ")


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("/tmp/model", True),
        ("relative/model", True),
        ("C:\\models\\iris", True),  # a drive letter is not a scheme
        ("file:///tmp/model", True),
        ("runs:/abc/model", False),
        ("models:/iris/1", False),
        ("s3://bucket/key", False),
        ("mlflow-artifacts:/1/models", False),
    ],
)
def test_is_local(text: str, local: bool) -> None:
    assert locations.is_local(text) is local


def test_file_uri_is_a_local_path(tmp_path: Path) -> None:
    assert locations.local_path(tmp_path.as_uri()) == tmp_path
    assert locations.resolve_model_dir(tmp_path.as_uri()) == tmp_path


def test_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(locations.CACHE_ENV, str(tmp_path / "c"))
    assert locations.cache_dir() == tmp_path / "c"
    monkeypatch.delenv(locations.CACHE_ENV)
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert locations.cache_dir() == tmp_path / "xdg" / "flavorkit" / "models"
        monkeypatch.delenv("XDG_CACHE_HOME")
        assert locations.cache_dir() == Path.home() / ".cache" / "flavorkit" / "models"


def test_entries_are_distinct_per_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(locations.CACHE_ENV, str(tmp_path))
    a = locations._entry("versions", "iris-v1", "http://a:5000", "iris", "1", "")
    b = locations._entry("versions", "iris-v1", "http://b:5000", "iris", "1", "")
    assert a != b and a.parent == b.parent == tmp_path / "versions"
    assert a.name.startswith("iris-v1-")


def _model_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "MLmodel").write_text("flavors: {}\n")
    return path


def test_commit_renames_and_a_second_writer_keeps_the_first(tmp_path: Path) -> None:
    entry = tmp_path / "entry"
    locations._commit(_model_dir(tmp_path / ".partial-1/a"), entry, replace=False)
    assert locations._complete(entry)
    (entry / "first").write_text("1")
    locations._commit(_model_dir(tmp_path / ".partial-2/b"), entry, replace=False)
    assert (entry / "first").exists()  # the other process's complete copy is kept
    locations._commit(_model_dir(tmp_path / ".partial-3/c"), entry, replace=True)
    assert not (entry / "first").exists()  # artifact URIs: the new download replaces it
    assert not [p for p in tmp_path.iterdir() if "old" in p.name]


def test_partial_downloads_of_dead_processes_are_swept(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = tmp_path / f".partial-{dead.pid}-iris-v1-x"
    mine = tmp_path / f".partial-{os.getpid()}-iris-v2-y"
    for partial in (gone, mine):
        _model_dir(partial / "model")  # even one that looks complete inside is not an entry
    locations._sweep_partials(tmp_path)
    assert not gone.exists()
    assert mine.exists()


def test_import_flavorkit_loads_no_mlflow() -> None:
    code = (
        "import sys, flavorkit, flavorkit.locations, flavorkit.api\n"
        "bad = [m for m in ('mlflow', 'numpy', 'pandas', 'requests') if m in sys.modules]\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
