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

import os
import sys
import traceback
from collections.abc import Sequence

from flavorkit.cli.parser import build_parser

__all__ = ["build_parser", "main"]


DEBUG_ENV = "FLAVORKIT_DEBUG"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``flavorkit`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit code.

    A user error (a :class:`~flavorkit.errors.FlavorkitError`, a bad file, a missing optional
    package) prints one line and exits 1; ``--debug`` or ``FLAVORKIT_DEBUG=1`` prints the
    traceback above it.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    from flavorkit.errors import FlavorkitError

    debug = bool(getattr(args, "debug", False)) or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    try:
        code: int = args.run(args)
        return code
    except FlavorkitError as e:
        return _fail(str(e), debug)
    except ImportError as e:  # an optional dependency: name it
        return _fail(f"a package is missing: {e}", debug)
    except (OSError, ValueError, TypeError) as e:
        return _fail(f"{type(e).__name__}: {e}", debug)
    except KeyboardInterrupt:
        print("flavorkit: interrupted", file=sys.stderr)
        return 130


def _fail(message: str, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    line = " ".join(message.split())  # one line, whatever the message held
    print(f"flavorkit: error: {line}", file=sys.stderr)
    return 1
