"""flavorkit.recipes: MLflow Recipes' successor, built on flavorkit models and MLflow tracking.

A recipe root (``recipe.yaml``, ``profiles/``, ``steps/*.py``) written for MLflow 2.x Recipes runs
here unchanged: the same configuration schema, profiles rendered by Jinja2, the same steps
(``ingest → split → transform → train → evaluate → register``, ``ingest_scoring → predict``) and
the same artifact names. What differs is underneath: recipe types are entry-point plugins
(group ``flavorkit.recipes``), the step cache is keyed by content hashes and says why each step
ran, step cards are offline HTML plus ``card.json``, and batch scoring needs no Spark.

This package sits above the serving and batch layers and below the CLI. Its heavy dependencies
(``pip install 'flavorkit[recipes]'``) are imported only when a step runs.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "Artifact",
    "Recipe",
    "RecipeType",
    "RunReport",
    "Step",
    "StepContext",
    "installed_recipe_types",
]

_LAZY = {
    "Recipe": "flavorkit.recipes.recipe",
    "RunReport": "flavorkit.recipes.runner",
    "Artifact": "flavorkit.recipes.types",
    "RecipeType": "flavorkit.recipes.types",
    "Step": "flavorkit.recipes.types",
    "StepContext": "flavorkit.recipes.types",
    "installed_recipe_types": "flavorkit.recipes.types",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flavorkit.recipes' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
