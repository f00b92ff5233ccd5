"""``flavorkit sign``, ``verify`` and ``manifest``: provenance of a model directory.

``sign`` and ``verify`` wrap :mod:`flavorkit.integrity.signing` (OpenSSF model-signing, extra
``[sign]``); ``manifest`` re-records the files of a model changed on purpose
(:func:`flavorkit.integrity.write_manifest`). Errors are one line naming the file at fault.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add ``sign``, ``verify`` and ``manifest`` to the CLI's subparsers."""
    p: argparse.ArgumentParser = sub.add_parser(
        "sign", help="sign a model directory (model.sig) with a private key or a certificate"
    )
    p.add_argument("model", help="model directory or file:// URI")
    p.add_argument("--private-key", required=True, metavar="KEY", help="PEM elliptic-curve key")
    p.add_argument("--password", help="the private key's password, if it is encrypted")
    p.add_argument("--certificate", metavar="PEM", help="sign with this signing certificate of KEY")
    p.add_argument(
        "--certificate-chain",
        action="append",
        default=[],
        metavar="PEM",
        help="certificates between --certificate and the root; repeatable",
    )
    p.set_defaults(run=run_sign)

    p = sub.add_parser("verify", help="check a model's signature (model.sig) and its files")
    p.add_argument("model", help="model directory or file:// URI")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--public-key", metavar="KEY", help="the signer's PEM public key")
    who.add_argument(
        "--certificate-chain",
        action="append",
        metavar="PEM",
        help="root (and intermediate) certificates trusted for certificate signatures",
    )
    p.set_defaults(run=run_verify)

    p = sub.add_parser(
        "manifest",
        help="record the model's files as they are now (after a change made on purpose)",
    )
    p.add_argument("model", help="model directory or file:// URI")
    p.set_defaults(run=run_manifest)


def run_sign(args: argparse.Namespace) -> int:
    from flavorkit.api import resolve_model_path
    from flavorkit.integrity.signing import sign_model

    root = resolve_model_path(args.model)
    sig = sign_model(
        root,
        private_key=args.private_key,
        password=args.password,
        certificate=args.certificate,
        certificate_chain=args.certificate_chain,
    )
    print(f"signed {root}: {sig.name}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from flavorkit.api import resolve_model_path
    from flavorkit.integrity.signing import verify_signature

    root = resolve_model_path(args.model)
    verify_signature(root, public_key=args.public_key, certificate_chain=args.certificate_chain)
    by = args.public_key or ", ".join(args.certificate_chain)
    print(f"{root}: the signature verifies with {by}; every file matches")
    return 0


def run_manifest(args: argparse.Namespace) -> int:
    from flavorkit.api import resolve_model_path
    from flavorkit.integrity import MANIFEST_FILE, write_manifest

    root = resolve_model_path(args.model)
    manifest = write_manifest(root)
    print(f"{root}: {MANIFEST_FILE} records {len(manifest.files)} files")
    return 0
