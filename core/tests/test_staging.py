"""Saves killed with SIGKILL: what they leave, and how the next save and ``remove_stale`` clean it.

Every save here is a real subprocess with the toy flavor installed as a distribution, killed with
SIGKILL while it is inside the flavor's save (so its temporary directory is half-written).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from toyflavor_pkg import ToyModel

import flavorkit
from flavorkit.errors import MLmodelNotFoundError
from flavorkit.staging import remove_stale, staging_name
from flavorkit.validate import validate_model

pytestmark = [
    pytest.mark.usefixtures("registry"),
    pytest.mark.skipif(
        not hasattr(signal, "SIGKILL"),
        reason="needs POSIX signals and flock; run the core session on Linux or macOS",
    ),
]

SLOW_SAVE = textwrap.dedent(
    """
    import sys, time
    import flavorkit
    from flavorkit.plugins import get_registry
    from toyflavor_pkg import ToyModel, ToyFlavor

    class Slow(ToyFlavor):
        name = "slow"
        model_types = ()
        def save(self, model, path, **options):
            saved = super().save(model, path, **options)
            (path / "MLmodel").write_text("flavors: {toy: {data: model.json}}\\n")  # looks real
            print("saving", flush=True)
            time.sleep(120)
            return saved

    get_registry().register(Slow)
    flavorkit.save_model(ToyModel([1.0]), sys.argv[1], flavor="slow", overwrite=True)
    """
)


def _start_save(target: Path, site: Path, env_for) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_SAVE, str(target)],
        env=env_for(site),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "saving"
    return proc


def _kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def _leftovers(parent: Path) -> list[Path]:
    return sorted(p for p in parent.iterdir() if staging_name(p) is not None)


def test_killed_saves_are_cleaned_by_the_next_save_but_a_live_one_is_not(
    tmp_path: Path, toy_site: Path, subprocess_env
) -> None:
    parent = tmp_path / "models"
    dead = [_start_save(parent / f"dead-{i}", toy_site, subprocess_env) for i in range(3)]
    live = _start_save(parent / "live", toy_site, subprocess_env)
    try:
        for proc in dead:
            _kill(proc)
        left = _leftovers(parent)
        assert len([p for p in left if staging_name(p) == "tmp"]) == 4  # 3 dead + 1 live
        assert not any((parent / f"dead-{i}").exists() for i in range(3))

        # A leftover is never mistaken for a model, even with an MLmodel file inside.
        tmp = next(p for p in left if p.name.startswith(".dead-0.") and p.suffix == ".tmp")
        assert (tmp / "MLmodel").exists()
        with pytest.raises(MLmodelNotFoundError, match="a temporary of a save that did not finish"):
            flavorkit.load_model(tmp)
        [check] = validate_model(tmp)
        assert check.status == "fail" and "flavorkit gc" in check.detail

        flavorkit.save_model(ToyModel([2.0]), parent / "next")  # cleans as it starts
        remaining = _leftovers(parent)
        assert remaining and all(p.name.startswith(".live.") for p in remaining)
        assert {staging_name(p) for p in remaining} == {"tmp", "lock"}
        assert live.poll() is None  # still saving, its temporary untouched
    finally:
        _kill(live)
    report = remove_stale(parent)
    assert {p.name.split(".flavorkit-")[0] for p in report.removed} == {".live"}
    assert _leftovers(parent) == []
    assert sorted(p.name for p in parent.iterdir()) == ["next"]


def test_a_killed_overwrite_gets_the_previous_model_back(tmp_path: Path) -> None:
    """Killed between moving the old model aside and moving the new one in: the old one returns.

    The window is two renames wide, so the state is laid out as the kill leaves it: a lock file
    no process holds, the previous model under ``.old``, the new one under ``.tmp``.
    """
    flavorkit.save_model(ToyModel([1.0]), tmp_path / "m")
    base = tmp_path / ".m.flavorkit-0123456789ab"
    os.rename(tmp_path / "m", f"{base}.old")
    flavorkit.save_model(ToyModel([2.0]), tmp_path / "half")
    os.rename(tmp_path / "half", f"{base}.tmp")
    Path(f"{base}.lock").write_text("12345\n")
    report = remove_stale(tmp_path)
    assert report.restored == [tmp_path / "m"]
    assert flavorkit.load_native(tmp_path / "m").weights == [1.0]
    assert _leftovers(tmp_path) == []


def test_a_temporary_without_a_lock_file_is_reported_not_removed(tmp_path: Path) -> None:
    legacy = tmp_path / ".m.flavorkit-0123456789ab.tmp"  # as flavorkit 0.1.0 left them
    legacy.mkdir()
    report = remove_stale(tmp_path)
    assert report.unowned == [legacy] and legacy.exists()
