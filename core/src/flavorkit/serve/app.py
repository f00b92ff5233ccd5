"""The ASGI app: MLflow's scoring routes, the Open Inference Protocol v2 routes, health, OpenAPI.

The app is thin: request parsing lives in :mod:`.scoring` and :mod:`.v2`, the two prediction
routes in :mod:`.predict_routes` (raw ASGI, ahead of the framework), the document in
:mod:`.openapi`, the model and its readiness in :mod:`.state`. What this module adds is the rest
of HTTP on FastAPI: health, metadata, the OpenAPI document and the Swagger UI page (its assets
served from this server, :mod:`.swagger`). Every answer is JSON; a
:class:`~.errors.RequestError` becomes MLflow's error body (``{"error_code", "message"}``) on the
MLflow routes and ``{"error": ...}`` on the v2 ones; an exception nobody foresaw is logged and
answered with a JSON 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from flavorkit.errors import FlavorkitError
from flavorkit.serve import swagger, v2
from flavorkit.serve.config import ServeConfig
from flavorkit.serve.errors import RequestError
from flavorkit.serve.logs import configure_logging
from flavorkit.serve.openapi import build_openapi
from flavorkit.serve.predict_routes import PredictRoutes, mlflow_error_body, v2_error_body
from flavorkit.serve.state import ModelState

__all__ = ["app_from_env", "create_app"]

log = logging.getLogger("flavorkit.serve")
JSON = "application/json"


def create_app(config: ServeConfig, *, state: ModelState | None = None) -> FastAPI:
    """The app serving ``config.model``; the model starts loading when the app starts up."""
    from flavorkit import __version__

    model = state if state is not None else ModelState(config)
    example, v2_example = _examples(model)

    routes = PredictRoutes(model, config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        model.start_loading()
        yield
        await routes.close()

    app = _ScoringApp(
        routes,
        title=f"flavorkit: {model.name}",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # served below, with the document generated from the signature
        redoc_url=None,
        openapi_url=None,
    )
    app.state.model = model

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

    # -- Open Inference Protocol v2 (POST .../infer: PredictRoutes) -----------------------------

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

    docs_page = swagger.page(f"{model.name} - flavorkit")

    @app.get("/docs")
    async def docs() -> Response:
        return Response(docs_page, media_type="text/html")

    @app.get("/docs/{name}")
    async def docs_asset(name: str) -> Response:
        try:
            content, media_type = swagger.asset(name)
        except KeyError:
            return mlflow_error(
                RequestError(
                    404, f"No such file under /docs/: {name!r}.", error_code="ENDPOINT_NOT_FOUND"
                )
            )
        return Response(content, media_type=media_type, headers={"cache-control": "max-age=86400"})

    return app


class _ScoringApp(FastAPI):
    """FastAPI, with the two prediction routes answered first by :class:`PredictRoutes`."""

    def __init__(self, routes: PredictRoutes, **kwargs: Any):
        super().__init__(**kwargs)
        self.predict_routes = routes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if PredictRoutes.handles(scope):
            await self.predict_routes(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def app_from_env() -> FastAPI:
    """The app of the config in ``FLAVORKIT_SERVE_CONFIG``: what each uvicorn worker imports."""
    configure_logging()
    return create_app(ServeConfig.from_env())


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
    return Response(mlflow_error_body(error), status_code=error.status, media_type=JSON)


def v2_error(error: RequestError) -> Response:
    """The Open Inference Protocol's error body."""
    return Response(v2_error_body(error), status_code=error.status, media_type=JSON)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status_code=status, media_type=JSON)
