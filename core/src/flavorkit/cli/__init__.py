"""The ``flavorkit`` command: list flavors, inspect, validate and predict with saved models.

Exit codes: 0 success, 1 a failed check or an error (printed as one line, no traceback), 2 bad
usage (argparse), 130 interrupted. ``--json`` output is stable for scripts.

The command is a package: :mod:`flavorkit.cli.parser` builds the parser from one module per
command group (:mod:`~flavorkit.cli.flavors`, :mod:`~flavorkit.cli.info`,
:mod:`~flavorkit.cli.validate`, :mod:`~flavorkit.cli.predict`, :mod:`~flavorkit.cli.serve`,
:mod:`~flavorkit.cli.sign`), each
exposing ``register(subparsers)``; :mod:`flavorkit.cli.loading` holds the ``--trust`` and
``--load-option`` arguments every command that loads a model shares. A new command group is a new
module here plus one entry in :data:`flavorkit.cli.parser.COMMANDS`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from flavorkit.cli.parser import build_parser

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``flavorkit`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    parser = build_parser()
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
