"""The arguments every command that loads a model shares: ``--trust`` and ``--load-option``.

``validate``, ``predict`` and ``serve`` all load a model, so they take the same two arguments and
turn them into the same keyword arguments of :func:`flavorkit.load_model`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["MODEL_HELP", "add_load_arguments", "load_options"]

#: What every command's model argument accepts (resolved by flavorkit.api.resolve_model_path).
MODEL_HELP = (
    "model directory, file:// URI, runs:/<run_id>/<path>, models:/<name>/<version>, "
    "models:/<name>@<alias>, models:/m-<id> or an artifact URI (MLFLOW_TRACKING_URI applies)"
)


def add_load_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``--trust`` and the repeatable ``--load-option KEY=VALUE`` to ``p``."""
    p.add_argument("--trust", action="store_true", help="allow formats that run code on load")
    p.add_argument(
        "--load-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a flavor load option, VALUE as JSON if it parses "
        "(e.g. trusted_types='[\"sklearn.tree._tree.Tree\"]'); repeatable",
    )


def load_options(args: argparse.Namespace) -> dict[str, Any]:
    """The ``--load-option`` values as keyword arguments; a VALUE that parses as JSON is JSON."""
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
