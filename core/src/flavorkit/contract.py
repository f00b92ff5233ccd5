"""The values that cross the plugin contract: what a plugin declares, returns and is given.

:mod:`flavorkit.hookspecs` (the hooks) and :mod:`flavorkit.flavor` (the base class implementing
them) both speak in these types, so they live here, below both, and neither module needs the
other's. Every name is also importable from :mod:`flavorkit.flavor`, where plugins import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from flavorkit.signature import ModelSignature

__all__ = ["FlavorInfo", "Predictor", "PredictorContext", "SavedFlavor"]


@dataclass(frozen=True)
class FlavorInfo:
    """What a plugin declares about one flavor; reading it imports no framework.

    ``model_types`` are dotted names of classes (``"sklearn.base.BaseEstimator"``) matched against
    a model's class hierarchy. ``package`` is the distribution to ``pip install`` for the flavor.
    ``loader_modules`` are ``python_function.loader_module`` values of models with no flavor
    section of their own that this flavor can load (``"mlflow.pyfunc.model"``). ``capabilities``
    tell the conformance suite which checks apply (see :mod:`flavorkit.testing`).

    ``native_on_demand`` says the predictor runs from the model's files alone (an onnxruntime
    session opened from ``model.onnx``): :func:`flavorkit.load_model` then calls the predictor
    hook with ``model=None`` and the directory in its context, and calls the load hook only when
    :meth:`~flavorkit.pyfunc.PyFuncModel.get_raw_model` first asks for the native object. A cold
    start then pays for the runtime alone, not for the framework that parses the native object.
    """

    name: str
    model_types: tuple[str, ...] = ()
    package: str | None = None
    loader_modules: tuple[str, ...] = ()
    capabilities: frozenset[str] = field(default_factory=frozenset)
    native_on_demand: bool = False


@dataclass(frozen=True)
class SavedFlavor:
    """What :meth:`Flavor.save` wrote: the flavor section and its ``python_function`` keys.

    ``pyfunc`` holds the keys specific to the flavor (``loader_module``, ``data``, ``model_path``,
    ``predict_fn``, ``config``...); the core adds ``python_version``, ``env`` and ``code``. Set it
    to None for models that cannot predict, and no ``python_function`` section is written.

    ``signature`` is one the flavor reads from the model itself (an ONNX graph's typed inputs,
    type hints on a ``predict`` method). The core records it when the caller passed none, in
    preference to running the model on the input example; ``signature_from_type_hints`` marks
    it as coming from type hints (MLmodel's ``is_signature_from_type_hint``), which makes
    ``predict`` skip column enforcement as MLflow does.
    """

    conf: dict[str, Any]
    pyfunc: dict[str, Any] | None = None
    signature: ModelSignature | None = None
    signature_from_type_hints: bool = False


@runtime_checkable
class Predictor(Protocol):
    """The uniform prediction interface a flavor gives its models.

    Optional members the core honours: ``predict_stream(data, params)`` returning an iterator
    (``PyFuncModel.predict_stream``), and ``strict_params = True`` to make params the signature
    does not declare an error rather than a warning.
    """

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any: ...


@dataclass(frozen=True)
class PredictorContext:
    """Where the model a predictor wraps came from, given to the predictor hook.

    A model loaded by :func:`flavorkit.load_model` has its directory (``path``), the caller's
    ``trust`` and the flavor-specific load options (``options``, e.g. ONNX's ``providers``), so a
    plugin can open its runtime from the files (an onnxruntime session reading external data
    itself) and honour the options without keeping state between ``load`` and ``predictor``. The
    in-memory model wrapped at save time (to infer the signature from the example) has no
    directory: ``path`` is None and ``options`` empty.
    """

    path: Path | None = None
    trust: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
