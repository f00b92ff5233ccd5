"""``flavorkit serve``: the real server in a subprocess on 127.0.0.1, exercised over HTTP.

Every server is started with ``python -m flavorkit.cli serve`` on a free port of 127.0.0.1 and
stopped (its whole process group) in a ``finally``; every wait is bounded. The models are real
toy-flavor models saved by ``flavorkit.save_model``; the toy flavor is installed into the server's
environment as a distribution with an entry point, as a third-party plugin would be.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from toyflavor_pkg import ToyFlavor, ToyModel

import flavorkit
from flavorkit import plugins
from flavorkit.cli import main
from flavorkit.serve.config import ServeConfig, parse_size

httpx = pytest.importorskip(
    "httpx",
    reason="the serve tests need httpx: run `python3 -m nox -s core`, or pip install "
    "'./core[test]'",
)
for _module in ("fastapi", "uvicorn"):
    pytest.importorskip(
        _module,
        reason="flavorkit serve needs the serve extra: run `python3 -m nox -s core`, or pip "
        "install './core[serve]'",
    )

TOY_SOURCE = Path(__file__).parent / "toyflavor" / "toyflavor_pkg"
STARTUP_SECONDS = 30.0
X = pd.DataFrame({"a": [1.0, 2.0, -3.5], "b": [1, 0, 4]})
MODEL = ToyModel([2.0, -1.0], bias=0.5)


def expected(frame: pd.DataFrame, scale: float = 1.0) -> list[float]:
    return list(MODEL.predict(frame[["a", "b"]], {"scale": scale}))


SLOW_FLAVOR = '''
"""A toy flavor whose load waits for a gate file and whose predict sleeps: readiness, timeouts."""
import os
import time
from pathlib import Path

from toyflavor_pkg import ToyFlavor, ToyModel


class SlowModel(ToyModel):
    def predict(self, X, params=None):
        time.sleep(float(os.environ.get("SLOWTOY_PREDICT_SECONDS", "0")))
        return super().predict(X, params)


class SlowToyFlavor(ToyFlavor):
    def load(self, path, conf, *, trust, **options):
        gate = Path(os.environ["SLOWTOY_GATE"])
        deadline = time.monotonic() + 60
        while not gate.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        model = super().load(path, conf, trust=trust, **options)
        return SlowModel(model.weights, model.bias)
'''


# -- sites, models and servers ------------------------------------------------------------------


def install_distribution(site: Path, name: str, entry_point: str, modules: dict[str, str]) -> Path:
    """Lay out a distribution as pip does: the toy package, extra modules, a ``*.dist-info``."""
    site.mkdir(parents=True, exist_ok=True)
    shutil.copytree(TOY_SOURCE, site / TOY_SOURCE.name, dirs_exist_ok=True)
    for module, source in modules.items():
        (site / f"{module}.py").write_text(source)
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[flavorkit.flavors]\ntoy = {entry_point}\n")
    (info / "RECORD").write_text("")
    return site


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """``flavorkit serve`` in a subprocess (its own process group) on 127.0.0.1."""

    def __init__(self, model: Path, site: Path, log: Path, *args: str, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        environ = {k: v for k, v in os.environ.items() if not k.startswith("FLAVORKIT_")}
        environ.update(PYTHONPATH=str(site), PYTHONUNBUFFERED="1", **env)
        command = [sys.executable, "-m", "flavorkit.cli", "serve", str(model)]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--no-access-log", *args]
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                command, env=environ, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.client = httpx.Client(base_url=self.url, timeout=30.0)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait(self, path: str = "/v2/health/live", status: int = 200) -> httpx.Response:
        """Poll ``path`` until it answers ``status``; fail with the server's log after 30 s."""
        deadline = time.monotonic() + STARTUP_SECONDS
        last: Any = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the server exited ({self.proc.returncode}):\n{self.output()}")
            try:
                last = self.client.get(path)
                if last.status_code == status:
                    return last
            except httpx.TransportError as e:
                last = e
            time.sleep(0.05)
        pytest.fail(f"{path} did not answer {status} in time (last: {last!r}):\n{self.output()}")

    def stop(self) -> None:
        self.client.close()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve")


