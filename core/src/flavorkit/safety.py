"""Loading is safe by default: the two rules every flavor applies through these helpers.

1. **A model directory is data.** Every path read from an MLmodel file must resolve inside the
   model directory: no absolute paths, no ``..``, no symlink leading out (:func:`model_file`).
2. **Code runs on load only with the caller's say-so.** Formats that execute code when loaded
   (pickle, cloudpickle, importing a class named in the model) are refused unless the caller
   passed ``trust=True`` (:func:`require_trust`). Nothing inside a model directory can grant trust:
   not MLmodel keys, not a list of "trusted types" written next to the weights.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from flavorkit.errors import ModelPathError, UntrustedModelError

__all__ = ["model_file", "require_trust"]


def model_file(model_dir: str | os.PathLike[str], relative: str, *, key: str) -> Path:
    """Resolve ``relative`` (a path read from MLmodel under ``key``) inside ``model_dir``.

    Raises :class:`~flavorkit.errors.ModelPathError` naming the key when the path is absolute,
    climbs out with ``..``, or leads out through a symlink.
    """
    if not isinstance(relative, str) or not relative:
        shown = repr(relative) if len(repr(relative)) <= 60 else f"{type(relative).__name__} ..."
        raise ModelPathError(f"MLmodel key '{key}': expected a relative path, got {shown}.")
    if "\x00" in relative:
        raise ModelPathError(
            f"MLmodel key '{key}': {relative[:60]!r} contains a NUL byte, which no file name can "
            "hold; the MLmodel file is damaged."
        )
    if (
        PurePosixPath(relative).is_absolute()
        or PureWindowsPath(relative).is_absolute()
        or PureWindowsPath(relative).drive
    ):
        raise ModelPathError(
            f"MLmodel key '{key}': {relative!r} is absolute; paths in a model directory must be "
            "relative to it."
        )
    if ".." in PurePosixPath(relative.replace("\\", "/")).parts:
        raise ModelPathError(
            f"MLmodel key '{key}': {relative!r} climbs out of the model directory with '..'."
        )
    root = Path(model_dir).resolve()
    target = (root / relative).resolve()
    if target != root and root not in target.parents:
        raise ModelPathError(
            f"MLmodel key '{key}': {relative!r} resolves to {target}, outside the model "
            f"directory {root} (a symlink leads out)."
        )
    try:
        os.lstat(target)
    except OSError as e:
        if e.errno == errno.ENAMETOOLONG:
            raise ModelPathError(
                f"MLmodel key '{key}': the path ({len(relative)} characters) is longer than the "
                "file system allows; the MLmodel file is damaged."
            ) from None
    return target


def require_trust(trust: bool, file: str | os.PathLike[str], why: str) -> None:
    """Refuse to go on unless the caller trusts the model.

    ``why`` says what loading ``file`` would do, e.g. ``"it is a pickle, and unpickling runs
    code"``. The error tells the caller how to proceed.
    """
    if trust:
        return
    raise UntrustedModelError(
        f"Refusing to load {os.fspath(file)}: {why}. Loading it could run arbitrary code. If you "
        "trust where this model came from, pass trust=True (CLI: --trust)."
    )
