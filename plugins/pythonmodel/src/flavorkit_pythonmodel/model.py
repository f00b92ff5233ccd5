"""What a model author writes against: :class:`PythonModel`, its context, and models from code.

The API is MLflow's ``mlflow.pyfunc.PythonModel`` (same method names, same arguments, same
calling rules), so a class written for MLflow needs only its base class changed, and a model
saved with ``serialization="cloudpickle"`` loads in MLflow through ``mlflow.pyfunc.model``.
Nothing here imports numpy, pandas or cloudpickle: this module is imported to detect flavors.
"""

from __future__ import annotations

import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from flavorkit_pythonmodel._capture import CAPTURED
from flavorkit_pythonmodel._typehints import TypeHints

__all__ = ["ModelFromCode", "PythonModel", "PythonModelContext", "TypeHints", "set_model"]


class PythonModelContext:
    """What :meth:`PythonModel.load_context` and ``predict`` receive.

    ``artifacts`` maps each artifact name given at save time to the absolute local path of its
    copy inside the model directory; ``model_config`` is the ``model_config`` saved with the
    model, with the keys the caller overrode at load time (``load_model(model_config=...)``).
    """

    def __init__(
        self,
        artifacts: Mapping[str, str] | None = None,
        model_config: Mapping[str, Any] | None = None,
    ):
        self._artifacts = dict(artifacts or {})
        self._model_config = dict(model_config or {})

    @property
    def artifacts(self) -> dict[str, str]:
        return self._artifacts

    @property
    def model_config(self) -> dict[str, Any]:
        return self._model_config

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PythonModelContext):
            return NotImplemented
        return self._artifacts == other._artifacts and self._model_config == other._model_config

    __hash__ = None  # type: ignore[assignment]  # mutable contents: equality, no hashing

    def __repr__(self) -> str:
        return (
            f"PythonModelContext(artifacts={self._artifacts!r}, "
            f"model_config={self._model_config!r})"
        )


class PythonModel(ABC):
    """Base class of a custom model: subclass it and implement :meth:`predict`.

    Example::

        class Scaler(PythonModel):
            def load_context(self, context):
                self.factor = float(Path(context.artifacts["factor"]).read_text())

            def predict(self, context, model_input, params=None):
                return model_input * self.factor * (params or {}).get("scale", 1.0)

    ``context`` may be left out of ``predict`` (``def predict(self, model_input, params=None)``),
    and ``params`` too if the model takes none: it is passed only when declared, as in MLflow.
    Type hints on ``model_input`` (``list[str]``, ``list[dict[str, float]]``...) give the model its
    signature and validate its input (see :mod:`flavorkit_pythonmodel._hints`).
    """

    def load_context(self, context: PythonModelContext) -> None:  # noqa: B027 - optional hook
        """Load what ``predict`` needs from ``context.artifacts`` (called once, after loading)."""

    @abstractmethod
    def predict(self, context: PythonModelContext, model_input: Any, params: Any = None) -> Any:
        """Predict on ``model_input`` (already checked against the signature)."""

    def predict_stream(
        self, context: PythonModelContext, model_input: Any, params: Any = None
    ) -> Iterator[Any]:
        """Yield the prediction in chunks; overriding it makes the model ``streamable``."""
        raise NotImplementedError(
            f"{type(self).__qualname__} does not implement predict_stream(); override it to "
            "stream predictions."
        )

    @property
    def predict_type_hints(self) -> TypeHints:
        """The hints of ``predict``; MLflow's loader reads this attribute on the models it wraps."""
        from flavorkit_pythonmodel._hints import predict_type_hints

        return predict_type_hints(self.predict)


class ModelFromCode:
    """A model defined by a Python file that calls :func:`set_model` (MLflow's models from code).

    ``flavorkit.save_model(ModelFromCode("agent.py"), path)`` copies the file into the model
    directory instead of pickling anything, as ``mlflow.pyfunc.save_model(python_model="agent.py")``
    does. Loading the model runs the file again, so it needs ``trust=True``.
    """

    def __init__(self, path: str | os.PathLike[str]):
        file = Path(path).absolute()
        if file.suffix != ".py" or not file.is_file():
            raise ValueError(
                f"python_model: {file} is not an existing .py file; a model from code is a Python "
                "file that calls flavorkit_pythonmodel.set_model(model)."
            )
        self.path = file
        self._model: list[Any] = []  # the model the file set, once run

    def load(self) -> Any:
        """The model the file sets, running the file on first use (the caller's own file)."""
        if not self._model:
            from flavorkit_pythonmodel._codefile import run_model_file

            self._model.append(run_model_file(self.path))
        return self._model[0]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModelFromCode):
            return NotImplemented
        return self.path == other.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __repr__(self) -> str:
        return f"ModelFromCode({str(self.path)!r})"


def set_model(model: Any) -> None:
    """Declare the model a model-from-code file defines; call it once at the end of the file.

    Under flavorkit the model is handed to the loader. Under MLflow's loader
    (``mlflow.pyfunc.loaders.code_model``) it is handed to MLflow, as ``mlflow.models.set_model``
    would, so the same file loads in both.
    """
    if model is None or isinstance(model, (str, bytes, os.PathLike)):
        raise TypeError(
            f"set_model() takes the model object (a PythonModel instance), got {model!r}."
        )
    captured = CAPTURED.get()
    if captured is not None:
        captured.append(model)
        return
    mlflow_models = sys.modules.get("mlflow.models.model")
    if mlflow_models is not None:  # running inside MLflow's code_model loader
        mlflow_models.__mlflow_model__ = model  # type: ignore[attr-defined]
