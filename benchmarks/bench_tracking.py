"""flavorkit against MLflow on a real local ``mlflow server``: logging, and loading from an alias.

Run (an environment with full MLflow, the core and the sklearn plugin: ``nox -s bench``):

    python benchmarks/bench_tracking.py [--rounds 5]

One ``mlflow server`` (sqlite backend, ``--serve-artifacts``) is started on 127.0.0.1 and stopped
at the end. The model is a LogisticRegression on iris with a 3-row ``input_example`` (so both
sides infer a signature), each side with its defaults.

* **log_model**: ``flavorkit.log_model`` against ``mlflow.sklearn.log_model`` inside a run (MLflow
  infers requirements by loading the model in a subprocess and replays the serving example;
  flavorkit infers them in-process). Target: ≤ 0.1× MLflow's time.
* **load models:/name@alias, cold**: ``flavorkit.load_model`` with an empty download cache
  against ``mlflow.pyfunc.load_model`` (which downloads on every call).
* **warm**: ``flavorkit.load_model`` again (the alias is resolved, one registry request; the
  version's files come from the cache). Target: ≤ 0.1× MLflow's time, and ≤ 10 ms more than
  ``flavorkit.load_model`` of the same local directory (the cache entry).

Both sides of a pair alternate round by round; the median of rounds is printed.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any


def start_server(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}", "--workers", "1"]
    command += ["--serve-artifacts", "--artifacts-destination", str(root / "artifacts")]
    log = (root / "server.log").open("wb")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"mlflow server exited: {(root / 'server.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    raise SystemExit("mlflow server did not start within 240 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def pairs(rounds: int, *fns: Callable[[], Any]) -> list[float]:
    """Median seconds of each function, called alternately ``rounds`` times."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            times[i].append(timed(fn))
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)

    root = Path(tempfile.mkdtemp(prefix="bench-tracking-"))
    process, url = start_server(root)
    os.environ["MLFLOW_TRACKING_URI"] = url
    cache = root / "cache"
    os.environ["FLAVORKIT_CACHE_DIR"] = str(cache)
    try:
        run(args.rounds, cache)
    finally:
        stop_server(process)


def run(rounds: int, cache: Path) -> None:
    import mlflow
    import mlflow.pyfunc
    import mlflow.sklearn
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    import flavorkit

    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    example = X.head(3)
    mlflow.set_experiment("bench-tracking")

    with mlflow.start_run():
        # warm-up: imports (skops, MLflow's flavor modules) on both sides, outside the figures
        flavorkit.log_model(model, "warmup", input_example=example)
        mlflow.sklearn.log_model(model, name="warmup", input_example=example)
        fk_log, ml_log = pairs(
            max(2, rounds // 2),
            lambda: flavorkit.log_model(model, "model", input_example=example),
            lambda: mlflow.sklearn.log_model(model, name="model", input_example=example),
        )
        info = flavorkit.log_model(
            model, "model", registered_model_name="bench-iris", input_example=example
        )
    client = mlflow.MlflowClient()
    client.set_registered_model_alias("bench-iris", "champion", str(info.registered_model_version))
    uri = "models:/bench-iris@champion"
    mlflow.pyfunc.load_model(uri)  # warm-up: MLflow's loader modules

    counter = iter(range(10_000))

    def cold() -> None:
        os.environ["FLAVORKIT_CACHE_DIR"] = str(cache / f"cold-{next(counter)}")
        flavorkit.load_model(uri)

    fk_cold, ml_load = pairs(rounds, cold, lambda: mlflow.pyfunc.load_model(uri))
    os.environ["FLAVORKIT_CACHE_DIR"] = str(cache / "warm")
    local = flavorkit.load_model(uri).path
    fk_warm, fk_local = pairs(
        rounds * 4, lambda: flavorkit.load_model(uri), lambda: flavorkit.load_model(local)
    )
    resolve = statistics.median(
        timed(lambda: client.get_model_version_by_alias("bench-iris", "champion"))
        for _ in range(rounds * 4)
    )

    def row(label: str, ours: float, theirs: float, target: str) -> None:
        print(
            f"{label:<38} {ours * 1e3:9.1f} ms {theirs * 1e3:10.1f} ms "
            f"{ours / theirs:8.3f}x   {target}"
        )

    print(
        f"\nbench_tracking: mlflow server at {os.environ['MLFLOW_TRACKING_URI']}, median of rounds"
    )
    print(f"{'':<38} {'flavorkit':>12} {'MLflow':>13} {'ratio':>9}   target")
    row("log_model (sklearn, in a run)", fk_log, ml_log, "<= 0.1x")
    row("load models:/name@alias, cold", fk_cold, ml_load, "(MLflow downloads every time)")
    row("load models:/name@alias, warm", fk_warm, ml_load, "<= 0.1x")
    extra = (fk_warm - fk_local) * 1e3
    print(
        f"warm load - load of the local directory: {extra:.1f} ms (target <= 10 ms; "
        f"local load {fk_local * 1e3:.1f} ms; one alias request through MLflow's client "
        f"{resolve * 1e3:.1f} ms)"
    )


if __name__ == "__main__":
    main()
