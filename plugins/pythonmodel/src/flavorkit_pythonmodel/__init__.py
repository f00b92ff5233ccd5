"""flavorkit-pythonmodel: custom Python models with artifacts, pickle-free by default.

The escape hatch for anything no named flavor covers, as MLflow's ``PythonModel`` is. Subclass
:class:`PythonModel`, then ``flavorkit.save_model(model, path, artifacts={...})``. The model is
recorded in one of three ways (``flavors.python_model.serialization``):

* ``"reference"`` (default): the class as ``module:QualName`` plus its ``init_kwargs``; no pickle.
  The class must be importable where the model is loaded: from an installed package, or from the
  model's own ``code/`` directory (``code_paths=[...]``). The model is rebuilt as
  ``Class(**init_kwargs)`` (a no-argument constructor when none are given), then
  ``load_context`` loads its state from its artifacts.
* ``"cloudpickle"``: the instance pickled to ``python_model.pkl`` with MLflow's
  ``loader_module: mlflow.pyfunc.model``, so MLflow loads it too (with flavorkit-pythonmodel
  installed in MLflow's environment: the pickle references this package's base class).
* a model from code: ``ModelFromCode("model.py")`` (or the path with ``flavor="python_model"``),
  a file that ends with :func:`set_model`; copied into the model as MLflow's models from code.

Loading any of them runs code (importing, unpickling, running the file), so it needs
``trust=True``; a reference or code model can instead be given the class by the caller
(``load_model(path, python_model_class=MyModel)``), which imports nothing named by the model.
Models MLflow saved (``loader_module: mlflow.pyfunc.model`` or ``mlflow.pyfunc.loaders.code_model``)
are claimed too; their pickles reference MLflow's own classes, so they need mlflow installed.

MLflow's own ``mlflow.pyfunc.PythonModel`` subclasses are accepted as well (detected by name,
without importing mlflow), and saved the same three ways; loading them needs mlflow installed.

This module is imported to discover flavors, so it imports no numpy, pandas or cloudpickle.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flavorkit.flavor import Flavor, FrameworkVersion, Predictor, SavedFlavor
from flavorkit_pythonmodel.model import (
    ModelFromCode,
    PythonModel,
    PythonModelContext,
    TypeHints,
    set_model,
)

__version__ = "0.1.0"

__all__ = [
    "PythonModelFlavor",
    "PythonModel",
    "PythonModelContext",
    "ModelFromCode",
    "TypeHints",
    "set_model",
    "FLAVOR_NAME",
    "SERIALIZATIONS",
    "SAVE_OPTIONS",
    "LOAD_OPTIONS",
]

FLAVOR_NAME = "python_model"
#: How an instance can be recorded, the default first (a model from code is a file instead).
SERIALIZATIONS = ("reference", "cloudpickle")
#: The keyword options of ``flavorkit.save_model`` this flavor accepts.
SAVE_OPTIONS = ("artifacts", "model_config", "serialization", "init_kwargs", "streamable")
#: The keyword options of ``flavorkit.load_model`` / ``load_native`` this flavor accepts.
LOAD_OPTIONS = ("python_model_class",)

#: ``python_function.loader_module`` per way of recording the model.
REFERENCE_LOADER = "flavorkit.mlflow_loader"
CLOUDPICKLE_LOADER = "mlflow.pyfunc.model"
CODE_LOADER = "mlflow.pyfunc.loaders.code_model"
PICKLE_FILE = "python_model.pkl"


class PythonModelFlavor(Flavor):
    """The ``python_model`` flavor: :class:`PythonModel` subclasses and models from code.

    Save options (keywords of :func:`flavorkit.save_model`):

    * ``artifacts``: name → local file or directory, copied into ``artifacts/``; the model finds
      them in ``context.artifacts`` (absolute paths) in ``load_context`` and ``predict``.
    * ``model_config``: a dict (or a YAML file) saved as ``python_function.config``; the model
      reads it as ``context.model_config``, and ``load_model(model_config=...)`` overrides keys.
    * ``serialization``: ``"reference"`` (default) or ``"cloudpickle"``.
    * ``init_kwargs``: for ``"reference"``, the constructor's keyword arguments (plain YAML data).
    * ``streamable``: override the detection of ``predict_stream`` (MLflow's option).

    Load option: ``python_model_class``, the class to build a reference or code model from
    without ``trust=True``.
    """

    name = FLAVOR_NAME
    model_types = (
        "flavorkit_pythonmodel.model.PythonModel",
        "flavorkit_pythonmodel.model.ModelFromCode",
        "mlflow.pyfunc.model.PythonModel",
    )
    package = "flavorkit-pythonmodel"
    loader_modules = (CLOUDPICKLE_LOADER, CODE_LOADER)
    capabilities = frozenset({"unsafe_formats"})  # every way of loading a PythonModel runs code

    def save(
        self,
        model: Any,
        path: Path,
        *,
        artifacts: Mapping[str, Any] | None = None,
        model_config: Any = None,
        serialization: str | None = None,
        init_kwargs: Mapping[str, Any] | None = None,
        streamable: bool | None = None,
        **options: Any,
    ) -> SavedFlavor:
        if options:
            raise TypeError(
                f"python_model: unknown save option(s) {', '.join(sorted(options))}; the "
                f"python_model flavor accepts {', '.join(SAVE_OPTIONS)}."
            )
        from flavorkit_pythonmodel import _save

        return _save.save(
            model,
            path,
            serialization=serialization,
            artifacts=artifacts,
            model_config=model_config,
            init_kwargs=init_kwargs,
            streamable=streamable,
        )

    def load(self, path: Path, conf: dict[str, Any], *, trust: bool, **options: Any) -> Any:
        """The model saved in ``path`` (``load_context`` already called); see the module doc."""
        unknown = sorted(set(options) - set(LOAD_OPTIONS))
        if unknown:
            raise TypeError(
                f"python_model: unknown load option(s) {', '.join(unknown)}; the python_model "
                f"flavor accepts {', '.join(LOAD_OPTIONS)}."
            )
        from flavorkit_pythonmodel import _load

        return _load.load(
            path, conf, trust=trust, python_model_class=options.get("python_model_class")
        )

    def predictor(self, model: Any, conf: dict[str, Any], pyfunc_conf: dict[str, Any]) -> Predictor:
        from flavorkit_pythonmodel import _predict

        return _predict.predictor_for(model, pyfunc_conf)

    def framework_versions(
        self, conf: dict[str, Any], pyfunc_conf: dict[str, Any]
    ) -> list[FrameworkVersion]:
        """cloudpickle for pickled models; models saved by reference or as code need none."""
        saved = pyfunc_conf.get("cloudpickle_version")
        return [FrameworkVersion("cloudpickle", str(saved))] if saved is not None else []

    def default_pip_requirements(self, *, serialization: str | None = None, **_: Any) -> list[str]:
        """``cloudpickle==<installed>`` for a cloudpickled model (MLflow's loader needs it)."""
        from flavorkit.environment import pinned_requirement

        return [pinned_requirement("cloudpickle")] if serialization == "cloudpickle" else []
