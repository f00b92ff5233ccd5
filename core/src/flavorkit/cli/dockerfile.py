"""``flavorkit generate-dockerfile MODEL_URI -o DIR``: a container build context for the model.

The work is :mod:`flavorkit.serve.dockerfile`; building the image needs Docker, generating it
does not.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "generate-dockerfile",
        help="write a Dockerfile and build context serving the model on 0.0.0.0:8080",
    )
    p.add_argument("model", help="model directory or URI")
    p.add_argument("-o", "--output", default="flavorkit-docker", help="new or empty directory")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flavorkit.serve.dockerfile import generate_dockerfile

    out = generate_dockerfile(args.model, args.output)
    print(f"{out}: Dockerfile and build context written; docker build -t my-model {out}")
    return 0
