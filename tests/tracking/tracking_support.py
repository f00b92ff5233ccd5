"""Starting and stopping a real ``mlflow server`` (the session fixture and single tests use it)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

#: How long the server may take to answer /health after it starts (a busy 2-core machine).
START_TIMEOUT_S = 180
STOP_TIMEOUT_S = 20


@dataclass(frozen=True)
class Server:
    url: str
    root: Path
    process: subprocess.Popen[bytes]

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(root: Path) -> Server:
    """Start ``mlflow server`` in its own process group and wait (bounded) for /health."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (root / "server.log").open("wb")
    command = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}", "--workers", "1"]
    command += ["--serve-artifacts", "--artifacts-destination", str(root / "artifacts")]
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"mlflow server exited with {process.returncode}: "
                f"{(root / 'server.log').read_text()[-2000:]}"
            )
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return Server(url, root, process)
        except OSError:
            time.sleep(0.5)
    stop_server(process)
    raise RuntimeError(f"mlflow server did not answer /health within {START_TIMEOUT_S} s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and its workers (its process group): TERM, then KILL after a bound."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)
