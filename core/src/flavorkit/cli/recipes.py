"""``flavorkit recipes run|inspect|clean|get-artifact|init``: MLflow Recipes' commands.

``run`` prints one line per step (ran or reused, and why). When a step's own code raised, the
user's traceback (the frames in the recipe's ``steps/``) is printed before the one-line error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add ``recipes`` and its subcommands to the CLI's subparsers."""
    p: argparse.ArgumentParser = sub.add_parser(
        "recipes", help="run MLflow-Recipes-style pipelines (recipe.yaml + profiles + steps/)"
    )
    rsub = p.add_subparsers(dest="recipes_command", required=True, metavar="SUBCOMMAND")

    def common(q: argparse.ArgumentParser, step_help: str) -> None:
        q.add_argument("--step", "-s", default=None, help=step_help)
        q.add_argument(
            "--profile", "-p", default=None,
            help="profile in profiles/ (default: $FLAVORKIT_RECIPES_PROFILE, "
            "$MLFLOW_RECIPES_PROFILE or local)",
        )  # fmt: skip
        q.add_argument("--root", default=".", help="recipe root or a directory inside it")

    q = rsub.add_parser("run", help="run a step and what it needs (default: through register)")
    common(q, "the step to run (default: register)")
    q.set_defaults(run=_run)
    q = rsub.add_parser("inspect", help="write the DAG page, or a step's card, and print its path")
    common(q, "the step whose card to show (default: the DAG with each step's state)")
    q.add_argument("--json", action="store_true", help="print each step's state as JSON")
    q.set_defaults(run=_inspect)
    q = rsub.add_parser("clean", help="forget a step's cached outputs and everything downstream")
    common(q, "the step to clean (default: every step)")
    q.set_defaults(run=_clean)
    q = rsub.add_parser("get-artifact", help="print where an artifact is, or a summary of it")
    common(q, argparse.SUPPRESS)
    q.add_argument("--artifact", "-a", required=True, help="e.g. model, training_data, run")
    q.set_defaults(run=_get_artifact)
    q = rsub.add_parser("init", help="write a runnable starter recipe")
    q.add_argument("directory", help="a new (or empty) directory")
    q.add_argument(
        "--template", "-t", choices=("regression", "classification"), default="regression"
    )
    q.set_defaults(run=_init)


def _recipe(args: argparse.Namespace) -> Any:
    from flavorkit.recipes import Recipe

    return Recipe(args.profile, root=args.root)


def _run(args: argparse.Namespace) -> int:
    from flavorkit.errors import RecipeError, RecipeStepError

    recipe = _recipe(args)
    try:
        recipe.run(args.step)
    except RecipeStepError as e:
        if e.traceback_text and not isinstance(e.__cause__, RecipeError):
            print(e.traceback_text.rstrip(), file=sys.stderr)
        raise
    return 0


def _inspect(args: argparse.Namespace) -> int:
    recipe = _recipe(args)
    if args.json:
        print(json.dumps(recipe.status(), indent=2))
        return 0
    if args.step is None:
        for row in recipe.status():
            fresh = "" if row["up_to_date"] or row["status"] != "SUCCEEDED" else " (stale)"
            print(f"{row['step']:<16} {row['status']}{fresh}")
    print(recipe.inspect(args.step))
    return 0


def _clean(args: argparse.Namespace) -> int:
    _recipe(args).clean(args.step)
    return 0


def _get_artifact(args: argparse.Namespace) -> int:
    value = _recipe(args).get_artifact(args.artifact)
    if value is None:
        print(f"{args.artifact}: not produced yet (run the recipe first)", file=sys.stderr)
        return 1
    if hasattr(value, "shape") and hasattr(value, "head"):
        print(f"{args.artifact}: {value.shape[0]} rows x {value.shape[1]} columns")
        print(value.head(10).to_string())
    else:
        print(value)
    return 0


def _init(args: argparse.Namespace) -> int:
    from flavorkit.recipes.init import init_project

    path = init_project(args.directory, args.template)
    print(f"wrote a {args.template} recipe to {path}; next: cd {args.directory} && "
          "flavorkit recipes run")  # fmt: skip
    return 0
