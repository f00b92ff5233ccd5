"""The class attributes every check reads, declared once for the check mixins."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, ClassVar

__all__ = ["ChecksBase"]


class ChecksBase:
    """What a check may read of the suite class; :class:`~flavorkit.testing.FlavorConformanceTests`
    documents and sets these."""

    flavor: ClassVar[str]
    plugin: ClassVar[Any] = None
    capabilities: ClassVar[Collection[str]] = frozenset()
    framework_modules: ClassVar[tuple[str, ...]] = ()
    path_keys: ClassVar[tuple[str, ...]] = ()
    #: Seconds a subprocess check may take before it fails.
    subprocess_timeout: ClassVar[float] = 300.0
