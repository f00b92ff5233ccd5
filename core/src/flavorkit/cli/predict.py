"""``flavorkit predict``: score files with a model, streaming when the output is a table file.

Every argument is checked first, before the model loads (:mod:`flavorkit.cli.predict_checks`).
Then one of two paths, chosen by the output:

- ``-o out.parquet|.csv|.jsonl``: :func:`flavorkit.batch.predict_files` streams CSV, parquet and
  JSON Lines inputs (files, directories, globs; several may be given) through the model in
  record batches, with a progress bar on a terminal, ``--keep-columns``, ``--on-error skip`` and
  its errors file, and ends with one summary line on stderr (``--quiet`` drops bar and line).
  Memory is set by ``--batch-size``, not by the input. Needs ``flavorkit[batch]``.
- ``-o -`` (stdout, the default) or ``-o out.json``: one file is read whole (a ``.json`` input may
  be a serving payload with params) and ``{"predictions": ...}`` is written; DataFrames of more
  than :data:`CHUNK_ROWS` rows are predicted in chunks so a large file shows progress.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from flavorkit.cli.env import add_env_manager_argument, load_argv, run_in_environment
from flavorkit.cli.loading import MODEL_HELP, add_load_arguments
from flavorkit.cli.predict_checks import (
    INPUT_TYPES,
    OUTPUT_TYPES,
    PredictRequest,
    check_predict_request,
)
from flavorkit.errors import InputFileError

__all__ = ["CHUNK_ROWS", "STREAMED_OUTPUTS", "register"]

CHUNK_ROWS = 10_000
STREAMED_OUTPUTS = (".parquet", ".pq", ".csv", ".jsonl")


def register(sub: Any) -> None:
    """Add ``predict`` to the CLI's subparsers (argparse's ``_SubParsersAction``)."""
    p: argparse.ArgumentParser = sub.add_parser(
        "predict",
        help="score CSV, parquet or JSON Lines files, folders or globs with a model",
        description="Score files with a model. Table outputs (.parquet, .csv, .jsonl) are "
        "streamed in record batches from any number of inputs (files, folders, quoted globs); "
        ".json and stdout read one input whole.",
    )
    p.add_argument("-m", "--model", required=True, help=MODEL_HELP)
    p.add_argument(
        "-i",
        "--input",
        required=True,
        nargs="+",
        metavar="INPUT",
        help="input file(s), folders or quoted globs (.csv, .parquet, .jsonl; .json read whole)",
    )
    p.add_argument(
        "-o",
        "--output",
        default="-",
        help="output file (.parquet, .csv, .jsonl streamed; .json); - = JSON on stdout",
    )
    p.add_argument("--params", help="inference params as JSON, e.g. '{\"threshold\": 0.5}'")
    p.add_argument(
        "--batch-size", type=int, default=None, metavar="ROWS", help="rows per batch (65536)"
    )
    p.add_argument(
        "--keep-columns",
        nargs="+",
        default=[],
        metavar="COL",
        help="input columns to carry into the output ahead of the predictions",
    )
    p.add_argument(
        "--on-error",
        choices=("fail", "skip"),
        default="fail",
        help="skip: record a failing batch or file in the errors file and carry on",
    )
    p.add_argument(
        "--errors-file", metavar="PATH", help="where skipped batches go (OUTPUT.errors.jsonl)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")
    add_load_arguments(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    add_env_manager_argument(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.env_manager != "local":
        return run_in_environment(args, _argv(args))
    request = check_predict_request(args)  # before the model: a bad argument fails in no time
    if request.output is not None and request.output.suffix.lower() in STREAMED_OUTPUTS:
        return _run_streamed(args, request)
    batch_only = [
        flag
        for flag, used in (
            ("--batch-size", args.batch_size is not None),
            ("--keep-columns", bool(args.keep_columns)),
            ("--on-error skip", args.on_error == "skip"),
            ("--errors-file", args.errors_file is not None),
        )
        if used
    ]
    if batch_only:
        raise InputFileError(
            f"{', '.join(batch_only)} need a streamed output: -o out.parquet, .csv or .jsonl."
        )
    if (
        len(request.inputs) != 1
        or not isinstance(request.inputs[0], Path)
        or (request.inputs[0].is_dir())
    ):
        raise InputFileError(
            f"{' '.join(args.input)}: several inputs, a folder or a pattern need a streamed "
            "output (-o out.parquet, .csv or .jsonl); for JSON, pass one input file."
        )
    return _run_whole(args, request)


def _run_streamed(args: argparse.Namespace, request: PredictRequest) -> int:
    from flavorkit.batch.run import DEFAULT_BATCH_SIZE, predict_files

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        summary = predict_files(
            args.model,
            [os.fspath(p) for p in request.inputs],
            request.output,  # type: ignore[arg-type]  # streamed outputs are files
            batch_size=args.batch_size if args.batch_size is not None else DEFAULT_BATCH_SIZE,
            keep_columns=args.keep_columns,
            on_error=args.on_error,
            errors_path=args.errors_file,
            params=request.params,
            trust=args.trust,
            load_options=request.load_options,
            progress=not (args.quiet or args.no_progress),
        )
    if not args.quiet:
        for w in caught:
            print(f"flavorkit: warning: {w.message}", file=sys.stderr)
        print(f"flavorkit: {summary}", file=sys.stderr)
    return 1 if summary.errors and not summary.rows else 0


def _run_whole(args: argparse.Namespace, request: PredictRequest) -> int:
    from flavorkit.api import load_model

    params = request.params
    model = load_model(args.model, trust=args.trust, **request.load_options)
    schema = model.signature.inputs if model.signature is not None else None
    source = Path(request.inputs[0])
    data, body_params = _read_input(source, schema)
    if body_params:
        params = {**body_params, **(params or {})}
    show = not (args.no_progress or args.quiet) and sys.stderr.isatty()
    predictions = _predict_in_chunks(model.predict, data, params, progress=show)
    _write_output(predictions, args.output)
    if request.output is not None and not args.quiet:
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


def _argv(args: argparse.Namespace) -> list[str]:
    """This ``predict`` command again, for the model's environment (``--env-manager`` left out)."""
    inputs = [i if any(c in i for c in "*?[") else str(Path(i).absolute()) for i in args.input]
    out = args.output if args.output == "-" else str(Path(args.output).absolute())
    argv = ["predict", "-m", args.model, "-i", *inputs, "-o", out]
    if args.params:
        argv += ["--params", args.params]
    if args.batch_size is not None:
        argv += ["--batch-size", str(args.batch_size)]
    if args.keep_columns:
        argv += ["--keep-columns", *args.keep_columns]
    argv += ["--on-error", args.on_error]
    if args.errors_file:
        argv += ["--errors-file", str(Path(args.errors_file).absolute())]
    for flag in ("quiet", "no_progress"):
        if getattr(args, flag):
            argv.append("--" + flag.replace("_", "-"))
    return argv + load_argv(args)
