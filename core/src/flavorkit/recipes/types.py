"""The recipe-type contract: what a ``regression/v1`` (or a third party's ``forecasting/v1``) is.

A recipe type is a :class:`RecipeType` subclass registered under the entry-point group
``flavorkit.recipes``, the entry-point name being the ``recipe:`` value of ``recipe.yaml``. It lists
its :class:`Step` classes; each step declares its upstream steps, the ``steps/*.py`` files its
user code lives in and the resolved configuration it reads. The runner (``runner.py``) knows
nothing else about a type: it hashes what the steps declare, runs them in order and caches their
output directories. The two built-in types register exactly as a third-party one would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, ClassVar

from flavorkit.errors import RecipeError
from flavorkit.plugins import STRICT_ENV
from flavorkit.recipes.config import RecipeConfig
from flavorkit.switches import env_flag

__all__ = [
    "ENTRY_POINT_GROUP",
    "Artifact",
    "RecipeType",
    "Step",
    "StepContext",
    "installed_recipe_types",
    "load_recipe_type",
]

ENTRY_POINT_GROUP = "flavorkit.recipes"


@dataclass
class StepContext:
    """What a running step sees: its configuration, its inputs' output directories, its own.

    ``card`` collects the step card's sections (see :mod:`flavorkit.recipes.cards`); ``log``
    prints a line on the runner's output.
    """

    step: str
    config: RecipeConfig
    step_config: dict[str, Any]
    output_dir: Path
    inputs: dict[str, Path]
    card: Any
    recipe_type: RecipeType
    log: Callable[[str], None] = print
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.config.root

    def input(self, step: str, name: str) -> Path:
        """The path of output ``name`` of upstream ``step``."""
        return self.inputs[step] / name

    def user_function(self, file: str, name: str) -> Callable[..., Any]:
        """Function ``name`` of ``steps/<file>.py`` (``steps.<file>.<name>`` is accepted too)."""
        from flavorkit.recipes.usercode import user_function

        return user_function(self.config.root, file, name)


class Step:
    """One step of a recipe type. Subclasses set the class attributes and implement :meth:`run`.

    * ``name``: the key under ``steps:`` in recipe.yaml and the name on the command line.
    * ``inputs``: upstream step names whose outputs this step reads (their output digests are
      part of this step's cache key).
    * ``code_files``: ``steps/*.py`` files whose source (and the local modules they import) is
      part of the key.
    * ``outputs``: the file names the step writes into its output directory, for ``inspect``.
    """

    name: ClassVar[str]
    inputs: ClassVar[tuple[str, ...]] = ()
    code_files: ClassVar[tuple[str, ...]] = ()
    outputs: ClassVar[tuple[str, ...]] = ()

    def __init__(self, recipe_type: RecipeType):
        self.recipe_type = recipe_type

    def resolved_config(self, config: RecipeConfig) -> dict[str, Any]:
        """The configuration this step reads; it is hashed into the cache key.

        The default is ``steps.<name>``; steps that read top-level keys (``target_col``,
        ``experiment``...) add them here so that changing them re-runs exactly these steps.
        """
        return config.step(self.name)

    def validate(self, config: RecipeConfig) -> None:
        """Raise :class:`~flavorkit.errors.RecipeError` for bad configuration (before any run)."""

    def code(self, config: RecipeConfig) -> list[str]:
        """The ``steps/*.py`` files (names like ``train.py``) whose source joins the key.

        ``code_files`` by default; the built-ins list a file only when the configuration names a
        function in it, so an unused file's edits re-run nothing.
        """
        return list(self.code_files)

    def data_files(self, config: RecipeConfig) -> list[Path]:
        """Files outside the recipe's cache that the step reads (ingest's source data).

        Their content digests join the key, so edited source data re-runs the step.
        """
        return []

    def extra_key(self, config: RecipeConfig, cached: Callable[[str], Path | None]) -> str:
        """Anything else the step depends on, as a string hashed into the key.

        ``cached(step)`` is the current output directory of another step, or None. The built-in
        ``predict`` uses it to depend on the registered model version.
        """
        return ""

    def run(self, ctx: StepContext) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def on_card(self, ctx: StepContext, html: Path, json_file: Path) -> None:
        """Called once the step's card is written (train and evaluate log it to their run)."""


@dataclass(frozen=True)
class Artifact:
    """A name ``get_artifact`` knows: which step's output it is and how to load it."""

    step: str
    load: Callable[[Path, RecipeConfig], Any]


class RecipeType:
    """A recipe type: an ordered list of steps, a default target and named artifacts.

    ``steps`` are in run order (upstream first). ``default_target`` is what ``run()`` with no step
    runs (``register`` for the built-ins, never ``predict``). ``version`` joins every step's
    cache key, so a type that changes what its steps compute bumps it.
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    step_classes: ClassVar[tuple[type[Step], ...]] = ()
    default_target: ClassVar[str] = ""
    artifacts: ClassVar[Mapping[str, Artifact]] = {}

    def __init__(self) -> None:
        self.steps: dict[str, Step] = {cls.name: cls(self) for cls in self.step_classes}

    def validate(self, config: RecipeConfig, plan: Sequence[str] | None = None) -> None:
        """Check the configuration of the steps in ``plan`` (all when None) before any runs.

        Only planned steps are checked, so a training run does not require ``ingest_scoring``
        to be configured (MLflow's templates leave it commented out).
        """
        for name in plan if plan is not None else list(self.steps):
            self.steps[name].validate(config)

    def plan(self, target: str | None) -> list[str]:
        """The steps to consider for ``target``: it and everything upstream, in run order."""
        target = target or self.default_target
        if target not in self.steps:
            raise RecipeError(
                f"unknown step {target!r} for recipe type {self.name}: "
                f"steps are {', '.join(self.steps)}"
            )
        needed = {target}
        for name in reversed(list(self.steps)):
            if name in needed:
                needed.update(self.steps[name].inputs)
        return [name for name in self.steps if name in needed]

    def downstream(self, step: str) -> list[str]:
        """``step`` and every step that reads it, directly or not, in run order."""
        found = {step}
        for name, obj in self.steps.items():
            if found.intersection(obj.inputs):
                found.add(name)
        return [name for name in self.steps if name in found]


def _entry_points() -> Sequence[EntryPoint]:
    return list(entry_points(group=ENTRY_POINT_GROUP))


def installed_recipe_types() -> list[str]:
    """The names of every recipe type an installed distribution registers."""
    return sorted({ep.name for ep in _entry_points()})


@cache
def _load_class(name: str) -> type[RecipeType]:
    matches = [ep for ep in _entry_points() if ep.name == name]
    if not matches:
        installed = ", ".join(installed_recipe_types()) or "none"
        raise RecipeError(
            f"unknown recipe type {name!r} (key 'recipe' of recipe.yaml): installed types are "
            f"{installed}; a third-party type is a distribution registering it under the "
            f"entry-point group {ENTRY_POINT_GROUP!r}"
        )
    if len({ep.value for ep in matches}) > 1:
        raise RecipeError(
            f"recipe type {name!r} is registered twice: {', '.join(ep.value for ep in matches)}"
        )
    try:
        obj = matches[0].load()
    except Exception as e:  # a broken plugin must say which one
        if env_flag(STRICT_ENV, default=False):  # read as the flavor plugins read it
            raise
        raise RecipeError(
            f"recipe type {name!r} ({matches[0].value}) failed to load: {type(e).__name__}: {e}"
        ) from e
    if not (isinstance(obj, type) and issubclass(obj, RecipeType)):
        raise RecipeError(
            f"entry point {name!r} = {matches[0].value} is not a flavorkit.recipes.RecipeType"
        )
    return obj


def load_recipe_type(name: str) -> RecipeType:
    """A fresh instance of the recipe type registered as ``name``."""
    cls = _load_class(name)
    if not cls.name:  # the entry-point name is the type's name unless it sets one
        cls.name = name
    return cls()
