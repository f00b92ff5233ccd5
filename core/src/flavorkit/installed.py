"""What is installed: entry points and distribution versions, remembered across processes.

``importlib.metadata`` answers both questions, but a fresh process pays for it on every start:
importing it (it pulls in ``email``, ``zipfile`` and ``csv``) and reading the metadata of every
installed distribution costs 50-100 ms, more than loading a small ONNX model. A serverless
function, a Spark worker or a ``flavorkit predict`` call pays that again each time.

So the answers are kept in one small JSON file per Python environment, under the cache root
(:func:`flavorkit.cache.cache_root`, folder ``installed``), with the *fingerprint* of ``sys.path``
they were read from: every path entry, and for each the names and modification times of its
``*.dist-info`` and ``*.egg-info`` entries. Installing, upgrading, reinstalling or removing a
distribution changes them, so a stale answer is never used: a different fingerprint is a miss,
a miss asks ``importlib.metadata`` and rewrites the file (atomically, by rename). Checking the
fingerprint lists the path's folders, which ``importlib.metadata`` does too.

The file is only ever a copy: unreadable, foreign or corrupt, it is ignored and rebuilt; where it
cannot be written (a read-only home), every answer comes from ``importlib.metadata`` as before.
``FLAVORKIT_INSTALLED_INDEX=0`` turns it off.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import sys
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flavorkit.cache import cache_root, write_quietly
from flavorkit.switches import env_flag

__all__ = [
    "INDEX_ENV",
    "InstalledEntryPoint",
    "canonical_name",
    "entry_points",
    "index_file",
    "version",
]

INDEX_ENV = "FLAVORKIT_INSTALLED_INDEX"
_FORMAT = 1
_METADATA_SUFFIXES = (".dist-info", ".egg-info")


@dataclass(frozen=True)
class InstalledEntryPoint:
    """One entry point as its distribution declares it (``importlib.metadata.EntryPoint``'s
    fields that matter here, without importing it)."""

    name: str
    value: str
    group: str
    #: the declaring distribution's name, None when the metadata does not say
    dist: str | None

    def load(self) -> Any:
        """Import ``module`` of ``module:attr.attr [extras]`` and return the attribute it names."""
        target = self.value.split("[", 1)[0].strip()
        module, _, attrs = target.partition(":")
        obj: Any = importlib.import_module(module.strip())
        for attr in filter(None, attrs.strip().split(".")):
            obj = getattr(obj, attr)
        return obj


def entry_points(group: str) -> list[InstalledEntryPoint]:
    """Every entry point of ``group`` on ``sys.path``, duplicates included (one per claim)."""
    with _lock:
        index = _index()
        groups = index.setdefault("entry_points", {})
        if group not in groups:
            from importlib.metadata import entry_points as read_entry_points

            groups[group] = [
                [ep.name, ep.value, _dist_name(ep)] for ep in read_entry_points(group=group)
            ]
            _save(index)
        return [
            InstalledEntryPoint(name, value, group, dist) for name, value, dist in groups[group]
        ]


def version(distribution: str) -> str | None:
    """The installed version of ``distribution``, None when it is not installed."""
    key = canonical_name(distribution)
    with _lock:
        index = _index()
        versions = index.setdefault("versions", {})
        if key not in versions:
            from importlib.metadata import PackageNotFoundError
            from importlib.metadata import version as read_version

            try:
                versions[key] = read_version(distribution)
            except PackageNotFoundError:
                versions[key] = None
            _save(index)
        found: str | None = versions[key]
        return found


def canonical_name(name: str) -> str:
    """A distribution name as PEP 503 compares them: ``Foo_Bar.baz`` is ``foo-bar-baz``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def index_file() -> Path:
    """The index of this Python environment (one per interpreter prefix and version)."""
    who = f"{sys.prefix}\0{sys.version}".encode()
    return cache_root() / "installed" / f"{zlib.crc32(who):08x}.json"


# -- the index ----------------------------------------------------------------------------------

_lock = threading.RLock()
_loaded: dict[str, Any] | None = None
_fingerprinted: tuple[tuple[str, ...], str] | None = None


def _enabled() -> bool:
    return env_flag(INDEX_ENV, default=True)


def _index() -> dict[str, Any]:
    """This process's index: read once, and valid only for the fingerprint it was read with."""
    global _loaded
    fingerprint = _fingerprint()
    if _loaded is not None and _loaded.get("fingerprint") == fingerprint:
        return _loaded
    stored: Any = None
    if _enabled():
        with contextlib.suppress(OSError, ValueError):
            stored = json.loads(index_file().read_text(encoding="utf-8"))
    if (
        isinstance(stored, dict)
        and stored.get("format") == _FORMAT
        and stored.get("fingerprint") == fingerprint
        and isinstance(stored.get("entry_points", {}), dict)
        and isinstance(stored.get("versions", {}), dict)
    ):
        _loaded = stored
    else:
        _loaded = {"format": _FORMAT, "fingerprint": fingerprint}
    return _loaded


def _save(index: dict[str, Any]) -> None:
    """Write the index beside its final name and rename it there; a failure only costs speed."""
    if _enabled():
        write_quietly(index_file(), json.dumps(index))


def _fingerprint() -> str:
    """What the answers depend on: the path entries and their distributions' metadata entries,
    read once per process and ``sys.path`` (as the registry reads entry points once)."""
    global _fingerprinted
    path = tuple(sys.path)
    if _fingerprinted is not None and _fingerprinted[0] == path:
        return _fingerprinted[1]
    parts: list[str] = []
    for entry in path:
        folder = entry or os.getcwd()
        parts.append(f"@{folder}")
        try:
            with os.scandir(folder) as listing:
                parts.extend(
                    sorted(
                        f"{item.name}:{item.stat().st_mtime_ns}"
                        for item in listing
                        if item.name.endswith(_METADATA_SUFFIXES)
                    )
                )
        except NotADirectoryError:  # a zip archive on the path: its own size and time
            with contextlib.suppress(OSError):
                st = os.stat(folder)
                parts.append(f"zip:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append("missing")
    text = "\n".join(parts)  # kept whole, not hashed: comparing it is cheaper than hashlib's import
    _fingerprinted = (path, text)
    return text


def _dist_name(ep: Any) -> str | None:
    dist = getattr(ep, "dist", None)
    return dist.name if dist is not None else None
