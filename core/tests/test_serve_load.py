"""``flavorkit serve`` under a bounded load: 1,000 concurrent connections on 127.0.0.1.

One real server (the toy flavor, ``--batching``, ``--max-body-size 16KiB``) takes, all at once:
700 good requests (1 to 3 rows, every answer checked against the model), 100 malformed bodies,
100 bodies over the limit (413) and 100 clients that send their body a few bytes at a time over
several seconds. What must hold: no 5xx at all, every good request answered correctly, the
server's resident memory after the run within 10 % of before (measured after a warm-up run of
the same mix), and the slow senders do not stall anyone: every good request is answered before
the first slow sender has finished sending. Bounded: ~15-40 s here, a hard 100 s limit.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import time
from pathlib import Path

import pandas as pd
import pytest

from core.tests.test_serve import MODEL, Server, install_distribution, models  # noqa: F401

pytestmark = pytest.mark.load

CONNECTIONS = 1000
LIMIT = 16 * 1024
SLOW_SECONDS = 8.0  # how long each slow client takes to send its body


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("load")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def request(body: bytes, *, declared: int | None = None) -> bytes:
    length = len(body) if declared is None else declared
    head = (
        f"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


async def exchange(
    port: int, kind: str, body: bytes, *, slow: bool = False
) -> tuple[str, int, bytes, float]:
    """``(kind, status, response body, seconds)`` of one request on its own connection."""
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        data = request(body)
        if slow:
            head, _, rest = data.partition(b"\r\n\r\n")
            writer.write(head + b"\r\n\r\n")
            pieces = 8
            step = max(1, len(rest) // pieces)
            for i in range(0, len(rest), step):
                await asyncio.sleep(SLOW_SECONDS / pieces)
                writer.write(rest[i : i + step])
                await writer.drain()
        else:
            writer.write(data)
        await writer.drain()
        response = await reader.read()  # Connection: close: until the server closes
    finally:
        writer.close()
    head, _, payload = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
    return kind, status, payload, time.perf_counter() - start


def good_case(rng: random.Random) -> tuple[bytes, list[float]]:
    rows = [[round(rng.uniform(-5, 5), 3), rng.randint(-3, 3)] for _ in range(rng.randint(1, 3))]
    frame = pd.DataFrame(rows, columns=["a", "b"])
    body = json.dumps({"dataframe_split": {"columns": ["a", "b"], "data": rows}}).encode()
    return body, list(MODEL.predict(frame, {"scale": 1.0}))


async def one_run(port: int, seed: int) -> tuple[list[tuple[str, int, bytes, float]], dict]:
    rng = random.Random(seed)
    expected: dict[int, list[float]] = {}
    jobs = []
    kinds = ["good"] * 700 + ["malformed"] * 100 + ["huge"] * 100 + ["slow"] * 100
    rng.shuffle(kinds)
    for i, kind in enumerate(kinds):
        if kind in ("good", "slow"):
            body, want = good_case(rng)
            expected[i] = want
            jobs.append(exchange(port, kind, body, slow=kind == "slow"))
        elif kind == "malformed":
            body = rng.choice([b"{not json", b'{"dataframe_split": 3}', b"[1, 2", b'{"x": 1}'])
            jobs.append(exchange(port, kind, body))
        else:
            jobs.append(exchange(port, kind, b"[" + b"1," * (LIMIT // 2 + 10) + b"1]"))
    results = await asyncio.wait_for(asyncio.gather(*jobs), timeout=100)
    return list(results), expected


def test_a_thousand_connections_mixed_good_bad_huge_and_slow(
    models: dict[str, Path],  # noqa: F811
    work: Path,
) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want_fds = 4 * CONNECTIONS  # the client's sockets here; the server inherits the limit
    if soft < want_fds:
        if hard != resource.RLIM_INFINITY and hard < want_fds:
            pytest.skip(f"needs {want_fds} open files (ulimit -n), the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (want_fds, hard))
    site = install_distribution(work / "site", "toyflavor-pkg", "toyflavor_pkg:ToyFlavor", {})
    server = Server(
        models["cols"], site, work / "server.log", "--max-body-size", str(LIMIT), "--batching"
    )
    try:
        server.wait("/v2/health/ready")
        asyncio.run(one_run(server.port, seed=1))  # warm-up: the same mix, once
        time.sleep(1)
        before = rss_kib(server.proc.pid)
        started = time.perf_counter()
        results, expected = asyncio.run(one_run(server.port, seed=2))
        elapsed = time.perf_counter() - started
        time.sleep(1)
        after = rss_kib(server.proc.pid)
        assert server.proc.poll() is None, server.output()
    finally:
        server.stop()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    statuses: dict[str, list[int]] = {}
    for kind, status, _, _ in results:
        statuses.setdefault(kind, []).append(status)
    assert not [s for kind in statuses for s in statuses[kind] if s >= 500 or s == 0], statuses
    assert set(statuses["malformed"]) == {400}
    assert set(statuses["huge"]) == {413}
    for i, (kind, status, payload, _) in enumerate(results):
        if kind in ("good", "slow"):
            assert status == 200, payload
            assert json.loads(payload)["predictions"] == pytest.approx(expected[i]), i
    good_done = max(t for kind, _, _, t in results if kind == "good")
    slow_done = min(t for kind, _, _, t in results if kind == "slow")
    assert good_done < slow_done, (good_done, slow_done)  # nobody waited for the slow senders
    assert slow_done >= SLOW_SECONDS * 0.9
    assert abs(after - before) <= 0.10 * before, (before, after)
    print(f"1000 connections in {elapsed:.1f} s; RSS {before} -> {after} KiB")
