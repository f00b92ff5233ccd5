"""The prediction routes, ``POST /invocations`` and ``POST /v2/models/{name}/infer``, raw ASGI.

Why raw ASGI: on a 1-row request the web framework's own work (routing, dependency solving, its
middleware stack, building a ``Response``) cost about as much as parsing, enforcing and
predicting together. These two routes are the only hot ones, so :class:`PredictRoutes` answers
them straight from the ASGI ``scope``/``receive``/``send`` and leaves every other route (health,
metadata, OpenAPI, ``/docs``) to FastAPI. Behaviour is the same as through the framework:

* the body is read up to ``max_body_size`` bytes (a declared ``Content-Length`` over it is
  refused before reading, a streamed body as soon as it passes it): 413;
* every problem is a :class:`~.errors.RequestError` rendered as MLflow's error body
  (``{"error_code", "message"}``) on ``/invocations`` and ``{"error": ...}`` on the v2 route;
* a request is parsed and enforced first (on the event loop when its body is small, else in a
  worker thread), then predicted: in a batch (:mod:`.batching`) or alone in a worker thread, so
  the event loop keeps answering probes during a long prediction; past ``timeout`` it gets
  MLflow's 504 (the thread is abandoned, as MLflow's server abandons it);
* an exception nobody foresaw is logged and answered with a JSON 500: a bug in flavorkit or in
  the model's output, never the caller's input (which is a 4xx).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from flavorkit.errors import FlavorkitError
from flavorkit.serve import scoring, v2
from flavorkit.serve.batching import Batcher, Finish
from flavorkit.serve.config import ServeConfig
from flavorkit.serve.errors import RequestError

if TYPE_CHECKING:
    from flavorkit.serve.state import ModelState

__all__ = ["INLINE_PARSE_BYTES", "PredictRoutes", "mlflow_error_body", "v2_error_body"]

log = logging.getLogger("flavorkit.serve")
JSON = "application/json"
#: Bodies up to this size are parsed on the event loop (cheaper than a thread hop); larger
#: ones in a worker thread, so a big body never stalls other connections.
INLINE_PARSE_BYTES = 64 * 1024
_V2_INFER = re.compile(r"^/v2/models/([^/]+)/infer/?$")
_JSON_HEADERS = [(b"content-type", b"application/json")]

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Parsed = tuple[Any, Any, Finish]  # (data, params, predictions -> response body)


class _ClientGone(Exception):
    """The client disconnected before its body arrived: nobody to answer."""


class PredictRoutes:
    """Answers the prediction routes of one served model; :meth:`handles` says which scopes."""

    def __init__(self, model: ModelState, config: ServeConfig):
        self.model = model
        self.config = config
        self.batcher: Batcher | None = None
        if config.batching:
            self.batcher = Batcher(
                self._predict_enforced,
                max_batch_size=config.max_batch_size,
                max_batch_delay_ms=config.max_batch_delay_ms,
            )

    @staticmethod
    def handles(scope: dict[str, Any]) -> bool:
        if scope["type"] != "http":
            return False
        path: str = scope["path"]
        return path == "/invocations" or _V2_INFER.match(path) is not None

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        is_v2 = path != "/invocations"
        headers = dict(scope["headers"])
        extra: list[tuple[bytes, bytes]] = []
        try:
            if scope["method"] != "POST":
                extra.append((b"allow", b"POST"))
                raise RequestError(
                    405, f"{scope['method']} is not allowed on {path}: POST a request body."
                )
            if is_v2:
                match = _V2_INFER.match(path)
                assert match is not None
                status, content = 200, await self._v2_infer(match.group(1), headers, receive)
            else:
                status, content = 200, await self._invocations(headers, receive)
        except _ClientGone:
            return
        except RequestError as e:
            status, content = e.status, (v2_error_body if is_v2 else mlflow_error_body)(e)
        except Exception as e:
            log.exception("flavorkit: unexpected error on POST %s", path)
            error = RequestError(
                500, f"Internal server error: {type(e).__name__}: {e}", error_code="INTERNAL_ERROR"
            )
            status, content = 500, (v2_error_body if is_v2 else mlflow_error_body)(error)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    *_JSON_HEADERS,
                    (b"content-length", str(len(content)).encode()),
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})

    async def close(self) -> None:
        batcher = self.batcher
        if batcher is not None:
            await batcher.close()
            log.info(
                "Batching: %d requests were predicted in %d shared predict calls",
                batcher.batched_requests,
                batcher.batches,
            )

    # -- the routes -----------------------------------------------------------------------------

    async def _invocations(self, headers: dict[bytes, bytes], receive: Receive) -> bytes:
        kind = scoring.media_type(_header(headers, b"content-type"))
        pyfunc = self._ready_model()
        body = await read_body(headers, receive, self.config.max_body_size)
        signature = self.model.signature

        def parse() -> Parsed:
            data, params, llm = scoring.parse_request(body, kind, signature)
            return data, params, lambda p: _encode(lambda: scoring.response_body(p, llm=llm))

        return await self._predict(pyfunc, parse, len(body))

    async def _v2_infer(self, name: str, headers: dict[bytes, bytes], receive: Receive) -> bytes:
        model = self.model
        if name != model.name:
            raise RequestError(
                404,
                f"Model {name!r} not found; this server serves {model.name!r}.",
                error_code="RESOURCE_DOES_NOT_EXIST",
            )
        header = _header(headers, b"content-type")
        if header is not None and scoring.media_type(header) != JSON:
            raise RequestError(415, f"The v2 protocol takes {JSON} bodies, got {header!r}.")
        pyfunc = self._ready_model()
        body = await read_body(headers, receive, self.config.max_body_size)

        def parse() -> Parsed:
            data, params, outputs, request_id = v2.decode_request(body, model.signature)

            def finish(predictions: Any) -> bytes:
                def encode() -> bytes:
                    response = {
                        "model_name": model.name,
                        "id": request_id or str(uuid.uuid4()),
                        "parameters": {},
                        "outputs": v2.encode_outputs(predictions, model.signature, outputs),
                    }
                    return json.dumps(response).encode()

                return _encode(encode)

            return data, params, finish

        return await self._predict(pyfunc, parse, len(body))

    # -- parse, enforce, predict ----------------------------------------------------------------

    def _ready_model(self) -> Any:
        model = self.model
        if model.status != "ready" or model.model is None:
            raise RequestError.from_code("TEMPORARILY_UNAVAILABLE", model.not_ready_message())
        return model.model

    async def _predict(self, pyfunc: Any, parse: Callable[[], Parsed], size: int) -> bytes:
        """One request's response body: parsed, enforced and predicted within ``timeout``."""
        batcher = self.batcher
        try:
            with anyio.fail_after(self.config.timeout):
                if batcher is None:

                    def work() -> bytes:
                        data, params, finish = parse()
                        return finish(_predict(pyfunc, data, params))

                    return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)

                def prepare() -> Parsed:
                    data, params, finish = parse()
                    data, params = _enforce(pyfunc, data, params)
                    return data, params, finish

                if size <= INLINE_PARSE_BYTES:
                    data, params, finish = prepare()
                else:
                    data, params, finish = await anyio.to_thread.run_sync(
                        prepare, abandon_on_cancel=True
                    )
                return await batcher.submit(data, params, finish)
        except TimeoutError:
            raise RequestError(
                504, "Request processing time exceeded limit", error_code="DEADLINE_EXCEEDED"
            ) from None

    def _predict_enforced(self, data: Any, params: dict[str, Any] | None) -> Any:
        """The batcher's predict: the flavor's predictor on already-enforced input."""
        assert self.model.model is not None
        return _call_model(self.model.model.predictor.predict, data, params)


