"""Conformance checks of integrity: the core's manifest catches changed files of every flavor.

The manifest is written by the core, not the plugin, so these checks prove that a plugin's files
land where the core records them: each case's saved directory is copied, then one byte of its
largest file is flipped, that file truncated, a file added and one removed; each change must fail
with an :class:`~flavorkit.errors.IntegrityError` that names the file. And a model saved here must
load without a version warning (the versions the plugin declares match what it records).
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flavorkit.testing.case import Case

__all__ = ["IntegrityConformanceTests"]


def _flip(file: Path) -> None:
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    file.write_bytes(bytes(data))


def _truncate(file: Path) -> None:
    with open(file, "r+b") as f:
        f.truncate(file.stat().st_size // 2)


class IntegrityConformanceTests:
    """Mixed into :class:`~flavorkit.testing.FlavorConformanceTests`; uses its fixtures."""

    def test_manifest_catches_changed_files(self, case: Case, flavorkit_state: Any) -> None:
        from flavorkit.api import load_model, load_native
        from flavorkit.errors import IntegrityError
        from flavorkit.integrity import read_manifest, verify_directory

        saved = flavorkit_state.saved(case)
        manifest = read_manifest(saved.path)
        if manifest is None:
            pytest.fail(f"save_model wrote no manifest into {saved.path}")
        largest = max(manifest.files, key=lambda name: manifest.files[name].size)
        load: Callable[..., Any] = load_model if saved.pyfunc_conf is not None else load_native

        def changed(label: str, change: Callable[[Path], str], check: Callable[[Path], Any]) -> str:
            copy = flavorkit_state.tmp(f"{case.id}-{label}") / "model"
            shutil.copytree(saved.path, copy)
            name = change(copy)
            try:
                check(copy)
            except IntegrityError as e:
                if e.file == name and name in str(e):
                    return ""
                return f"{label}: the error names {e.file!r}, not {name!r}: {e}"
            except Exception as e:
                return f"{label}: {type(e).__name__} instead of IntegrityError: {e}"
            return f"{label}: {name} changed and nothing noticed"

        def flip(root: Path) -> str:
            _flip(root / largest)
            return largest

        def truncate(root: Path) -> str:
            _truncate(root / largest)
            return largest

        def add(root: Path) -> str:
            (root / "added.bin").write_bytes(b"\0")
            return "added.bin"

        def remove(root: Path) -> str:
            (root / largest).unlink()
            return largest

        def verify(root: Path) -> Any:
            return verify_directory(root)

        def plain_load(root: Path) -> Any:  # sizes are checked on every load
            return load(root, trust=case.trust)

        def verified_load(root: Path) -> Any:
            return load(root, trust=case.trust, verify=True)

        problems = [
            changed("flipped byte, verify_directory", flip, verify),
            changed("flipped byte, load(verify=True)", flip, verified_load),
            changed("truncated file, load", truncate, plain_load),
            changed("added file, verify_directory", add, verify),
            changed("removed file, load", remove, plain_load),
        ]
        problems = [p for p in problems if p]
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)

    def test_fresh_model_loads_without_version_warning(
        self, case: Case, flavorkit_state: Any
    ) -> None:
        from flavorkit.api import load_model, load_native
        from flavorkit.integrity import VersionMismatchWarning

        saved = flavorkit_state.saved(case)
        load: Callable[..., Any] = load_model if saved.pyfunc_conf is not None else load_native
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            load(saved.path, trust=case.trust)
        found = [str(w.message) for w in caught if issubclass(w.category, VersionMismatchWarning)]
        if found:
            pytest.fail(
                "a model saved and loaded in one environment warned about versions; the versions "
                "framework_versions() declares must match those save() records:\n"
                + "\n".join(found),
                pytrace=False,
            )
