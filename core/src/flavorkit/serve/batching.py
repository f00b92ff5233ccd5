"""Adaptive batching: concurrent requests coalesced into one ``predict`` call, outputs sliced back.

Why: a 1-row ``predict`` of most models costs far more in per-call overhead (scikit-learn's input
validation, a framework's dispatch) than in arithmetic, so 64 concurrent 1-row requests cost
about 64 times what one 64-row call costs. The server therefore keeps one batch in flight per
worker: while it predicts, new requests queue; when it returns, everything queued (up to
``max_batch_size`` rows) becomes the next batch. With ``max_batch_delay_ms = 0`` (the default) a
lone client never waits for company; a positive delay holds a batch open that long for more
rows, trading latency for throughput. Batching is off by default (``--batching`` turns it on):
measured, it halves the server's CPU per request under concurrency but added latency for a
lone client (docs/serving.md has the figures).

What joins a batch, and what does not:

* each request is parsed and enforced against the signature *before* it joins (by the app), so a
  bad request gets its own 4xx and never reaches its neighbours;
* requests share a batch only when their enforced inputs have the same structure (the same
  columns and dtypes, or the same tensor dtypes and trailing shapes) and their params are equal;
  anything else (chat bodies, lists, objects with no row axis) is predicted on its own;
* if a batched ``predict`` raises, or its output does not have one row per input row, each
  request of the batch is predicted again on its own, so the model's error goes to the request
  that caused it and nobody else.

Batching assumes row-independent predictions (row *i* of the output depends only on row *i* of
the input), true of classifiers, regressors and most networks in inference mode. A model that
looks across rows (normalizing over the request, say) must not be served with ``--batching``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread

__all__ = ["Batcher", "batch_key", "concat_inputs", "split_outputs"]

log = logging.getLogger("flavorkit.serve")

Predict = Callable[[Any, "dict[str, Any] | None"], Any]
Finish = Callable[[Any], bytes]


@dataclass
class _Job:
    data: Any
    params: dict[str, Any] | None
    rows: int
    key: Hashable
    finish: Finish  # this request's predictions -> its response body (runs in the worker thread)
    future: asyncio.Future[bytes] = field(repr=False)


class Batcher:
    """Coalesces enforced inputs into batches and runs them, one batch at a time, in a thread.

    ``predict(data, params)`` is the model's predictor on already-enforced input; it raises what
    the app maps to an error response. :meth:`submit` returns the response body of one request.
    """

    def __init__(self, predict: Predict, *, max_batch_size: int, max_batch_delay_ms: float = 0):
        if max_batch_size < 1:
            raise ValueError(f"--max-batch-size must be at least 1, got {max_batch_size}.")
        if max_batch_delay_ms < 0:
            raise ValueError(f"--max-batch-delay-ms must be >= 0, got {max_batch_delay_ms}.")
        self._predict = predict
        self.max_batch_size = max_batch_size
        self.max_delay = max_batch_delay_ms / 1000
        self._pending: collections.deque[_Job] = collections.deque()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.batches = 0  # counters, for tests and the log: how much batching happened
        self.batched_requests = 0

    async def submit(self, data: Any, params: dict[str, Any] | None, finish: Finish) -> bytes:
        """The response body for one request whose input is ``data`` (already enforced)."""
        key = batch_key(data, params)
        rows = _rows(data) if key is not None else None
        if key is None or rows is None or rows >= self.max_batch_size:
            return await anyio.to_thread.run_sync(
                _run_alone, self._predict, data, params, finish, abandon_on_cancel=True
            )
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = loop.create_task(self._run(), name="flavorkit-batcher")
        future: asyncio.Future[bytes] = loop.create_future()
        self._pending.append(_Job(data, params, rows, key, finish, future))
        assert self._wake is not None
        self._wake.set()
        return await future

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            while not self._pending:
                self._wake.clear()
                await self._wake.wait()
            if self.max_delay > 0:
                await self._linger()
            jobs = self._take()
            if not jobs:
                continue
            try:
                outcomes = await anyio.to_thread.run_sync(self._run_batch, jobs)
            except BaseException as e:  # cancelled (shutdown), or a bug: fail the batch, not hang
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(e if isinstance(e, Exception) else RuntimeError())
                raise
            for job, (body, error) in zip(jobs, outcomes, strict=True):
                if job.future.done():  # the request timed out or its client went away
                    continue
                if error is not None:
                    job.future.set_exception(error)
                else:
                    job.future.set_result(body)  # type: ignore[arg-type]

    async def _linger(self) -> None:
        """Hold the first request up to ``max_batch_delay_ms`` while its batch is not full."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_delay
        assert self._wake is not None
        while self._rows_like_first() < self.max_batch_size:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), remaining)
            except asyncio.TimeoutError:
                return

    def _rows_like_first(self) -> int:
        key = self._pending[0].key
        return sum(j.rows for j in self._pending if j.key == key and not j.future.done())

    def _take(self) -> list[_Job]:
        """The oldest live request and the queued ones like it, up to ``max_batch_size`` rows."""
        while self._pending and self._pending[0].future.done():
            self._pending.popleft()  # cancelled while queued
        if not self._pending:
            return []
        key = self._pending[0].key
        jobs: list[_Job] = []
        rows = 0
        kept: collections.deque[_Job] = collections.deque()
        while self._pending:
            job = self._pending.popleft()
            if job.future.done():
                continue
            if job.key == key and rows + job.rows <= self.max_batch_size:
                jobs.append(job)
                rows += job.rows
            else:
                kept.append(job)  # another structure or params, or no room: the next batch
        self._pending = kept
        return jobs

    def _run_batch(self, jobs: list[_Job]) -> list[tuple[bytes | None, Exception | None]]:
        """In the worker thread: one predict for all ``jobs``; each alone if that fails."""
        if len(jobs) == 1:
            job = jobs[0]
            return [_outcome(self._predict, job.data, job.params, job.finish)]
        self.batches += 1
        self.batched_requests += len(jobs)
        try:
            predictions = self._predict(concat_inputs([j.data for j in jobs]), jobs[0].params)
            parts = split_outputs(predictions, [j.rows for j in jobs])
        except Exception:
            parts = None
        if parts is None:
            log.debug("flavorkit: a batch of %d failed or is not row-aligned; alone", len(jobs))
            return [_outcome(self._predict, j.data, j.params, j.finish) for j in jobs]
        return [_finish(job.finish, part) for job, part in zip(jobs, parts, strict=True)]