@pytest.fixture(scope="module")
def site(work: Path) -> Path:
    return install_distribution(work / "site", "toyflavor-pkg", "toyflavor_pkg:ToyFlavor", {})


@pytest.fixture(scope="module")
def models(work: Path) -> dict[str, Path]:
    """The models the servers serve, saved with an in-process registry holding the toy flavor."""
    registry = plugins.PluginRegistry(discover=False)
    registry.register(ToyFlavor)
    out = {name: work / name for name in ("cols", "tensor", "pickled")}
    with plugins.use_registry(registry):
        flavorkit.save_model(MODEL, out["cols"], input_example=(X.head(2), {"scale": 1.0}))
        example = np.array([[1.0, 2.0], [0.5, -1.0]], dtype=np.float32)
        flavorkit.save_model(MODEL, out["tensor"], input_example=example)
        flavorkit.save_model(MODEL, out["pickled"], serialization_format="pickle")
    return out


def start(model: Path, site: Path, log: Path, *args: str, **env: str) -> Iterator[Server]:
    server = Server(model, site, log, *args, **env)
    try:
        server.wait("/v2/health/ready")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def cols(models: dict[str, Path], site: Path, work: Path) -> Iterator[Server]:
    """A model with named columns a: double, b: long, and a param scale: double = 1.0."""
    yield from start(models["cols"], site, work / "cols.log")


@pytest.fixture(scope="module")
def tensor(models: dict[str, Path], site: Path, work: Path) -> Iterator[Server]:
    """A model taking one float32 tensor of shape (-1, 2), with a 2 KiB body limit."""
    yield from start(
        models["tensor"], site, work / "tensor.log", "--max-body-size", "2KiB",
        "--model-name", "linear",
    )  # fmt: skip


def invoke(server: Server, body: Any, content_type: str = "application/json") -> httpx.Response:
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return server.client.post(
        "/invocations", content=content, headers={"Content-Type": content_type}
    )


