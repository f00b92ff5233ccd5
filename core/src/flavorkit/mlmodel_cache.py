"""Parsed MLmodel files, remembered by their exact bytes, so a fresh process can skip PyYAML.

Importing PyYAML costs a fresh process 15-25 ms (its reader compiles a large Unicode pattern at
import time, which the C loader never uses), which is more than a small ONNX model takes to load;
a serverless function, a Spark worker or a ``flavorkit predict`` call pays it on every start.
The same bytes always parse to the same document, so the first load keeps the document as JSON
under the cache root (:func:`flavorkit.cache.cache_root`, folder ``mlmodel``), next to the exact
text it was parsed from. A later process that reads the same bytes takes the document from
there and never imports yaml, as Python's hash-based ``.pyc`` files skip recompiling a source
they were built from. A file that differs by one byte is a miss and is parsed.

Only documents that JSON represents exactly are kept (string keys; strings, numbers, booleans,
nulls, lists and mappings): one with an unquoted YAML timestamp or a non-string key is parsed
every time. An entry that is unreadable, corrupt or for other bytes is a miss; where the root
cannot be written, every load parses as before. At most :data:`MAX_ENTRIES` are kept (the oldest
written go first). ``FLAVORKIT_MLMODEL_CACHE=0`` turns it off. The cache root is trusted as the
user's own files are (whoever can write it can also write ``site-packages`` or ``__pycache__``).
"""

from __future__ import annotations

import contextlib
import json
import os
import zlib
from pathlib import Path
from typing import Any

from flavorkit.cache import cache_root, write_quietly
from flavorkit.switches import env_flag

__all__ = ["CACHE_SWITCH_ENV", "MAX_ENTRIES", "remember", "remembered"]

CACHE_SWITCH_ENV = "FLAVORKIT_MLMODEL_CACHE"
MAX_ENTRIES = 512
_FORMAT = 1


def remembered(raw: bytes) -> dict[str, Any] | None:
    """The document parsed earlier from exactly these bytes, or None when there is none."""
    if not _enabled():
        return None
    try:
        entry = json.loads(_entry_file(raw).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != _FORMAT:
        return None
    document = entry.get("document")
    same_bytes = entry.get("text") == raw.decode("utf-8", "surrogateescape")
    return document if same_bytes and isinstance(document, dict) else None


def remember(raw: bytes, document: Any) -> None:
    """Keep ``document``, parsed from these bytes; a failure only costs speed."""
    if not _enabled() or not isinstance(document, dict):
        return
    try:
        if not _json_exact(document):
            return
    except RecursionError:
        return
    text = raw.decode("utf-8", "surrogateescape")
    target = _entry_file(raw)
    if write_quietly(target, json.dumps({"format": _FORMAT, "text": text, "document": document})):
        _prune(target.parent)


def _enabled() -> bool:
    return env_flag(CACHE_SWITCH_ENV, default=True)


def _entry_file(raw: bytes) -> Path:
    return cache_root() / "mlmodel" / f"{zlib.crc32(raw):08x}-{len(raw):x}.json"


def _json_exact(value: Any) -> bool:
    """Whether ``json.loads(json.dumps(value)) == value``, with the same types throughout."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, list):
        return all(_json_exact(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_exact(v) for k, v in value.items())
    return False  # a datetime, date, bytes or set from a YAML tag


def _prune(folder: Path) -> None:
    """Keep the folder at :data:`MAX_ENTRIES` by removing the entries written longest ago."""
    with contextlib.suppress(OSError):
        with os.scandir(folder) as listing:
            entries = [e for e in listing if e.name.endswith(".json")]
        if len(entries) <= MAX_ENTRIES:
            return
        entries.sort(key=lambda e: e.stat().st_mtime_ns)
        for old in entries[: len(entries) - MAX_ENTRIES]:
            with contextlib.suppress(OSError):
                os.unlink(old.path)
