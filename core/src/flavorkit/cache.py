"""Where flavorkit keeps what it can rebuild: downloaded models, model environments, the index
of what is installed, and parsed MLmodel files.

One root for all of it, so one variable moves it: ``$FLAVORKIT_CACHE_DIR`` names the download
cache itself, and the others sit beside it (``envs``, ``installed``, ``mlmodel``). Without it the
root is ``flavorkit`` in the user cache dir (``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux,
``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows). Nothing here is ever the only copy
of anything: deleting the whole root costs downloads and rebuilds, never data.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path

__all__ = ["CACHE_ENV", "cache_dir", "cache_root", "write_quietly"]

CACHE_ENV = "FLAVORKIT_CACHE_DIR"


def cache_dir() -> Path:
    """The download cache: ``$FLAVORKIT_CACHE_DIR``, else ``flavorkit/models`` in the user cache
    dir (``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux, ``~/Library/Caches`` on macOS,
    ``%LOCALAPPDATA%`` on Windows)."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser().absolute()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "flavorkit" / "models"


def cache_root() -> Path:
    """The folder the download cache and its siblings (``envs``, ``installed``, ``mlmodel``) live
    in."""
    return cache_dir().parent


def write_quietly(target: Path, text: str) -> bool:
    """Write a cache file beside its final name and rename it there, so a reader sees all of it
    or none. False where that fails (a read-only home, a full disk): a cache only costs speed."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        return False
    return True
