"""MLflow's loading contract for flavors MLflow does not have.

MLflow loads any model through ``importlib.import_module(python_function.loader_module)
._load_pyfunc(data_path[, model_config])`` and calls ``predict(data, params=...)`` on the result.
Flavors that MLflow knows (sklearn, pytorch, onnx, python models) point ``loader_module`` at
MLflow's own module; every other flavor points it here, so a model saved by any flavorkit plugin
loads in MLflow (with flavorkit and the plugin installed) without per-plugin glue.

MLflow has no trust argument: formats that run code on load are refused here unless the process
sets ``FLAVORKIT_TRUST=1``, the caller's decision, never the model's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from flavorkit.mlmodel import MLMODEL_FILE_NAME
from flavorkit.switches import env_flag

if TYPE_CHECKING:
    from flavorkit.pyfunc import PyFuncModel

__all__ = ["TRUST_ENV"]

TRUST_ENV = "FLAVORKIT_TRUST"


class _MLflowModel:
    """What MLflow's PyFuncModel wraps: MLflow enforces the signature itself before calling."""

    def __init__(self, model: PyFuncModel):
        self._predictor = model.predictor
        self._model = model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._predictor.predict(data, params)

    def predict_stream(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """MLflow calls this only for models saved with ``python_function.streamable: true``."""
        stream = getattr(self._predictor, "predict_stream", None)
        if stream is None:
            from flavorkit.errors import FlavorkitError

            raise FlavorkitError("This model's flavor cannot stream predictions.")
        return stream(data, params)

    def get_raw_model(self) -> Any:
        return self._model.get_raw_model()


def _load_pyfunc(data_path: str, model_config: dict[str, Any] | None = None) -> _MLflowModel:
    """Entry point MLflow calls; ``data_path`` is the model root, its ``data`` dir, or a file."""
    from flavorkit.api import load_model

    path = Path(data_path).absolute()
    root = next((p for p in (path, *path.parents[:2]) if (p / MLMODEL_FILE_NAME).is_file()), path)
    from flavorkit.errors import UntrustedModelError

    trust = env_flag(TRUST_ENV, default=False)
    try:
        model = load_model(root, trust=trust, model_config=model_config)
    except UntrustedModelError as e:
        reason = str(e).split(" If you trust", 1)[0]
        raise UntrustedModelError(
            f"{reason} MLflow has no trust argument: if you trust where this model came from, "
            f"set {TRUST_ENV}=1 in the environment of the process that loads it."
        ) from None
    return _MLflowModel(model)
