"""The ``flavorkit`` command: list flavors, inspect, validate and predict with saved models.

Exit codes: 0 success, 1 a failed check or an error (printed as one line, no traceback), 2 bad
usage (argparse), 130 interrupted. ``--json`` output is stable for scripts.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

__all__ = ["main"]

CHUNK_ROWS = 10_000


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    from flavorkit.errors import FlavorkitError

    try:
        code: int = args.run(args)
        return code
    except FlavorkitError as e:
        print(f"flavorkit: error: {e}", file=sys.stderr)
        return 1
    except (OSError, ValueError, TypeError) as e:
        print(f"flavorkit: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("flavorkit: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    from flavorkit import __version__

    parser = argparse.ArgumentParser(
        prog="flavorkit",
        description="Save, inspect and serve ML models in the MLmodel format.",
    )
    parser.add_argument("--version", action="version", version=f"flavorkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("flavors", help="list installed flavor plugins and plugin load errors")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_cmd_flavors)

    p = sub.add_parser("info", help="describe a saved model: flavors, signature, environment")
    p.add_argument("model", help="model directory or file:// URI")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_cmd_info)

    p = sub.add_parser(
        "validate",
        help="check a model: MLmodel, files, paths, example vs signature, installed versions",
    )
    p.add_argument("model", help="model directory or file:// URI")
    _add_load_arguments(p)
    p.set_defaults(run=_cmd_validate)

    p = sub.add_parser("predict", help="predict on a CSV, JSON or Parquet file")
    p.add_argument("-m", "--model", required=True, help="model directory or file:// URI")
    p.add_argument("-i", "--input", required=True, help="input file (.csv, .json, .parquet)")
    p.add_argument(
        "-o", "--output", default="-", help="output file (.json, .csv, .parquet); - = stdout"
    )
    p.add_argument("--params", help="inference params as JSON, e.g. '{\"threshold\": 0.5}'")
    _add_load_arguments(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(run=_cmd_predict)

    from flavorkit.serve.command import add_serve_command  # imports no web framework

    add_serve_command(sub)
    return parser


def _add_load_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trust", action="store_true", help="allow formats that run code on load")
    p.add_argument(
        "--load-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a flavor load option, VALUE as JSON if it parses "
        "(e.g. trusted_types='[\"sklearn.tree._tree.Tree\"]'); repeatable",
    )


def _load_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for item in args.load_option:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            raise ValueError(f"--load-option {item!r}: expected KEY=VALUE")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


# -- flavors ------------------------------------------------------------------------------------


def _cmd_flavors(args: argparse.Namespace) -> int:
    from importlib.metadata import PackageNotFoundError, version

    from flavorkit.plugins import get_registry

    registry = get_registry()
    rows: list[dict[str, Any]] = []
    for info in sorted(registry.flavors(), key=lambda i: i.name):
        dist = registry.distribution_of(info.name)
        try:
            dist_version = version(dist) if dist else None
        except PackageNotFoundError:
            dist_version = None
        rows.append(
            {
                "name": info.name,
                "distribution": dist,
                "version": dist_version,
                "model_types": list(info.model_types),
                "loader_modules": list(info.loader_modules),
            }
        )
    errors = [e.__dict__ for e in registry.load_errors]
    if args.json:
        print(json.dumps({"flavors": rows, "errors": errors}, indent=2))
        return 0
    if not rows:
        print("No flavor plugins installed. Try `pip install flavorkit-sklearn`.")
    for row in rows:
        where = f"{row['distribution']} {row['version']}" if row["distribution"] else "in-process"
        types = ", ".join(row["model_types"]) or "-"
        print(f"{row['name']:<16} {where:<32} {types}")
    for err in errors:
        print(f"BROKEN {err['name']}: {err['error']}", file=sys.stderr)
    return 0


# -- info ---------------------------------------------------------------------------------------


def _cmd_info(args: argparse.Namespace) -> int:
    from flavorkit.api import resolve_model_path
    from flavorkit.environment import read_requirements
    from flavorkit.mlmodel import Model

    root = resolve_model_path(args.model)
    meta = Model.load(root)
    sig = meta.signature
    summary: dict[str, Any] = {
        "path": str(root),
        "flavors": meta.flavors,
        "model_uuid": meta.model_uuid,
        "utc_time_created": meta.utc_time_created,
        "model_size_bytes": meta.model_size_bytes,
        "signature": sig.to_dict() if sig is not None else None,
        "input_example": meta.saved_input_example_info,
        "requirements": read_requirements(root),
        "metadata": meta.metadata,
    }
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    print(f"Model        {root}")
    pyfunc = meta.flavors.get("python_function", {})
    for name, conf in meta.flavors.items():
        if name != "python_function":
            print(f"Flavor       {name}  {_compact(conf)}")
    if pyfunc:
        print(f"Loader       {pyfunc.get('loader_module')} (python {pyfunc.get('python_version')})")
    print(f"Created      {meta.utc_time_created}   uuid {meta.model_uuid}")
    if meta.model_size_bytes:
        print(f"Size         {meta.model_size_bytes:,} bytes")
    if sig is None:
        print("Signature    none (inputs are passed to the model unchecked)")
    else:
        for part, schema in (("Inputs", sig.inputs), ("Outputs", sig.outputs)):
            if schema is not None:
                print(f"{part:<12} " + ("\n" + " " * 13).join(repr(s) for s in schema.inputs))
        if sig.params:
            print("Params       " + ("\n" + " " * 13).join(repr(p) for p in sig.params))
    if meta.saved_input_example_info:
        print(f"Example      {meta.saved_input_example_info.get('artifact_path')}")
    reqs = summary["requirements"]
    if reqs:
        print("Requirements " + ", ".join(reqs))
    return 0


def _compact(conf: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in conf.items() if v is not None)


# -- validate -----------------------------------------------------------------------------------


def _cmd_validate(args: argparse.Namespace) -> int:
    from flavorkit.validate import validate_model

    report = validate_model(args.model, trust=args.trust, **_load_options(args))
    for check in report:
        print(f"{check.symbol} {check.name}: {check.detail}")
    failed = [c for c in report if c.status == "fail"]
    print(f"\n{len(report) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


# -- predict ------------------------------------------------------------------------------------


def _cmd_predict(args: argparse.Namespace) -> int:
    from flavorkit.api import load_model

    params = None
    if args.params:
        try:
            params = json.loads(args.params)
        except json.JSONDecodeError as e:
            raise ValueError(f"--params is not valid JSON: {e}") from None
        if not isinstance(params, dict):
            raise ValueError("--params must be a JSON object, e.g. '{\"k\": 3}'")
    model = load_model(args.model, trust=args.trust, **_load_options(args))
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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
