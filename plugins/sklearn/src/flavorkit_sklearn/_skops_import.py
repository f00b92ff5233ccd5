"""Importing ``skops.io`` without paying for array libraries a skops file never needs.

Why this exists: ``import skops.io`` builds its default trusted types from
``sklearn.utils.all_estimators()``, which walks every scikit-learn package with
``pkgutil.walk_packages``. The walk imports each package it descends into, even the ones it
then skips, and so imports ``sklearn.externals.array_api_compat.torch`` (and ``.cupy``,
``.dask``, ``.jax``), which import the whole array library when it is installed: about 2 s of
``import torch`` for a LogisticRegression, on every cold start, while the list the walk
produces is the same with or without torch.

While ``skops.io`` is first imported, those vendored array-API wrappers (and nothing else) fail
to import with ``ImportError``, which ``walk_packages`` skips by design. Nothing is patched and
nothing is cached: a failed import leaves no entry in ``sys.modules``, so scikit-learn imports
the wrapper normally the first time array-API dispatch really needs it. Wrappers whose library
is already imported are left alone (they cost nothing then). scikit-learn itself imports these
wrappers only on demand (``array_api_compat.get_namespace``), never at module level.

The upstream fix belongs in scikit-learn's ``all_estimators`` (filter ``externals`` before
``walk_packages`` imports it, e.g. by walking with ``onerror`` and a prefix check, or by listing
modules with ``pkgutil.iter_modules`` per package) or in skops (compute the estimator names on
first use instead of at import).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

__all__ = ["import_skops_io"]

#: scikit-learn's vendored array-API wrappers, by the library each one imports.
_WRAPPERS = {
    "sklearn.externals.array_api_compat.torch": "torch",
    "sklearn.externals.array_api_compat.cupy": "cupy",
    "sklearn.externals.array_api_compat.dask": "dask",
    "sklearn.externals.array_api_compat.jax": "jax",
}

_lock = threading.Lock()


class _SkipUnimportedArrayWrappers:
    """A meta-path finder that refuses the wrappers whose library is not imported yet."""

    def __init__(self) -> None:
        self.blocked = {name for name, library in _WRAPPERS.items() if library not in sys.modules}

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: Any = None
    ) -> ModuleSpec | None:
        root = ".".join(name.split(".")[:4])
        if root in self.blocked:
            raise ImportError(f"{name} is not needed to read skops files", name=name)
        return None


def import_skops_io() -> ModuleType:
    """``skops.io``, imported (the first time) without importing torch, cupy, dask or jax."""
    module = sys.modules.get("skops.io")
    if module is not None:
        return module
    with _lock:
        finder = _SkipUnimportedArrayWrappers()
        sys.meta_path.insert(0, finder)
        try:
            import skops.io  # type: ignore[import-untyped,unused-ignore]
        finally:
            sys.meta_path.remove(finder)
    return skops.io  # type: ignore[no-any-return,unused-ignore]
