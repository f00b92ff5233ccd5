"""Plugin discovery through real entry points (in subprocesses) and the registry's rules."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest
from toyflavor_pkg import ToyFlavor, ToyModel

from flavorkit.errors import PluginError, PluginNotFoundError
from flavorkit.flavor import FlavorInfo
from flavorkit.hookspecs import hookimpl
from flavorkit.plugins import PluginRegistry


def run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_import_flavorkit_discovers_and_imports_nothing(toy_site: Path, subprocess_env) -> None:
    result = run(
        """
        import sys, flavorkit
        heavy = [m for m in ("numpy", "pandas", "yaml", "pluggy", "toyflavor_pkg",
                             "importlib.metadata") if m in sys.modules]
        print(heavy)
        """,
        subprocess_env(toy_site),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_entry_point_plugin_is_discovered_and_saves(
    tmp_path: Path, toy_site: Path, subprocess_env
) -> None:
    result = run(
        f"""
        import json, flavorkit
        from toyflavor_pkg import ToyModel
        flavorkit.save_model(ToyModel([1.0, 2.0]), {str(tmp_path / "m")!r})
        print(json.dumps([f.name for f in flavorkit.list_flavors()]))
        """,
        subprocess_env(toy_site, FLAVORKIT_STRICT_PLUGINS="1"),
    )
    assert result.returncode == 0, result.stderr
    assert "toy" in json.loads(result.stdout)
    reqs = (tmp_path / "m" / "requirements.txt").read_text().splitlines()
    assert "toyflavor-pkg==1.0" in reqs  # the plugin's own distribution is pinned


def test_loading_imports_only_the_flavor_it_needs(
    tmp_path: Path, toy_site: Path, make_distribution, subprocess_env
) -> None:
    other = tmp_path / "other"
    pkg = tmp_path / "src" / "other_flavor"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("raise RuntimeError('other_flavor must not be imported')\n")
    make_distribution(other, "other-flavor", {"other": "other_flavor:Flavor"}, pkg)
    env = subprocess_env(toy_site, other)
    saved = run(
        f"""
        import flavorkit
        from toyflavor_pkg import ToyModel
        flavorkit.save_model(ToyModel([1.0]), {str(tmp_path / "m")!r}, flavor="toy")
        """,
        env,
    )
    assert saved.returncode == 0, saved.stderr
    loaded = run(
        f"""
        import sys, flavorkit
        model = flavorkit.load_model({str(tmp_path / "m")!r})
        print(model.flavor, "other_flavor" in sys.modules, "toyflavor_pkg" in sys.modules)
        """,
        env | {"FLAVORKIT_STRICT_PLUGINS": "1"},
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["toy", "False", "True"]


def test_a_broken_plugin_is_reported_and_others_keep_working(
    tmp_path: Path, toy_site: Path, make_distribution, subprocess_env
) -> None:
    broken = tmp_path / "broken"
    pkg = tmp_path / "src" / "broken_flavor"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("import does_not_exist_anywhere\n")
    make_distribution(broken, "broken-flavor", {"broken": "broken_flavor:Flavor"}, pkg)
    env = subprocess_env(toy_site, broken)

    listed = subprocess.run(
        [sys.executable, "-m", "flavorkit.cli", "flavors", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    report = json.loads(listed.stdout)
    toy = next(f for f in report["flavors"] if f["name"] == "toy")
    assert toy["distribution"] == "toyflavor-pkg"
    assert report["errors"][0]["name"] == "broken"
    assert "does_not_exist_anywhere" in report["errors"][0]["error"]
    assert "flavor plugin 'broken' is skipped" in listed.stderr  # the warning

    strict = subprocess.run(
        [sys.executable, "-m", "flavorkit.cli", "flavors"],
        env=env | {"FLAVORKIT_STRICT_PLUGINS": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert strict.returncode == 1
    assert "broken" in strict.stderr
    assert "does_not_exist_anywhere" in strict.stderr


def test_two_distributions_claiming_one_flavor_name_both(
    tmp_path: Path, toy_site: Path, make_distribution, subprocess_env
) -> None:
    twin = tmp_path / "twin"
    make_distribution(twin, "toy-twin", {"toy": "toyflavor_pkg:ToyFlavor2"})
    result = run(
        f"""
        import flavorkit
        from toyflavor_pkg import ToyModel
        flavorkit.save_model(ToyModel([1.0]), {str(tmp_path / "m")!r}, flavor="toy")
        """,
        subprocess_env(toy_site, twin),
    )
    assert result.returncode != 0
    assert "toyflavor-pkg" in result.stderr
    assert "toy-twin" in result.stderr
    assert "claimed by two distributions" in result.stderr


def test_cli_reports_a_missing_plugin_with_the_package_to_install(
    tmp_path: Path, subprocess_env
) -> None:
    model = tmp_path / "m"
    model.mkdir()
    (model / "MLmodel").write_text(
        "flavors:\n  lightgbm: {data: model.txt}\n"
        "  python_function: {loader_module: mlflow.lightgbm, data: model.txt}\n"
        "utc_time_created: '2026-01-01 00:00:00'\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "flavorkit.cli", "validate", str(model)],
        env=subprocess_env(tmp_path / "empty-site"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "No plugin for flavor 'lightgbm' is installed" in result.stdout
    assert "flavorkit-lightgbm" not in result.stdout  # no such package: never suggest it


# -- the registry's rules, in-process -----------------------------------------------------------


def test_the_same_flavor_twice_in_process_is_an_error() -> None:
    registry = PluginRegistry(discover=False)
    registry.register(ToyFlavor, name="first")
    with pytest.raises(PluginError, match="Flavor 'toy' is provided twice: by first and by second"):
        registry.register(ToyFlavor, name="second")
    assert registry.flavor("toy").package == "toyflavor-pkg"  # the first one is untouched


def test_misspelled_hook_is_caught() -> None:
    plugin = types.ModuleType("typo_plugin")

    @hookimpl
    def flavorkit_save_modle(flavor, model, path, options):  # type: ignore[no-untyped-def]
        return None

    plugin.flavorkit_save_modle = flavorkit_save_modle  # type: ignore[attr-defined]
    registry = PluginRegistry(discover=False)
    with pytest.raises(PluginError, match="misspelled"):
        registry.register(plugin)


def test_wrong_hook_arguments_are_caught() -> None:
    plugin = types.ModuleType("bad_args")

    @hookimpl
    def flavorkit_save_model(flavor, model, path, options, extra):  # type: ignore[no-untyped-def]
        return None

    plugin.flavorkit_save_model = flavorkit_save_model  # type: ignore[attr-defined]
    with pytest.raises(PluginError, match="does not match the hook specs"):
        PluginRegistry(discover=False).register(plugin)


def test_function_style_plugin_module_works() -> None:
    plugin = types.ModuleType("fn_plugin")

    @hookimpl
    def flavorkit_flavors():  # type: ignore[no-untyped-def]
        return [FlavorInfo(name="fn", model_types=("builtins.dict",))]

    plugin.flavorkit_flavors = flavorkit_flavors  # type: ignore[attr-defined]
    registry = PluginRegistry(discover=False)
    registry.register(plugin)
    assert registry.detect({}).name == "fn"
    assert registry.distribution_of("fn") is None


def test_detection_walks_the_class_hierarchy() -> None:
    class Sub(ToyModel):
        pass

    registry = PluginRegistry(discover=False)
    registry.register(ToyFlavor)
    assert registry.detect(Sub([1.0])).name == "toy"
    with pytest.raises(PluginNotFoundError, match="Pass flavor= to choose one"):
        registry.detect(3)


def test_flavors_must_be_declared_with_flavor_info() -> None:
    plugin = types.ModuleType("bad_info")

    @hookimpl
    def flavorkit_flavors():  # type: ignore[no-untyped-def]
        return ["toy"]

    plugin.flavorkit_flavors = flavorkit_flavors  # type: ignore[attr-defined]
    with pytest.raises(PluginError, match="must return FlavorInfo"):
        PluginRegistry(discover=False).register(plugin)
