"""Adaptive batching in a real ``flavorkit serve``: shared predict calls, isolated failures.

The model is the toy flavor with a predict that sleeps (``SLOWTOY_PREDICT_SECONDS``), so requests
sent together are still queued when a batch starts and batches form for certain; the server's
shutdown line says how many requests shared a predict call. Also the pure functions behind it:
what may share a batch, and how outputs are cut back per request.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.tests.test_serve import (  # noqa: F401
    MODEL,
    SLOW_FLAVOR,
    Server,
    install_distribution,
    models,
)
from flavorkit.serve.batching import batch_key, concat_inputs, split_outputs
from flavorkit.serve.frames import numeric_frame
from flavorkit.signature import infer_signature


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("batching")


def body(rows: list[list[float]], scale: float | None = None) -> bytes:
    payload: dict[str, object] = {"dataframe_split": {"columns": ["a", "b"], "data": rows}}
    if scale is not None:
        payload["params"] = {"scale": scale}
    return json.dumps(payload).encode()


def want(rows: list[list[float]], scale: float = 1.0) -> list[float]:
    return list(MODEL.predict(pd.DataFrame(rows, columns=["a", "b"]), {"scale": scale}))


def test_concurrent_requests_share_predict_calls_and_a_bad_one_fails_alone(
    models: dict[str, Path],  # noqa: F811
    work: Path,
) -> None:
    site = install_distribution(
        work / "site", "slowtoy", "slowtoy:SlowToyFlavor", {"slowtoy": SLOW_FLAVOR}
    )
    gate = work / "gate"
    gate.touch()
    server = Server(
        models["cols"], site, work / "server.log", "--batching", SLOWTOY_GATE=str(gate),
        SLOWTOY_PREDICT_SECONDS="0.2",
    )  # fmt: skip
    cases: list[tuple[bytes, object]] = []
    for i in range(24):
        rows = [[float(i), i % 3], [0.5 * i, 1]][: 1 + i % 2]
        scale = 2.0 if i % 4 == 0 else None  # other params: never in the same batch
        cases.append((body(rows, scale), want(rows, scale or 1.0)))
    cases.append((body([["not a number", 1]]), 400))  # enforced before batching: its own 400
    cases.append((body([[1.0, 2.5]]), 400))  # lossy for the long column b
    answers: dict[int, tuple[int, object]] = {}
    try:
        server.wait("/v2/health/ready")

        def send(i: int, content: bytes) -> None:
            r = server.client.post(
                "/invocations", content=content, headers={"Content-Type": "application/json"}
            )
            answers[i] = (r.status_code, r.json())

        threads = [threading.Thread(target=send, args=(i, c)) for i, (c, _) in enumerate(cases)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        server.stop()
    for i, (_, expected) in enumerate(cases):
        status, answer = answers[i]
        if expected == 400:
            assert status == 400, answer
            assert answer["error_code"] in ("BAD_REQUEST", "INVALID_PARAMETER_VALUE")
        else:
            assert status == 200, answer
            assert answer["predictions"] == pytest.approx(expected), i
    line = next(ln for ln in server.output().splitlines() if "shared predict calls" in ln)
    shared, calls = (int(w) for w in line.split() if w.isdigit())
    assert calls >= 1 and shared >= 2 * calls, line  # batches held two or more requests


def test_what_may_share_a_batch() -> None:
    frame = pd.DataFrame({"a": [1.0], "b": np.array([1], dtype=np.int64)})
    same = pd.DataFrame({"a": [2.0, 3.0], "b": np.array([4, 5], dtype=np.int64)})
    assert batch_key(frame, None) == batch_key(same, None)
    assert batch_key(frame, {"scale": 1.0}) != batch_key(same, {"scale": 2.0})
    assert batch_key(frame, None) != batch_key(frame.astype({"b": "float64"}), None)
    assert batch_key(np.zeros((2, 3)), None) != batch_key(np.zeros((2, 4)), None)
    assert batch_key([1, 2], None) is None  # no row structure: predicted alone
    assert batch_key({"messages": []}, None) is None
    stacked = concat_inputs([frame, same])
    pd.testing.assert_frame_equal(stacked, pd.concat([frame, same], ignore_index=True))


def test_outputs_are_cut_back_per_request_or_not_at_all() -> None:
    parts = split_outputs(np.arange(6), [1, 2, 3])
    assert parts is not None
    assert [p.tolist() for p in parts] == [[0], [1, 2], [3, 4, 5]]
    frames = split_outputs(pd.DataFrame({"y": range(3)}), [2, 1])
    assert frames is not None and frames[1]["y"].tolist() == [2] and frames[1].index[0] == 0
    assert split_outputs({"p": np.arange(3), "q": [1, 2, 3]}, [1, 2]) is not None
    assert split_outputs(np.arange(5), [1, 2, 3]) is None  # not one row per input row
    assert split_outputs(0.5, [1, 1]) is None


@pytest.mark.parametrize(
    "value",
    [
        {"columns": ["a", "b"], "data": [[1.0, 2], [3.5, -4]]},
        {"columns": ["b", "a"], "data": [[1, 2.0]]},
        {"columns": ["a", "b"], "data": [[1, 2]]},
        {"columns": ["a", "b"], "data": [["1.5", 2]]},  # text: the general parser's case
        {"columns": ["a", "b"], "data": [[None, 2]]},
        {"columns": ["a", "b"], "data": [[1.0, 2]], "index": [7]},
        {"columns": ["a"], "data": [[1.0]]},
    ],
)
def test_the_fast_frame_is_the_general_parsers_frame(value: dict[str, object]) -> None:
    from flavorkit.examples import parse_serving_payload

    sig = infer_signature(pd.DataFrame({"a": [1.0], "b": np.array([1], dtype=np.int64)}))
    assert sig.inputs is not None
    fast = numeric_frame("dataframe_split", value, sig.inputs)
    records = None
    if isinstance(value.get("data"), list) and "index" not in value:
        cols = value["columns"]
        records = [dict(zip(cols, row, strict=True)) for row in value["data"]]  # type: ignore[arg-type]
    general, _ = parse_serving_payload({"dataframe_split": value}, sig.inputs)
    if fast is not None:
        pd.testing.assert_frame_equal(fast, general, check_column_type=False)
        assert records is not None
        fast_records = numeric_frame("dataframe_records", records, sig.inputs)
        assert fast_records is not None
        pd.testing.assert_frame_equal(fast_records, general, check_column_type=False)
    else:  # the cases the fast path leaves to the parser
        assert (
            value["data"] in ([["1.5", 2]], [[None, 2]])
            or "index" in value
            or value["columns"] == ["a"]
        )
