"""A small, real flavor used by the core's tests: a linear model saved as JSON or as a pickle.

It is installed as a distribution (a ``*.dist-info`` with an entry point) in the subprocess tests,
and registered in-process in the others.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

from flavorkit.flavor import Flavor, SavedFlavor
from flavorkit.safety import model_file, require_trust


class ToyModel:
    """y = X @ weights + bias; ``params={"scale": s}`` multiplies the result."""

    def __init__(self, weights: list[float], bias: float = 0.0):
        self.weights = list(weights)
        self.bias = bias

    def predict(self, X: Any, params: dict[str, Any] | None = None) -> Any:
        import numpy as np

        scale = (params or {}).get("scale", 1.0)
        return (np.asarray(X, dtype=float) @ np.asarray(self.weights) + self.bias) * scale


class ToyFlavor(Flavor):
    name = "toy"
    model_types = (f"{ToyModel.__module__}.{ToyModel.__qualname__}",)
    package = "toyflavor-pkg"
    loader_modules = ("toyflavor.legacy_loader",)

    def save(self, model: ToyModel, path: Path, **options: Any) -> SavedFlavor:
        fmt = options.pop("serialization_format", "json")
        if options:
            raise TypeError(f"unknown toy options: {sorted(options)}")
        if fmt == "json":
            data = "model.json"
            (path / data).write_text(json.dumps({"weights": model.weights, "bias": model.bias}))
        elif fmt == "pickle":
            data = "model.pkl"
            (path / data).write_bytes(pickle.dumps(model))
        else:
            raise ValueError(f"unknown serialization_format {fmt!r}")
        conf = {"data": data, "serialization_format": fmt}
        return SavedFlavor(conf, {"loader_module": "flavorkit.mlflow_loader", "data": data})

    def load(self, path: Path, conf: dict[str, Any], *, trust: bool, **options: Any) -> ToyModel:
        if options:
            raise TypeError(f"unknown toy load options: {sorted(options)}")
        file = model_file(path, conf.get("data"), key="toy.data")
        if conf.get("serialization_format", "json") == "pickle":
            require_trust(trust, file, "it is a pickle, and unpickling runs code")
            model: ToyModel = pickle.loads(file.read_bytes())  # the caller passed trust=True
            return model
        raw = json.loads(file.read_text())
        return ToyModel(raw["weights"], raw["bias"])
