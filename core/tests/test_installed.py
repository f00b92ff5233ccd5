"""The index of what is installed: right answers first, then no ``importlib.metadata`` when warm.

Every check runs in a fresh interpreter (the index exists to spare fresh processes), over a site
directory built the way pip lays one out, with the cache root in ``tmp_path``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from flavorkit.installed import InstalledEntryPoint

PROBE = """
    import json, sys
    from flavorkit import installed
    found = {
        "entry_points": sorted(
            [ep.name, ep.value, ep.dist] for ep in installed.entry_points("flavorkit.flavors")
        ),
        "version": installed.version("toyflavor-pkg"),
        "missing": installed.version("no-such-distribution-here"),
        "metadata_imported": "importlib.metadata" in sys.modules,
    }
    print(json.dumps(found))
"""


def probe(env: dict[str, str]) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROBE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def env(tmp_path: Path, toy_site: Path, subprocess_env) -> dict[str, str]:
    return subprocess_env(toy_site, FLAVORKIT_CACHE_DIR=str(tmp_path / "cache" / "models"))


def index_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "installed").glob("*.json"))


def test_a_warm_index_answers_without_importlib_metadata(tmp_path: Path, env) -> None:
    cold = probe(env)
    assert ["toy", "toyflavor_pkg:ToyFlavor", "toyflavor-pkg"] in cold["entry_points"]
    assert cold["version"] == "1.0"
    assert cold["missing"] is None
    assert cold["metadata_imported"]  # the first process asks importlib.metadata...
    assert len(index_files(tmp_path)) == 1
    warm = probe(env)
    assert {**warm, "metadata_imported": True} == cold  # ...and later ones get the same answers
    assert not warm["metadata_imported"]  # from the index alone


def test_a_distribution_installed_later_is_seen(
    tmp_path: Path, toy_site: Path, env, make_distribution
) -> None:
    probe(env)
    make_distribution(toy_site, "late-flavor", {"late": "late_flavor:Flavor"})
    after = probe(env)
    assert ["late", "late_flavor:Flavor", "late-flavor"] in after["entry_points"]
    assert after["metadata_imported"]  # a changed path is a miss


def test_a_reinstall_with_other_entry_points_is_seen(
    tmp_path: Path, toy_site: Path, env, make_distribution
) -> None:
    """Same name, same version, new entry points (an editable reinstall): a new dist-info."""
    probe(env)
    info = toy_site / "toyflavor_pkg-1.0.dist-info"
    for file in info.iterdir():
        file.unlink()
    info.rmdir()
    time.sleep(0.05)  # file times are coarse: let the new directory's differ
    make_distribution(toy_site, "toyflavor-pkg", {"toy2": "toyflavor_pkg:ToyFlavor"})
    names = [name for name, _, _ in probe(env)["entry_points"]]
    assert "toy2" in names and "toy" not in names


def test_an_uninstalled_distribution_is_gone(tmp_path: Path, toy_site: Path, env) -> None:
    probe(env)
    info = toy_site / "toyflavor_pkg-1.0.dist-info"
    for file in info.iterdir():
        file.unlink()
    info.rmdir()
    after = probe(env)
    assert "toy" not in [name for name, _, _ in after["entry_points"]]
    assert after["version"] is None


def test_a_corrupt_index_is_rebuilt(tmp_path: Path, env) -> None:
    expected = probe(env)
    (index,) = index_files(tmp_path)
    index.write_text("{not json")
    assert probe(env)["entry_points"] == expected["entry_points"]
    assert json.loads(index.read_text())["format"] == 1
    index.write_text(json.dumps({"format": 1, "fingerprint": "x", "entry_points": []}))
    assert probe(env)["entry_points"] == expected["entry_points"]  # wrong shape: ignored


def test_an_unwritable_cache_costs_only_speed(tmp_path: Path, toy_site: Path, subprocess_env):
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache root cannot be created under a file")
    env = subprocess_env(toy_site, FLAVORKIT_CACHE_DIR=str(blocker / "models"))
    for _ in range(2):
        found = probe(env)
        assert found["version"] == "1.0" and found["metadata_imported"]


def test_it_can_be_turned_off(tmp_path: Path, env) -> None:
    env = env | {"FLAVORKIT_INSTALLED_INDEX": "0"}
    assert probe(env)["version"] == "1.0"
    assert probe(env)["metadata_imported"]
    assert index_files(tmp_path) == []


def test_an_indexed_entry_point_loads_what_it_names() -> None:
    ep = InstalledEntryPoint("x", "flavorkit.installed:InstalledEntryPoint.load [extra]", "g", None)
    assert ep.load() is InstalledEntryPoint.load
    assert (
        InstalledEntryPoint("x", "flavorkit.cache", "g", None).load().__name__ == "flavorkit.cache"
    )
