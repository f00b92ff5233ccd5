"""The step cache: output directories stored by a content hash of everything a step depends on.

MLflow Recipes generated a Makefile and let GNU make compare modification times; it never noticed
edited source data, helper modules or library versions, and broke on Windows. Here a step's key is
a SHA-256 over named *components* (its resolved configuration, the source of its ``steps/`` code
and the local modules that code imports, its inputs' output digests, its source data files'
contents, the recipe type's version, and the Python, pandas, scikit-learn and flavorkit versions).
Keeping the components, not just the key, is what lets every run say *why* a step ran.

Layout under the cache directory (``<root>/.flavorkit-recipe`` by default)::

    steps/<step>/<key>/manifest.json   components, output digest, timings (written last)
    steps/<step>/<key>/outputs/...     what the step wrote
    steps/<step>/<key>/card.html|json  its step card
    steps/<step>/current-<profile>.json  the key last used under a profile
    state/<step>.json                  the last execution's status (and traceback if it failed)
    file-digests.json                  (path, size, mtime) -> digest, so data is hashed once

An entry becomes visible by renaming a finished temporary directory to its key, so a step that
fails or is killed half way leaves nothing a later run trusts. Nothing in here is keyed by an
absolute path: a moved or copied recipe keeps its cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Entry", "StepCache", "canonical_digest", "file_digest", "tree_digest"]

CACHE_DIR_NAME = ".flavorkit-recipe"
CACHE_ENV = "FLAVORKIT_RECIPES_CACHE_DIR"
MANIFEST = "manifest.json"
KEEP_ENTRIES = 4  # per step, besides the current ones: enough to flip back and forth


def canonical_digest(value: Any) -> str:
    """The SHA-256 of ``value`` as canonical JSON (sorted keys, no whitespace)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def tree_digest(root: Path) -> str:
    """A digest of every file under ``root``: relative names and contents."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        h.update(file_digest(path).encode("ascii"))
    return h.hexdigest()


@dataclass
class Entry:
    """A finished cache entry of one step."""

    step: str
    key: str
    path: Path
    manifest: dict[str, Any]

    @property
    def outputs(self) -> Path:
        return self.path / "outputs"

    @property
    def components(self) -> dict[str, str]:
        return dict(self.manifest.get("components", {}))

    @property
    def output_digest(self) -> str:
        return str(self.manifest["output_digest"])


class StepCache:
    """The cache directory of one recipe root."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._digests: dict[str, list[Any]] | None = None

    @classmethod
    def for_root(cls, root: Path, directory: str | os.PathLike[str] | None = None) -> StepCache:
        chosen = directory or os.environ.get(CACHE_ENV) or CACHE_DIR_NAME
        path = Path(chosen)
        return cls(path if path.is_absolute() else root / path)

    # ---- entries -------------------------------------------------------------------------

    def step_dir(self, step: str) -> Path:
        return self.directory / "steps" / step

    def entry(self, step: str, key: str) -> Entry | None:
        path = self.step_dir(step) / key
        try:
            manifest = json.loads((path / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if manifest.get("key") != key or manifest.get("status") != "SUCCEEDED":
            return None
        return Entry(step, key, path, manifest)

    def current(self, step: str, profile: str) -> Entry | None:
        """The entry last used for ``step`` under ``profile``, if it is still there."""
        try:
            data = json.loads((self.step_dir(step) / f"current-{profile}.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return self.entry(step, str(data.get("key", "")))

    def set_current(self, step: str, profile: str, key: str) -> None:
        _write_json_atomic(
            self.step_dir(step) / f"current-{profile}.json", {"key": key, "at": time.time()}
        )

    def new_work_dir(self, step: str) -> Path:
        """A fresh temporary directory for a step about to run (``outputs/`` inside it)."""
        work = self.step_dir(step) / f".tmp-{uuid.uuid4().hex[:12]}"
        (work / "outputs").mkdir(parents=True)
        return work

    def commit(self, step: str, key: str, work: Path, manifest: Mapping[str, Any]) -> Entry:
        """Turn a finished work directory into the entry for ``key`` (manifest written last)."""
        _write_json_atomic(work / MANIFEST, dict(manifest))
        target = self.step_dir(step) / key
        if target.exists():  # an equal entry from a concurrent run or a stale half: replace it
            shutil.rmtree(target, ignore_errors=True)
        os.replace(work, target)
        self._prune(step)
        entry = self.entry(step, key)
        assert entry is not None
        return entry

    def discard(self, work: Path) -> None:
        shutil.rmtree(work, ignore_errors=True)

    def clean(self, steps: Iterable[str]) -> None:
        for step in steps:
            shutil.rmtree(self.step_dir(step), ignore_errors=True)
            (self.directory / "state" / f"{step}.json").unlink(missing_ok=True)

    def _prune(self, step: str) -> None:
        base = self.step_dir(step)
        keep: set[str] = set()
        for pointer in base.glob("current-*.json"):
            with contextlib.suppress(OSError, ValueError):
                keep.add(str(json.loads(pointer.read_text("utf-8")).get("key")))
        entries = []
        for path in base.iterdir():
            if path.name.startswith(".tmp-"):
                # a temporary directory older than an hour was left by a killed run
                if time.time() - path.stat().st_mtime > 3600:
                    shutil.rmtree(path, ignore_errors=True)
            elif path.is_dir() and path.name not in keep:
                entries.append(path)
        entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP_ENTRIES:]:
            shutil.rmtree(old, ignore_errors=True)

    # ---- execution state -----------------------------------------------------------------

    def write_state(self, step: str, state: Mapping[str, Any]) -> None:
        _write_json_atomic(self.directory / "state" / f"{step}.json", dict(state))

    def read_state(self, step: str) -> dict[str, Any] | None:
        try:
            data = json.loads((self.directory / "state" / f"{step}.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    # ---- source data digests -------------------------------------------------------------

    def data_digest(self, path: Path, root: Path) -> str:
        """The content digest of a data file, re-hashed only when its size or mtime changed."""
        if self._digests is None:
            try:
                self._digests = json.loads((self.directory / "file-digests.json").read_text())
            except (OSError, ValueError):
                self._digests = {}
        stat = path.stat()
        try:
            name = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            name = str(path.resolve())
        seen = self._digests.get(name)
        if seen and seen[0] == stat.st_size and seen[1] == stat.st_mtime_ns:
            return str(seen[2])
        digest = file_digest(path)
        self._digests[name] = [stat.st_size, stat.st_mtime_ns, digest]
        return digest

    def save_data_digests(self) -> None:
        if self._digests is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_json_atomic(self.directory / "file-digests.json", self._digests)


def _write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, path)
