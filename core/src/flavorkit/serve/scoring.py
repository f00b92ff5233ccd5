"""MLflow's scoring protocol (``POST /invocations``), with no web framework in it.

:func:`parse_request` turns a body and its ``Content-Type`` into ``(data, params, llm)``;
:func:`response_body` turns predictions into the JSON MLflow returns. The JSON forms are parsed by
:func:`flavorkit.examples.parse_serving_payload`, the same parser the CLI uses; this module adds
what is specific to HTTP: content types, CSV and Parquet bodies, and the checks below.

Where flavorkit's server answers differently from MLflow's, on purpose (all are 4xx, never 500):

* A value MLflow would cast lossily (``2.5`` for a ``long``) is a 400 (:mod:`.strict`).
* Keys other than the one input key and ``params`` are a 400 naming them (MLflow ignores them, so
  a typo such as ``"param"`` silently predicts with the defaults). Chat-style bodies
  (``messages``/``prompt``/``input``) are passed through as in MLflow.
* A param the signature does not declare is a 400 listing the declared ones (MLflow warns and
  drops it). Undeclared *columns* are still dropped with a logged warning, as MLflow does, so a
  client that sends a whole row (an id column included) keeps working.
* CSV: datetime columns are parsed as dates (MLflow's ``read_csv(dtype=datetime64)`` fails).
* A numeric ``dataframe_split``/``dataframe_records`` body becomes its DataFrame in one copy
  (:mod:`.frames`); the result is the frame the general parser builds.
* Error bodies carry ``error_code`` and ``message`` but no ``stack_trace``: tracebacks go to the
  server log, not to callers.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flavorkit.examples import (
    SERVING_INPUT_KEYS,
    is_unified_llm_input,
    parse_serving_payload,
    predictions_to_json,
)
from flavorkit.schema import DataType, Schema
from flavorkit.serve.errors import RequestError
from flavorkit.serve.frames import numeric_frame
from flavorkit.serve.strict import check_lossless

if TYPE_CHECKING:
    from flavorkit.signature import ModelSignature

__all__ = [
    "CONTENT_TYPES",
    "CSV",
    "JSON",
    "PARQUET",
    "check_params",
    "media_type",
    "parse_request",
    "response_body",
]

JSON = "application/json"
CSV = "text/csv"
PARQUET = "application/vnd.apache.parquet"
CONTENT_TYPES = (CSV, JSON, PARQUET)  # MLflow's order, as its 415 message lists them


def media_type(header: str | None) -> str:
    """The media type of a ``Content-Type`` header; 415 for unsupported types or parameters.

    As in MLflow, the only parameter allowed is ``charset``, and it must be UTF-8.
    """
    if not header:
        raise RequestError(
            415,
            f"This predictor only supports the following content types: Types: "
            f"{list(CONTENT_TYPES)}. Got no Content-Type header; send e.g. "
            f"'Content-Type: {JSON}'.",
        )
    kind, *params = (part.strip() for part in header.split(";"))
    kind = kind.lower()
    if kind not in CONTENT_TYPES:
        raise RequestError(
            415,
            f"This predictor only supports the following content types: Types: "
            f"{list(CONTENT_TYPES)}. Got '{kind}'.",
        )
    unknown = []
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            if value.strip().strip('"').lower() not in ("utf-8", "utf8"):
                raise RequestError(415, "The scoring server only supports UTF-8")
        elif param:
            unknown.append(param)
    if unknown:
        raise RequestError(415, f"Unrecognized content type parameters: {', '.join(unknown)}.")
    return kind


def parse_request(
    body: bytes, content_type: str, signature: ModelSignature | None
) -> tuple[Any, dict[str, Any] | None, bool]:
    """``(data, params, llm)`` for a request body; raises :class:`RequestError` (4xx).

    ``content_type`` is a media type from :func:`media_type`. ``llm`` is true for a chat-style
    body, whose response MLflow does not wrap in ``predictions``.
    """
    inputs = signature.inputs if signature is not None else None
    param_schema = signature.params if signature is not None else None
    if content_type == CSV:
        return _parse_csv(body, inputs), None, False
    if content_type == PARQUET:
        return _parse_parquet(body), None, False
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as e:  # JSONDecodeError and UnicodeDecodeError included
        raise RequestError(
            400,
            f"Invalid input. Ensure that input is a valid JSON formatted string. Error: '{e}'",
        ) from None
    llm = is_unified_llm_input(payload)
    if isinstance(payload, Mapping) and not llm:
        keys = [k for k in payload if k in SERVING_INPUT_KEYS]
        unknown = [k for k in payload if k not in SERVING_INPUT_KEYS and k != "params"]
        if len(keys) == 1 and unknown:
            raise RequestError(
                400,
                f"Invalid input. Unknown top-level fields {unknown}: the body holds one of "
                f"{list(SERVING_INPUT_KEYS)} and optionally 'params'. Move inference "
                f"parameters under 'params'.",
            )
        if len(keys) == 1:
            check_lossless(payload, keys[0], inputs)
            params = payload.get("params")
            frame = numeric_frame(keys[0], payload[keys[0]], inputs)
            if frame is not None and (params is None or isinstance(params, dict)):
                check_params(params, signature)
                return frame, (dict(params) if params is not None else None), False
    try:
        data, params = parse_serving_payload(payload, inputs, param_schema=param_schema)
    except RequestError:
        raise
    except Exception as e:  # anything the parser chokes on is the input's fault
        raise RequestError(400, str(e) or type(e).__name__) from None  # MLflow: BAD_REQUEST
    check_params(params, signature)
    return data, params, llm


def check_params(params: Mapping[str, Any] | None, signature: ModelSignature | None) -> None:
    """400 for params the signature does not declare (MLflow would drop them with a warning)."""
    if not params:
        return
    declared = [p.name for p in signature.params] if signature and signature.params else []
    unknown = sorted(k for k in params if k not in declared)
    if unknown:
        known = f"its params are {declared}" if declared else "it declares no params"
        raise RequestError(
            400,
            f"Invalid input. Unknown params {unknown}: the model's signature does not declare "
            f"them ({known}). Remove them, or re-save the model with a signature that has them.",
            error_code="INVALID_PARAMETER_VALUE",
        )


def _parse_csv(body: bytes, schema: Schema | None) -> Any:
    import pandas as pd

    dtypes: dict[Any, Any] = {}
    dates: list[Any] = []
    if schema is not None:
        if schema.is_tensor_spec():
            raise RequestError(
                400,
                "TensorSpec only supports numpy types: this model takes tensors, which CSV "
                "cannot carry. Send JSON with 'inputs' instead.",
            )
        names = schema.input_names()
        for name, spec in zip(names, schema.inputs, strict=True):
            t = spec.type
            if t is DataType.datetime:
                dates.append(name)
            elif isinstance(t, DataType) and t is not DataType.binary:
                dtypes[name] = t.to_pandas()
    try:
        frame = pd.read_csv(io.BytesIO(body), dtype=dtypes or None)
        for name in dates:  # absent (optional) columns are left to enforcement
            if name in frame.columns:
                frame[name] = pd.to_datetime(frame[name], format="ISO8601")
    except Exception as e:  # pandas raises many types for bad text
        raise RequestError(
            400,
            f"Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV "
            f"formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` method. "
            f"Error: '{e}'",
        ) from None
    return frame


def _parse_parquet(body: bytes) -> Any:
    import pandas as pd

    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise RequestError(
            415, "This server cannot read Parquet bodies: pyarrow is not installed on it."
        ) from None
    try:
        return pd.read_parquet(io.BytesIO(body))
    except Exception as e:  # pyarrow raises its own types for bad files
        raise RequestError(
            400, f"Failed to parse input as a Parquet file. Error: '{type(e).__name__}: {e}'"
        ) from None


def response_body(predictions: Any, *, llm: bool = False) -> bytes:
    """MLflow's success body: ``{"predictions": ...}``, or the bare value for a chat request."""
    value = predictions_to_json(predictions)
    return json.dumps(value if llm else {"predictions": value}).encode()
