"""``flavorkit flavors``: the installed flavor plugins and the plugins that failed to load."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from flavorkit.errors import install_hint

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add ``flavors`` to the CLI's subparsers (argparse's ``_SubParsersAction``)."""
    p: argparse.ArgumentParser = sub.add_parser(
        "flavors", help="list installed flavor plugins and plugin load errors"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
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
        print(
            "No flavor plugins installed. To add scikit-learn's, "
            f"{install_hint('flavorkit-sklearn')}."
        )
    for row in rows:
        where = f"{row['distribution']} {row['version']}" if row["distribution"] else "in-process"
        types = ", ".join(row["model_types"]) or "-"
        print(f"{row['name']:<16} {where:<32} {types}")
    for err in errors:
        print(f"BROKEN {err['name']}: {err['error']}", file=sys.stderr)
    return 0
