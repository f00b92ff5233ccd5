"""Shared fixtures: a registry holding the toy flavor, and the toy flavor as a distribution."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TOY_SOURCE = Path(__file__).parent / "toyflavor"
sys.path.insert(0, str(TOY_SOURCE))

from toyflavor_pkg import ToyFlavor  # noqa: E402

from flavorkit import plugins  # noqa: E402


@pytest.fixture
def registry() -> Iterator[plugins.PluginRegistry]:
    """A fresh process-wide registry with only the toy flavor (no entry-point discovery)."""
    reg = plugins.PluginRegistry(discover=False)
    reg.register(ToyFlavor)
    with plugins.use_registry(reg):
        yield reg


def _make_distribution(
    site: Path, name: str, entry_points: dict[str, str], package: Path | None = None
) -> None:
    """Install a distribution the way pip lays it out: a package and its ``*.dist-info``."""
    site.mkdir(parents=True, exist_ok=True)
    if package is not None:
        shutil.copytree(package, site / package.name, dirs_exist_ok=True)
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = "".join(f"{k} = {v}\n" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(f"[flavorkit.flavors]\n{lines}")
    (info / "RECORD").write_text("")


@pytest.fixture
def make_distribution():  # type: ignore[no-untyped-def]
    """Install a fake-but-real distribution into a site directory (see _make_distribution)."""
    return _make_distribution


@pytest.fixture
def toy_site(tmp_path: Path) -> Path:
    """A site directory where the toy flavor is installed as distribution ``toyflavor-pkg``."""
    site = tmp_path / "site"
    _make_distribution(
        site, "toyflavor-pkg", {"toy": "toyflavor_pkg:ToyFlavor"}, TOY_SOURCE / "toyflavor_pkg"
    )
    return site


def _subprocess_env(*sites: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLAVORKIT_")}
    env["PYTHONPATH"] = os.pathsep.join(str(s) for s in sites)
    env.update(extra)
    return env


@pytest.fixture
def subprocess_env():  # type: ignore[no-untyped-def]
    """Build the environment of a subprocess that sees only the given site directories."""
    return _subprocess_env
