"""Naming a class by reference (``module:QualName``) and importing it back, ``code/`` included.

A model's ``code/`` directory goes on ``sys.path`` only while the model's own code is imported
(a class by reference, a model file, the classes a pickle names), and is removed again right after:
a model must not change how the rest of the process resolves imports. Modules the model's code
imports *lazily* (inside ``predict``) from ``code/`` are therefore not found later; import them at
the top of the module. MLflow, by contrast, prepends ``code/`` and never removes it.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flavorkit.errors import FlavorkitError

__all__ = ["class_reference", "import_reference", "on_sys_path", "missing_module_error"]


@contextlib.contextmanager
def on_sys_path(directory: Path | None) -> Iterator[None]:
    """``directory`` first on ``sys.path`` inside the block (nothing if None), then removed."""
    if directory is None:
        yield
        return
    entry = str(directory)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(entry)


def class_reference(cls: type) -> str:
    """``module:QualName`` of ``cls``, checked to import back to ``cls`` itself."""
    module, qualname = cls.__module__, cls.__qualname__
    where = f"{module}.{qualname}"
    if module == "__main__" or "<locals>" in qualname:
        why = "defined in __main__" if module == "__main__" else "defined inside a function"
        raise ValueError(
            f"python_model: {where} cannot be saved by reference: it is {why}, so no other "
            "process can import it. Move it to a module (ship the module with code_paths=[...] if "
            "it is not installed), or save with serialization='cloudpickle'."
        )
    ref = f"{module}:{qualname}"
    try:
        found = _resolve(ref)
    except Exception as e:
        raise ValueError(
            f"python_model: {where} cannot be saved by reference: importing {ref!r} back fails "
            f"({type(e).__name__}: {e})."
        ) from e
    if found is not cls:
        raise ValueError(
            f"python_model: {where} cannot be saved by reference: {ref!r} imports a different "
            "object (was the module reloaded, or the class redefined?)."
        )
    return ref


def import_reference(ref: str, code_dir: Path | None, *, key: str) -> Any:
    """The object ``module:QualName`` names, importing with the model's ``code/`` on sys.path."""
    module, sep, qualname = ref.partition(":") if isinstance(ref, str) else ("", "", "")
    if not sep or not module or not qualname:
        raise FlavorkitError(f"MLmodel key '{key}': expected 'module:QualName', got {ref!r}.")
    try:
        with on_sys_path(code_dir):
            return _resolve(ref)
    except ModuleNotFoundError as e:
        raise missing_module_error(e, f"importing {ref!r} (MLmodel key '{key}')") from e
    except AttributeError as e:
        raise FlavorkitError(
            f"MLmodel key '{key}': module {module!r} has no {qualname!r} ({e}); the installed "
            "version of the model's code differs from the one it was saved with."
        ) from e


def missing_module_error(e: ModuleNotFoundError, doing: str) -> FlavorkitError:
    """One clear error for a module the model's code needs and this environment lacks."""
    name = e.name or str(e)
    if name == "mlflow" or name.startswith("mlflow."):
        return FlavorkitError(
            f"{doing} needs MLflow's own classes (module {name!r}), and mlflow is not installed. "
            "The model was saved by MLflow; install it (`pip install mlflow`) to load it."
        )
    return FlavorkitError(
        f"{doing} needs module {name!r}, which is not installed here. Install the model's "
        "requirements (its requirements.txt), or ship the module with code_paths=[...] when saving."
    )


def _resolve(ref: str) -> Any:
    module_name, _, qualname = ref.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj
