"""Scoring payloads: ``serving_input_example.json`` written by flavorkit is a valid MLflow request.

MLflow's scoring code path is ``mlflow.pyfunc.scoring_server.invocations(body, content_type,
model, input_schema)``: what the FastAPI ``/invocations`` route of ``mlflow models serve`` runs in
a thread for each request (parsing with ``_parse_json_data``, predicting, encoding with
``predictions_to_json``). Each flavorkit model's own serving example goes through it and must come
back with status 200 and the predictions flavorkit makes, encoded identically. One model is also
served for real by ``mlflow models serve`` on 127.0.0.1 and called over HTTP.

The other way round, the serving example MLflow writes parses with flavorkit's
:func:`flavorkit.examples.parse_serving_payload` into the data MLflow's parser gives.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from interop_env import MLFLOW_REQUIREMENTS, need_mlflow, need_pytorch

need_mlflow()

import mlflow.models  # noqa: E402
import mlflow.pyfunc  # noqa: E402
import mlflow.sklearn  # noqa: E402
from interop_support import assert_same_output  # noqa: E402
from mlflow.pyfunc import scoring_server  # noqa: E402

import flavorkit  # noqa: E402
from flavorkit.examples import parse_serving_payload, predictions_to_json  # noqa: E402

HERE = Path(__file__).parent
JSON = "application/json"


def weights(where: Path) -> Path:
    file = where / "weights.json"
    file.write_text(json.dumps({"factor": 2.5, "shift": -1.0}))
    return file


def save_sklearn(path: Path, f: dict[str, Any]) -> None:
    flavorkit.save_model(
        f["logreg"], path, input_example=f["iris"][0].head(3), pyfunc_predict_fn="predict_proba"
    )


def save_onnx(path: Path, f: dict[str, Any]) -> None:
    flavorkit.save_model(f["onnx_logreg"], path, input_example=f["iris32"][:3])


def save_python_model(path: Path, f: dict[str, Any]) -> None:
    from interop_models import FlavorkitAffine

    flavorkit.save_model(
        FlavorkitAffine(),
        path,
        serialization="cloudpickle",
        artifacts={"weights": weights(path.parent)},
        input_example=(f["iris"][0].head(3), {"scale": 3.0}),
    )


def save_pytorch(path: Path, f: dict[str, Any]) -> None:
    need_pytorch()
    flavorkit.save_model(f["mlp"](), path, input_example=f["iris32"][:4])


SAVERS = {
    "sklearn": save_sklearn,
    "onnx": save_onnx,
    "python_model": save_python_model,
    "pytorch-pt2": save_pytorch,
}


@pytest.fixture
def fixtures(request: pytest.FixtureRequest, iris: Any, iris32: Any) -> dict[str, Any]:
    return {
        "iris": iris,
        "iris32": iris32,
        "logreg": request.getfixturevalue("logreg"),
        "onnx_logreg": request.getfixturevalue("onnx_logreg"),
        "mlp": lambda: request.getfixturevalue("mlp"),
    }


@pytest.mark.parametrize("case", list(SAVERS))
def test_flavorkit_serving_example_through_mlflow_scoring(
    case: str, fixtures: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / case
    SAVERS[case](path, fixtures)
    body = (path / "serving_input_example.json").read_text()

    ours = flavorkit.load_model(path, trust=True)
    assert ours.signature is not None
    data, params = parse_serving_payload(json.loads(body), ours.signature.inputs)
    expected = predictions_to_json(ours.predict(data, params=params))

    model = mlflow.pyfunc.load_model(str(path))
    parsed = scoring_server._parse_json_data(
        body, model.metadata, model.metadata.get_input_schema()
    )
    assert_same_output(data, parsed.data, "parsed data")
    assert params == parsed.params
    response = scoring_server.invocations(body, JSON, model, model.metadata.get_input_schema())
    assert response.status == 200, response.response
    assert json.loads(response.response) == {"predictions": expected}


def test_mlflow_serving_example_parses_the_same_in_flavorkit(
    tmp_path: Path, logreg: Any, iris: Any
) -> None:
    path = tmp_path / "mlflow-sklearn"
    mlflow.sklearn.save_model(
        logreg, str(path), input_example=iris[0].head(4), pip_requirements=MLFLOW_REQUIREMENTS
    )
    body = (path / "serving_input_example.json").read_text()
    model = mlflow.pyfunc.load_model(str(path))
    schema = model.metadata.get_input_schema()
    theirs = scoring_server._parse_json_data(body, model.metadata, schema)
    signature = flavorkit.Model.load(path).signature
    assert signature is not None
    data, params = parse_serving_payload(json.loads(body), signature.inputs)
    assert_same_output(data, theirs.data)
    assert params is None and theirs.params is None
    assert_same_output(flavorkit.load_model(path).predict(data), model.predict(theirs.data))


# -- a real server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(url: str, body: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": JSON}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group (uvicorn and its worker), which this test started."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(server.pid, sig)
        try:
            server.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def test_mlflow_models_serve_answers_flavorkit_examples(
    tmp_path: Path, iris: Any, fresh_iris: Any
) -> None:
    """``mlflow models serve`` on a model MLflow loads through ``flavorkit.mlflow_loader`` (a
    PythonModel recorded by reference, its module in ``code/``), trusted by the server's
    environment; the served predictions are flavorkit's, params included."""
    from interop_models import FlavorkitAffine

    path = tmp_path / "affine"
    flavorkit.save_model(
        FlavorkitAffine(),
        path,
        artifacts={"weights": weights(tmp_path)},
        model_config={"offset": 0.5},
        code_paths=[HERE / "interop_models.py"],
        input_example=(iris[0].head(3), {"scale": 3.0}),
    )
    body = (path / "serving_input_example.json").read_text()
    ours = flavorkit.load_model(path, trust=True)
    fresh_body = json.dumps(
        {"dataframe_split": fresh_iris.to_dict(orient="split"), "params": {"scale": 0.5}}
    )

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLAVORKIT_")}
    env["FLAVORKIT_TRUST"] = "1"
    # MLflow runs `uvicorn` from PATH: this interpreter's scripts directory first
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = ""  # the model's class must come from its own code/, not from here
    command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", str(path)]
    command += ["--env-manager", "local", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        command,
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its workers go with it when the group is stopped
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read().decode()[-3000:]  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "mlflow models serve did not start in 120 s"
            time.sleep(0.25)

        status, answer = post(f"{url}/invocations", body)
        assert status == 200, answer
        data, params = ours.input_example
        assert answer == {"predictions": predictions_to_json(ours.predict(data, params=params))}

        status, answer = post(f"{url}/invocations", fresh_body)
        assert status == 200, answer
        expected = ours.predict(fresh_iris, params={"scale": 0.5})
        assert answer == {"predictions": predictions_to_json(expected)}
    finally:
        stop(server)
        assert server.stdout is not None
        server.stdout.close()
