"""What ``flavorkit predict`` checks before it loads the model.

Loading a model takes seconds; a typo in an input path, an output type nothing can write, or a
missing Parquet engine should not wait for it, nor throw away predictions already computed.
:func:`check_predict_request` checks every argument that can be checked without the model and
raises one :class:`~flavorkit.errors.FlavorkitError` naming the argument, the file and what to do.
Whatever reads and writes the files afterwards (the whole-file path here, or a streaming one)
calls it first.
"""

from __future__ import annotations

import argparse
import glob
import importlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flavorkit.cli.loading import load_options
from flavorkit.errors import InputFileError, install_hint

__all__ = [
    "INPUT_TYPES",
    "OUTPUT_TYPES",
    "PredictRequest",
    "check_predict_request",
    "parquet_engine_hint",
]

INPUT_TYPES = (".csv", ".json", ".parquet", ".pq", ".jsonl", ".ndjson")
OUTPUT_TYPES = (".json", ".csv", ".parquet", ".pq", ".jsonl")
PARQUET = (".parquet", ".pq")


@dataclass(frozen=True)
class PredictRequest:
    """``predict``'s arguments, checked: input files, output (``None`` for stdout), params."""

    inputs: tuple[Path | str, ...]  # a str is a glob, expanded by whoever reads it
    output: Path | None
    params: dict[str, Any] | None
    load_options: dict[str, Any]


def check_predict_request(args: argparse.Namespace) -> PredictRequest:
    """Check ``predict``'s arguments without loading the model; raise on the first problem."""
    params = _params(getattr(args, "params", None))
    options = load_options(args)
    _check_model_path(args.model)
    raw_inputs = args.input if isinstance(args.input, (list, tuple)) else [args.input]
    inputs = tuple(_check_input(text) for text in raw_inputs)
    output = _check_output(args.output, [p for p in inputs if isinstance(p, Path)])
    return PredictRequest(inputs, output, params, options)


def parquet_engine_hint(action: str, path: str | os.PathLike[str]) -> str | None:
    """The one-line error for reading/writing Parquet without an engine, or None if one exists."""
    for engine in ("pyarrow", "fastparquet"):  # imported, not looked up: a broken one counts
        try:
            importlib.import_module(engine)
            return None
        except ImportError:
            continue
    return (
        f"{os.fspath(path)}: {action} Parquet needs pyarrow, which is not installed: "
        f"`pip install pyarrow`, or {install_hint(repr('flavorkit[batch]'))}."
    )


def _params(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        params = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"--params is not valid JSON: {e}") from None
    if not isinstance(params, dict):
        raise ValueError("--params must be a JSON object, e.g. '{\"k\": 3}'")
    return params


def _check_model_path(model: str) -> None:
    """A local model path must be a model directory; remote URIs are checked when resolved."""
    from flavorkit.locations import is_local, local_path
    from flavorkit.mlmodel import check_path, mlmodel_file

    check_path(model, what="model path or URI")
    if is_local(model):
        mlmodel_file(local_path(model))


def _check_input(text: str) -> Path | str:
    if glob.has_magic(text):
        return text
    path = Path(text)
    if not path.exists():
        raise InputFileError(f"{path}: no such input file (-i).")
    if path.is_dir():
        return path  # a folder of inputs: whoever lists it says if it holds none
    suffix = path.suffix.lower()
    if suffix not in INPUT_TYPES:
        raise InputFileError(
            f"{path}: flavorkit reads {', '.join(INPUT_TYPES)} inputs, not {suffix or 'a file '}"
            f"{'' if suffix else 'without a suffix'}; convert it or rename it to its real type."
        )
    try:
        with open(path, "rb") as f:
            head = f.read(64 * 1024)
    except OSError as e:
        raise InputFileError(f"{path}: the input cannot be read: {e.strerror or e}.") from None
    if not head.strip():
        raise InputFileError(f"{path}: the input file is empty; it holds no rows.")
    if suffix == ".csv" and _header_only(head, path):
        raise InputFileError(f"{path}: the CSV holds only a header line, no rows.")
    if suffix in PARQUET:
        hint = parquet_engine_hint("reading", path)
        if hint:
            raise InputFileError(hint)
    return path


def _header_only(head: bytes, path: Path) -> bool:
    """Whether the CSV's first bytes are one line; read on only when the file is that short."""
    lines = [line for line in head.splitlines() if line.strip()]
    return len(lines) <= 1 and path.stat().st_size <= len(head)


def _check_output(text: str, inputs: Sequence[Path]) -> Path | None:
    if text == "-":
        return None
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_TYPES:
        raise InputFileError(
            f"{path}: flavorkit writes {', '.join(OUTPUT_TYPES)} outputs (-o), not "
            f"{suffix or 'a name without a suffix'}; pick one, or - for JSON on stdout."
        )
    if path.is_dir():
        raise InputFileError(f"{path}: the output (-o) is a directory; name a file in it.")
    parent = path.absolute().parent
    if not parent.is_dir():
        raise InputFileError(
            f"{path}: the output's directory {parent} does not exist; create it first."
        )
    if not os.access(parent, os.W_OK):
        raise InputFileError(f"{path}: the output's directory {parent} is not writable.")
    if any(path.absolute() == p.absolute() for p in inputs):
        raise InputFileError(f"{path}: the output (-o) is also an input (-i); write elsewhere.")
    if suffix in PARQUET:
        hint = parquet_engine_hint("writing", path)
        if hint:
            raise InputFileError(hint)
    return path
