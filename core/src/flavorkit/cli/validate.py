"""``flavorkit validate``: run :func:`flavorkit.validate.validate_model` and print each check."""

from __future__ import annotations

import argparse
from typing import Any

from flavorkit.cli.loading import MODEL_HELP, add_load_arguments, load_options

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add ``validate`` to the CLI's subparsers (argparse's ``_SubParsersAction``)."""
    p: argparse.ArgumentParser = sub.add_parser(
        "validate",
        help="check a model: MLmodel, manifest, signature, files, versions, load, example",
    )
    p.add_argument("model", help=MODEL_HELP)
    add_load_arguments(p)
    p.add_argument(
        "--public-key", metavar="KEY", help="also verify the model's signature with this key"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flavorkit.validate import validate_model

    report = validate_model(
        args.model, trust=args.trust, public_key=args.public_key, **load_options(args)
    )
    for check in report:
        print(f"{check.symbol} {check.name}: {check.detail}")
    failed = [c for c in report if c.status == "fail"]
    print(f"\n{len(report) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
