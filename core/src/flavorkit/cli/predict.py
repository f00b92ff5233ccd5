"""``flavorkit predict``: load a model and predict on a CSV, JSON or Parquet file.

DataFrames of more than :data:`CHUNK_ROWS` rows are predicted in chunks, so a large file shows
progress on a terminal; the predictions are written as ``{"predictions": ...}`` JSON, CSV or
Parquet.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from flavorkit.cli.loading import MODEL_HELP, add_load_arguments
from flavorkit.cli.predict_checks import INPUT_TYPES, OUTPUT_TYPES, check_predict_request
from flavorkit.errors import InputFileError

__all__ = ["CHUNK_ROWS", "register"]

CHUNK_ROWS = 10_000


def register(sub: Any) -> None:
    """Add ``predict`` to the CLI's subparsers (argparse's ``_SubParsersAction``)."""
    p: argparse.ArgumentParser = sub.add_parser(
        "predict", help="predict on a CSV, JSON or Parquet file"
    )
    p.add_argument("-m", "--model", required=True, help=MODEL_HELP)
    p.add_argument("-i", "--input", required=True, help="input file (.csv, .json, .parquet)")
    p.add_argument(
        "-o", "--output", default="-", help="output file (.json, .csv, .parquet); - = stdout"
    )
    p.add_argument("--params", help="inference params as JSON, e.g. '{\"threshold\": 0.5}'")
    add_load_arguments(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flavorkit.api import load_model

    request = check_predict_request(args)  # before the model: a bad argument fails in no time
    if not isinstance(request.inputs[0], Path) or request.inputs[0].is_dir():
        raise InputFileError(
            f"{args.input}: a folder or a pattern; pass one input file ({', '.join(INPUT_TYPES)})."
        )
    params = request.params
    model = load_model(args.model, trust=args.trust, **request.load_options)
    schema = model.signature.inputs if model.signature is not None else None
    source = Path(args.input)
    data, body_params = _read_input(source, schema)
    if body_params:
        params = {**body_params, **(params or {})}
    show = not args.no_progress and sys.stderr.isatty()
    predictions = _predict_in_chunks(model.predict, data, params, progress=show)
    _write_output(predictions, args.output)
    if request.output is not None:
        print(
            f"flavorkit: wrote {_count(predictions):,} predictions for {_count(data):,} rows of "
            f"{source} to {request.output}",
            file=sys.stderr,
        )
    return 0


def _count(value: Any) -> int:
    if isinstance(value, dict):
        value = next(iter(value.values()), [])
    try:
        return len(value)
    except TypeError:
        return 1


def _read_input(path: Path, schema: Any) -> tuple[Any, dict[str, Any] | None]:
    import pandas as pd

    suffix = path.suffix.lower()
    try:
        data, params = _read(path, suffix, schema, pd)
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{path}: the input holds no rows.") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise InputFileError(f"{path}: not a readable {suffix[1:]} file: {e}") from None
    except json.JSONDecodeError as e:
        raise InputFileError(f"{path}: not valid JSON: {e}") from None
    if isinstance(data, pd.DataFrame) and len(data) == 0:
        raise InputFileError(f"{path}: the input holds no rows.")
    return data, params


def _read(path: Path, suffix: str, schema: Any, pd: Any) -> tuple[Any, dict[str, Any] | None]:
    if suffix == ".csv":
        return pd.read_csv(path), None
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path), None
    if suffix in (".jsonl", ".ndjson"):
        return pd.read_json(path, lines=True), None
    if suffix == ".json":
        from flavorkit.examples import parse_serving_payload

        body = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(body, list):  # a plain list of records is the friendliest CLI input
            return pd.DataFrame.from_records(body), None
        if not isinstance(body, dict):
            raise InputFileError(f"{path}: expected a JSON object or a list of records.")
        return parse_serving_payload(body, schema)
    raise InputFileError(f"{path}: flavorkit reads {', '.join(INPUT_TYPES)} inputs.")


def _predict_in_chunks(
    predict: Callable[..., Any], data: Any, params: dict[str, Any] | None, *, progress: bool
) -> Any:
    """Predict DataFrames in chunks so a large file shows progress; other inputs in one call."""
    import pandas as pd

    if not isinstance(data, pd.DataFrame) or len(data) <= CHUNK_ROWS:
        return predict(data, params)
    parts = []
    total = len(data)
    for start in range(0, total, CHUNK_ROWS):
        parts.append(predict(data.iloc[start : start + CHUNK_ROWS], params))
        if progress:
            _progress(min(start + CHUNK_ROWS, total), total, sys.stderr)
    if progress:
        print(file=sys.stderr)
    return _concat(parts)


def _progress(done: int, total: int, out: TextIO) -> None:
    width = 30
    filled = width * done // total
    out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} rows")
    out.flush()


def _concat(parts: list[Any]) -> Any:
    import numpy as np
    import pandas as pd

    first = parts[0]
    if isinstance(first, (pd.DataFrame, pd.Series)):
        return pd.concat(parts, ignore_index=True)
    if isinstance(first, np.ndarray):
        return np.concatenate(parts)
    if isinstance(first, dict):
        return {k: _concat([p[k] for p in parts]) for k in first}
    if isinstance(first, list):
        return [x for p in parts for x in p]
    raise ValueError(f"cannot join chunked predictions of type {type(first).__name__}")


def _write_output(predictions: Any, output: str) -> None:
    import pandas as pd

    from flavorkit.examples import predictions_to_json

    suffix = Path(output).suffix.lower() if output != "-" else ".json"
    if suffix == ".json" and output == "-":
        sys.stdout.write(json.dumps({"predictions": predictions_to_json(predictions)}) + "\n")
        return
    target = Path(output)
    # Written under a temporary name and renamed: a crash never leaves a file that looks whole.
    tmp = target.with_name(f".{target.name}.flavorkit-{uuid.uuid4().hex[:12]}.part")
    try:
        if suffix == ".json":
            text = json.dumps({"predictions": predictions_to_json(predictions)})
            tmp.write_text(text, encoding="utf-8")
        else:
            frame = _as_frame(predictions, pd)
            if suffix == ".csv":
                frame.to_csv(tmp, index=False)
            elif suffix == ".jsonl":
                frame.to_json(tmp, orient="records", lines=True)
            elif suffix in (".parquet", ".pq"):
                frame.to_parquet(tmp, index=False)
            else:
                raise InputFileError(f"{output}: flavorkit writes {', '.join(OUTPUT_TYPES)}.")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _as_frame(predictions: Any, pd: Any) -> Any:
    if isinstance(predictions, pd.DataFrame):
        return predictions
    if isinstance(predictions, dict):
        import numpy as np

        columns: dict[str, Any] = {}
        for name, values in predictions.items():
            arr = np.asarray(values)
            if arr.ndim <= 1:
                columns[name] = arr
            else:  # (n, k) outputs such as class probabilities become k columns
                for j in range(arr.shape[1]):
                    columns[f"{name}_{j}"] = arr[:, j]
        return pd.DataFrame(columns)
    return pd.DataFrame({"prediction": list(predictions)})
