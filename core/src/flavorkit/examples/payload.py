"""Scoring-server bodies (``mlflow-format.md`` §8): build one from an example, parse one.

:func:`to_serving_payload` is what ``serving_input_example.json`` holds;
:func:`parse_serving_payload` is the JSON-body parser the scoring server and ``flavorkit predict``
share, with no web framework in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flavorkit.errors import InputExampleError
from flavorkit.examples.decoding import cast_frame, frame_from_json, json_kind, parse_tensor_input
from flavorkit.examples.encoding import (
    Converted,
    convert_example,
    is_unified_llm_input,
    params_to_json,
    split_params,
    type_name,
)
from flavorkit.schema import ParamSchema, Schema

if TYPE_CHECKING:
    pass

__all__ = ["SERVING_INPUT_KEYS", "parse_serving_payload", "serving_body", "to_serving_payload"]


SERVING_INPUT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")


_REQUIRED_INPUT_FORMAT = (
    "The input must be a JSON dictionary with exactly one of the input fields {"
    + ", ".join(repr(k) for k in sorted(SERVING_INPUT_KEYS))
    + "}"
)


_INPUT_FORMAT_HINT = (
    'Wrap the data, e.g. {"dataframe_split": {"columns": [...], "data": [[...]]}}, '
    '{"dataframe_records": [{...}]}, {"inputs": ...} or {"instances": [...]}, '
    'with an optional "params": {...}.'
)


def to_serving_payload(data: Any, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The MLflow scoring-protocol request body for ``data`` (and ``params``), ready for JSON.

    ``data`` takes every form :func:`save_input_example` takes, a ``(data, params)`` tuple
    included. DataFrames become ``{"dataframe_split": ...}``; arrays, dicts of arrays, JSON values
    and (densified) sparse matrices ``{"inputs": ...}``; params a top-level ``"params"``.
    """
    data, tuple_params = split_params(data)
    if tuple_params is not None:
        if params is not None:
            raise InputExampleError(
                "Params were given twice: in the (data, params) tuple and as params=; "
                "pass them once."
            )
        params = tuple_params
    conv = convert_example(data)
    return serving_body(conv, None if params is None else params_to_json(params))


def serving_body(conv: Converted, params: dict[str, Any] | None) -> dict[str, Any]:
    body = dict(conv.serving)
    if params is not None:
        if conv.llm:
            body.update(params)
        else:
            body["params"] = params
    return body


def parse_serving_payload(
    body: Mapping[str, Any],
    schema: Schema | None = None,
    *,
    param_schema: ParamSchema | None = None,
) -> tuple[Any, dict[str, Any] | None]:
    """Turn a scoring-protocol JSON body into ``(data, params)``, typed per ``schema``.

    ``body`` must hold exactly one of ``dataframe_split``, ``dataframe_records`` (→ DataFrame,
    cast to the schema's pandas types), ``inputs`` or ``instances`` (→ numpy arrays typed per
    TensorSpec/ColSpec; a dict becomes a dict of arrays, and ``instances`` rows become columns),
    plus an optional ``params`` object. A chat/completions/embeddings body (see
    :func:`is_unified_llm_input`) is returned as a dict, with the keys named in ``param_schema``
    moved to params. Independent of any web framework: a scoring server maps
    :class:`~flavorkit.errors.InputExampleError` to HTTP 400.
    """
    obj: Any = body  # callers pass decoded JSON, which may not be an object at all
    if not isinstance(obj, Mapping):
        what = "a list" if isinstance(obj, list) else f"unexpected input type {type_name(obj)!r}"
        raise InputExampleError(f"{_REQUIRED_INPUT_FORMAT}. Received {what}.")
    if is_unified_llm_input(body):
        names = {p.name for p in param_schema} if param_schema is not None else set()
        data = {k: v for k, v in body.items() if k not in names}
        llm_params = {k: v for k, v in body.items() if k in names}
        return data, llm_params or None
    keys = [k for k in body if k in SERVING_INPUT_KEYS]
    if len(keys) != 1:
        raise InputExampleError(
            f"{_REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: "
            f"{list(body.keys())}. {_INPUT_FORMAT_HINT}"
        )
    params = body.get("params")
    if params is not None and not isinstance(params, Mapping):
        raise InputExampleError(
            f"'params' must be a JSON object of name -> value, got {json_kind(params)}."
        )
    key = keys[0]
    if key.startswith("dataframe_"):
        frame = frame_from_json(body[key], key[len("dataframe_") :], key)
        parsed: Any = frame if schema is None else cast_frame(frame, schema)
    else:
        parsed = parse_tensor_input(key, body[key], schema)
    return parsed, (dict(params) if params is not None else None)
