"""The ``flavorkit`` argument parser, assembled from one module per command group.

Each module in :data:`COMMANDS` exposes ``register(subparsers)``, which adds its subcommand(s) to
argparse's subparsers and sets ``run`` (a function of the parsed arguments returning the exit
code) as the default. Command modules import their heavy dependencies inside ``run``, so building
the parser stays cheap for every command. To add a command group, write ``flavorkit/cli/<name>.py``
with a ``register`` function and add the module to :data:`COMMANDS`; the order of the tuple is the
order of ``flavorkit --help``.
"""

from __future__ import annotations

import argparse
from types import ModuleType

from flavorkit.cli import (
    dockerfile,
    env,
    flavors,
    gc,
    info,
    predict,
    recipes,
    serve,
    sign,
    validate,
)

__all__ = ["COMMANDS", "build_parser"]

COMMANDS: tuple[ModuleType, ...] = (
    flavors,
    info,
    validate,
    predict,
    serve,
    env,
    dockerfile,
    sign,
    gc,
    recipes,
)


def build_parser() -> argparse.ArgumentParser:
    """The full ``flavorkit`` parser with every registered command group."""
    from flavorkit import __version__

    parser = argparse.ArgumentParser(
        prog="flavorkit",
        description="Save, inspect and serve ML models in the MLmodel format.",
    )
    parser.add_argument("--version", action="version", version=f"flavorkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    debug_help = "on an error, print the traceback too (also FLAVORKIT_DEBUG=1)"
    parser.add_argument("--debug", action="store_true", help=debug_help)
    for module in COMMANDS:
        module.register(sub)
    for command in sub.choices.values():  # `flavorkit predict ... --debug` works as well
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help
        )
    return parser
