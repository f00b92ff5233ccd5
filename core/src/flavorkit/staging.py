"""Where a save builds a model before it appears, and the clean-up of saves that were killed.

A save builds the model in a temporary directory beside its target and renames it into place,
so the target is whole or absent. A process killed mid-save (SIGKILL, out of memory, power loss)
cannot remove that temporary directory, so each save also leaves a *lock file* beside it that it
holds locked (``flock``) while it works. The kernel drops the lock when the process dies, however
it dies: a temporary whose lock can be taken belongs to a dead save and is safe to remove; one
whose lock is held belongs to a live save and is never touched. Nothing here guesses from process
ids (which are reused) or from ages.

The names, for a target ``iris-model``::

    .iris-model.flavorkit-<12 hex>.tmp    the model being built
    .iris-model.flavorkit-<12 hex>.old    the previous model, while an overwrite swaps it out
    .iris-model.flavorkit-<12 hex>.lock   held locked by the saving process

:func:`remove_stale` runs at the start of every save into a directory and behind
``flavorkit gc``. :func:`staging_name` lets loaders refuse a temporary as a model.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["StaleReport", "remove_stale", "remove_tree", "staging", "staging_name"]

_NAME = re.compile(r"^\.(?P<target>.+)\.flavorkit-(?P<token>[0-9a-f]{12})\.(?P<kind>tmp|old|lock)$")

try:  # POSIX; elsewhere nothing is ever judged dead, so nothing is removed
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None  # type: ignore[assignment]
fcntl: Any = _fcntl


def staging_name(path: str | os.PathLike[str]) -> str | None:
    """``'tmp'``, ``'old'`` or ``'lock'`` when ``path`` is named as a save's temporary."""
    match = _NAME.match(Path(path).name)
    return match.group("kind") if match else None


@dataclass
class Staging:
    """The paths one save works with; :attr:`tmp` exists while the save runs."""

    tmp: Path
    old: Path
    lock: Path


@contextmanager
def staging(target: Path) -> Iterator[Staging]:
    """Hold a locked lock file beside ``target`` and yield a fresh temporary directory.

    On exit (success or error) the temporary, if still there, and the lock file are removed. A
    kill skips that, and leaves what :func:`remove_stale` recognises as dead.
    """
    parent = target.parent
    base = f".{target.name}.flavorkit-{os.urandom(6).hex()}"
    paths = Staging(parent / f"{base}.tmp", parent / f"{base}.old", parent / f"{base}.lock")
    # Locked under a name no cleaner looks at, then renamed: a visible lock file is always locked.
    hidden = parent / f"{base}.lock-new"
    fd = os.open(hidden, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.rename(hidden, paths.lock)
        paths.tmp.mkdir()
        try:
            yield paths
        finally:
            remove_tree(paths.tmp)
            _settle_old(paths.old, target)
        _unlink(paths.lock)
    except BaseException:
        _unlink(paths.lock)
        _unlink(hidden)
        raise
    finally:
        os.close(fd)


@dataclass
class StaleReport:
    """What :func:`remove_stale` did in one directory."""

    removed: list[Path] = field(default_factory=list)
    restored: list[Path] = field(default_factory=list)  # previous models put back at the target
    live: list[Path] = field(default_factory=list)  # temporaries of saves still running
    unowned: list[Path] = field(default_factory=list)  # no lock file: left alone


def remove_stale(directory: str | os.PathLike[str]) -> StaleReport:
    """Remove the temporaries that dead saves left in ``directory``; never a live save's.

    A save killed while an overwrite had swapped the previous model out (``.old``) and not yet
    moved the new one in gets the previous model back at its target. A temporary without a lock
    file (left by an older flavorkit, or made by hand) is reported, not removed.
    """
    report = StaleReport()
    root = Path(directory)
    try:
        names = [n for n in os.listdir(root) if n.startswith(".") and ".flavorkit-" in n]
    except OSError:
        return report
    groups: dict[tuple[str, str], set[str]] = {}
    for name in names:
        match = _NAME.match(name)
        if match:
            groups.setdefault((match["target"], match["token"]), set()).add(match["kind"])
    for (target, token), kinds in sorted(groups.items()):
        base = root / f".{target}.flavorkit-{token}"
        tmp, old, lock = (Path(f"{base}.{kind}") for kind in ("tmp", "old", "lock"))
        if "lock" not in kinds:
            report.unowned += [p for p in (tmp, old) if p.exists()]
            continue
        fd = _lock_if_dead(lock)
        if fd is None:
            report.live += [p for p in (tmp, old) if p.exists()]
            continue
        try:
            if _settle_old(old, root / target):
                report.restored.append(root / target)
            for path in (tmp, old):
                if path.exists():
                    remove_tree(path)
                    report.removed.append(path)
            _unlink(lock)
            report.removed.append(lock)
        finally:
            os.close(fd)
    return report


def _settle_old(old: Path, target: Path) -> bool:
    """Put a swapped-out previous model back when the target is missing, else remove it.

    True when it was put back.
    """
    if not old.is_dir():
        return False
    if not target.exists():
        os.rename(old, target)
        return True
    remove_tree(old)
    return False


def _lock_if_dead(lock: Path) -> int | None:
    """An open, locked descriptor of ``lock`` when no live process holds it, else None."""
    if fcntl is None:  # pragma: no cover - cannot tell, so never remove
        return None
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def remove_tree(path: str | os.PathLike[str]) -> None:
    """``shutil.rmtree`` that ignores errors; shutil is imported here, not by a plain load."""
    import shutil

    shutil.rmtree(path, ignore_errors=True)
