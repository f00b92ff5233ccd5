"""The two example files of a model directory: ``input_example.json`` and its serving twin.

Saving writes both atomically through a temporary name; reading resolves the path recorded in
``saved_input_example_info`` inside the model directory (the directory is untrusted data).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flavorkit.errors import InputExampleError
from flavorkit.examples.decoding import decode_example, json_kind
from flavorkit.examples.encoding import convert_example, params_to_json, split_params, type_name
from flavorkit.examples.payload import serving_body
from flavorkit.schema import Schema

if TYPE_CHECKING:
    pass

__all__ = [
    "EXAMPLE_FILENAME",
    "EXAMPLE_TYPES",
    "SERVING_EXAMPLE_FILENAME",
    "load_input_example",
    "load_serving_input_example",
    "save_input_example",
]


EXAMPLE_FILENAME = "input_example.json"


SERVING_EXAMPLE_FILENAME = "serving_input_example.json"


EXAMPLE_TYPES = ("dataframe", "ndarray", "json_object", "sparse_matrix_csc", "sparse_matrix_csr")


def save_input_example(model_dir: str | os.PathLike[str], example: Any) -> dict[str, Any]:
    """Write ``input_example.json`` and ``serving_input_example.json`` into ``model_dir``.

    Returns the ``saved_input_example_info`` mapping for the MLmodel file, exactly as MLflow
    writes it. Both texts are built before anything is written, so a bad example writes nothing.
    """
    root = os.fspath(model_dir)
    if not os.path.isdir(root):
        raise InputExampleError(
            f"{root}: not a directory; create the model directory before saving its example."
        )
    data, params = split_params(example)
    conv = convert_example(data)
    info: dict[str, Any] = {
        "artifact_path": EXAMPLE_FILENAME,
        "serving_input_path": SERVING_EXAMPLE_FILENAME,
        "type": conv.type,
    }
    if conv.orient is not None:
        info["pandas_orient"] = conv.orient
    stored: Any = conv.stored
    json_params = None
    if params is not None:
        json_params = params_to_json(params)
        stored = {"inputs": stored, "params": json_params}
        info["params"] = "true"
    example_text = json.dumps(stored)
    serving_text = json.dumps(serving_body(conv, json_params), indent=2)
    _write_text(os.path.join(root, EXAMPLE_FILENAME), example_text)
    _write_text(os.path.join(root, SERVING_EXAMPLE_FILENAME), serving_text)
    return info


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def load_input_example(
    model_dir: str | os.PathLike[str],
    info: Mapping[str, Any] | None,
    schema: Schema | None = None,
) -> Any:
    """Read the input example back, typed by the model's input ``schema`` when one is given.

    Returns None when ``info`` is None (the model has no example), ``(data, params)`` when the
    example was saved with params, else the data: a DataFrame, an ndarray (or a dict of them), a
    scipy csr/csc matrix, or the raw JSON value of a ``json_object`` example.
    """
    if info is None:
        return None
    example_type = _example_type(info)
    path = _resolve_inside(model_dir, info.get("artifact_path"), "artifact_path")
    try:
        raw = json.loads(_read_text(path, "input example"))
    except json.JSONDecodeError as e:
        raise InputExampleError(
            f"{path}: the input example file is not valid JSON ({e}); re-save the model with "
            f"its example."
        ) from None
    params: Any = None
    with_params = _is_true(info.get("params"))
    if with_params:
        if not isinstance(raw, dict) or "inputs" not in raw:
            raise InputExampleError(
                f"{path}: saved_input_example_info says the example has params, so the file "
                f"must be a JSON object with 'inputs' and 'params'; got {json_kind(raw)}. "
                f"Re-save the model with its example."
            )
        params = raw.get("params")
        if params is not None and not isinstance(params, dict):
            raise InputExampleError(
                f"{path}: 'params' must be a JSON object, got {json_kind(params)}."
            )
        raw = raw["inputs"]
    try:
        data = decode_example(raw, example_type, info, schema)
    except InputExampleError as e:
        raise InputExampleError(f"{path}: {e}") from None
    return (data, params) if with_params else data


def load_serving_input_example(
    model_dir: str | os.PathLike[str], info: Mapping[str, Any] | None
) -> str | None:
    """The text of ``serving_input_example.json``, or None when the model records none.

    A file named in ``info`` but missing is an error, as for :func:`load_input_example`.
    """
    if info is None:
        return None
    if not isinstance(info, Mapping):
        raise InputExampleError(
            f"saved_input_example_info must be a mapping, got {type_name(info)}."
        )
    rel = info.get("serving_input_path")
    if rel is None:
        return None
    path = _resolve_inside(model_dir, rel, "serving_input_path")
    return _read_text(path, "serving input example")


def _example_type(info: Any) -> str:
    if not isinstance(info, Mapping):
        raise InputExampleError(
            f"saved_input_example_info must be a mapping, got {type_name(info)}."
        )
    example_type = info.get("type")
    if example_type is None:
        raise InputExampleError(
            "saved_input_example_info has no 'type', so the input example cannot be read; the "
            "MLmodel file is damaged: restore it, or save the model again with its example."
        )
    if not isinstance(example_type, str) or example_type not in EXAMPLE_TYPES:
        raise InputExampleError(
            f"saved_input_example_info.type is {str(example_type)[:40]!r}, not an example type "
            f"flavorkit reads ({', '.join(EXAMPLE_TYPES)}); the model loads, but its input "
            "example cannot be read."
        )
    return example_type


def _is_true(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "no")
    return bool(value)


def _resolve_inside(model_dir: str | os.PathLike[str], rel: Any, key: str) -> str:
    """``model_dir/rel``, refusing any path that leaves the (untrusted) model directory."""
    from flavorkit.errors import ModelPathError
    from flavorkit.safety import model_file

    try:
        return os.fspath(model_file(model_dir, rel, key=f"saved_input_example_info.{key}"))
    except ModelPathError as e:
        raise InputExampleError(f"{e} A model directory is untrusted data.") from None


def _read_text(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        raise InputExampleError(
            f"{path}: the MLmodel's saved_input_example_info names this {what} file, but it does "
            f"not exist. Restore the file, or re-save the model with its example."
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputExampleError(f"{path}: cannot read the {what} file: {e}") from None
