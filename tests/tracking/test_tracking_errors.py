"""Bad input against a real tracking server: one clear error naming the URI, the tracking URI and
what exists; an unreachable server fails within 15 s; a killed download is never used; and the
embedded default store (no server) works for log_model + load_model."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from interop_env import need_mlflow
from tracking_support import Server

need_mlflow()

import mlflow  # noqa: E402

import flavorkit  # noqa: E402
from flavorkit.errors import ModelURIError, TrackingServerError  # noqa: E402

#: The issue's bound on how long an unreachable server may take to give its one error.
UNREACHABLE_BOUND_S = 15


@pytest.fixture
def registered(tracking: Server, logreg: Any, tmp_path: Path) -> tuple[str, str]:
    """A registered model with versions 1 and 2 and alias @champion -> 2; and its run id."""
    name = f"errs-{tmp_path.name}"
    with mlflow.start_run() as run:
        for _ in range(2):
            flavorkit.log_model(logreg, "model", registered_model_name=name)
    mlflow.MlflowClient().set_registered_model_alias(name, "champion", "2")
    return name, run.info.run_id


def _error(uri: str) -> str:
    with pytest.raises(ModelURIError) as caught:
        flavorkit.load_model(uri)
    message = str(caught.value)
    assert message.startswith(f"{uri}: "), message
    assert "\n" not in message
    return message


def test_unknown_version_and_alias_list_what_exists(
    tracking: Server, registered: tuple[str, str]
) -> None:
    name, _ = registered
    for uri, what in (
        (f"models:/{name}/7", f"no version 7 of registered model '{name}'"),
        (f"models:/{name}@gone", f"no alias 'gone' on registered model '{name}'"),
    ):
        message = _error(uri)
        assert what in message
        assert f"tracking URI {tracking.url}" in message
        assert "has versions 1, 2 and aliases @champion -> 2" in message


def test_unknown_name_lists_the_registered_models(
    tracking: Server, registered: tuple[str, str]
) -> None:
    name, _ = registered
    message = _error(f"models:/{name}-typo@champion")
    assert f"No registered model '{name}-typo'" in message and f"'{name}'" in message
    assert tracking.url in message


def test_unknown_run_and_logged_model_list_recent_ones(
    tracking: Server, registered: tuple[str, str]
) -> None:
    _, run_id = registered
    message = _error("runs:/0123456789abcdef0123456789abcdef/model")
    assert "no run '0123456789abcdef0123456789abcdef'" in message
    assert run_id in message and tracking.url in message
    message = _error("models:/m-0123456789abcdef0123456789abcdef")
    assert "no logged model" in message and "Most recent logged models: models:/m-" in message


def test_a_missing_path_in_a_run_lists_its_models_and_artifacts(
    tracking: Server, registered: tuple[str, str]
) -> None:
    _, run_id = registered
    message = _error(f"runs:/{run_id}/modle")
    assert f"run {run_id} has no model or artifact named 'modle'" in message
    assert "The run's logged models: model" in message


def test_a_plain_artifact_is_not_a_model(tracking: Server, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "rows.csv").write_text("a\n1\n")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "notes.txt"))
        mlflow.log_artifacts(str(tmp_path / "folder"), "folder")
    for path, what in (("notes.txt", "a plain file"), ("folder", "plain files")):
        message = _error(f"runs:/{run.info.run_id}/{path}")
        assert f"this artifact was logged as {what}" in message and "not as a model" in message
        assert "flavorkit.log_model(model, name)" in message
    assert not list((tmp_path / "cache").rglob("MLmodel"))  # nothing entered the cache


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


@pytest.mark.parametrize("server", ["refused", "silent"])
def test_unreachable_server_is_one_error_within_15_s(
    server: str,
    silent_port: int,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    logreg: Any,
) -> None:
    if server == "refused":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # closed again: nothing listens there
    else:
        port = silent_port
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    monkeypatch.setenv("FLAVORKIT_CACHE_DIR", str(tmp_path / "cache"))
    for call in (
        lambda: flavorkit.load_model("models:/iris@champion"),
        lambda: flavorkit.log_model(logreg, "model"),
    ):
        start = time.monotonic()
        with pytest.raises(TrackingServerError, match=f"cannot reach the tracking server at {url}"):
            call()
        assert time.monotonic() - start < UNREACHABLE_BOUND_S
    if server == "silent":
        return
    # the CLI: one line on stderr, exit 1, no traceback
    start = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "flavorkit.cli", "info", "models:/iris/1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MLFLOW_TRACKING_URI": url},
    )
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        line for line in out.stderr.strip().splitlines() if line.startswith("flavorkit: error:")
    ]
    assert "Traceback" not in out.stderr and url in out.stderr


DOWNLOAD = textwrap.dedent(
    """
    import flavorkit, sys
    flavorkit.load_model(sys.argv[1], trust=True)
    print("LOADED")
    """
)


def test_a_killed_download_is_never_used(tracking: Server, tmp_path: Path) -> None:
    """A process killed while it downloads leaves only a partial directory, which no load reads
    and the next download removes; the next load downloads the whole model."""
    from interop_models import FlavorkitAffine

    blob = tmp_path / "blob.bin"
    size = 192 * 2**20
    with blob.open("wb") as f:
        f.truncate(size)  # zeros: cheap to write, as slow as anything to send
    weights = tmp_path / "weights.json"
    weights.write_text('{"factor": 1.0, "shift": 0.0}')
    info = flavorkit.log_model(
        FlavorkitAffine(),
        "big",
        serialization="cloudpickle",
        artifacts={"weights": weights, "blob": blob},
    )
    cache = tmp_path / "cache"
    child = subprocess.Popen(
        [sys.executable, "-c", DOWNLOAD, info.model_uri],
        env={**os.environ, "FLAVORKIT_CACHE_DIR": str(cache)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    killed_at = 0
    while time.monotonic() < deadline and child.poll() is None:
        partial = [p for p in cache.rglob("blob.bin") if ".partial-" in str(p)]
        if partial and 0 < (got := partial[0].stat().st_size) < size:
            child.send_signal(signal.SIGKILL)
            killed_at = got
            break
        time.sleep(0.005)
    child.wait(timeout=30)
    assert killed_at, f"the download was not caught mid-transfer: {child.communicate()}"

    entries = [p for p in (cache / "logged").iterdir() if p.is_dir()]
    assert [p.name.startswith(".partial-") for p in entries] == [True]  # no entry, one partial
    loaded = flavorkit.load_model(info.model_uri, trust=True)  # downloads again, whole
    assert (Path(loaded.path) / "artifacts" / "blob.bin").stat().st_size == size
    assert not list((cache / "logged").glob(".partial-*"))  # the dead one was swept


EMBEDDED = textwrap.dedent(
    """
    import mlflow, flavorkit
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    with mlflow.start_run() as run:
        info = flavorkit.log_model(model, "model", registered_model_name="iris")
    expected = model.predict(X).tolist()
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/model", "models:/iris/1"):
        assert flavorkit.load_model(uri).predict(X).tolist() == expected, uri
        assert mlflow.pyfunc.load_model(uri).predict(X).tolist() == expected, uri
    print(mlflow.get_tracking_uri())
    """
)


def test_embedded_default_store_without_a_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["FLAVORKIT_CACHE_DIR"] = str(tmp_path / "cache")
    out = subprocess.run(
        [sys.executable, "-c", EMBEDDED],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    # MLflow's default store: sqlite:///mlflow.db in the working directory
    assert out.stdout.strip().splitlines()[-1] in (
        "sqlite:///mlflow.db",
        f"sqlite:///{tmp_path / 'mlflow.db'}",
    )
    assert (tmp_path / "mlflow.db").is_file()


def test_a_download_that_differs_from_its_manifest_never_enters_the_cache(
    tracking: Server, logreg: Any, tmp_path: Path
) -> None:
    from flavorkit.errors import IntegrityError

    info = flavorkit.log_model(logreg, "model")
    (stored,) = tracking.artifacts.glob(f"*/models/{info.model_id}/artifacts/model.skops")
    data = bytearray(stored.read_bytes())
    data[-1] ^= 0xFF  # same size, different bytes: only the digest can tell
    stored.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=rf"{info.model_uri}: .*model\.skops has sha256"):
        flavorkit.load_model(info.model_uri)
    assert not list((tmp_path / "cache").rglob("MLmodel"))


def test_a_server_that_dies_mid_transfer_leaves_nothing_to_use(
    logreg: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server of its own, killed while ``flavorkit info`` downloads from it: one error line
    naming the URI and the server, no cache entry and no partial directory left."""
    from interop_models import FlavorkitAffine
    from tracking_support import start_server, stop_server

    server = start_server(tmp_path / "doomed")
    try:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
        blob = tmp_path / "blob.bin"
        size = 192 * 2**20
        with blob.open("wb") as f:
            f.truncate(size)
        weights = tmp_path / "weights.json"
        weights.write_text('{"factor": 1.0, "shift": 0.0}')
        info = flavorkit.log_model(
            FlavorkitAffine(),
            "big",
            serialization="cloudpickle",
            artifacts={"weights": weights, "blob": blob},
        )
        cache = tmp_path / "cache"
        env = {**os.environ, "FLAVORKIT_CACHE_DIR": str(cache), "MLFLOW_TRACKING_URI": server.url}
        child = subprocess.Popen(
            [sys.executable, "-m", "flavorkit.cli", "info", info.model_uri],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        caught = False
        while time.monotonic() < deadline and child.poll() is None:
            partial = [p for p in cache.rglob("blob.bin") if ".partial-" in str(p)]
            if partial and 0 < partial[0].stat().st_size < size:
                os.killpg(server.process.pid, signal.SIGKILL)
                caught = True
                break
            time.sleep(0.005)
        _, stderr = child.communicate(timeout=120)
        assert caught, f"the download was not caught mid-transfer: {stderr}"
    finally:
        stop_server(server.process)
    assert child.returncode == 1, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flavorkit: error:"), stderr
    assert info.model_uri in lines[0] and server.url in lines[0]
    assert not list(cache.rglob("MLmodel"))  # no entry, and no partial left behind
    assert not list(cache.rglob(".partial-*"))