def _run_alone(predict: Predict, data: Any, params: dict[str, Any] | None, finish: Finish) -> bytes:
    return finish(predict(data, params))


def _outcome(
    predict: Predict, data: Any, params: dict[str, Any] | None, finish: Finish
) -> tuple[bytes | None, Exception | None]:
    try:
        return _run_alone(predict, data, params, finish), None
    except Exception as e:
        return None, e


def _finish(finish: Finish, predictions: Any) -> tuple[bytes | None, Exception | None]:
    try:
        return finish(predictions), None
    except Exception as e:
        return None, e


# -- what can share a batch -------------------------------------------------------------------


def batch_key(data: Any, params: dict[str, Any] | None) -> Hashable | None:
    """What two requests must share to be predicted together; ``None``: never batch this one."""
    try:
        params_key = json.dumps(params, sort_keys=True) if params else None
    except (TypeError, ValueError):
        return None
    structure = _structure(data)
    if structure is None:
        return None
    return params_key, structure


def _structure(data: Any) -> Hashable | None:
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return "frame", tuple(data.columns.tolist()), tuple(_column_dtypes(data))
    if isinstance(data, np.ndarray):
        return ("array", data.dtype.str, data.shape[1:]) if data.ndim >= 1 else None
    if isinstance(data, dict) and data and all(isinstance(v, np.ndarray) for v in data.values()):
        lengths = {v.shape[0] if v.ndim else None for v in data.values()}
        if len(lengths) != 1 or None in lengths:
            return None
        return "dict", tuple((k, v.dtype.str, v.shape[1:]) for k, v in data.items())
    return None


def _column_dtypes(frame: Any) -> list[Any]:
    """The column dtypes: the block manager's array when pandas has it (``frame.dtypes`` builds a
    Series, which costs more than the rest of a 1-row request), else the public attribute."""
    get = getattr(getattr(frame, "_mgr", None), "get_dtypes", None)
    dtypes: list[Any] = getattr(get() if callable(get) else None, "tolist", list)()
    return dtypes if len(dtypes) == frame.shape[1] else list(frame.dtypes.tolist())


def _rows(data: Any) -> int | None:
    if isinstance(data, dict):
        return int(next(iter(data.values())).shape[0])
    n = len(data)
    return n if n > 0 else None


def concat_inputs(parts: list[Any]) -> Any:
    """Inputs of one structure (see :func:`batch_key`) stacked along the row axis."""
    import numpy as np
    import pandas as pd

    first = parts[0]
    if isinstance(first, pd.DataFrame):
        dtypes = set(_column_dtypes(first))  # the batch key: every part has these dtypes
        if len(dtypes) == 1 and isinstance(next(iter(dtypes)), np.dtype):
            dtype = next(iter(dtypes))
            if dtype.kind in "biuf":  # one numeric block: stack it without pandas' concat
                stacked = np.concatenate([p.to_numpy() for p in parts])
                return pd.DataFrame(stacked, columns=first.columns, copy=False)
        return pd.concat(parts, ignore_index=True)
    if isinstance(first, np.ndarray):
        return np.concatenate(parts)
    return {k: np.concatenate([p[k] for p in parts]) for k in first}


def split_outputs(predictions: Any, rows: list[int]) -> list[Any] | None:
    """``predictions`` cut into one piece per request; ``None`` when they are not row-aligned."""
    import numpy as np
    import pandas as pd

    total = sum(rows)
    bounds = []
    start = 0
    for n in rows:
        bounds.append((start, start + n))
        start += n
    if isinstance(predictions, (pd.DataFrame, pd.Series)):
        if len(predictions) != total:
            return None
        return [predictions.iloc[a:b].reset_index(drop=True) for a, b in bounds]
    if isinstance(predictions, np.ndarray):
        if predictions.ndim == 0 or predictions.shape[0] != total:
            return None
        return [predictions[a:b] for a, b in bounds]
    if isinstance(predictions, list):
        return [predictions[a:b] for a, b in bounds] if len(predictions) == total else None
    if isinstance(predictions, dict) and predictions:
        values = list(predictions.values())
        if not all(_row_aligned(v, total) for v in values):
            return None
        return [{k: v[a:b] for k, v in predictions.items()} for a, b in bounds]
    return None


def _row_aligned(value: Any, total: int) -> bool:
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.ndim >= 1 and value.shape[0] == total
    return isinstance(value, list) and len(value) == total