def _header(headers: dict[bytes, bytes], name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value is not None else None


async def read_body(headers: dict[bytes, bytes], receive: Receive, limit: int) -> bytes:
    """The request body, refused with a 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = headers.get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit, streamed=True)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _too_large(size: int, limit: int, *, streamed: bool = False) -> RequestError:
    got = f"more than {limit:,}" if streamed else f"{size:,}"
    return RequestError(
        413,
        f"The request body ({got} bytes) exceeds the server's limit of {limit:,} bytes; send "
        f"fewer rows per request, or restart the server with a larger --max-body-size.",
        error_code="REQUEST_LIMIT_EXCEEDED",
    )


def _predict(pyfunc: Any, data: Any, params: dict[str, Any] | None) -> Any:
    """``pyfunc.predict`` with MLflow's error mapping: schema errors and model errors are 400s."""
    return _call_model(pyfunc.predict, data, params)


def _call_model(predict: Callable[..., Any], data: Any, params: dict[str, Any] | None) -> Any:
    try:
        return predict(data, params)
    except FlavorkitError as e:
        raise RequestError.from_code(e.error_code, f"Failed to predict data. Error: {e}") from None
    except Exception as e:  # MLflow answers any model error with a 400 as well
        log.info("flavorkit: the model raised on a request", exc_info=True)
        raise RequestError(
            400,
            f"Encountered an unexpected error while evaluating the model. Verify that the input "
            f"is compatible with the model for inference. Error: '{type(e).__name__}: {e}'",
        ) from None


def _enforce(pyfunc: Any, data: Any, params: dict[str, Any] | None) -> tuple[Any, Any]:
    """The signature enforced on one request before it joins a batch; errors as in _predict."""
    try:
        enforced: tuple[Any, Any] = pyfunc.enforce_input(data, params)
    except FlavorkitError as e:
        raise RequestError.from_code(e.error_code, f"Failed to predict data. Error: {e}") from None
    return enforced


def _encode(encode: Callable[[], bytes]) -> bytes:
    try:
        return encode()
    except RequestError:
        raise
    except Exception as e:  # the model's output, not the input, is at fault
        log.exception("flavorkit: cannot encode the model's predictions")
        raise RequestError(
            500,
            f"The model's predictions cannot be encoded as JSON: {type(e).__name__}: {e}",
            error_code="INTERNAL_ERROR",
        ) from None


def mlflow_error_body(error: RequestError) -> bytes:
    """MLflow's error body for the scoring routes."""
    return json.dumps({"error_code": error.error_code, "message": error.message}).encode()


def v2_error_body(error: RequestError) -> bytes:
    """The Open Inference Protocol's error body."""
    return json.dumps({"error": error.message}).encode()
