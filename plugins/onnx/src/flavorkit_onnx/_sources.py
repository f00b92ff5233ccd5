"""Which file a just-loaded ``ModelProto`` came from, handed from ``load`` to ``predictor``.

Why this exists: :func:`flavorkit.load_model` calls the flavor's ``load`` (which must return the
``ModelProto``, the native object) and then ``predictor(model, conf, pyfunc_conf)``, which
receives neither the model directory nor the caller's load options. An onnxruntime session is
best opened from the file: onnxruntime then reads the external data itself, which also works
past protobuf's 2 GB limit, where serializing the in-memory model cannot; and the caller's
``providers=`` must reach it. ``load`` therefore records the source under the identity of the
``conf`` dict it was given, which ``load_model`` passes unchanged to ``predictor``.

The record holds ``conf`` itself, so its ``id`` cannot be reused by another dict while the
record exists, and the model's ``id``, checked too. Records of ``load_native`` calls, which no
predictor follows, are evicted after :data:`MAX_PENDING` newer loads; they hold no model.

This goes away if the core's predictor hook is given the model directory and the load options.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MAX_PENDING", "Source", "remember", "take"]

#: Records kept for loads that no predictor took (``load_native``).
MAX_PENDING = 16


@dataclass(frozen=True)
class Source:
    """A model directory, its ``.onnx`` file, and the providers the caller chose (or None)."""

    root: Path
    file: Path
    providers: list[str] | None = None


_lock = threading.Lock()
_pending: OrderedDict[int, tuple[dict[str, Any], int, Source]] = OrderedDict()


def remember(conf: dict[str, Any], model: Any, source: Source) -> None:
    """Record that ``model``, loaded with ``conf``, came from ``source``."""
    with _lock:
        _pending[id(conf)] = (conf, id(model), source)
        _pending.move_to_end(id(conf))
        while len(_pending) > MAX_PENDING:
            _pending.popitem(last=False)


def take(conf: dict[str, Any], model: Any) -> Source | None:
    """The source recorded for ``model`` loaded with this very ``conf``, once; else None."""
    with _lock:
        entry = _pending.get(id(conf))
        if entry is None or entry[0] is not conf or entry[1] != id(model):
            return None
        del _pending[id(conf)]
        return entry[2]
