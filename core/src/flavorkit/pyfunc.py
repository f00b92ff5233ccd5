"""The uniform wrapper every loaded model is: ``predict(data, params=None)``.

:class:`PyFuncModel` enforces the model's signature on the way in (:mod:`flavorkit.enforce`),
validates params against the declared ones, and hands the result to the flavor's predictor. The
output is returned as the framework produced it, as MLflow does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flavorkit.contract import Predictor
from flavorkit.errors import FlavorkitError
from flavorkit.mlmodel import Model
from flavorkit.signature import ModelSignature

__all__ = ["PyFuncModel"]

_UNSET: Any = object()


class PyFuncModel:
    """A loaded model with MLflow's ``pyfunc`` interface, whatever its flavor."""

    def __init__(
        self,
        metadata: Model,
        predictor: Predictor,
        *,
        flavor: str,
        raw_model: Any,
        raw_model_on_demand: bool = False,
        path: Path | None = None,
        model_config: dict[str, Any] | None = None,
    ):
        self.metadata = metadata
        self.flavor = flavor
        self.path = path
        self.model_config = model_config or {}
        self._predictor = predictor
        # on demand, ``raw_model`` is the function that loads it (FlavorInfo.native_on_demand)
        self._raw_model = raw_model
        self._raw_model_pending = raw_model_on_demand
        self._input_example: Any = _UNSET
        signature = metadata.signature
        self._inputs = signature.inputs if signature is not None else None
        self._params = signature.params if signature is not None else None
        self._enforce_inputs = self._inputs is not None and not metadata.is_signature_from_type_hint
        self._strict_params = bool(getattr(predictor, "strict_params", False))

    @property
    def signature(self) -> ModelSignature | None:
        return self.metadata.signature

    @property
    def input_example(self) -> Any:
        """The saved input example, read on first access (``None`` if there is none)."""
        if self._input_example is _UNSET:
            self._input_example = None
            info = self.metadata.saved_input_example_info
            if info is not None and self.path is not None:
                from flavorkit.examples import load_input_example

                self._input_example = load_input_example(self.path, info, self._inputs)
        return self._input_example

    @property
    def predictor(self) -> Predictor:
        """The flavor's predictor, which takes already-enforced input (MLflow's loader uses it)."""
        return self._predictor

    def get_raw_model(self) -> Any:
        """The framework's own object (an estimator, a module, a ModelProto...).

        Flavors whose predictor runs from the files alone load it here, on first call.
        """
        if self._raw_model_pending:
            self._raw_model = self._raw_model()
            self._raw_model_pending = False
        return self._raw_model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Predict on ``data`` after enforcing the signature; raises SchemaEnforcementError."""
        data, params = self._enforce(data, params)
        return self._predictor.predict(data, params)

    def enforce_input(
        self, data: Any, params: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any] | None]:
        """``(data, params)`` as :attr:`predictor` takes them: the signature enforced, params
        defaulted. For callers that check a request now and predict later (a batching server)."""
        data, params = self._enforce(data, params)
        return data, params

    def predict_stream(self, data: Any, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Stream predictions, for models whose flavor can (``python_function.streamable``)."""
        stream = getattr(self._predictor, "predict_stream", None)
        if stream is None:
            raise FlavorkitError(
                f"This {self.flavor!r} model cannot stream predictions; call predict() instead."
            )
        data, params = self._enforce(data, params)
        result: Iterator[Any] = stream(data, params)
        return result

    def _enforce(self, data: Any, params: dict[str, Any] | None) -> tuple[Any, Any]:
        """The input as the signature wants it, and the declared params (with defaults)."""
        from flavorkit.enforce import enforce_params, enforce_schema

        if self._enforce_inputs:
            data = enforce_schema(data, self._inputs)  # type: ignore[arg-type]
        if params is not None or self._params is not None:
            params = enforce_params(params, self._params, strict=self._strict_params)
        return data, params

    def __repr__(self) -> str:
        parts = [f"flavor={self.flavor!r}"]
        if self.path is not None:
            parts.append(f"path={str(self.path)!r}")
        sig = self.signature
        if sig is not None and sig.inputs is not None:
            parts.append(f"inputs={sig.inputs.inputs!r}")
        if sig is not None and sig.outputs is not None:
            parts.append(f"outputs={sig.outputs.inputs!r}")
        if sig is not None and sig.params:
            parts.append(f"params={list(sig.params)!r}")
        return f"PyFuncModel({', '.join(parts)})"
