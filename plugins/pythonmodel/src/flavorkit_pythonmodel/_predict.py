"""Calling a PythonModel as MLflow's ``_PythonModelPyfuncWrapper`` does, and its context.

:class:`PythonModelPredictor` passes ``context`` only if ``predict`` has one and ``params`` only if
it declares them (MLflow's rules), checks the input against the type hints of ``predict``
(:mod:`flavorkit_pythonmodel._hints`), and refuses params a model cannot receive instead of
dropping them.

Which context a model gets: a model loaded from a directory was given one by the loader (its
artifacts inside that directory); an in-memory model being saved gets the caller's own artifact
files (the ``uri`` of each artifact). Either way ``load_context`` runs again only if the context
changes, e.g. when ``load_model(model_config=...)`` overrides the saved config: the loader hook
does not receive that override, so the model is first loaded with the saved config.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flavorkit.errors import FlavorkitError, SchemaEnforcementError
from flavorkit.flavor import accepts_params
from flavorkit_pythonmodel._codefile import FunctionModel
from flavorkit_pythonmodel._hints import HintedInput, predict_type_hints, takes_context
from flavorkit_pythonmodel.model import ModelFromCode, PythonModel, PythonModelContext, TypeHints

__all__ = ["PythonModelPredictor", "apply_context", "hints_of", "is_streamable", "predictor_for"]


class _Method:
    """One of the model's prediction methods, called by MLflow's rules."""

    def __init__(self, model: Any, name: str, context: PythonModelContext):
        fn = getattr(model, name, None)
        if not callable(fn):
            raise FlavorkitError(f"{type(model).__qualname__} has no method {name}().")
        self.fn = fn
        self.owner = f"{type(model).__qualname__}.{name}()"
        self.context = context
        self.takes_context = takes_context(fn)
        self.takes_params = accepts_params(fn)
        self.check = HintedInput(hints_of(model, name).input, self.owner)

    def __call__(self, data: Any, params: Mapping[str, Any] | None) -> Any:
        data = self.check(data)
        kwargs: dict[str, Any] = {}
        if self.takes_params:
            kwargs["params"] = params
        elif params:
            raise SchemaEnforcementError(
                f"{self.owner} takes no params, so params {sorted(params)} cannot reach it. "
                "Declare `params=None` in its signature, or stop passing them.",
                input_name=next(iter(params)),
            )
        args = (self.context, data) if self.takes_context else (data,)
        return self.fn(*args, **kwargs)


class PythonModelPredictor:
    """``predict(data, params)`` for a PythonModel; ``predict_stream`` for a streamable one."""

    #: Undeclared params must be refused, not dropped: read by the core's params enforcement
    #: once it supports strict mode (until then the core drops them with a warning).
    strict_params = True

    def __init__(self, model: Any, context: PythonModelContext):
        self.model = model
        self.context = context
        self._predict = _Method(model, "predict", context)
        self._stream: _Method | None = None

    def predict(self, data: Any, params: Mapping[str, Any] | None = None) -> Any:
        return self._predict(data, params)

    def predict_stream(self, data: Any, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """The chunks ``predict_stream`` yields; an error if the model does not stream."""
        if not is_streamable(self.model):
            raise FlavorkitError(
                f"{type(self.model).__qualname__} does not implement predict_stream(), so it "
                "cannot stream; call predict() instead."
            )
        if self._stream is None:
            self._stream = _Method(self.model, "predict_stream", self.context)
        return iter(self._stream(data, params))


def hints_of(model: Any, name: str) -> TypeHints:
    """The type hints of the model's method ``name`` (of the function, for a function model)."""
    if isinstance(model, FunctionModel):
        return predict_type_hints(model.fn) if name == "predict" else TypeHints()
    return predict_type_hints(getattr(model, name))


def is_streamable(model: Any) -> bool:
    """Whether the model implements ``predict_stream`` (the base classes' version raises)."""
    method = getattr(type(model), "predict_stream", None)
    if not callable(method):
        return False
    for base in type(model).__mro__:
        dotted = f"{base.__module__}.{base.__qualname__}"
        if base is PythonModel or dotted == "mlflow.pyfunc.model.PythonModel":
            return method is not base.__dict__.get("predict_stream")
    return True


# -- which context a model got ----------------------------------------------------------------


@dataclass(frozen=True)
class _Applied:
    context: PythonModelContext
    from_dir: bool  # given by the loader (artifacts inside a model directory)


class _AppliedContexts:
    """Model object → the context its ``load_context`` last received; entries die with models."""

    def __init__(self) -> None:
        self._items: dict[int, tuple[Any, _Applied]] = {}
        self._lock = threading.Lock()

    def get(self, model: Any) -> _Applied | None:
        with self._lock:
            item = self._items.get(id(model))
        if item is None:
            return None
        ref, applied = item
        target = ref() if isinstance(ref, weakref.ref) else ref
        return applied if target is model else None

    def set(self, model: Any, applied: _Applied) -> None:
        key = id(model)
        try:
            ref: Any = weakref.ref(model, lambda _: self._forget(key))
        except TypeError:  # no weak references to it (__slots__): kept alive with its entry
            ref = model
        with self._lock:
            self._items[key] = (ref, applied)

    def _forget(self, key: int) -> None:
        with self._lock:
            item = self._items.get(key)
            if item is not None and isinstance(item[0], weakref.ref) and item[0]() is None:
                del self._items[key]


_APPLIED = _AppliedContexts()


def context_applied(model: Any) -> bool:
    """Whether :func:`apply_context` ran for this very object (its attributes may have changed)."""
    return _APPLIED.get(model) is not None


def apply_context(model: Any, context: PythonModelContext, *, from_dir: bool) -> None:
    """Call ``model.load_context(context)`` (if it has one) and remember that it did."""
    load_context = getattr(model, "load_context", None)
    if callable(load_context):
        load_context(context)
    _APPLIED.set(model, _Applied(context, from_dir))


def predictor_for(model: Any, pyfunc_conf: Mapping[str, Any]) -> PythonModelPredictor:
    """The predictor of a loaded model, or of an in-memory one being saved (see module doc)."""
    if isinstance(model, (str, os.PathLike)):
        model = ModelFromCode(model)
    if isinstance(model, ModelFromCode):
        model = model.load()
    config = dict(pyfunc_conf.get("config") or {})
    applied = _APPLIED.get(model)
    if applied is not None and applied.from_dir:
        artifacts = applied.context.artifacts
    else:
        saved = pyfunc_conf.get("artifacts") or {}
        artifacts = {name: str(info["uri"]) for name, info in saved.items()}
    context = PythonModelContext(artifacts, config)
    if applied is None or applied.context != context:
        apply_context(model, context, from_dir=applied is not None and applied.from_dir)
    return PythonModelPredictor(model, context)
