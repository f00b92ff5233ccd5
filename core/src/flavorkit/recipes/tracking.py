"""MLflow tracking and registration for recipe runs: MLflow's client and flavorkit.log_model.

Defaults are MLflow Recipes': a sqlite store at ``<root>/metadata/mlflow/mlruns.db`` and artifacts
under ``<root>/metadata/mlflow/mlartifacts``; ``experiment.tracking_uri`` in a profile points at a
server instead. Relative sqlite paths and artifact locations are resolved against the recipe root
(as MLflow did), at use time, so they never enter a cache key as absolute paths.

Runs, metrics and artifacts go through an explicit :class:`mlflow.MlflowClient`. The model is
logged by :func:`flavorkit.tracking.log_model` (an MLflow 3 logged model linked to the run) and
loaded back through :mod:`flavorkit.locations`; both read MLflow's configured URIs, so
:func:`mlflow_uris` sets them for the duration of the call and restores the caller's after.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flavorkit.errors import RecipeError
from flavorkit.recipes.config import RecipeConfig

__all__ = ["TrackingSettings", "register_model", "settings_for", "start_run"]

SOURCE_TAGS = {"mlflow.source.type": "RECIPE"}


@dataclass(frozen=True)
class TrackingSettings:
    tracking_uri: str
    registry_uri: str
    experiment_name: str | None
    experiment_id: str | None
    artifact_location: str | None
    run_name_prefix: str | None


def _resolve_uri(uri: str, root: Path) -> str:
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        rel = uri[len("sqlite:///") :]
        path = (root / rel).absolute()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if uri.startswith("sqlite:////"):
        Path(uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    return uri


def _resolve_location(location: str, root: Path) -> str:
    if "://" in location and not location.startswith("file://"):
        return location
    path = Path(location[len("file://") :] if location.startswith("file://") else location)
    return (path if path.is_absolute() else root / path).absolute().as_uri()


def settings_for(config: RecipeConfig) -> TrackingSettings:
    exp = config.section("experiment")
    registry = config.section("model_registry")
    root = config.root
    tracking = exp.get("tracking_uri") or os.environ.get("MLFLOW_TRACKING_URI")
    tracking = _resolve_uri(str(tracking or "sqlite:///metadata/mlflow/mlruns.db"), root)
    registry_uri = registry.get("registry_uri") or registry.get("uri")
    registry_uri = _resolve_uri(str(registry_uri), root) if registry_uri else tracking
    location = exp.get("artifact_location")
    if location is None and tracking.startswith("sqlite:"):
        location = "metadata/mlflow/mlartifacts"
    return TrackingSettings(
        tracking_uri=tracking,
        registry_uri=registry_uri,
        experiment_name=str(exp["name"]) if exp.get("name") else None,
        experiment_id=str(exp["id"]) if exp.get("id") else None,
        artifact_location=_resolve_location(str(location), root) if location else None,
        run_name_prefix=exp.get("run_name_prefix"),
    )


def client_for(settings: TrackingSettings) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.registry_uri)


def _experiment_id(client: Any, settings: TrackingSettings, default_name: str) -> str:
    if settings.experiment_id:
        return settings.experiment_id
    name = settings.experiment_name or default_name
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    try:
        return str(client.create_experiment(name, artifact_location=settings.artifact_location))
    except Exception:  # created concurrently by another run: read it back
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return str(found.experiment_id)


def start_run(config: RecipeConfig, step: str, recipe_type: str) -> tuple[Any, str, str]:
    """A new MLflow run for a recipe execution: ``(client, run_id, artifact_uri)``."""
    settings = settings_for(config)
    client = client_for(settings)
    try:
        experiment_id = _experiment_id(client, settings, config.root.name)
    except Exception as e:
        raise RecipeError(
            f"MLflow tracking at {settings.tracking_uri} is unusable "
            f"(experiment {settings.experiment_name or config.root.name!r}): "
            f"{type(e).__name__}: {e}. Check experiment.tracking_uri in "
            f"profiles/{config.profile}.yaml"
        ) from e
    tags = {
        **SOURCE_TAGS,
        "mlflow.source.name": config.root.name,
        "recipe_type": recipe_type,
        "recipe_profile": config.profile,
        "recipe_step": step,
    }
    prefix = settings.run_name_prefix
    run = client.create_run(
        experiment_id, tags=tags, run_name=f"{prefix}-{step}" if prefix else None
    )
    return client, str(run.info.run_id), str(run.info.artifact_uri)


def client_from_config(config: RecipeConfig) -> Any:
    return client_for(settings_for(config))


@contextmanager
def mlflow_uris(config: RecipeConfig) -> Iterator[TrackingSettings]:
    """MLflow's tracking and registry URIs set to the recipe's, the caller's restored after."""
    import mlflow
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    settings = settings_for(config)
    saved = (
        getattr(tracking_utils, "_tracking_uri", None),
        getattr(registry_utils, "_registry_uri", None),
        {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")},
    )
    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.registry_uri)
    try:
        yield settings
    finally:
        tracking_utils._tracking_uri = saved[0]
        registry_utils._registry_uri = saved[1]
        for key, value in saved[2].items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def log_recipe_model(
    config: RecipeConfig, run_id: str, model: Any, **save_kwargs: Any
) -> dict[str, Any]:
    """Log ``model`` to run ``run_id`` with :func:`flavorkit.tracking.log_model`."""
    import mlflow

    from flavorkit.tracking import log_model

    with mlflow_uris(config), mlflow.start_run(run_id=run_id):
        info = log_model(model, "model", **save_kwargs)
    return {"model_uri": info.model_uri, "model_id": info.model_id, "run_id": run_id}


def register_model(config: RecipeConfig, model_uri: str, run_id: str) -> dict[str, Any]:
    """Register ``model_uri`` under ``model_registry.model_name``; the version as a dict."""
    name = config.section("model_registry").get("model_name")
    if not name:
        raise RecipeError(
            f"key 'model_registry.model_name' is required to register a model: set it in "
            f"profiles/{config.profile}.yaml or recipe.yaml"
        )
    import mlflow

    with mlflow_uris(config) as settings:
        version = mlflow.register_model(model_uri, str(name))
    return {
        "name": str(name),
        "version": str(version.version),
        "source": str(version.source),
        "run_id": run_id,
        "model_uri": f"models:/{name}/{version.version}",
        "registry_uri": settings.registry_uri,
    }


def load_model(config: RecipeConfig, model_uri: str, *, trust: bool) -> Any:
    """``flavorkit.load_model`` of a path or any model URI, against the recipe's tracking store."""
    from flavorkit.api import load_model as flavorkit_load

    if ":/" not in model_uri or model_uri.startswith("file:"):
        path = config.resolve(model_uri)
        if not path.exists():
            raise RecipeError(f"steps.predict.model_uri: {path} does not exist")
        return flavorkit_load(path, trust=trust)
    with mlflow_uris(config):
        return flavorkit_load(model_uri, trust=trust)


def read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text("utf-8"))
    assert isinstance(data, dict)
    return data
