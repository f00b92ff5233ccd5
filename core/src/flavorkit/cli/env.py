"""``flavorkit env create`` and ``--env-manager``: the model's own environment.

``flavorkit env create MODEL_URI PATH`` builds the environment a model was saved with (its
``python_env.yaml`` and ``requirements.txt``, plus flavorkit and its plugins) at PATH, for users
who deploy elsewhere. ``flavorkit serve`` and ``flavorkit predict`` take
``--env-manager virtualenv|uv`` to build (once, cached) and then run inside it, as MLflow's
``--env-manager`` does. The work is :mod:`flavorkit.serve.modelenv`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from typing import Any

__all__ = ["add_env_manager_argument", "register", "run_in_environment"]


def register(sub: Any) -> None:
    """Add ``env`` (with its ``create`` subcommand) to the CLI's subparsers."""
    p: argparse.ArgumentParser = sub.add_parser(
        "env", help="build a model's own Python environment (python_env.yaml, requirements.txt)"
    )
    env_sub = p.add_subparsers(dest="env_command", required=True, metavar="ENV_COMMAND")
    c = env_sub.add_parser("create", help="create the model's environment at PATH")
    c.add_argument("model", help="model directory or URI")
    c.add_argument("path", help="directory for the environment (new or empty)")
    c.add_argument(
        "--env-manager",
        choices=("virtualenv", "uv"),
        default="virtualenv",
        help="venv + pip (default; offline from pip's cache) or uv (when installed)",
    )
    c.set_defaults(run=_create)


def add_env_manager_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--env-manager",
        choices=("local", "virtualenv", "uv"),
        default="local",
        help="local: this environment (default); virtualenv or uv: build the model's own "
        "environment once (cached) and run inside it",
    )


def _create(args: argparse.Namespace) -> int:
    import time

    from flavorkit.serve.modelenv import create_environment

    start = time.perf_counter()
    env = create_environment(args.model, args.path, manager=args.env_manager)
    what = "created" if env.created else "already there"
    print(f"{env.path}: {what} ({time.perf_counter() - start:.1f} s); python: {env.python}")
    return 0


def run_in_environment(args: argparse.Namespace, command: list[str]) -> int:
    """Run ``flavorkit COMMAND...`` with the model environment's interpreter; its exit code."""
    from flavorkit.serve.modelenv import create_environment

    env = create_environment(args.model, manager=args.env_manager)
    print(f"flavorkit: running in the model's environment {env.path}", file=sys.stderr)
    return subprocess.call([str(env.python), "-m", "flavorkit.cli", *command])  # noqa: S603


def load_argv(args: argparse.Namespace) -> list[str]:
    """``--trust`` and ``--load-option`` as they were given, for a command run again elsewhere."""
    argv = ["--trust"] if args.trust else []
    for option in args.load_option:
        argv += ["--load-option", option]
    return argv
