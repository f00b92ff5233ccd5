"""flavorkit serve (without and with batching) vs mlflow models serve: req/s, p50/p99 latency.

Run:  python benchmarks/bench_serve.py  [--quick] [--workers N] [--concurrency C]
                                         [--requests R] [--mlflow-python PATH]

* the model: a LogisticRegression on iris (4 named double columns), saved once by flavorkit
  (skops); the *same directory* is served by both servers;
* the servers: ``flavorkit serve --no-batching`` (the default), ``flavorkit serve --batching``
  (adaptive batching) and ``mlflow models serve --env-manager local``, all uvicorn, all with
  their default logging, at the same ``--workers``, on 127.0.0.1;
* the load: a minimal asyncio HTTP/1.1 client holding C keep-alive connections sends R requests
  (after a warm-up) of MLflow's ``dataframe_split`` form, one row per request (the online case)
  and 100 rows per request (a small batch), from C = 64 clients; then one client alone (1 row),
  the case batching must not slow down; latency is measured from send to full response;
* rounds alternate between the two servers and the median round is reported, so a slow stretch of
  the machine hits both. The client runs on the same machine: absolute figures are a floor, the
  ratios are what compares.

MLflow is run from ``--mlflow-python`` (or ``$FLAVORKIT_BENCH_MLFLOW_PYTHON``), else from this
interpreter if it imports mlflow; without one, the MLflow half is skipped with a note. The other
interpreter needs mlflow (or mlflow-skinny), scikit-learn and skops.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import flavorkit

#: the issue's targets at 1 row from 64 clients: req/s >= 2x MLflow's without batching and >= 3x
#: with it, each with a p99 below MLflow's.
TARGETS = {"flavorkit": 2.0, "fk-batch": 3.0}
READY_SECONDS = 180.0  # loading scikit-learn + skops in a fresh process is slow on 2 cores


@dataclass
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # server CPU time per request (all its processes): robust to a busy machine


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of every process in the group ``pgid`` (Linux /proc)."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the command: state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """A server subprocess in its own process group, stopped (group and all) by ``stop``."""

    def __init__(self, name: str, command: list[str], port: int, log: Path, env: dict[str, str]):
        self.name = name
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )

    def wait_ready(self, path: str) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:  # refused, reset, or an HTTPError (503 while loading)
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready in {READY_SECONDS:.0f} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=20)


async def load(server: Server, body: bytes, *, requests: int, concurrency: int) -> Figures:
    """``requests`` POSTs of ``body`` over ``concurrency`` keep-alive connections; all must be 200.

    The client speaks HTTP/1.1 on raw asyncio streams: a prebuilt request, then the status line,
    the headers and ``Content-Length`` bytes of body. It costs tens of microseconds per request,
    so on a small machine it measures the server, where a general-purpose client (httpx costs
    ~1-4 ms per request here) would measure itself.
    """
    host, port = server.url.removeprefix("http://").split(":")
    request = (
        f"POST /invocations HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    latencies: list[float] = []
    remaining = requests

    async def connection() -> None:
        nonlocal remaining
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while remaining > 0:
                remaining -= 1
                start = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                payload = await reader.readexactly(length)
                latencies.append(time.perf_counter() - start)
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"{server.name}: {head[:40]!r} {payload[:300]!r}")
        finally:
            writer.close()

    cpu_before = group_cpu_seconds(server.proc.pid)
    start = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    wall = time.perf_counter() - start
    cpu = group_cpu_seconds(server.proc.pid) - cpu_before
    latencies.sort()
    return Figures(
        rps=len(latencies) / wall,
        p50_ms=1000 * latencies[len(latencies) // 2],
        p99_ms=1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        cpu_ms=1000 * cpu / len(latencies),
    )


def post_json(url: str, body: bytes) -> object:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.loads(r.read())


def median_figures(rounds: list[Figures]) -> Figures:
    best = sorted(rounds, key=lambda f: f.rps)[len(rounds) // 2]
    return Figures(
        best.rps,
        statistics.median(f.p50_ms for f in rounds),
        best.p99_ms,
        statistics.median(f.cpu_ms for f in rounds),
    )


def row(payload: str, server: str, f: Figures) -> str:
    return (
        f"{payload:<10} {server:<10} {f.rps:>9.0f} {f.p50_ms:>8.2f} {f.p99_ms:>8.2f} "
        f"{f.cpu_ms:>10.2f}"
    )


def mlflow_python(explicit: str | None) -> str | None:
    candidate = explicit or os.environ.get("FLAVORKIT_BENCH_MLFLOW_PYTHON")
    if candidate:
        return candidate
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return None
    return sys.executable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests and rounds")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--mlflow-python", help="an interpreter with mlflow, scikit-learn, skops")
    args = parser.parse_args()
    requests = args.requests or (300 if args.quick else 2000)
    rounds = args.rounds or (1 if args.quick else 3)

    import pandas as pd
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    iris = load_iris(as_frame=True)
    features: pd.DataFrame = iris.data
    est = LogisticRegression(max_iter=500).fit(features, iris.target)
    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    servers: list[Server] = []
    try:
        model_dir = work / "iris"
        flavorkit.save_model(est, model_dir, input_example=features.head(3))
        bodies = {
            "1 row": json.dumps(
                {"dataframe_split": features.iloc[[7]].to_dict(orient="split")}
            ).encode(),
            "100 rows": json.dumps(
                {"dataframe_split": features.iloc[:100].to_dict(orient="split")}
            ).encode(),
        }
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("FLAVORKIT_")}
        fk_servers = []
        for name, flags in (("flavorkit", ["--no-batching"]), ("fk-batch", ["--batching"])):
            port = free_port()
            server = Server(
                name,
                [sys.executable, "-m", "flavorkit.cli", "serve", str(model_dir),
                 "--port", str(port), "--workers", str(args.workers), *flags],
                port, work / f"{name}.log", base_env,
            )  # fmt: skip
            servers.append(server)
            fk_servers.append(server)
        fk = fk_servers[0]
        ml_python = mlflow_python(args.mlflow_python)
        ml: Server | None = None
        if ml_python is not None:
            port = free_port()
            env = {**base_env, "PATH": f"{Path(ml_python).parent}{os.pathsep}{base_env['PATH']}"}
            ml = Server(
                "mlflow",
                [ml_python, "-m", "mlflow", "models", "serve", "-m", str(model_dir),
                 "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port),
                 "-w", str(args.workers)],
                port, work / "mlflow.log", env,
            )  # fmt: skip
            servers.append(ml)
        for server in fk_servers:
            server.wait_ready("/v2/health/ready")
        if ml is not None:
            ml.wait_ready("/ping")
        for body in bodies.values():  # all answer the same, before anything is timed
            expected = post_json(fk.url + "/invocations", body)
            for other in [*fk_servers[1:], *([ml] if ml is not None else [])]:
                got = post_json(other.url + "/invocations", body)
                assert got == expected, (other.name, got, expected)

        print(
            f"flavorkit serve bench: iris LogisticRegression, {args.workers} worker(s), "
            f"{args.concurrency} connections, {requests} requests x {rounds} round(s), "
            f"{os.cpu_count()} CPUs, client on the same machine"
        )
        if ml is None:
            print(
                "mlflow: not importable here and no --mlflow-python given; the MLflow comparison "
                "is skipped (pass --mlflow-python /path/to/venv/bin/python)."
            )
        header = (
            f"{'payload':<10} {'server':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'CPU ms/req':>10}"
        )
        print(header)
        print("-" * len(header))
        cases = [(f"{label}", body, args.concurrency) for label, body in bodies.items()]
        cases.append(("1 row, 1c", bodies["1 row"], 1))  # one client alone: added latency?
        targets = [*fk_servers, *([ml] if ml is not None else [])]
        for label, body, concurrency in cases:
            results: dict[str, list[Figures]] = {s.name: [] for s in targets}
            n = requests if concurrency > 1 else max(200, requests // 5)
            for server in targets:  # warm-up: imports, first-request paths, connection setup
                asyncio.run(load(server, body, requests=100, concurrency=concurrency))
            for _ in range(rounds):
                for server in targets:
                    figures = asyncio.run(load(server, body, requests=n, concurrency=concurrency))
                    results[server.name].append(figures)
            medians = {name: median_figures(r) for name, r in results.items()}
            for name, f in medians.items():
                print(row(label if name == "flavorkit" else "", name, f))
            if ml is None:
                continue
            mlf = medians["mlflow"]
            for name in ("flavorkit", "fk-batch"):
                f = medians[name]
                ratio = f.rps / mlf.rps
                line = (
                    f"{'':<10} {name + '/ml':<10} {ratio:>8.2f}x {mlf.p50_ms / f.p50_ms:>7.2f}x "
                    f"{mlf.p99_ms / f.p99_ms:>7.2f}x {mlf.cpu_ms / f.cpu_ms:>9.2f}x"
                )
                if label == "1 row":
                    target = TARGETS[name]
                    met = ratio >= target and f.p99_ms < mlf.p99_ms
                    line += (
                        f"  target >= {target:.0f}x req/s, lower p99: {'met' if met else 'MISSED'}"
                    )
                print(line)
        print(
            "(ratios: req/s flavorkit/mlflow; latency and CPU mlflow/flavorkit, so > 1 is better; "
            "flavorkit = --no-batching (the default), fk-batch = --batching)"
        )
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
