"""Reading a recipe root: ``recipe.yaml`` rendered with a profile, as MLflow Recipes did.

The profile (``profiles/<name>.yaml``) is rendered first by Jinja2 with ``StrictUndefined`` (lines
starting with ``#`` are Jinja comments, so commented-out ``{{VARS}}`` are harmless); its mapping is
the context that renders ``recipe.yaml``; then the two merge. Two departures from MLflow, both
supersets of what it accepted:

* a mapping or list rendered into YAML is written as JSON (which YAML reads), not as Python's
  ``repr``, so ``ingest: {{INGEST_CONFIG}}`` keeps ``None``, booleans and quotes intact;
* the merge is an overlay (profile wins, mappings merge key by key) where MLflow refused any key
  present in both files, which was its best-known profile limitation.

Paths stay as written here; steps resolve them against the recipe root when they use them, so the
configuration (and with it the step cache keys) does not change when the recipe directory moves.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flavorkit.errors import RecipeError

__all__ = ["RecipeConfig", "find_recipe_root", "load_recipe_config"]

RECIPE_FILE = "recipe.yaml"
PROFILE_ENV = "FLAVORKIT_RECIPES_PROFILE"
MLFLOW_PROFILE_ENV = "MLFLOW_RECIPES_PROFILE"


@dataclass
class RecipeConfig:
    """The merged configuration of one recipe root under one profile."""

    root: Path
    profile: str
    data: dict[str, Any]
    files: list[Path] = field(default_factory=list)

    @property
    def recipe_type(self) -> str:
        """The ``recipe:`` key (``template:`` in MLflow Pipelines and early Recipes)."""
        name = self.data.get("recipe", self.data.get("template"))
        if not isinstance(name, str) or not name:
            raise RecipeError(
                f"{self.root / RECIPE_FILE}: key 'recipe' is required "
                "(e.g. recipe: regression/v1 or recipe: classification/v1)"
            )
        return name

    def step(self, name: str) -> dict[str, Any]:
        """The ``steps.<name>`` mapping ({} when absent or left empty, as MLflow allowed)."""
        steps = self.data.get("steps") or {}
        if not isinstance(steps, Mapping):
            raise RecipeError(f"{self.root / RECIPE_FILE}: key 'steps' must be a mapping")
        conf = steps.get(name) or {}
        if not isinstance(conf, Mapping):
            raise RecipeError(
                f"{self.root / RECIPE_FILE}: key 'steps.{name}' must be a mapping, "
                f"got {type(conf).__name__}"
            )
        return dict(conf)

    def section(self, name: str) -> dict[str, Any]:
        """A top-level mapping such as ``experiment`` or ``model_registry`` ({} when absent)."""
        value = self.data.get(name) or {}
        if not isinstance(value, Mapping):
            raise RecipeError(f"{self.root / RECIPE_FILE}: key {name!r} must be a mapping")
        return dict(value)

    def resolve(self, location: str | os.PathLike[str]) -> Path:
        """A path from the configuration, relative to the recipe root unless absolute."""
        text = os.fspath(location)
        if text.startswith("file://"):
            text = text[len("file://") :]
        path = Path(text).expanduser()
        return path if path.is_absolute() else self.root / path


def find_recipe_root(start: str | os.PathLike[str] = ".") -> Path:
    """The first directory from ``start`` upwards that holds a ``recipe.yaml``."""
    here = Path(start).absolute()
    for candidate in (here, *here.parents):
        if (candidate / RECIPE_FILE).is_file():
            return candidate
    raise RecipeError(
        f"no {RECIPE_FILE} in {here} or any directory above it: run from a recipe root, pass "
        "root=, or create one with `flavorkit recipes init DIR`"
    )


def default_profile() -> str:
    """The profile named by the environment, else ``local`` (MLflow's default off Databricks)."""
    return os.environ.get(PROFILE_ENV) or os.environ.get(MLFLOW_PROFILE_ENV) or "local"


def load_recipe_config(root: str | os.PathLike[str], profile: str | None = None) -> RecipeConfig:
    """Render ``profiles/<profile>.yaml`` then ``recipe.yaml`` and merge them."""
    root_path = find_recipe_root(root)
    profile = profile or default_profile()
    recipe_file = root_path / RECIPE_FILE
    profile_file = root_path / "profiles" / f"{profile}.yaml"
    if not profile_file.is_file():
        found = sorted(p.stem for p in (root_path / "profiles").glob("*.yaml"))
        raise RecipeError(
            f"profile {profile!r} not found: {profile_file} does not exist "
            f"(profiles found: {', '.join(found) or 'none'})"
        )
    profile_data = _yaml_mapping(_render(profile_file, {}, profile_file), profile_file)
    recipe_data = _yaml_mapping(_render(recipe_file, profile_data, profile_file), recipe_file)
    merged = overlay(recipe_data, profile_data)
    return RecipeConfig(
        root=root_path, profile=profile, data=merged, files=[recipe_file, profile_file]
    )


def overlay(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``top`` laid over it: mappings merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = overlay(out[key], value)
        else:
            out[key] = value
    return out


def _render(path: Path, context: Mapping[str, Any], profile_file: Path) -> str:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        line_comment_prefix="#",
        keep_trailing_newline=True,
        finalize=_as_yaml_value,
    )
    env.filters["from_json"] = lambda p: json.loads(Path(path.parent, p).read_text("utf-8"))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise RecipeError(f"{path}: cannot be read: {e.strerror or e}") from None
    try:
        return str(env.from_string(text).render(**context))
    except jinja2.UndefinedError as e:
        name = _undefined_name(str(e))
        raise RecipeError(
            f"{path}: variable {name} is undefined: define it in {profile_file}"
        ) from None
    except jinja2.TemplateSyntaxError as e:
        raise RecipeError(f"{path}:{e.lineno}: template syntax error: {e.message}") from None


def _as_yaml_value(value: Any) -> Any:
    # a mapping or list becomes JSON, which YAML reads back exactly (Python's repr would not)
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, default=str)
    if value is None:
        return "null"
    return value


def _undefined_name(message: str) -> str:
    # jinja2: "'INGEST_CONFIG' is undefined" or "'dict object' has no attribute 'x'"
    if message.endswith(" is undefined"):
        return message[: -len(" is undefined")]
    return repr(message)


def _yaml_mapping(text: str, path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise RecipeError(f"{path}{where}: invalid YAML after rendering: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: must be a YAML mapping, got {type(data).__name__}")
    return data
