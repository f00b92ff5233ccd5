"""Packaging: the entry point registered, discovering the plugin importing no framework.

The checks of :class:`~flavorkit.testing.FlavorConformanceTests` are grouped by what they check,
one mixin per module; the suite class inherits them all.
"""

from __future__ import annotations

import pytest

from flavorkit.testing.case import (
    IN_PROCESS_ONLY,
)
from flavorkit.testing.checks.base import ChecksBase
from flavorkit.testing.state import (
    SuiteState,
    canonical,
    fail,
)

__all__ = ["PackagingChecks"]


class PackagingChecks(ChecksBase):
    """Packaging: the entry point registered, discovering the plugin importing no framework."""

    def test_entry_point_registered(self, flavorkit_state: SuiteState) -> None:
        from importlib.metadata import entry_points

        from flavorkit.plugins import ENTRY_POINT_GROUP, PluginRegistry

        flavorkit_state.skip_if(
            IN_PROCESS_ONLY, "the flavor is registered in-process, without an entry point"
        )
        group = list(entry_points(group=ENTRY_POINT_GROUP))
        named = {
            (ep.value, getattr(ep.dist, "name", None)) for ep in group if ep.name == self.flavor
        }
        if not named:
            found = sorted(f"{ep.name} = {ep.value}" for ep in group) or ["none"]
            fail(
                f"no entry point named {self.flavor!r} in group {ENTRY_POINT_GROUP!r}; found: "
                f"{', '.join(found)}. Add to the plugin's pyproject.toml:\n"
                f'[project.entry-points."{ENTRY_POINT_GROUP}"]\n'
                f'{self.flavor} = "your_package:YourFlavor"'
            )
        assert len(named) == 1, f"several entry points claim {self.flavor!r}: {sorted(named)}"
        ((value, dist),) = named
        try:
            info = PluginRegistry().flavor(self.flavor)
        except Exception as e:
            fail(f"a fresh registry cannot load entry point {value!r}: {e}")
        assert info.name == self.flavor, (
            f"entry point {self.flavor} = {value!r} declares flavor {info.name!r}"
        )
        if info.package is not None and dist is not None:
            assert canonical(info.package) == canonical(dist), (
                f"FlavorInfo.package is {info.package!r} but the entry point comes from the "
                f"distribution {dist!r}: 'pip install' hints would name the wrong package"
            )

    def test_plugin_import_is_light(self, flavorkit_state: SuiteState) -> None:
        if not self.framework_modules:
            pytest.skip("framework_modules is empty: name the framework's top-level modules")
        report = flavorkit_state.import_report()
        already = report.get("already") or []
        imported = {m: s for m, s in report["imported"].items() if m not in already}
        if imported:
            lines = [
                f"discovering flavor {self.flavor!r} imported {sorted(imported)}; import the "
                "framework inside save()/load(), not at module level."
            ]
            for module, stack in sorted(imported.items()):
                lines.append(f"{module} was first imported from:")
                lines.extend(f"  {frame}" for frame in stack)
            fail("\n".join(lines))
