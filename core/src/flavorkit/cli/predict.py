"""``flavorkit predict``: load a model and predict on a CSV, JSON or Parquet file.

DataFrames of more than :data:`CHUNK_ROWS` rows are predicted in chunks, so a large file shows
progress on a terminal; the predictions are written as ``{"predictions": ...}`` JSON, CSV or
Parquet.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from flavorkit.cli.loading import MODEL_HELP, add_load_arguments, load_options

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

    params = None
    if args.params:
        try:
            params = json.loads(args.params)
        except json.JSONDecodeError as e:
            raise ValueError(f"--params is not valid JSON: {e}") from None
        if not isinstance(params, dict):
            raise ValueError("--params must be a JSON object, e.g. '{\"k\": 3}'")
    model = load_model(args.model, trust=args.trust, **load_options(args))
    schema = model.signature.inputs if model.signature is not None else None
    data, body_params = _read_input(Path(args.input), schema)
    if body_params:
        params = {**body_params, **(params or {})}
    show = not args.no_progress and sys.stderr.isatty()
    predictions = _predict_in_chunks(model.predict, data, params, progress=show)
    _write_output(predictions, args.output)
    return 0


def _read_input(path: Path, schema: Any) -> tuple[Any, dict[str, Any] | None]:
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path), None
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path), None
    if suffix == ".json":
        from flavorkit.examples import parse_serving_payload

        body = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(body, list):  # a plain list of records is the friendliest CLI input
            return pd.DataFrame.from_records(body), None
        if not isinstance(body, dict):
            raise ValueError(f"{path}: expected a JSON object or a list of records.")
        return parse_serving_payload(body, schema)
    raise ValueError(f"{path}: unknown input type {suffix!r}; use .csv, .json or .parquet.")


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
    if suffix == ".json":
        text = json.dumps({"predictions": predictions_to_json(predictions)})
        if output == "-":
            sys.stdout.write(text + "\n")
        else:
            Path(output).write_text(text, encoding="utf-8")
        return
    frame = _as_frame(predictions, pd)
    if suffix == ".csv":
        frame.to_csv(output, index=False)
    elif suffix in (".parquet", ".pq"):
        frame.to_parquet(output, index=False)
    else:
        raise ValueError(f"{output}: unknown output type {suffix!r}; use .json, .csv or .parquet.")


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
