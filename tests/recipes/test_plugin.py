"""A third-party recipe type, registered through the `flavorkit.recipes` entry-point group.

The distribution is real metadata on sys.path (a *.dist-info with entry_points.txt), so discovery
goes through importlib.metadata exactly as for an installed package; the runner, cache and cards
work for it with no type-specific code.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

from flavorkit.errors import RecipeError
from flavorkit.recipes import Recipe
from flavorkit.recipes import types as recipe_types

PLUGIN = """
from flavorkit.recipes import RecipeType, Step, Artifact


class Make(Step):
    name = "make"
    code_files = ("make.py",)

    def run(self, ctx):
        fn = ctx.user_function("make", ctx.step_config.get("method", "numbers"))
        (ctx.output_dir / "numbers.txt").write_text(",".join(map(str, fn())))
        ctx.card.kv("made", {"count": len(fn())})


class Total(Step):
    name = "total"
    inputs = ("make",)

    def run(self, ctx):
        numbers = ctx.input("make", "numbers.txt").read_text().split(",")
        total = sum(int(n) for n in numbers) * int(ctx.step_config.get("factor", 1))
        (ctx.output_dir / "total.txt").write_text(str(total))
        ctx.card.table("Total", ["total"], [[total]], css_class="metrics")


class CountingRecipe(RecipeType):
    version = "3"
    step_classes = (Make, Total)
    default_target = "total"
    artifacts = {
        "total": Artifact("total", lambda out, config: int((out / "total.txt").read_text())),
    }
"""


def install_recipe_type(site, monkeypatch, module: str, source: str, entry: str):
    """A real distribution on sys.path registering ``entry`` in the flavorkit.recipes group."""
    site.mkdir()
    (site / f"{module}.py").write_text(source)
    dist = site / f"{module}-0.1.dist-info"
    dist.mkdir()
    name = module.replace("_", "-")
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[flavorkit.recipes]\n{entry}\n")
    monkeypatch.syspath_prepend(str(site))
    recipe_types._load_class.cache_clear()
    yield
    recipe_types._load_class.cache_clear()
    sys.modules.pop(module, None)


@pytest.fixture
def counting_plugin(tmp_path, monkeypatch):
    entry = "counting/v1 = counting_recipes:CountingRecipe"
    yield from install_recipe_type(
        tmp_path / "site", monkeypatch, "counting_recipes", PLUGIN, entry
    )


def test_a_third_party_type_runs_and_caches(counting_plugin, tmp_path, lines):
    assert "counting/v1" in recipe_types.installed_recipe_types()
    root = tmp_path / "proj"
    (root / "profiles").mkdir(parents=True)
    (root / "steps").mkdir()
    (root / "recipe.yaml").write_text(
        "recipe: counting/v1\nsteps:\n  total:\n    factor: {{FACTOR}}\n"
    )
    (root / "profiles" / "local.yaml").write_text("FACTOR: 2\n")
    (root / "steps" / "make.py").write_text("def numbers():\n    return [1, 2, 3]\n")
    recipe = Recipe("local", root=root, echo=lines)
    assert recipe.run().ran == ["make", "total"]
    assert recipe.get_artifact("total") == 12
    assert recipe.run().reused == ["make", "total"]
    (root / "profiles" / "local.yaml").write_text("FACTOR: 3\n")
    lines.clear()
    assert recipe.run().ran == ["total"]
    assert "config changed (factor)" in lines.of("total")
    assert recipe.get_artifact("total") == 18
    (root / "steps" / "make.py").write_text(
        textwrap.dedent("""
        def numbers():
            return [1, 2, 3, 4]
    """)
    )
    lines.clear()
    assert recipe.run().ran == ["make", "total"]
    assert lines.of("make").endswith("steps/make.py changed")
    assert recipe.get_artifact("total") == 30


@pytest.fixture
def broken_plugin(tmp_path, monkeypatch):
    source = "raise ImportError('needs a missing library')\n"
    entry = "broken/v1 = broken_recipes:BrokenRecipe"
    yield from install_recipe_type(tmp_path / "site", monkeypatch, "broken_recipes", source, entry)


@pytest.mark.parametrize("strict", ["", "0", "no"])
def test_a_broken_type_is_named_in_one_line(broken_plugin, monkeypatch, strict):
    monkeypatch.setenv("FLAVORKIT_STRICT_PLUGINS", strict)
    with pytest.raises(RecipeError) as e:
        recipe_types.load_recipe_type("broken/v1")
    assert str(e.value) == (
        "recipe type 'broken/v1' (broken_recipes:BrokenRecipe) failed to load: "
        "ImportError: needs a missing library"
    )


@pytest.mark.parametrize("strict", ["1", "true", " YES "])
def test_strict_plugins_raises_a_broken_types_own_error(broken_plugin, monkeypatch, strict):
    """Read as the flavor plugins read it (flavorkit.switches), not only as "1"."""
    monkeypatch.setenv("FLAVORKIT_STRICT_PLUGINS", strict)
    with pytest.raises(ImportError, match="needs a missing library"):
        recipe_types.load_recipe_type("broken/v1")
