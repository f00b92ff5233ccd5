"""Small real PythonModels, one per thing the tests exercise."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flavorkit_pythonmodel import PythonModel, PythonModelContext


class WeightedSum(PythonModel):
    """predict() uses an artifact: the weights file named ``weights``, read in load_context."""

    def load_context(self, context: PythonModelContext) -> None:
        self.weights = json.loads(Path(context.artifacts["weights"]).read_text())

    def predict(self, context: PythonModelContext, model_input: Any, params: Any = None) -> Any:
        return sum(model_input[c] * w for c, w in self.weights.items()).to_numpy()


class Affine(PythonModel):
    """``model_config["offset"]`` and the ``scale`` param: ``x * scale + offset``."""

    def predict(self, context: PythonModelContext, model_input: Any, params: Any = None) -> Any:
        scale = (params or {}).get("scale", 1.0)
        return model_input.to_numpy() * scale + context.model_config["offset"]


class Scaler(PythonModel):
    """Rebuilt from its constructor arguments; ``predict`` without a context argument."""

    def __init__(self, factor: float = 1.0, columns: list[str] | None = None):
        self.factor = factor
        self.columns = columns

    def predict(self, model_input: Any, params: Any = None) -> Any:
        return model_input[self.columns or list(model_input.columns)] * self.factor


class Lookup(PythonModel):
    """State set after construction (``fit``): only a pickle keeps it."""

    def __init__(self) -> None:
        self.table: dict[str, int] = {}

    def fit(self, table: dict[str, int]) -> Lookup:
        self.table = dict(table)
        return self

    def predict(self, context: PythonModelContext, model_input: Any, params: Any = None) -> Any:
        return np.array([self.table.get(w, -1) for w in model_input["word"]])


class Vocabulary(PythonModel):
    """A directory artifact: the words of ``vocab/words.txt``, looked up by index."""

    def load_context(self, context: PythonModelContext) -> None:
        self.words = (Path(context.artifacts["vocab"]) / "words.txt").read_text().split()

    def predict(self, context: PythonModelContext, model_input: Any, params: Any = None) -> Any:
        return [self.words[i] for i in model_input]


class Shout(PythonModel):
    """Type-hinted, streaming: upper-cases each string, and streams them one by one."""

    def predict(self, context: Any, model_input: list[str], params: Any = None) -> list[str]:
        return [s.upper() for s in model_input]

    def predict_stream(
        self, context: Any, model_input: list[str], params: Any = None
    ) -> Iterator[str]:
        for s in model_input:
            yield s.upper() + (params or {}).get("suffix", "")


class RecordTotals(PythonModel):
    """``list[dict[str, float]]`` in, one float per record out."""

    def predict(self, model_input: list[dict[str, float]], params: Any = None) -> list[float]:
        return [sum(r.values()) for r in model_input]


class FrameIn(PythonModel):
    """A pandas.DataFrame hint: the signature comes from the input example."""

    def predict(self, model_input: pd.DataFrame) -> pd.DataFrame:
        return model_input * 2


class ArrayIn(PythonModel):
    """A numpy.ndarray hint."""

    def predict(self, model_input: np.ndarray) -> np.ndarray:
        return model_input + 1


class NoParams(PythonModel):
    """predict() takes no params at all."""

    def predict(self, context: Any, model_input: Any) -> Any:
        return model_input


class Loaded(PythonModel):
    """Counts load_context calls and remembers the config it saw."""

    def __init__(self) -> None:
        self.loads = 0

    def load_context(self, context: PythonModelContext) -> None:
        self.loads += 1
        self.config = dict(context.model_config)

    def predict(self, context: PythonModelContext, model_input: Any, params: Any = None) -> Any:
        return [context.model_config.get("greeting", "hi") + " " + s for s in model_input["name"]]


def frame() -> pd.DataFrame:
    return pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, -1.0, 4.0]})


def words() -> pd.DataFrame:
    return pd.DataFrame({"word": ["a", "b", "zz"]})


class Locked(PythonModel):
    """Holds a lock, which no pickle can record: cloudpickle must refuse it at save."""

    def __init__(self) -> None:
        import threading

        self.lock = threading.Lock()

    def predict(self, context: PythonModelContext, model_input: Any, params: Any = None) -> Any:
        return model_input