def assert_error(response: httpx.Response, status: int, code: str, *fragments: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error_code"] == code, body
    for fragment in fragments:
        assert fragment in body["message"], body["message"]


# -- health, version, readiness -----------------------------------------------------------------


def test_health_routes_answer_as_mlflow_and_v2(cols: Server) -> None:
    for path in ("/ping", "/health"):
        r = cols.client.get(path)
        assert (r.status_code, r.text, r.headers["content-type"]) == (200, "\n", "application/json")
    r = cols.client.get("/version")
    assert (r.status_code, r.text) == (200, flavorkit.__version__)
    assert cols.client.get("/v2").json() == {
        "name": "flavorkit",
        "version": flavorkit.__version__,
        "extensions": [],
    }
    assert cols.client.get("/v2/health/live").json() == {"live": True}
    assert cols.client.get("/v2/health/ready").json() == {"ready": True}
    assert cols.client.get("/v2/models/cols/ready").json() == {"name": "cols", "ready": True}


def test_live_at_once_ready_only_when_loaded_and_health_answers_during_predict(
    models: dict[str, Path], work: Path
) -> None:
    site = install_distribution(
        work / "slow-site", "slowtoy", "slowtoy:SlowToyFlavor", {"slowtoy": SLOW_FLAVOR}
    )
    gate = work / "gate"
    server = Server(
        models["cols"], site, work / "slow.log", "--timeout", "0.5",
        SLOWTOY_GATE=str(gate), SLOWTOY_PREDICT_SECONDS="3",
    )  # fmt: skip
    try:
        assert server.wait("/v2/health/live").json() == {"live": True}
        r = server.client.get("/v2/health/ready")
        assert r.status_code == 503 and "still loading" in r.json()["error"]
        assert_error(server.client.get("/ping"), 503, "TEMPORARILY_UNAVAILABLE", "still loading")
        assert server.client.get("/v2/models/cols/ready").status_code == 503
        assert_error(invoke(server, {"dataframe_records": [{"a": 1.0, "b": 1}]}), 503,
                     "TEMPORARILY_UNAVAILABLE")  # fmt: skip
        # metadata comes from MLmodel, so it is there before the weights are
        assert server.client.get("/v2/models/cols").json()["inputs"][0]["name"] == "a"
        gate.touch()
        server.wait("/v2/health/ready")
        assert server.client.get("/ping").status_code == 200

        # a prediction that outlives --timeout gets MLflow's 504; probes are answered meanwhile
        with httpx.Client(base_url=server.url, timeout=30.0) as other:
            started = time.monotonic()
            late = invoke(server, {"dataframe_records": [{"a": 1.0, "b": 1}]})
            assert_error(late, 504, "DEADLINE_EXCEEDED", "exceeded limit")
            assert time.monotonic() - started < 2.5
            probe_started = time.monotonic()
            assert other.get("/v2/health/live").status_code == 200  # the abandoned thread runs on
            assert time.monotonic() - probe_started < 1.0
    finally:
        server.stop()


def test_a_model_that_fails_to_load_says_why_and_is_not_live(
    models: dict[str, Path], site: Path, work: Path
) -> None:
    server = Server(models["pickled"], site, work / "failed.log")
    try:
        r = server.wait("/v2/health/live", status=503)
        assert r.json()["live"] is False
        assert "UntrustedModelError" in r.json()["error"] and "trust" in r.json()["error"]
        assert_error(server.client.get("/health"), 503, "TEMPORARILY_UNAVAILABLE", "failed to load")
        assert invoke(server, {"inputs": [[1.0, 2.0]]}).status_code == 503
        assert "the model failed to load" in server.output()
    finally:
        server.stop()
    yield_ = start(models["pickled"], site, work / "trusted.log", "--trust")
    trusted = next(yield_)
    try:  # a model without a signature: inputs pass unchecked, v2 takes any tensor
        assert invoke(trusted, {"inputs": [[1.0, 2.0]]}).json() == {"predictions": [0.5]}
        assert trusted.client.get("/v2/models/pickled").json()["inputs"] == []
        tensor = {"name": "x", "shape": [1, 2], "datatype": "FP64", "data": [1.0, 2.0]}
        out = infer(trusted, "pickled", {"inputs": [tensor]}).json()["outputs"]
        assert out == [{"name": "output-0", "datatype": "FP64", "shape": [1], "data": [0.5]}]
        doc = trusted.client.get("/openapi.json").json()
        assert "no signature" in doc["info"]["description"]
    finally:
        yield_.close()


# -- MLflow's scoring protocol ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"dataframe_split": X.to_dict(orient="split")},
        {"dataframe_split": {"columns": ["b", "a"], "data": X[["b", "a"]].values.tolist()}},
        {"dataframe_records": X.to_dict(orient="records")},
        {"instances": X.to_dict(orient="records")},
        {"inputs": X.to_dict(orient="list")},
    ],
    ids=["split", "split-reordered", "records", "instances", "inputs"],
)
def test_every_json_form_predicts(cols: Server, body: dict[str, Any]) -> None:
    r = invoke(cols, body)
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": expected(X)}


def test_params_are_applied_and_unknown_params_refused(cols: Server) -> None:
    body = {"dataframe_records": X.to_dict(orient="records"), "params": {"scale": 2}}
    assert invoke(cols, body).json() == {"predictions": expected(X, scale=2.0)}
    body["params"] = {"scale": 2, "sacle": 3}
    assert_error(invoke(cols, body), 400, "INVALID_PARAMETER_VALUE", "['sacle']", "['scale']")
    body["params"] = {"scale": "big"}
    assert_error(invoke(cols, body), 400, "INVALID_PARAMETER_VALUE", "scale")


def test_the_models_serving_example_is_a_valid_request(
    cols: Server, models: dict[str, Path]
) -> None:
    body = (models["cols"] / "serving_input_example.json").read_bytes()
    assert invoke(cols, body).json() == {"predictions": expected(X.head(2))}


