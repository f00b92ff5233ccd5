"""The version check at load: quiet while the installed framework can load the model, loud once.

At load the core compares what the model recorded with what is installed here: the framework
version each flavor plugin reads from its MLmodel section (:class:`FrameworkVersion`, through the
``flavorkit_framework_versions`` hook), ``python_function.python_version``, and the ``==`` pins in
``requirements.txt`` of those frameworks and of flavorkit itself.

A version is compatible when it has the recorded major.minor, or lies in the range the plugin
declares (``FrameworkVersion.compatible``: ONNX files load in any later ``onnx``, say). Local labels
(``2.13.0+cpu``) are ignored. MLflow warns about every difference on every load, which users learn
to ignore; flavorkit is silent when compatible and warns **once per model and package per process**
otherwise, naming the package, both versions and the ``pip install`` line that fixes it.
``FLAVORKIT_STRICT_VERSIONS=1`` makes it a :class:`~flavorkit.errors.VersionMismatchError`.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flavorkit.errors import VersionMismatchError, install_hint
from flavorkit.installed import canonical_name
from flavorkit.installed import version as installed_version
from flavorkit.switches import env_flag

__all__ = [
    "STRICT_ENV",
    "FrameworkVersion",
    "VersionMismatch",
    "VersionMismatchWarning",
    "check_versions",
    "find_mismatches",
]

STRICT_ENV = "FLAVORKIT_STRICT_VERSIONS"
PYTHON = "python"
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;,#]+)")
_WARNED: set[tuple[str, str]] = set()


class VersionMismatchWarning(UserWarning):
    """The installed version of a package the model needs is not one it was saved for."""


@dataclass(frozen=True)
class FrameworkVersion:
    """A framework a saved model depends on, as its flavor plugin declares it.

    ``package`` is the distribution (``"scikit-learn"``), ``saved`` the version the model recorded
    (``None`` when unknown: requirements.txt's pin is used then), ``compatible`` a PEP 440 range of
    installed versions that load it (``">=1.14"``); ``None`` means the same major.minor as saved.
    """

    package: str
    saved: str | None
    compatible: str | None = None


@dataclass(frozen=True)
class VersionMismatch:
    """One package (or ``python``) whose installed version the model was not saved for."""

    package: str
    saved: str
    installed: str | None
    compatible: str | None = None

    @property
    def fix(self) -> str:
        if self.package == PYTHON:
            minor = ".".join(self.saved.split(".")[:2])
            return f"run it under Python {minor} (python_env.yaml names the version)"
        wanted = self.compatible or f"=={self.saved}"
        if self.package == "flavorkit" or self.package.startswith("flavorkit-"):
            return install_hint(f'"{self.package}{wanted}"')  # built from the checkout
        return f'pip install "{self.package}{wanted}"'

    def describe(self) -> str:
        here = f"{self.installed} is installed" if self.installed else "it is not installed"
        expected = f" (it declares {self.compatible})" if self.compatible else ""
        return f"saved with {self.package} {self.saved}{expected}, {here}; fix: {self.fix}"


def find_mismatches(
    root: str | os.PathLike[str],
    frameworks: Iterable[FrameworkVersion],
    *,
    python_version: str | None,
    flavorkit_version: str | None = None,
) -> list[VersionMismatch]:
    """Every package the model was saved for whose installed version is not compatible."""
    wanted: dict[str, FrameworkVersion] = {}
    for fw in frameworks:
        wanted.setdefault(canonical_name(fw.package), fw)
    pins = _requirement_pins(Path(root))
    for name, fw in list(wanted.items()):
        if fw.saved is None and name in pins:
            wanted[name] = FrameworkVersion(fw.package, pins[name], fw.compatible)
    saved_flavorkit = pins.get("flavorkit") or flavorkit_version
    if "flavorkit" not in wanted and saved_flavorkit:
        wanted["flavorkit"] = FrameworkVersion("flavorkit", saved_flavorkit)
    found: list[VersionMismatch] = []
    if python_version:
        here = ".".join(map(str, sys.version_info[:3]))
        if not _compatible(str(python_version), here, None):
            found.append(VersionMismatch(PYTHON, str(python_version), here))
    for fw in wanted.values():
        if fw.saved is None:
            continue
        installed = installed_version(fw.package)
        if installed is None or not _compatible(str(fw.saved), installed, fw.compatible):
            found.append(VersionMismatch(fw.package, str(fw.saved), installed, fw.compatible))
    return found


def check_versions(
    root: str | os.PathLike[str],
    frameworks: Iterable[FrameworkVersion],
    *,
    python_version: str | None,
    flavorkit_version: str | None = None,
) -> list[VersionMismatch]:
    """The load-time check: warn once per model and package, or raise under strict versions."""
    mismatches = find_mismatches(
        root, frameworks, python_version=python_version, flavorkit_version=flavorkit_version
    )
    if not mismatches:
        return mismatches
    if env_flag(STRICT_ENV, default=False):
        first = mismatches[0]
        listed = "; ".join(m.describe() for m in mismatches)
        raise VersionMismatchError(
            f"{root}: {listed} (unset {STRICT_ENV} to load it with a warning).",
            package=first.package,
            saved=first.saved,
            installed=first.installed,
        )
    key = os.fspath(root)
    for m in mismatches:
        if (key, m.package) in _WARNED:
            continue
        _WARNED.add((key, m.package))
        warnings.warn(
            f"flavorkit: {key} was {m.describe()} (set {STRICT_ENV}=1 to make this an error).",
            VersionMismatchWarning,
            stacklevel=3,
        )
    return mismatches


def _compatible(saved: str, installed: str, declared: str | None) -> bool:
    release = saved.partition("+")[0]
    if release == installed.partition("+")[0] and declared in (None, f">={release}"):
        return True  # the release it was saved with: no need to import packaging on a cold start
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        here = Version(installed.partition("+")[0])
        if declared is not None:
            return SpecifierSet(declared).contains(here, prereleases=True)
        then = Version(saved.partition("+")[0])
    except (InvalidVersion, InvalidSpecifier):
        return saved.partition("+")[0] == installed.partition("+")[0]
    return then.release[:2] == here.release[:2]


def _requirement_pins(root: Path) -> dict[str, str]:
    """``name==version`` lines of requirements.txt (canonical names); other lines are skipped."""
    try:
        text = (root / "requirements.txt").read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return {}
    pins = {}
    for line in text.splitlines():
        match = _PIN.match(line)
        if match:
            pins[canonical_name(match.group(1))] = match.group(2)
    return pins
