"""``flavorkit info``: describe a saved model from its files alone, loading no plugin or model."""

from __future__ import annotations

import argparse
import json
from typing import Any

from flavorkit.cli.loading import MODEL_HELP

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add ``info`` to the CLI's subparsers (argparse's ``_SubParsersAction``)."""
    p: argparse.ArgumentParser = sub.add_parser(
        "info", help="describe a saved model: flavors, signature, environment"
    )
    p.add_argument("model", help=MODEL_HELP)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
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