def test_csv_and_parquet_bodies_are_typed_by_the_signature(cols: Server) -> None:
    csv = X.to_csv(index=False)
    assert invoke(cols, csv, "text/csv").json() == {"predictions": expected(X)}
    assert invoke(cols, csv, "text/csv; charset=utf-8").status_code == 200
    assert_error(invoke(cols, "a,b\n1.0,2.5\n", "text/csv"), 400, "BAD_REQUEST", "CSV")
    assert_error(invoke(cols, b"\x00\xff garbage", "text/csv"), 400, "BAD_REQUEST")
    pytest.importorskip(
        "pyarrow", reason="Parquet bodies need pyarrow: run `python3 -m nox -s core`"
    )
    buffer = io.BytesIO()
    X.to_parquet(buffer, index=False)
    parquet = "application/vnd.apache.parquet"
    assert invoke(cols, buffer.getvalue(), parquet).json() == {"predictions": expected(X)}
    assert_error(invoke(cols, b"PAR1 not parquet", parquet), 400, "BAD_REQUEST", "Parquet")


@pytest.mark.parametrize(
    "body",
    [
        {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 2.5]]}},
        {"dataframe_split": {"columns": ["b", "a"], "data": [[2.5, 1.0]]}},
        {"dataframe_records": [{"a": 1.0, "b": 2.5}]},
        {"instances": [{"a": 1.0, "b": 2.5}]},
        {"inputs": {"a": [1.0], "b": [2.5]}},
        {"inputs": {"a": 1.0, "b": 2.5}},
    ],
    ids=["split", "split-reordered", "records", "instances", "inputs-columns", "inputs-scalars"],
)
def test_values_mlflow_would_truncate_are_refused(cols: Server, body: dict[str, Any]) -> None:
    assert_error(
        invoke(cols, body), 400, "INVALID_PARAMETER_VALUE", "Column 'b' (long)", "2.5", "truncate"
    )


def test_lossless_values_are_accepted_as_mlflow_accepts_them(cols: Server) -> None:
    # 2.0 for a long, 1 for a double: exact conversions
    r = invoke(cols, {"dataframe_records": [{"a": 1, "b": 2.0}]})
    assert r.json() == {"predictions": expected(pd.DataFrame({"a": [1.0], "b": [2]}))}
    huge = {"dataframe_records": [{"a": 1.0, "b": 2**63}]}
    assert_error(invoke(cols, huge), 400, "INVALID_PARAMETER_VALUE", "outside")


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code", "fragment"),
    [
        ('{"dataframe_records": [', "application/json", 400, "BAD_REQUEST", "valid JSON"),
        (b"\xff\xfe", "application/json", 400, "BAD_REQUEST", "valid JSON"),
        ("[1, 2]", "application/json", 400, "BAD_REQUEST", "Received a list"),
        ('"text"', "application/json", 400, "BAD_REQUEST", "exactly one of the input fields"),
        ('{"inputs": [], "instances": []}', "application/json", 400, "BAD_REQUEST", "exactly one"),
        ('{"data": [[1, 2]]}', "application/json", 400, "BAD_REQUEST", "exactly one"),
        (
            '{"inputs": {"a": [1.0], "b": [1]}, "param": {"scale": 2}}',
            "application/json", 400, "BAD_REQUEST", "Unknown top-level fields ['param']",
        ),
        (
            '{"dataframe_records": [{"b": 1}]}',
            "application/json", 400, "INVALID_PARAMETER_VALUE", "'a'",
        ),
        (
            '{"dataframe_records": [{"a": "one", "b": 1}]}',
            "application/json", 400, "BAD_REQUEST", "column 'a'",
        ),
        ('{"dataframe_split": [[1, 2]]}', "application/json", 400, "BAD_REQUEST", "split"),
        ('{"dataframe_records": {"a": 1}}', "application/json", 400, "BAD_REQUEST", "records"),
        ('{"inputs": {"a": [1.0, 2.0], "b": [1]}}', "application/json", 400,
         "INVALID_PARAMETER_VALUE", "same length"),
        ("a=1", "text/plain", 415, "BAD_REQUEST", "Got 'text/plain'"),
        ("{}", "application/json; charset=latin-1", 415, "BAD_REQUEST", "UTF-8"),
        ("{}", "application/json; format=pandas-split", 415, "BAD_REQUEST", "format=pandas-split"),
    ],
    ids=[
        "truncated-json", "not-utf8", "top-level-list", "top-level-string", "two-input-keys",
        "no-input-key", "unknown-key", "missing-column", "wrong-type", "split-not-object",
        "records-not-list", "ragged-columns", "text-plain", "latin-1", "mlflow1-format-param",
    ],
)  # fmt: skip
def test_bad_input_gets_a_4xx_naming_the_problem(
    cols: Server, content: str | bytes, content_type: str, status: int, code: str, fragment: str
) -> None:
    assert_error(invoke(cols, content, content_type), status, code, fragment)


