"""A custom Python model written against MLflow's API, twin of ``interop_models.FlavorkitAffine``.

Imports mlflow, so only tests that already need MLflow import it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mlflow.pyfunc
from interop_models import _affine


class MlflowAffine(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    """``input * factor * scale + shift + offset`` (factor and shift from the artifact)."""

    def load_context(self, context: Any) -> None:
        self.weights = json.loads(Path(context.artifacts["weights"]).read_text())
        self.offset = float((context.model_config or {}).get("offset", 0.0))

    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        # no type hints: MLflow would read them as the model's signature
        return _affine(model_input, self.weights, self.offset, params)
