"""``flavorkit gc``: remove what killed saves left in model directories' parents.

A save killed mid-way (SIGKILL, out of memory) leaves its temporary directory beside the target.
The next save into the same directory removes such leftovers; this command does it on demand,
through :func:`flavorkit.staging.remove_stale`, which never touches a save still running.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add ``gc`` to the CLI's subparsers (argparse's ``_SubParsersAction``)."""
    p: argparse.ArgumentParser = sub.add_parser(
        "gc", help="remove temporaries that killed saves left (never a running save's)"
    )
    p.add_argument(
        "directory", nargs="*", default=["."], help="directories models are saved into (default .)"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flavorkit.errors import ModelPathError
    from flavorkit.staging import remove_stale

    for directory in args.directory:
        root = Path(directory)
        if not root.is_dir():
            raise ModelPathError(f"{root}: no such directory to clean.")
        report = remove_stale(root)
        removed = [p for p in report.removed if p.suffix != ".lock"]
        print(f"{root}: removed {len(removed)} leftover(s) of killed saves", end="")
        if report.restored:
            print(f", put back {', '.join(p.name for p in report.restored)}", end="")
        print(f"; {len(report.live)} of running saves left alone")
        for path in report.unowned:
            print(f"  left {path}: no lock file (an older flavorkit's); remove it if no save runs")
    return 0