def test_no_content_type_is_415_and_unknown_routes_are_404(cols: Server) -> None:
    r = cols.client.post("/invocations", content=b"{}")
    assert_error(r, 415, "BAD_REQUEST", "no Content-Type")
    assert cols.client.get("/nope").status_code == 404
    assert cols.client.get("/invocations").status_code == 405


def test_tensor_model_takes_inputs_and_refuses_csv(tensor: Server) -> None:
    body = {"inputs": [[1.0, 2.0], [0.5, -1.0]]}
    assert invoke(tensor, body).json() == {"predictions": [0.5, 2.5]}
    assert invoke(tensor, {"instances": [[1.0, 2.0]]}).json() == {"predictions": [0.5]}
    assert_error(invoke(tensor, "a,b\n1,2\n", "text/csv"), 400, "BAD_REQUEST", "TensorSpec")
    wide = invoke(tensor, {"inputs": [[1.0, 2.0, 3.0]]})
    assert_error(wide, 400, "INVALID_PARAMETER_VALUE", "shape")
    ragged = invoke(tensor, {"inputs": [[1.0, 2.0], [3.0]]})
    assert ragged.status_code == 400


def test_bodies_over_the_limit_get_413(tensor: Server) -> None:
    big = {"inputs": [[1.0, 2.0]] * 400}  # ~4.8 KB against a 2 KiB limit
    assert_error(invoke(tensor, big), 413, "REQUEST_LIMIT_EXCEEDED", "2,048 bytes")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while streaming
        yield b'{"inputs": ['
        for _ in range(400):
            yield b"[1.0, 2.0],"
        yield b"[1.0, 2.0]]}"

    r = tensor.client.post(
        "/invocations", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_error(r, 413, "REQUEST_LIMIT_EXCEEDED", "more than 2,048")
    tensors = {"inputs": [{"name": "input-0", "shape": [400, 2], "datatype": "FP32",
                           "data": [1.0, 2.0] * 400}]}  # fmt: skip
    r = infer(tensor, "linear", tensors)
    assert r.status_code == 413 and "--max-body-size" in r.json()["error"]
    assert invoke(tensor, {"inputs": [[1.0, 2.0]]}).status_code == 200


# -- Open Inference Protocol v2 -----------------------------------------------------------------


def test_v2_metadata_is_derived_from_the_signature(cols: Server, tensor: Server) -> None:
    assert cols.client.get("/v2/models/cols").json() == {
        "name": "cols",
        "versions": [],
        "platform": "flavorkit-toy",
        "inputs": [
            {"name": "a", "datatype": "FP64", "shape": [-1]},
            {"name": "b", "datatype": "INT64", "shape": [-1]},
        ],
        "outputs": [{"name": "output-0", "datatype": "FP64", "shape": [-1]}],
        "parameters": {
            "params": [{"name": "scale", "default": 1.0, "shape": None, "type": "double"}]
        },
    }
    meta = tensor.client.get("/v2/models/linear").json()
    assert meta["inputs"] == [{"name": "input-0", "datatype": "FP32", "shape": [-1, 2]}]
    assert meta["outputs"] == [{"name": "output-0", "datatype": "FP64", "shape": [-1]}]
    for path in ("/v2/models/other", "/v2/models/other/ready"):
        r = tensor.client.get(path)
        assert r.status_code == 404 and "'linear'" in r.json()["error"]


def infer(server: Server, name: str, body: Any) -> httpx.Response:
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return server.client.post(
        f"/v2/models/{name}/infer", content=content, headers={"Content-Type": "application/json"}
    )


def test_v2_infer_on_columns_and_tensors(cols: Server, tensor: Server) -> None:
    request = {
        "id": "req-1",
        "inputs": [
            {"name": "a", "shape": [3], "datatype": "FP64", "data": X["a"].tolist()},
            {"name": "b", "shape": [3, 1], "datatype": "INT64", "data": [[1], [0], [4]]},
        ],
        "parameters": {"scale": 2.0, "content_type": "pd"},
    }
    r = infer(cols, "cols", request)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "model_name": "cols",
        "id": "req-1",
        "parameters": {},
        "outputs": [
            {"name": "output-0", "datatype": "FP64", "shape": [3], "data": expected(X, 2.0)}
        ],
    }
    flat = {"inputs": [{"name": "input-0", "shape": [2, 2], "datatype": "FP32",
                        "data": [1.0, 2.0, 0.5, -1.0]}]}  # fmt: skip
    out = infer(tensor, "linear", flat).json()["outputs"]
    assert out == [{"name": "output-0", "datatype": "FP64", "shape": [2], "data": [0.5, 2.5]}]
    nested = {**flat, "inputs": [{**flat["inputs"][0], "data": [[1.0, 2.0], [0.5, -1.0]]}]}
    assert infer(tensor, "linear", nested).json()["outputs"] == out
    picked = {**flat, "outputs": [{"name": "output-0"}]}
    assert infer(tensor, "linear", picked).json()["outputs"] == out


