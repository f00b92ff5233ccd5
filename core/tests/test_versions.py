"""The load-time version check: silent when compatible, one warning per model, strict = error.

The toy flavor below declares ``pluggy`` (installed with flavorkit) as its framework and records a
version given at save, so every case is a real comparison with a real installed distribution.
"""

from __future__ import annotations

import sys
import warnings
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import pytest
import yaml
from toyflavor_pkg import ToyFlavor, ToyModel

import flavorkit
from flavorkit import plugins
from flavorkit.errors import VersionMismatchError
from flavorkit.flavor import FrameworkVersion, SavedFlavor
from flavorkit.integrity import MANIFEST_FILE, VersionMismatchWarning
from flavorkit.validate import validate_model

PLUGGY = version("pluggy")
MAJOR, MINOR = (int(p) for p in PLUGGY.split(".")[:2])
X = pd.DataFrame({"a": [1.0, 2.0], "b": [0.5, 0.0]})


class VersionedToy(ToyFlavor):
    """The toy flavor with a framework: ``pluggy`` at the version the save was told to record."""

    framework_package = "pluggy"
    framework_version_key = "pluggy_version"
    declared: ClassVar[str | None] = None

    def save(self, model: ToyModel, path: Path, **options: Any) -> SavedFlavor:
        recorded = options.pop("record_version", PLUGGY)
        saved = super().save(model, path, **options)
        return SavedFlavor({**saved.conf, "pluggy_version": recorded}, saved.pyfunc)

    def framework_versions(
        self, conf: dict[str, Any], pyfunc_conf: dict[str, Any]
    ) -> list[FrameworkVersion]:
        found = super().framework_versions(conf, pyfunc_conf)
        return [FrameworkVersion(v.package, v.saved, self.declared) for v in found]


@pytest.fixture(autouse=True)
def registry(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("FLAVORKIT_STRICT_VERSIONS", raising=False)
    reg = plugins.PluginRegistry(discover=False)
    reg.register(VersionedToy)
    VersionedToy.declared = None
    with plugins.use_registry(reg):
        yield reg


def save(path: Path, recorded: str) -> Path:
    flavorkit.save_model(ToyModel([1.0, 1.0]), path, record_version=recorded)
    return path


def mismatch_warnings(path: Path) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        flavorkit.load_model(path)
    return [str(w.message) for w in caught if issubclass(w.category, VersionMismatchWarning)]


def test_silent_for_the_same_major_minor(tmp_path: Path) -> None:
    assert mismatch_warnings(save(tmp_path / "m", f"{MAJOR}.{MINOR}.999")) == []


def test_one_warning_per_model_naming_package_versions_and_fix(tmp_path: Path) -> None:
    old = f"{MAJOR}.{MINOR + 7}.0"
    first = save(tmp_path / "first", old)
    messages = mismatch_warnings(first)
    assert len(messages) == 1
    assert f"saved with pluggy {old}, {PLUGGY} is installed" in messages[0]
    assert f'fix: pip install "pluggy=={old}"' in messages[0]
    assert str(first) in messages[0]
    assert mismatch_warnings(first) == []  # once per model per process
    assert len(mismatch_warnings(save(tmp_path / "second", old))) == 1


def test_strict_versions_make_it_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = save(tmp_path / "m", "0.1.0")
    monkeypatch.setenv("FLAVORKIT_STRICT_VERSIONS", "1")
    with pytest.raises(VersionMismatchError, match=r"pluggy 0\.1\.0, .* is installed") as e:
        flavorkit.load_model(path)
    assert (e.value.package, e.value.saved, e.value.installed) == ("pluggy", "0.1.0", PLUGGY)


def test_a_declared_range_is_honoured(tmp_path: Path) -> None:
    path = save(tmp_path / "m", "0.1.0")
    VersionedToy.declared = f">=0.1,<{MAJOR + 1}"
    assert mismatch_warnings(path) == []
    VersionedToy.declared = f">={MAJOR + 1}"
    (message,) = mismatch_warnings(path)
    assert f"(it declares >={MAJOR + 1})" in message
    assert f'pip install "pluggy>={MAJOR + 1}"' in message


def _edit_mlmodel(path: Path, edit: Any) -> None:
    raw = yaml.safe_load((path / "MLmodel").read_text())
    edit(raw)
    (path / "MLmodel").write_text(yaml.safe_dump(raw))


def test_python_and_flavorkit_pins_are_compared(tmp_path: Path) -> None:
    path = save(tmp_path / "m", PLUGGY)

    def older_python(raw: dict[str, Any]) -> None:
        raw["flavors"]["python_function"]["python_version"] = f"3.{sys.version_info[1] - 2}.1"

    _edit_mlmodel(path, older_python)
    reqs = (path / "requirements.txt").read_text()
    (path / "requirements.txt").write_text(
        reqs.replace(f"flavorkit=={flavorkit.__version__}", "flavorkit==9.0.0")
    )
    (path / MANIFEST_FILE).unlink()  # the edits above are deliberate
    messages = mismatch_warnings(path)
    assert any(f"saved with python 3.{sys.version_info[1] - 2}.1" in m for m in messages)
    assert any("run it under Python" in m for m in messages)
    assert any(
        "saved with flavorkit 9.0.0" in m
        and 'pip install --find-links <checkout>/dist "flavorkit==9.0.0"' in m  # not on PyPI
        for m in messages
    )


def test_a_missing_recorded_version_falls_back_to_the_requirement_pin(tmp_path: Path) -> None:
    path = save(tmp_path / "m", PLUGGY)
    _edit_mlmodel(path, lambda raw: raw["flavors"]["toy"].pop("pluggy_version"))
    (path / "requirements.txt").write_text("pluggy==0.2.0\n")
    (path / MANIFEST_FILE).unlink()
    (message,) = mismatch_warnings(path)
    assert "saved with pluggy 0.2.0" in message


def test_validate_reports_versions_as_a_check(tmp_path: Path) -> None:
    good = {c.name: c for c in validate_model(save(tmp_path / "good", PLUGGY))}
    assert good["versions"].status == "pass"
    with warnings.catch_warnings():
        warnings.simplefilter("error", VersionMismatchWarning)  # validate reports, never warns
        bad = {c.name: c for c in validate_model(save(tmp_path / "bad", "0.1.0"))}
    assert bad["versions"].status == "warn"
    assert "pluggy 0.1.0" in bad["versions"].detail
    assert bad["load"].status == "pass"
