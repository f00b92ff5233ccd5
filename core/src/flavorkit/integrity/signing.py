"""Signing model directories with OpenSSF model-signing (``pip install 'flavorkit[sign]'``).

The signature is ``model.sig`` in the model directory: a Sigstore bundle in the format of the
``model-signing`` project (also used by NVIDIA NGC and Kaggle), so ``model_signing verify`` checks a
flavorkit-signed model too. It covers every file of the directory, the manifest included, except
``MLmodel`` (MLflow rewrites it when logging) and the signature itself; the manifest, signed,
binds MLmodel's ``flavors``, ``signature`` and ``saved_input_example_info`` sections, and
:func:`verify_signature` checks those as well. So a tampered, added or removed file, an edited
flavor section and a signature made by another key each fail, and an added ``run_id`` does not.

Two modes are supported here: an elliptic-curve private key (verified with its public key) and a
signing certificate with its chain (verified against the chain's root). Sigstore's keyless mode
(an OIDC identity, a public transparency log) needs the internet: sign and verify with the
``model_signing`` command itself, passing ``--ignore-paths MLmodel``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flavorkit.errors import FlavorkitError, SignatureVerificationError, install_hint
from flavorkit.integrity.manifest import (
    MANIFEST_FILE,
    SIGNATURE_FILE,
    UNRECORDED,
    mlmodel_digest,
    read_manifest,
    verify_directory,
    write_manifest,
)
from flavorkit.mlmodel import MLMODEL_FILE_NAME

__all__ = ["sign_model", "verify_signature"]

PathLike = str | os.PathLike[str]
_INSTALL = install_hint("'flavorkit[sign]'")


def sign_model(
    path: PathLike,
    *,
    private_key: PathLike,
    password: str | None = None,
    certificate: PathLike | None = None,
    certificate_chain: Sequence[PathLike] = (),
) -> Path:
    """Sign the model directory ``path`` and return the signature file (``model.sig``).

    With ``certificate`` the signature carries that signing certificate (and ``certificate_chain``)
    and is verified against a root of trust; without, it is verified with the public key of
    ``private_key``. A model without a manifest gets one first; a model whose files no longer
    match its manifest is refused (sign what you checked).
    """
    ms = _model_signing()
    root = Path(path).absolute()
    if read_manifest(root) is None:
        write_manifest(root)
    else:
        verify_directory(root)
    config = ms.signing.Config().set_hashing_config(_hashing_config(ms, root))
    try:
        if certificate is not None:
            config.use_certificate_signer(
                private_key=private_key,
                signing_certificate=certificate,
                certificate_chain=list(certificate_chain),
            )
        else:
            config.use_elliptic_key_signer(private_key=private_key, password=password)
    except (ValueError, TypeError, OSError) as e:
        raise FlavorkitError(f"{private_key}: cannot sign with this key ({e}).") from e
    tmp = root / f".{SIGNATURE_FILE}.{os.urandom(4).hex()}.tmp"
    try:
        config.sign(root, tmp)
        os.replace(tmp, root / SIGNATURE_FILE)
    finally:
        tmp.unlink(missing_ok=True)
    return root / SIGNATURE_FILE


def verify_signature(
    path: PathLike,
    *,
    public_key: PathLike | None = None,
    certificate_chain: Sequence[PathLike] | None = None,
) -> None:
    """Check ``model.sig`` with ``public_key`` (or, for certificate signatures, the chain).

    Raises :class:`~flavorkit.errors.SignatureVerificationError` naming what differs: the file
    that changed, was added or removed, the MLmodel sections, or the key.
    """
    if (public_key is None) == (certificate_chain is None):
        raise FlavorkitError(
            "verify_signature needs exactly one of public_key= and certificate_chain=."
        )
    ms = _model_signing()
    root = Path(path).absolute()
    sig = root / SIGNATURE_FILE
    if not sig.is_file():
        raise SignatureVerificationError(
            f"{root}: the model is not signed ({SIGNATURE_FILE} is missing); sign it with "
            "`flavorkit sign MODEL --private-key KEY`.",
            file=SIGNATURE_FILE,
        )
    config = ms.verifying.Config().set_hashing_config(_hashing_config(ms, root))
    if public_key is not None:
        config.use_elliptic_key_verifier(public_key=public_key)
        who = f"the public key {public_key}"
    else:
        config.use_certificate_verifier(certificate_chain=list(certificate_chain or ()))
        who = "the certificate chain " + ", ".join(map(str, certificate_chain or ()))
    try:
        config.verify(root, sig)
    except Exception as e:  # model-signing raises ValueError, cryptography and OpenSSL errors
        raise _signature_error(root, e, who) from e
    manifest = read_manifest(root)
    if manifest is None:  # signed by model_signing without flavorkit: MLmodel was covered
        return
    if manifest.mlmodel_digest is not None and mlmodel_digest(root) != manifest.mlmodel_digest:
        raise SignatureVerificationError(
            f"{root}: MLmodel's flavors, signature or saved_input_example_info differ from those "
            "the signed manifest recorded; the model was edited after signing.",
            file=MLMODEL_FILE_NAME,
        )


def _signature_error(root: Path, e: Exception, who: str) -> SignatureVerificationError:
    text = str(e)
    if text.startswith("Signature mismatch"):
        first = _first_file(text)
        return SignatureVerificationError(
            f"{root}: the files differ from those signed: "
            f"{text.removeprefix('Signature mismatch: ')}. Re-download the model, or re-sign it "
            "if the change is yours.",
            file=first,
        )
    reason = f"{type(e).__name__}: {text}" if text else type(e).__name__
    return SignatureVerificationError(
        f"{root}: {SIGNATURE_FILE} was not made by {who} or is corrupt ({reason}). Verify with the "
        "key that signed it.",
        file=SIGNATURE_FILE,
    )


def _first_file(text: str) -> str | None:
    """The first file named in model-signing's mismatch report (its wording, parsed loosely)."""
    for marker in ("Hash mismatch for '", ": "):
        if marker in text:
            rest = text.split(marker, 1)[1]
            return rest.split("'" if marker.endswith("'") else ",", 1)[0].strip(" []'\"")
    return None


def _hashing_config(ms: Any, root: Path) -> Any:
    """SHA-256 per file, ignoring MLmodel, the signature and what Python or MLflow add later."""
    ignored = {name for name in UNRECORDED if name != MANIFEST_FILE}
    for folder, dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        for d in dirs:
            if d == "__pycache__":
                ignored.add(os.path.normpath(os.path.join(rel, d)))
        ignored.update(os.path.normpath(os.path.join(rel, f)) for f in files if f.endswith(".pyc"))
    return (
        ms.hashing.Config()
        .use_file_serialization(hashing_algorithm="sha256")
        .set_ignored_paths(paths=sorted(ignored), ignore_git_paths=True)
    )


def _model_signing() -> Any:
    try:
        import model_signing
        import model_signing.hashing
        import model_signing.signing
        import model_signing.verifying
    except ModuleNotFoundError as e:
        raise FlavorkitError(
            f"signing models needs the model-signing package ({e}); {_INSTALL}"
        ) from e
    return model_signing