def tensor_input(**changes: Any) -> dict[str, Any]:
    base = {"name": "input-0", "shape": [1, 2], "datatype": "FP32", "data": [1.0, 2.0]}
    return {"inputs": [{**base, **changes}]}


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ("{not json", 400, "not valid JSON"),
        ("[]", 400, "JSON object"),
        ({"inputs": []}, 400, "non-empty list"),
        ({**tensor_input(), "extra": 1}, 400, "Unknown fields ['extra']"),
        (tensor_input(name="x"), 400, "not an input of the model"),
        (tensor_input(datatype="FP64"), 400, "does not match the model's FP32"),
        (tensor_input(datatype="FLOAT"), 400, "unknown datatype"),
        (tensor_input(datatype={}), 400, "unknown datatype"),
        (tensor_input(shape=[2, 2]), 400, "needs 4 values"),
        (tensor_input(shape=[1, -2]), 400, "'shape'"),
        (tensor_input(data=[1.0, "x"]), 400, "is not a number"),
        (tensor_input(data=[1.0, None]), 400, "is not a number"),
        (tensor_input(shape=[1, 3], data=[1.0, 2.0, 3.0]), 400, "shape"),
        ({**tensor_input(), "outputs": [{"name": "nope"}]}, 400, "Unknown outputs ['nope']"),
        ({**tensor_input(), "parameters": {"scale": 2}}, 400, "declares no params"),
        ({"inputs": [{"name": "input-0"}]}, 400, "is missing"),
    ],
    ids=[
        "malformed", "not-object", "no-inputs", "unknown-field", "unknown-input",
        "datatype-mismatch", "unknown-datatype", "unhashable-datatype", "count-mismatch",
        "negative-dim", "text-in-fp32", "null-in-fp32", "wrong-width", "unknown-output",
        "undeclared-param", "incomplete-tensor",
    ],
)  # fmt: skip
def test_v2_bad_requests_get_400(tensor: Server, body: Any, status: int, fragment: str) -> None:
    r = infer(tensor, "linear", body)
    assert r.status_code == status, r.text
    assert fragment in r.json()["error"], r.json()


