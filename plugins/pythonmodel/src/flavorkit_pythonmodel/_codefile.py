"""Running a model-from-code file and collecting the model it sets.

The file runs as a fresh module under a unique name (as MLflow's ``_load_model_code_path`` does,
so two models whose files share a name do not collide) that stays in ``sys.modules``: classes the
file defines must stay importable for pickling and dataclass machinery. It hands its model over
with :func:`flavorkit_pythonmodel.set_model`, or, in files written for MLflow, with
``mlflow.models.set_model`` (read back when mlflow is installed). A plain function is wrapped as
MLflow wraps it: ``predict(model_input)`` calls it.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path
from typing import Any

from flavorkit.errors import FlavorkitError
from flavorkit_pythonmodel._capture import CAPTURED
from flavorkit_pythonmodel._imports import missing_module_error, on_sys_path

__all__ = ["FunctionModel", "run_model_file"]


class FunctionModel:
    """A function set as the model: ``predict(model_input, params=None)`` calls it."""

    def __init__(self, fn: Any):
        self.fn = fn

    def predict(self, model_input: Any, params: Any = None) -> Any:
        return self.fn(model_input)

    def __repr__(self) -> str:
        return f"FunctionModel({getattr(self.fn, '__qualname__', self.fn)!r})"


def run_model_file(file: Path, *, code_dir: Path | None = None) -> Any:
    """Run ``file`` (with ``code_dir`` on sys.path meanwhile) and return the model it sets."""
    name = f"flavorkit_code_model_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise FlavorkitError(f"{file}: not a Python file flavorkit can run.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    mlflow_models = sys.modules.get("mlflow.models.model")
    before = getattr(mlflow_models, "__mlflow_model__", None)
    captured: list[Any] = []
    token = CAPTURED.set(captured)
    try:
        with on_sys_path(code_dir):
            spec.loader.exec_module(module)
    except ModuleNotFoundError as e:
        sys.modules.pop(name, None)
        raise missing_module_error(e, f"running the model file {file}") from e
    except Exception as e:
        sys.modules.pop(name, None)
        raise FlavorkitError(
            f"running the model file {file} failed: {type(e).__name__}: {e}"
        ) from e
    finally:
        CAPTURED.reset(token)
    if not captured:  # a file written for MLflow hands its model to mlflow.models.set_model
        mlflow_models = sys.modules.get("mlflow.models.model")
        model = getattr(mlflow_models, "__mlflow_model__", None)
        if model is not None and model is not before:
            captured.append(model)
    if not captured:
        raise FlavorkitError(
            f"the model file {file} ran but set no model: end it with "
            "`flavorkit_pythonmodel.set_model(model)`."
        )
    model = captured[-1]
    if callable(model) and not callable(getattr(model, "predict", None)):
        return FunctionModel(model)
    return model
