"""The ASGI app: MLflow's scoring routes, the Open Inference Protocol v2 routes, health, OpenAPI.

The app is thin: request parsing lives in :mod:`.scoring` and :mod:`.v2`, the document in
:mod:`.openapi`, the model and its readiness in :mod:`.state`. What this module adds is HTTP:

* every request is answered with JSON; a :class:`~.errors.RequestError` becomes MLflow's error
  body (``{"error_code", "message"}``) on the MLflow routes and ``{"error": ...}`` on the v2 ones;
* the body is read up to ``max_body_size`` bytes (a declared ``Content-Length`` over it is
  refused before reading, a streamed body as soon as it passes it): 413;
* parsing, prediction and encoding run in one worker thread per request, so the event loop keeps
  answering health probes during a long prediction, and a prediction past ``timeout`` gets
  MLflow's 504 (the thread is abandoned, as MLflow's server abandons it);
* an exception the handlers did not foresee is logged and answered with a JSON 500; that is a bug
  in flavorkit or in the model's output, never the caller's input (which is a 4xx).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import Response

from flavorkit.errors import FlavorkitError
from flavorkit.serve import scoring, v2
from flavorkit.serve.config import ServeConfig
from flavorkit.serve.errors import RequestError
from flavorkit.serve.openapi import build_openapi
from flavorkit.serve.state import ModelState

__all__ = ["app_from_env", "create_app"]

log = logging.getLogger("flavorkit.serve")
JSON = "application/json"


def create_app(config: ServeConfig, *, state: ModelState | None = None) -> FastAPI:
    """The app serving ``config.model``; the model starts loading when the app starts up."""
    from flavorkit import __version__

    model = state if state is not None else ModelState(config)
    example, v2_example = _examples(model)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        model.start_loading()
        yield

    app = FastAPI(
        title=f"flavorkit: {model.name}",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # served below, with the document generated from the signature
        redoc_url=None,
        openapi_url=None,
    )
    app.state.model = model

    async def run(work: Callable[[], bytes]) -> bytes:
        """``work`` in a worker thread, bounded by the prediction timeout."""
        try:
            with anyio.fail_after(config.timeout):
                return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
        except TimeoutError:
            raise RequestError(
                504, "Request processing time exceeded limit", error_code="DEADLINE_EXCEEDED"
            ) from None

    def ready_model() -> Any:
        if model.status != "ready" or model.model is None:
            raise RequestError.from_code("TEMPORARILY_UNAVAILABLE", model.not_ready_message())
        return model.model

    # -- MLflow's scoring protocol --------------------------------------------------------------

    @app.post("/invocations")
    async def invocations(request: Request) -> Response:
        try:
            kind = scoring.media_type(request.headers.get("content-type"))
            pyfunc = ready_model()
            body = await read_body(request, config.max_body_size)

            def work() -> bytes:
                data, params, llm = scoring.parse_request(body, kind, model.signature)
                predictions = _predict(pyfunc, data, params)
                return _encode(lambda: scoring.response_body(predictions, llm=llm))

            content = await run(work)
        except RequestError as e:
            return mlflow_error(e)
        return Response(content, media_type=JSON)

    @app.get("/ping")
    @app.get("/health")
    async def ping() -> Response:
        if model.status != "ready":
            return mlflow_error(
                RequestError.from_code("TEMPORARILY_UNAVAILABLE", model.not_ready_message())
            )
        return Response("\n", media_type=JSON)

    @app.get("/version")
    async def version() -> Response:
        return Response(__version__, media_type="text/plain")

    # -- Open Inference Protocol v2 -------------------------------------------------------------

    @app.get("/v2")
    async def v2_server() -> Response:
        return _json({"name": "flavorkit", "version": __version__, "extensions": []})

    @app.get("/v2/health/live")
    async def v2_live() -> Response:
        if model.status == "failed":
            return _json({"live": False, "error": model.not_ready_message()}, 503)
        return _json({"live": True})

    @app.get("/v2/health/ready")
    async def v2_ready() -> Response:
        if model.status != "ready":
            return _json({"ready": False, "error": model.not_ready_message()}, 503)
        return _json({"ready": True})

    def check_name(name: str) -> None:
        if name != model.name:
            raise RequestError(
                404,
                f"Model {name!r} not found; this server serves {model.name!r}.",
                error_code="RESOURCE_DOES_NOT_EXIST",
            )

    @app.get("/v2/models/{name}")
    async def v2_metadata(name: str) -> Response:
        try:
            check_name(name)
        except RequestError as e:
            return v2_error(e)
        return _json(v2.model_metadata(model.name, model.flavor, model.signature))

    @app.get("/v2/models/{name}/ready")
    async def v2_model_ready(name: str) -> Response:
        try:
            check_name(name)
        except RequestError as e:
            return v2_error(e)
        ready = model.status == "ready"
        body: dict[str, Any] = {"name": model.name, "ready": ready}
        if not ready:
            body["error"] = model.not_ready_message()
        return _json(body, 200 if ready else 503)

    @app.post("/v2/models/{name}/infer")
    async def v2_infer(name: str, request: Request) -> Response:
        try:
            check_name(name)
            header = request.headers.get("content-type")
            if header is not None and scoring.media_type(header) != JSON:
                raise RequestError(415, f"The v2 protocol takes {JSON} bodies, got {header!r}.")
            pyfunc = ready_model()
            body = await read_body(request, config.max_body_size)

            def work() -> bytes:
                data, params, outputs, request_id = v2.decode_request(body, model.signature)
                predictions = _predict(pyfunc, data, params)

                def encode() -> bytes:
                    tensors = v2.encode_outputs(predictions, model.signature, outputs)
                    response = {
                        "model_name": model.name,
                        "id": request_id or str(uuid.uuid4()),
                        "parameters": {},
                        "outputs": tensors,
                    }
                    return json.dumps(response).encode()

                return _encode(encode)

            content = await run(work)
        except RequestError as e:
            return v2_error(e)
        return Response(content, media_type=JSON)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("flavorkit: unexpected error on %s %s", request.method, request.url.path)
        error = RequestError(
            500, f"Internal server error: {type(exc).__name__}: {exc}", error_code="INTERNAL_ERROR"
        )
        return v2_error(error) if request.url.path.startswith("/v2") else mlflow_error(error)

    document = json.dumps(
        build_openapi(
            name=model.name,
            flavor=model.flavor,
            version=__version__,
            signature=model.signature,
            example=example,
            v2_example=v2_example,
            max_body_size=config.max_body_size,
        )
    )

    @app.get("/openapi.json")
    async def openapi() -> Response:
        return Response(document, media_type=JSON)

    @app.get("/docs")
    async def docs() -> Response:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title=f"{model.name} - flavorkit", swagger_favicon_url=""
        )

    return app


def app_from_env() -> FastAPI:
    """The app of the config in ``FLAVORKIT_SERVE_CONFIG``: what each uvicorn worker imports."""
    from flavorkit.serve.server import configure_logging

    configure_logging()
    return create_app(ServeConfig.from_env())


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with a 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit, streamed=True)
        chunks.append(chunk)
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
    try:
        return pyfunc.predict(data, params)
    except FlavorkitError as e:
        raise RequestError.from_code(e.error_code, f"Failed to predict data. Error: {e}") from None
    except Exception as e:  # MLflow answers any model error with a 400 as well
        log.info("flavorkit: the model raised on a request", exc_info=True)
        raise RequestError(
            400,
            f"Encountered an unexpected error while evaluating the model. Verify that the input "
            f"is compatible with the model for inference. Error: '{type(e).__name__}: {e}'",
        ) from None


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


def _examples(model: ModelState) -> tuple[Any, Any]:
    """The serving example (for /invocations) and the same data as v2 tensors, when there is one."""
    from flavorkit.examples import load_serving_input_example, parse_serving_payload

    try:
        text = load_serving_input_example(model.root, model.metadata.saved_input_example_info)
        example = json.loads(text) if text is not None else None
    except (FlavorkitError, ValueError) as e:
        log.warning("flavorkit: the model's serving input example is unusable: %s", e)
        return None, None
    if example is None:
        return None, None
    try:
        sig = model.signature
        data, params = parse_serving_payload(
            example,
            sig.inputs if sig is not None else None,
            param_schema=sig.params if sig is not None else None,
        )
        v2_example: dict[str, Any] = {"inputs": _v2_inputs(data, model)}
    except Exception:  # the v2 example is a convenience; the doc is valid without
        log.debug("no v2 example", exc_info=True)
        return example, None
    if params:
        v2_example["parameters"] = params
    return example, v2_example


def _v2_inputs(data: Any, model: ModelState) -> list[dict[str, Any]]:
    """The example's data as v2 input tensors named as the model's metadata names them."""
    declared = [t.name for t in v2.input_tensors(model.signature)]
    tensors = v2.encode_outputs(data, None)
    if len(tensors) == len(declared):
        if not (isinstance(data, dict) or hasattr(data, "columns")):
            tensors[0]["name"] = declared[0]
        elif all(t["name"].isdigit() for t in tensors):  # positional columns: input-0, ...
            for t, name in zip(tensors, declared, strict=True):
                t["name"] = name
    return tensors


def mlflow_error(error: RequestError) -> Response:
    """MLflow's error body for the scoring routes."""
    body = {"error_code": error.error_code, "message": error.message}
    return _json(body, error.status)


def v2_error(error: RequestError) -> Response:
    """The Open Inference Protocol's error body."""
    return _json({"error": error.message}, error.status)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status_code=status, media_type=JSON)