def test_v2_refuses_what_would_be_cast_lossily(cols: Server) -> None:
    def request(b: Any, datatype: str = "INT64") -> dict[str, Any]:
        a = {"name": "a", "shape": [1], "datatype": "FP64", "data": [1.0]}
        return {"inputs": [a, {"name": "b", "shape": [1], "datatype": datatype, "data": [b]}]}

    r = infer(cols, "cols", request(2.5))
    assert r.status_code == 400 and "2.5 is not a whole number" in r.json()["error"]
    r = infer(cols, "cols", request(2**63))
    assert r.status_code == 400 and "outside" in r.json()["error"]
    assert infer(cols, "cols", request(2.0)).status_code == 200
    r = infer(cols, "cols", request(True, "BOOL"))
    assert r.status_code == 400 and "does not match the model's INT64" in r.json()["error"]
    r = infer(cols, "v2-missing", request(1))
    assert r.status_code == 404


def test_v2_infer_and_invocations_refuse_other_content_types(cols: Server) -> None:
    r = cols.client.post("/v2/models/cols/infer", content="x", headers={"Content-Type": "text/csv"})
    assert r.status_code == 415 and "application/json" in r.json()["error"]


# -- OpenAPI ------------------------------------------------------------------------------------


def test_openapi_is_generated_from_the_signature(cols: Server, models: dict[str, Path]) -> None:
    doc = cols.client.get("/openapi.json").json()
    assert doc["openapi"] == "3.1.0"
    schemas = doc["components"]["schemas"]
    record = schemas["DataframeRecords"]["properties"]["dataframe_records"]["items"]
    assert record["properties"]["a"] == {"type": "number", "format": "double"}
    assert record["properties"]["b"] == {
        "type": "integer", "format": "int64", "minimum": -(2**63), "maximum": 2**63 - 1,
    }  # fmt: skip
    assert record["required"] == ["a", "b"]
    scale = schemas["Params"]["properties"]["scale"]
    assert scale["default"] == 1.0 and schemas["Params"]["additionalProperties"] is False
    predictions = schemas["Predictions"]["properties"]["predictions"]
    assert predictions["items"]["anyOf"][0] == {"type": "number", "format": "double"}
    body = doc["paths"]["/invocations"]["post"]["requestBody"]["content"]
    example = json.loads((models["cols"] / "serving_input_example.json").read_text())
    assert body["application/json"]["example"] == example
    assert set(body) == {"application/json", "text/csv", "application/vnd.apache.parquet"}
    infer_path = doc["paths"]["/v2/models/{name}/infer"]["post"]
    assert infer_path["parameters"][0]["schema"] == {"enum": ["cols"]}
    tensors = schemas["V2InferenceRequest"]["properties"]["inputs"]["items"]["oneOf"]
    assert [t["properties"]["datatype"]["const"] for t in tensors] == ["FP64", "INT64"]
    v2_example = infer_path["requestBody"]["content"]["application/json"]["example"]
    assert infer(cols, "cols", v2_example).status_code == 200  # the v2 example works too
    docs = cols.client.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text


def test_openapi_describes_tensor_shapes(tensor: Server) -> None:
    doc = tensor.client.get("/openapi.json").json()
    inputs = doc["components"]["schemas"]["Inputs"]["properties"]["inputs"]
    assert inputs["items"]["minItems"] == inputs["items"]["maxItems"] == 2
    assert inputs["items"]["items"]["format"] == "float32"
    assert "DataframeSplit" not in doc["components"]["schemas"]


