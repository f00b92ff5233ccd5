"""A custom Python model written against flavorkit's API (``interop_mlflow_models.py``: MLflow's).

Both read a JSON artifact in ``load_context``, a ``model_config`` key and a ``scale`` param, so a
model that lost its artifacts, its config or its params predicts something else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flavorkit_pythonmodel import PythonModel


def _affine(model_input: Any, weights: dict[str, float], offset: float, params: Any) -> Any:
    scale = float((params or {}).get("scale", 1.0))
    return model_input.mul(weights["factor"] * scale).add(weights["shift"] + offset)


class FlavorkitAffine(PythonModel):
    """``input * factor * scale + shift + offset`` (factor and shift from the artifact)."""

    def load_context(self, context: Any) -> None:
        self.weights = json.loads(Path(context.artifacts["weights"]).read_text())
        self.offset = float((context.model_config or {}).get("offset", 0.0))

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return _affine(model_input, self.weights, self.offset, params)
