"""``flavorkit validate``: check that a model directory will load and predict where it is deployed.

Each check reports pass, warn or fail with a detail that says what to do. A failed check stops the
checks that depend on it (no point predicting with a model that does not load).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flavorkit.errors import FlavorkitError
from flavorkit.integrity import MANIFEST_FILE, SIGNATURE_FILE, VersionMismatchWarning

__all__ = ["Check", "validate_model"]

_SYMBOLS = {"pass": "✓", "warn": "!", "fail": "✗", "skip": "-"}


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # pass | warn | fail | skip
    detail: str

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self.status]


def validate_model(
    model_uri: str | os.PathLike[str],
    *,
    trust: bool = False,
    public_key: str | os.PathLike[str] | None = None,
    **load_options: Any,
) -> list[Check]:
    """Run every check on the model at ``model_uri`` and return them in order.

    ``public_key`` also verifies the model's signature (``model.sig``) with that key.
    """
    from flavorkit.api import load_model, resolve_model_path
    from flavorkit.mlmodel import Model

    checks: list[Check] = []
    root = resolve_model_path(model_uri)
    try:
        meta = Model.load(root)
        pyfunc = meta.pyfunc_flavor()
    except FlavorkitError as e:
        return [Check("MLmodel", "fail", str(e))]
    flavors = ", ".join(sorted(meta.flavors)) or "none"
    checks.append(Check("MLmodel", "pass", f"valid; flavors: {flavors}"))

    checks.append(_check_manifest(root))
    checks.append(_check_signature(root, public_key))
    checks.append(_check_paths(root, meta.flavors.get("python_function", {}), meta))
    checks.append(_check_requirements(root))
    checks.append(_check_versions(root))
    if pyfunc is None:
        checks.append(Check("load", "skip", "no python_function flavor: nothing to predict with"))
        return checks
    try:
        with warnings.catch_warnings():  # the versions check above reports them
            warnings.simplefilter("ignore", VersionMismatchWarning)
            model = load_model(root, trust=trust, verify=None, **load_options)
    except FlavorkitError as e:
        return [*checks, Check("load", "fail", str(e))]
    checks.append(Check("load", "pass", f"loaded with flavor {model.flavor!r}"))
    checks.append(_check_example(model))
    return checks


def _check_manifest(root: Path) -> Check:
    """Every file against the manifest written at save: sizes, SHA-256, none added or missing."""
    from flavorkit.integrity import verify_directory

    try:
        manifest = verify_directory(root)
    except FlavorkitError as e:
        return Check("manifest", "fail", str(e))
    if manifest is None:
        return Check(
            "manifest",
            "warn",
            f"the model carries none ({MANIFEST_FILE}: saved by MLflow or an older flavorkit), so "
            "changed files go unnoticed; `flavorkit manifest MODEL` records one",
        )
    return Check(
        "manifest", "pass", f"{len(manifest.files)} files match their {manifest.algorithm} digests"
    )


def _check_signature(root: Path, public_key: str | os.PathLike[str] | None) -> Check:
    signed = (root / SIGNATURE_FILE).is_file()
    if public_key is None:
        if signed:
            return Check(
                "signature",
                "skip",
                f"signed ({SIGNATURE_FILE}); check it with --public-key KEY",
            )
        return Check("signature", "skip", "not signed (`flavorkit sign MODEL --private-key KEY`)")
    from flavorkit.integrity.signing import verify_signature

    try:
        verify_signature(root, public_key=public_key)
    except FlavorkitError as e:
        return Check("signature", "fail", str(e))
    return Check("signature", "pass", f"{SIGNATURE_FILE} verifies with {public_key}")


def _check_versions(root: Path) -> Check:
    """The versions the model was saved with against those installed (the load-time check)."""
    from flavorkit.api import version_mismatches

    try:
        mismatches = version_mismatches(root)
    except FlavorkitError as e:
        return Check("versions", "skip", f"cannot tell without the flavor's plugin ({e})")
    if mismatches:
        return Check("versions", "warn", "; ".join(m.describe() for m in mismatches))
    return Check("versions", "pass", "the framework, Python and flavorkit versions are compatible")


def _check_paths(root: Path, pyfunc: dict[str, Any], meta: Any) -> Check:
    """Every file MLmodel names is inside the directory and present."""
    from flavorkit.safety import model_file

    named: list[tuple[str, Any]] = [
        (f"python_function.{k}", pyfunc.get(k)) for k in ("data", "model_path", "code")
    ]
    env = pyfunc.get("env")
    if isinstance(env, str):
        named.append(("python_function.env", env))
    elif isinstance(env, dict):
        named += [(f"python_function.env.{k}", v) for k, v in env.items()]
    info = meta.saved_input_example_info or {}
    named += [
        (f"saved_input_example_info.{k}", info.get(k))
        for k in ("artifact_path", "serving_input_path")
    ]
    missing = []
    try:
        for key, rel in named:
            if rel is None:
                continue
            if not model_file(root, rel, key=key).exists():
                missing.append(f"{key} ({rel})")
    except FlavorkitError as e:
        return Check("files", "fail", str(e))
    if missing:
        return Check("files", "fail", "missing: " + ", ".join(missing))
    return Check("files", "pass", "every file MLmodel names is present and inside the directory")


def _check_requirements(root: Path) -> Check:
    from flavorkit.environment import check_installed, read_requirements

    try:
        reqs = read_requirements(root)
    except FlavorkitError as e:
        return Check("requirements", "fail", str(e))
    if not reqs:
        return Check("requirements", "warn", "no requirements.txt: the environment is unknown")
    mismatches = check_installed(reqs)
    if mismatches:
        detail = "; ".join(
            f"{m.name}: requires {m.required}, installed {m.installed or 'nothing'}"
            for m in mismatches
        )
        return Check("requirements", "warn", detail)
    return Check("requirements", "pass", f"{len(reqs)} requirements satisfied here")


def _check_example(model: Any) -> Check:
    if model.metadata.saved_input_example_info is None:
        return Check("example", "skip", "no input example saved")
    try:
        example = model.input_example
        data, params = example if isinstance(example, tuple) else (example, None)
        model.predict(data, params)
    except Exception as e:
        return Check("example", "fail", f"{type(e).__name__}: {e}")
    where = "through the signature" if model.signature is not None else "(no signature)"
    return Check("example", "pass", f"the saved example predicts {where}")