def test_schemathesis_finds_no_server_error(cols: Server) -> None:
    """Generated requests (valid and invalid) against every documented route: never a 5xx."""
    schemathesis = pytest.importorskip(
        "schemathesis",
        reason="schemathesis is not installed: run `python3 -m nox -s core`, or pip install "
        "'./core[test]'",
    )
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis.checks import not_a_server_error

    schema = schemathesis.openapi.from_url(f"{cols.url}/openapi.json")
    modes = schemathesis.GenerationMode
    strategy = st.one_of(schema.as_strategy(modes.POSITIVE), schema.as_strategy(modes.NEGATIVE))
    deadline = time.monotonic() + 40  # a bound on wall time, whatever the machine's speed
    calls = []

    @settings(
        max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        if time.monotonic() > deadline:
            return
        calls.append(case.operation.label)
        case.call_and_validate(checks=[not_a_server_error])

    check()
    assert len(set(calls)) >= 8, sorted(set(calls))  # nearly every route was exercised


# -- workers, CLI, imports ----------------------------------------------------------------------


def test_several_workers_serve_one_port(models: dict[str, Path], site: Path, work: Path) -> None:
    gen = start(models["cols"], site, work / "workers.log", "--workers", "2")
    server = next(gen)
    try:
        # ready once each worker has loaded its copy (until then that worker answers 503)
        deadline = time.monotonic() + STARTUP_SECONDS
        while server.output().count("Model cols ready") < 2:
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.05)
        assert server.output().count("Application startup complete") == 2
        body = {"dataframe_records": X.to_dict(orient="records")}
        for _ in range(20):
            with httpx.Client(base_url=server.url, timeout=30.0) as fresh:  # new connections
                r = fresh.post("/invocations", json=body)
                assert r.json() == {"predictions": expected(X)}
    finally:
        gen.close()


def test_serve_fails_fast_with_one_line_on_a_bad_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("flavorkit: error: ") and "no such directory" in err
    assert "Traceback" not in err
    assert main(["serve", str(tmp_path), "--max-body-size", "lots"]) == 1
    assert "--max-body-size 'lots'" in capsys.readouterr().err


def test_importing_flavorkit_and_the_cli_imports_no_web_framework() -> None:
    code = (
        "import sys, flavorkit, flavorkit.cli, flavorkit.serve\n"
        "flavorkit.cli.build_parser()\n"
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("text", "size"),
    [("4096", 4096), ("100MB", 100_000_000), ("2KiB", 2048), ("1.5 GiB", 1610612736), (7, 7)],
)
def test_parse_size(text: str | int, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "-1", "0", "12 parsecs", "MB"])
def test_parse_size_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="max-body-size"):
        parse_size(text)


def test_config_round_trips_through_the_environment() -> None:
    config = ServeConfig("m", workers=3, load_options={"k": [1]}, model_name="x.y")
    assert ServeConfig.from_json(config.to_json()) == config
    with pytest.raises(ValueError, match="--workers"):
        ServeConfig("m", workers=0)
    with pytest.raises(ValueError, match="--model-name"):
        ServeConfig("m", model_name="a/b")


def test_a_real_scikit_learn_model(tmp_path: Path) -> None:
    """The same server with the sklearn plugin (the core session installs it)."""
    pytest.importorskip(
        "flavorkit_sklearn",
        reason="flavorkit-sklearn is not installed here: run `python3 -m nox -s core`, "
        "which installs it, or `pip install ./plugins/sklearn`",
    )
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    iris = load_iris(as_frame=True)
    features = iris.data
    est = LogisticRegression(max_iter=500).fit(features, iris.target)
    flavorkit.save_model(est, tmp_path / "iris", input_example=features.head(3))
    gen = start(tmp_path / "iris", tmp_path / "empty-site", tmp_path / "iris.log")
    server = next(gen)
    try:
        rows = features.iloc[::15]
        r = invoke(server, {"dataframe_split": rows.to_dict(orient="split")})
        assert r.json() == {"predictions": est.predict(rows).tolist()}
        meta = server.client.get("/v2/models/iris").json()
        inputs = [
            {"name": t["name"], "shape": [len(rows)], "datatype": t["datatype"],
             "data": rows[t["name"]].tolist()}
            for t in meta["inputs"]
        ]  # fmt: skip
        out = infer(server, "iris", {"inputs": inputs}).json()["outputs"][0]
        assert out["data"] == est.predict(rows).tolist() and out["datatype"] == "INT64"
    finally:
        gen.close()
