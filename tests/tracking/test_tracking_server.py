"""Logging and loading through a real ``mlflow server``, both ways, with identical predictions.

flavorkit logs each of the four flavors and MLflow loads them from ``models:/`` and ``runs:/``;
MLflow logs (``mlflow.sklearn``/``mlflow.pyfunc.log_model``) and flavorkit loads from every URI
form; aliases move between loads, versions are downloaded once.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from interop_env import MLFLOW_REQUIREMENTS, need_mlflow
from tracking_support import Server

need_mlflow()

import mlflow  # noqa: E402
import mlflow.pyfunc  # noqa: E402
import mlflow.sklearn  # noqa: E402
from interop_support import assert_same_output  # noqa: E402

import flavorkit  # noqa: E402

#: str() of a naive UTC datetime, the form MLflow writes ``utc_time_created`` in
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?$")


def _case(name: str, request: pytest.FixtureRequest) -> tuple[Any, dict[str, Any], Any, Any]:
    """(model, log_model keyword arguments, data to predict, params) for one flavor."""
    X = request.getfixturevalue("iris")[0]
    if name == "sklearn":
        return request.getfixturevalue("logreg"), {"input_example": X.head(3)}, X, None
    if name == "onnx":
        x32 = request.getfixturevalue("iris32")
        return request.getfixturevalue("onnx_logreg"), {"input_example": x32[:3]}, x32, None
    if name == "pytorch":
        x32 = request.getfixturevalue("iris32")
        return request.getfixturevalue("mlp"), {"input_example": x32[:5]}, x32, None
    from interop_models import FlavorkitAffine

    options = {
        "serialization": "cloudpickle",
        "artifacts": {"weights": request.getfixturevalue("weights_file")},
        "model_config": {"offset": 0.5},
        "input_example": (X.head(3), {"scale": 2.0}),
    }
    return FlavorkitAffine(), options, X, {"scale": 3.0}


@pytest.mark.parametrize("flavor", ["sklearn", "onnx", "pytorch", "python_model"])
def test_flavorkit_logs_mlflow_loads(
    tracking: Server, flavor: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    model, options, data, params = _case(flavor, request)
    registered = f"fk-{flavor}-{tmp_path.name}"
    with mlflow.start_run() as run:
        info = flavorkit.log_model(
            model, "model", registered_model_name=registered, tags={"team": "a"}, **options
        )
    run_id = run.info.run_id

    # what was logged, as MLflow 3 logs it
    assert info.model_uri == f"models:/{info.model_id}" and info.model_id.startswith("m-")
    assert (info.run_id, info.registered_model_version) == (run_id, 1)
    client = mlflow.MlflowClient()
    logged = client.get_logged_model(info.model_id)
    assert str(logged.status) in ("READY", "LoggedModelStatus.READY")
    assert (logged.name, logged.source_run_id, logged.tags.get("team")) == ("model", run_id, "a")
    assert logged.artifact_location == info.artifact_path
    assert info.model_id in [o.model_id for o in client.get_run(run_id).outputs.model_outputs]
    meta = mlflow.models.Model.load(info.model_uri)
    assert (meta.run_id, meta.model_id, meta.model_uuid) == (run_id, info.model_id, info.model_id)
    assert meta.artifact_path == logged.artifact_location
    assert meta.artifact_path.endswith(f"/models/{info.model_id}/artifacts")
    assert UTC_TIME.match(meta.utc_time_created) and meta.utc_time_created == info.utc_time_created
    version = client.get_model_version(registered, "1")
    assert version.source == info.model_uri and version.run_id == run_id

    trust = flavor == "python_model"
    ours = flavorkit.load_model(info.model_uri, trust=trust)
    expected = ours.predict(data, params=params)
    for uri in (info.model_uri, f"models:/{registered}/1", f"runs:/{run_id}/model"):
        theirs = mlflow.pyfunc.load_model(uri)
        assert_same_output(expected, theirs.predict(data, params=params), uri)
        assert_same_output(
            expected, flavorkit.load_model(uri, trust=trust).predict(data, params=params), uri
        )


def test_mlflow_sklearn_logs_flavorkit_loads(
    tracking: Server, logreg: Any, iris: Any, tmp_path: Path
) -> None:
    X = iris[0]
    name = f"mlf-sklearn-{tmp_path.name}"
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(
            logreg,
            name="model",
            registered_model_name=name,
            input_example=X.head(3),
            pip_requirements=MLFLOW_REQUIREMENTS,
        )
    client = mlflow.MlflowClient()
    client.set_registered_model_alias(name, "champion", "1")
    uris = [
        f"runs:/{run.info.run_id}/model",
        f"models:/{name}@champion",
        f"models:/{name}/1",
        f"models:/{name}/latest",
        info.model_uri,
    ]
    for uri in uris:
        theirs = mlflow.pyfunc.load_model(uri).predict(X)
        assert_same_output(flavorkit.load_model(uri).predict(X), theirs, uri)
        assert type(flavorkit.load_native(uri)) is type(logreg)
    # flavorkit's MLmodel fields are the ones MLflow wrote for its own log_model
    theirs_meta = flavorkit.Model.load(flavorkit.api.resolve_model_path(info.model_uri))
    assert theirs_meta.model_id == info.model_id == theirs_meta.model_uuid
    assert theirs_meta.artifact_path.endswith(f"/models/{info.model_id}/artifacts")
    assert UTC_TIME.match(theirs_meta.utc_time_created)


def test_mlflow_pyfunc_logs_flavorkit_loads(
    tracking: Server, weights_file: Path, iris: Any, tmp_path: Path
) -> None:
    from interop_mlflow_models import MlflowAffine

    X = iris[0]
    name = f"mlf-pyfunc-{tmp_path.name}"
    with mlflow.start_run() as run:
        mlflow.pyfunc.log_model(
            name="affine",
            python_model=MlflowAffine(),
            artifacts={"weights": str(weights_file)},
            model_config={"offset": 0.5},
            input_example=(X.head(3), {"scale": 2.0}),
            registered_model_name=name,
            pip_requirements=MLFLOW_REQUIREMENTS,
        )
    mlflow.MlflowClient().set_registered_model_alias(name, "prod", "1")
    for uri in (f"runs:/{run.info.run_id}/affine", f"models:/{name}@prod"):
        theirs = mlflow.pyfunc.load_model(uri).predict(X, params={"scale": 3.0})
        ours = flavorkit.load_model(uri, trust=True).predict(X, params={"scale": 3.0})
        assert_same_output(ours, theirs, uri)


def _fit(iris: Any, shift: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    return LogisticRegression(max_iter=1000).fit(X, (y + shift) % 3)


def test_alias_moves_and_versions_download_once(
    tracking: Server, iris: Any, tmp_path: Path
) -> None:
    X = iris[0]
    name = f"moving-{tmp_path.name}"
    infos = [
        flavorkit.log_model(_fit(iris, shift), "model", registered_model_name=name)
        for shift in (0, 1)
    ]
    client = mlflow.MlflowClient()
    uri = f"models:/{name}@live"

    client.set_registered_model_alias(name, "live", "1")
    first = flavorkit.load_model(uri)
    client.set_registered_model_alias(name, "live", "2")
    second = flavorkit.load_model(uri)  # the alias is resolved again: version 2
    assert first.path != second.path
    assert (first.predict(X) != second.predict(X)).any()
    assert_same_output(second.predict(X), _fit(iris, 1).predict(X))

    # version 1's files are gone from the server; its cached copy is what loads
    model_dir = tracking.artifacts.glob(f"*/models/{infos[0].model_id}")
    for stored in model_dir:
        shutil.rmtree(stored)
    with pytest.raises(Exception):  # noqa: B017, PT011 - MLflow's own error, whatever it is
        mlflow.pyfunc.load_model(f"models:/{name}/1")
    client.set_registered_model_alias(name, "live", "1")
    again = flavorkit.load_model(uri)
    assert again.path == first.path
    assert_same_output(again.predict(X), first.predict(X))
    assert_same_output(flavorkit.load_model(f"models:/{name}/1").predict(X), first.predict(X))
    assert not list((tmp_path / "cache").rglob(".partial-*"))


def test_cli_takes_uris(tracking: Server, logreg: Any, iris: Any, tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    name = f"cli-{tmp_path.name}"
    flavorkit.log_model(logreg, "model", registered_model_name=name, input_example=iris[0].head(2))
    mlflow.MlflowClient().set_registered_model_alias(name, "champion", "1")
    uri = f"models:/{name}@champion"
    cli = [sys.executable, "-m", "flavorkit.cli"]
    info = subprocess.run(
        [*cli, "info", uri, "--json"], capture_output=True, text=True, timeout=120
    )
    assert info.returncode == 0, info.stderr
    assert "sklearn" in json.loads(info.stdout)["flavors"]
    validate = subprocess.run([*cli, "validate", uri], capture_output=True, text=True, timeout=120)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    data = tmp_path / "rows.csv"
    iris[0].head(4).to_csv(data, index=False)
    predicted = subprocess.run(
        [*cli, "predict", "-m", uri, "-i", str(data)], capture_output=True, text=True, timeout=120
    )
    assert predicted.returncode == 0, predicted.stderr
    assert predicted.stdout.strip()


def test_serve_takes_a_uri(tracking: Server, logreg: Any, iris: Any, tmp_path: Path) -> None:
    """``flavorkit serve models:/name@alias`` downloads the version and answers /invocations."""
    import json
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    from tracking_support import free_port

    name = f"serve-{tmp_path.name}"
    flavorkit.log_model(logreg, "model", registered_model_name=name, input_example=iris[0].head(2))
    mlflow.MlflowClient().set_registered_model_alias(name, "live", "1")
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flavorkit.cli",
            "serve",
            f"models:/{name}@live",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    body = json.dumps({"dataframe_split": json.loads(iris[0].head(3).to_json(orient="split"))})
    try:
        deadline, answer = time.monotonic() + 180, None
        while time.monotonic() < deadline and server.poll() is None and answer is None:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/invocations",
                data=body.encode(),
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as r:
                    answer = json.loads(r.read())
            except OSError:
                time.sleep(0.5)
        assert answer is not None, server.stderr.read().decode()[-2000:] if server.poll() else ""
        assert answer["predictions"] == logreg.predict(iris[0].head(3)).tolist()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
