"""MLflow tracking and registration for recipe runs, through MLflow's own client.

Defaults are MLflow Recipes': a sqlite store at ``<root>/metadata/mlflow/mlruns.db`` and artifacts
under ``<root>/metadata/mlflow/mlartifacts``; ``experiment.tracking_uri`` in a profile points at a
server instead. Relative sqlite paths and artifact locations are resolved against the recipe root
(as MLflow did), at use time, so they never enter a cache key as absolute paths.

Everything goes through an explicit :class:`mlflow.MlflowClient` (no global active run), so a
recipe run does not disturb a caller's own MLflow state.
"""

from __future__ import annotations

import json
import os
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


def register_model(
    config: RecipeConfig, run_id: str, artifact_path: str = "model"
) -> dict[str, Any]:
    """Register the run's model under ``model_registry.model_name``; the version as a dict."""
    name = config.section("model_registry").get("model_name")
    if not name:
        raise RecipeError(
            f"key 'model_registry.model_name' is required to register a model: set it in "
            f"profiles/{config.profile}.yaml or recipe.yaml"
        )
    settings = settings_for(config)
    client = client_for(settings)
    run = client.get_run(run_id)
    source = f"{run.info.artifact_uri}/{artifact_path}"
    try:
        client.create_registered_model(str(name))
    except Exception as e:
        if "RESOURCE_ALREADY_EXISTS" not in str(getattr(e, "error_code", "")) and (
            "already exists" not in str(e)
        ):
            raise
    version = client.create_model_version(str(name), source=source, run_id=run_id)
    return {
        "name": str(name),
        "version": str(version.version),
        "source": source,
        "run_id": run_id,
        "model_uri": f"models:/{name}/{version.version}",
        "registry_uri": settings.registry_uri,
    }


def local_model_dir(config: RecipeConfig, model_uri: str, dest: Path) -> Path:
    """A local directory for ``model_uri``: a path as is, anything else downloaded by MLflow."""
    if "://" not in model_uri or model_uri.startswith("file://"):
        path = config.resolve(model_uri)
        if not path.exists():
            raise RecipeError(f"steps.predict.model_uri: {path} does not exist")
        return path
    settings = settings_for(config)
    import mlflow.artifacts

    try:
        got = mlflow.artifacts.download_artifacts(
            artifact_uri=model_uri, dst_path=str(dest), tracking_uri=settings.tracking_uri
        )
    except Exception as e:
        raise RecipeError(
            f"model {model_uri} cannot be downloaded from {settings.tracking_uri}: "
            f"{type(e).__name__}: {e}"
        ) from e
    return Path(got)


def read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text("utf-8"))
    assert isinstance(data, dict)
    return data
