"""Logging models to MLflow tracking, the way MLflow 3 logs them.

:func:`log_model` saves with flavorkit's own save path (signature, example, environment files,
atomic write, safe formats — no requirement inference by subprocess) and then does what
``mlflow.<flavor>.log_model`` does in MLflow 3: it creates a *logged model* (``models:/m-<id>``)
in the active run's experiment, linked to the run as one of its outputs when a run is active,
writes ``run_id``, ``artifact_path`` (the logged model's artifact location), ``model_id`` and
``model_uuid`` (= the model id) into MLmodel as MLflow writes them, uploads the directory with
MLflow's artifact repositories, marks the model READY (FAILED if anything went wrong) and
optionally registers it. What it logs is an ordinary MLflow model: ``mlflow.pyfunc.load_model``
loads it from ``runs:/``, ``models:/`` and the registry.

MLflow's client (``flavorkit[mlflow]``) is imported when :func:`log_model` is first called.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flavorkit.api import save_model
from flavorkit.errors import TrackingServerError, install_hint
from flavorkit.locations import bounded_http, is_unreachable_error
from flavorkit.mlmodel import Model
from flavorkit.signature import ModelSignature

__all__ = ["ModelInfo", "log_model"]


@dataclass(frozen=True)
class ModelInfo:
    """What :func:`log_model` logged: the URI to load it by and the facts MLmodel records."""

    model_uri: str
    """``models:/m-<model_id>``, the URI MLflow 3 returns."""
    model_id: str
    run_id: str | None
    name: str
    artifact_path: str
    """The logged model's artifact location (as MLflow 3 writes ``artifact_path``)."""
    registered_model_name: str | None
    registered_model_version: int | None
    flavors: dict[str, dict[str, Any]]
    signature: ModelSignature | None
    utc_time_created: str
    model_uuid: str | None
    metadata: dict[str, Any] | None = None
    saved_input_example_info: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def runs_uri(self) -> str | None:
        """``runs:/<run_id>/<name>``, the run-relative URI (when logged inside a run)."""
        return f"runs:/{self.run_id}/{self.name}" if self.run_id else None

    @property
    def registered_model_uri(self) -> str | None:
        """``models:/<name>/<version>`` when the model was registered."""
        if self.registered_model_name is None:
            return None
        return f"models:/{self.registered_model_name}/{self.registered_model_version}"


def log_model(
    model: Any,
    name: str,
    *,
    registered_model_name: str | None = None,
    tags: Mapping[str, Any] | None = None,
    **save_model_kwargs: Any,
) -> ModelInfo:
    """Save ``model`` with :func:`flavorkit.save_model` and log it to MLflow tracking.

    ``name`` is the logged model's name (``runs:/<run_id>/<name>`` finds it in the run);
    ``tags`` go on the logged model (and the registered version); ``registered_model_name``
    also registers it, creating the registered model if needed. ``save_model_kwargs`` are
    :func:`flavorkit.save_model`'s (``signature=``, ``input_example=``, ``flavor=``...). The
    tracking and registry URIs are MLflow's own (``MLFLOW_TRACKING_URI``,
    ``mlflow.set_tracking_uri``); the active run, if any, is MLflow's.
    """
    if "path" in save_model_kwargs:
        raise TypeError("log_model() takes a name, not a path; use flavorkit.save_model to save")
    try:
        import mlflow
    except ImportError:
        raise TrackingServerError(
            "flavorkit.log_model needs MLflow's client: `pip install mlflow-skinny`, or "
            + install_hint("'flavorkit[mlflow]'")
        ) from None

    str_tags = {str(k): str(v) for k, v in (tags or {}).items()} or None
    try:
        return _log(model, name, registered_model_name, str_tags, save_model_kwargs)
    except Exception as e:
        if not is_unreachable_error(e):
            raise
        raise TrackingServerError(
            f"log_model({name!r}): cannot reach the tracking server at "
            f"{mlflow.get_tracking_uri()}. Check that it is running and that "
            "MLFLOW_TRACKING_URI names it."
        ) from None


def _log(
    model: Any,
    name: str,
    registered_model_name: str | None,
    str_tags: dict[str, str] | None,
    save_model_kwargs: dict[str, Any],
) -> ModelInfo:
    import mlflow
    from mlflow.entities import LoggedModelOutput, LoggedModelStatus

    with bounded_http(), tempfile.TemporaryDirectory(prefix="flavorkit-log-") as tmp:
        local = Path(tmp) / "model"
        # save first: a model that cannot be saved leaves nothing behind on the server
        meta = save_model(model, local, **save_model_kwargs)
        active = mlflow.active_run()
        run_id = active.info.run_id if active is not None else None
        client = mlflow.MlflowClient()
        params = dict(client.get_run(run_id).data.params) if run_id else None
        logged = mlflow.initialize_logged_model(
            name=name, source_run_id=run_id, tags=str_tags, params=params
        )
        try:
            if run_id is not None:
                client.log_outputs(run_id=run_id, models=[LoggedModelOutput(logged.model_id, 0)])
            meta = _stamp(meta, local, logged.artifact_location, logged.model_id, run_id)
            client.log_model_artifacts(logged.model_id, str(local))
        except BaseException:
            mlflow.finalize_logged_model(logged.model_id, LoggedModelStatus.FAILED)
            raise
        mlflow.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
        version = None
        if registered_model_name is not None:
            registered = mlflow.register_model(
                f"models:/{logged.model_id}", registered_model_name, tags=str_tags
            )
            version = int(registered.version)
    return ModelInfo(
        model_uri=f"models:/{logged.model_id}",
        model_id=logged.model_id,
        run_id=run_id,
        name=name,
        artifact_path=logged.artifact_location,
        registered_model_name=registered_model_name,
        registered_model_version=version,
        flavors=meta.flavors,
        signature=meta.signature,
        utc_time_created=meta.utc_time_created,
        model_uuid=meta.model_uuid,
        metadata=meta.metadata,
        saved_input_example_info=meta.saved_input_example_info,
    )


def _stamp(
    meta: Model, local: Path, artifact_location: str, model_id: str, run_id: str | None
) -> Model:
    """Record where the model was logged, in the keys and forms MLflow 3's ``log_model`` uses:
    ``artifact_path`` = the logged model's artifact location, ``model_uuid`` = ``model_id``."""
    meta.artifact_path = artifact_location
    meta.model_id = model_id
    meta.model_uuid = model_id
    meta.run_id = run_id
    meta.save(local)
    for pycache in local.rglob("__pycache__"):
        shutil.rmtree(pycache, ignore_errors=True)
    return meta
