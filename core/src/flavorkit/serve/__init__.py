"""``flavorkit serve``: a scoring server for any model with a ``python_function`` flavor.

One process serves one model over three HTTP interfaces, all derived from the model's signature,
so a model deploys to a real-time endpoint with no scoring script:

=========================================  ====================================================
route                                      what
=========================================  ====================================================
``POST /invocations``                      MLflow's scoring protocol (``mlflow-format.md`` §8):
                                           JSON (``dataframe_split``, ``dataframe_records``,
                                           ``instances``, ``inputs``, ``params``), CSV, Parquet
``GET /ping``, ``/health``                 readiness, as MLflow (200 ``"\\n"``; 503 until ready)
``GET /version``                           the flavorkit version, as text
``GET /v2``, ``/v2/health/live|ready``     Open Inference Protocol v2 (KServe, MLServer, Triton)
``GET /v2/models/{name}[/ready]``          v2 model metadata: tensors from the signature
``POST /v2/models/{name}/infer``           v2 inference
``GET /openapi.json``, ``/docs``           OpenAPI 3.1 generated from the signature, Swagger UI
=========================================  ====================================================

Existing MLflow clients work unchanged: same routes, content types, success body
(``{"predictions": ...}``) and error bodies (``{"error_code", "message"}``) with the same status
codes. Where MLflow would change the caller's data silently, this server answers 400 instead
(:mod:`flavorkit.serve.strict`, :mod:`flavorkit.serve.scoring`). Bad input is always a 4xx: 400
for malformed JSON, wrong shapes or types and unknown fields, 415 for an unsupported content
type, 413 for a body over ``--max-body-size``. 503 means the model is still loading (liveness is
answered at once; readiness waits for the model), 504 that a prediction passed ``--timeout``.

This package needs the ``serve`` extra (``pip install 'flavorkit[serve]'``: FastAPI and uvicorn).
``import flavorkit`` and the CLI's other commands never import it; importing this package itself
imports no web framework either (:func:`create_app` does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flavorkit.serve.config import ServeConfig
from flavorkit.serve.server import serve

if TYPE_CHECKING:
    from flavorkit.serve.app import create_app

__all__ = ["ServeConfig", "create_app", "serve"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from flavorkit.serve.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
