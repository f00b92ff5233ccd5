"""The :class:`Flavor` base class: one class per flavor instead of five hook functions.

A plugin author subclasses :class:`Flavor`, sets a few class attributes and implements
:meth:`Flavor.save` and :meth:`Flavor.load`; the base class implements the hooks of
:mod:`flavorkit.hookspecs` by checking the flavor name and delegating. The entry point names the
class and flavorkit instantiates it on first use::

    [project.entry-points."flavorkit.flavors"]
    lightgbm = "flavorkit_lightgbm:LightGBMFlavor"

The module holding the class must be light: import the framework inside ``save``/``load``, never at
module level, so that discovering flavors imports no framework.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from flavorkit.contract import FlavorInfo, Predictor, PredictorContext, SavedFlavor
from flavorkit.hookspecs import hookimpl
from flavorkit.integrity.versions import FrameworkVersion

__all__ = [
    "Flavor",
    "FlavorInfo",
    "FrameworkVersion",
    "MethodPredictor",
    "Predictor",
    "PredictorContext",
    "SavedFlavor",
    "accepts_params",
]


class MethodPredictor:
    """Calls ``model.<method>(data)``, adding ``params=`` only if the method declares it.

    This is MLflow's rule for ``predict_fn``: most frameworks' ``predict`` takes no params.
    """

    def __init__(self, model: Any, method: str = "predict"):
        fn = getattr(model, method, None)
        if not callable(fn):
            raise AttributeError(
                f"{type(model).__name__} has no method {method!r} to predict with; "
                "set predict_fn to one it has."
            )
        self.model = model
        self.method = method
        self._fn = fn
        self._takes_params = accepts_params(fn)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        if self._takes_params:
            return self._fn(data, params=params)
        return self._fn(data)


def accepts_params(fn: Any) -> bool:
    """True if ``fn`` declares a parameter literally named ``params`` (MLflow's rule).

    ``**params`` does not count: scikit-learn's ``Pipeline.predict(X, **params)`` routes them to
    the steps, which reject a ``params=`` keyword.
    """
    try:
        parameter = inspect.signature(fn).parameters.get("params")
    except (TypeError, ValueError):  # builtins without a signature
        return False
    return parameter is not None and parameter.kind not in (
        inspect.Parameter.VAR_KEYWORD,
        inspect.Parameter.VAR_POSITIONAL,
    )


class Flavor(ABC):
    """Base class for a flavor plugin. Subclass it, set the class attributes, implement two methods.

    Example::

        class LightGBMFlavor(Flavor):
            name = "lightgbm"
            model_types = ("lightgbm.basic.Booster",)
            package = "flavorkit-lightgbm"

            def save(self, model, path, **options):
                model.save_model(str(path / "model.txt"))
                pyfunc = {"loader_module": "flavorkit.mlflow_loader"}
                return SavedFlavor({"data": "model.txt"}, pyfunc)

            def load(self, path, conf, *, trust, **options):
                import lightgbm
                return lightgbm.Booster(model_file=str(model_file(path, conf["data"], key="data")))
    """

    #: The flavor name: the MLmodel section and the entry-point name.
    name: ClassVar[str]
    model_types: ClassVar[tuple[str, ...]] = ()
    package: ClassVar[str | None] = None
    loader_modules: ClassVar[tuple[str, ...]] = ()
    capabilities: ClassVar[frozenset[str]] = frozenset()
    #: The framework distribution and the flavor-section key its version is saved under
    #: (``"scikit-learn"``, ``"sklearn_version"``): the load-time version check reads them.
    framework_package: ClassVar[str | None] = None
    framework_version_key: ClassVar[str | None] = None
    #: The predictor runs from the files alone: ``load_model`` passes ``model=None`` (the
    #: directory is ``context.path``) and calls :meth:`load` only when ``get_raw_model()`` asks.
    #: :meth:`predictor` must then reject unknown load options as :meth:`load` would.
    native_on_demand: ClassVar[bool] = False

    def info(self) -> FlavorInfo:
        return FlavorInfo(
            name=self.name,
            model_types=tuple(self.model_types),
            package=self.package,
            loader_modules=tuple(self.loader_modules),
            capabilities=frozenset(self.capabilities),
            native_on_demand=self.native_on_demand,
        )

    # -- what an author implements ---------------------------------------------------------------

    @abstractmethod
    def save(self, model: Any, path: Path, **options: Any) -> SavedFlavor:
        """Write the model's files into the empty directory ``path``; see the save hook.

        Declare a keyword parameter named ``input_example`` to receive the data of the caller's
        input example (to trace the model, say); other flavors never see it among ``options``.
        """

    @abstractmethod
    def load(self, path: Path, conf: dict[str, Any], *, trust: bool, **options: Any) -> Any:
        """Return the native model saved in ``path``; see the load hook."""

    def predictor(self, model: Any, conf: dict[str, Any], pyfunc_conf: dict[str, Any]) -> Predictor:
        """Wrap the native model for ``predict(data, params)``; by default calls ``predict_fn``.

        Declare a keyword parameter named ``context`` to receive the
        :class:`~flavorkit.contract.PredictorContext` (the model directory and the caller's load
        options); other flavors are called without it.
        """
        return MethodPredictor(model, pyfunc_conf.get("predict_fn") or "predict")

    def default_pip_requirements(self, **options: Any) -> list[str]:
        """Pinned requirements of every model of this flavor (e.g. the framework)."""
        return []

    def default_conda_env(self, **options: Any) -> dict[str, Any] | None:
        """A conda environment, if the framework is best installed from conda; else None."""
        return None

    def framework_versions(
        self, conf: dict[str, Any], pyfunc_conf: dict[str, Any]
    ) -> list[FrameworkVersion]:
        """What the saved model needs; by default ``framework_package`` at the same major.minor.

        Override to declare a wider range (``FrameworkVersion(pkg, saved, compatible=">=1.14")``)
        or more packages.
        """
        if self.framework_package is None:
            return []
        saved = conf.get(self.framework_version_key) if self.framework_version_key else None
        return [FrameworkVersion(self.framework_package, None if saved is None else str(saved))]

    # -- the hooks, delegating -------------------------------------------------------------------

    @hookimpl
    def flavorkit_flavors(self) -> list[FlavorInfo]:
        return [self.info()]

    @hookimpl
    def flavorkit_save_model(
        self, flavor: str, model: Any, path: Path, options: dict[str, Any], input_example: Any
    ) -> SavedFlavor | None:
        if flavor != self.name:
            return None
        if input_example is not None and "input_example" in inspect.signature(self.save).parameters:
            options = {**options, "input_example": input_example}
        return self.save(model, path, **options)

    @hookimpl
    def flavorkit_load_model(
        self, flavor: str, path: Path, conf: dict[str, Any], trust: bool, options: dict[str, Any]
    ) -> Any | None:
        return self.load(path, conf, trust=trust, **options) if flavor == self.name else None

    @hookimpl
    def flavorkit_pyfunc_predictor(
        self,
        flavor: str,
        model: Any,
        conf: dict[str, Any],
        pyfunc_conf: dict[str, Any],
        context: PredictorContext,
    ) -> Predictor | None:
        if flavor != self.name:
            return None
        if "context" in inspect.signature(self.predictor).parameters:
            return self.predictor(model, conf, pyfunc_conf, context=context)  # type: ignore[call-arg]
        return self.predictor(model, conf, pyfunc_conf)

    @hookimpl
    def flavorkit_default_pip_requirements(
        self, flavor: str, options: dict[str, Any]
    ) -> list[str] | None:
        return self.default_pip_requirements(**options) if flavor == self.name else None

    @hookimpl
    def flavorkit_default_conda_env(
        self, flavor: str, options: dict[str, Any]
    ) -> dict[str, Any] | None:
        return self.default_conda_env(**options) if flavor == self.name else None

    @hookimpl
    def flavorkit_framework_versions(
        self, flavor: str, conf: dict[str, Any], pyfunc_conf: dict[str, Any]
    ) -> list[FrameworkVersion] | None:
        return self.framework_versions(conf, pyfunc_conf) if flavor == self.name else None
