"""flavorkit-pytorch: PyTorch models in MLflow's ``pytorch`` layout, safe formats first.

The entry point ``pytorch = "flavorkit_pytorch:PyTorchFlavor"`` registers :class:`PyTorchFlavor`
with flavorkit, so ``flavorkit.save_model(module, path, ...)`` detects any ``torch.nn.Module``
(``ScriptModule`` and ``torch.export`` programs included) and ``flavorkit.load_model(path)`` loads
models saved by flavorkit or by ``mlflow.pytorch``.

This module is imported to discover and detect flavors, so it stays light: it imports no torch,
safetensors, numpy or pandas. The framework code lives in private modules imported by the methods
that need them: :mod:`~flavorkit_pytorch._save`, :mod:`~flavorkit_pytorch._load`,
:mod:`~flavorkit_pytorch._state_dict`, :mod:`~flavorkit_pytorch._predict` and
:mod:`~flavorkit_pytorch._device`.

**Formats** (``serialization_format=``), all under ``data/`` as MLflow lays them out:

* ``"pt2"``: ``data/model.pt2`` from ``torch.export.save``, traced on an example with a dynamic
  batch dimension. Loading runs no Python code from the model (``torch.export.load``).
* ``"state_dict"``: ``data/model.safetensors`` plus the model class (``module:QualName``) and its
  JSON constructor arguments in MLmodel. Loading imports that class, so it needs ``trust=True`` or
  the caller's own ``model_class=`` / ``model_factory=``. The weights are memory-mapped.
* ``"pickle"``: MLflow's legacy whole-module ``torch.save`` (``data/model.pth`` and
  ``data/pickle_module_info.txt``); ``torch.jit.save`` for a ``ScriptModule``. Loads only with
  ``trust=True``.

There is no silent default: ``pt2`` is chosen when an example to trace is given, and saving with
neither an example nor a format is an error that explains the three choices.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flavorkit.flavor import Flavor, FrameworkVersion, Predictor, SavedFlavor

__version__ = "0.1.0"

__all__ = [
    "PyTorchFlavor",
    "FLAVOR_NAME",
    "LOADER_MODULE",
    "SERIALIZATION_FORMATS",
    "SAVE_OPTIONS",
    "LOAD_OPTIONS",
    "check_serialization_format",
]

FLAVOR_NAME = "pytorch"
#: ``python_function.loader_module`` of MLflow's pytorch models, written where MLflow's own
#: loader can predict with the model (``pt2`` and ``pickle`` with one input).
LOADER_MODULE = "mlflow.pytorch"
#: The serialization formats; the first is the default when an example to trace is given.
SERIALIZATION_FORMATS = ("pt2", "state_dict", "pickle")
#: The keyword options :meth:`PyTorchFlavor.save` accepts (``flavorkit.save_model(**options)``).
SAVE_OPTIONS = ("serialization_format", "export_example", "init_kwargs", "model_factory")
#: The keyword options :meth:`PyTorchFlavor.load` accepts (``flavorkit.load_model(**options)``).
LOAD_OPTIONS = ("device", "model_class", "model_factory")


def check_serialization_format(value: Any) -> str:
    """``value`` if it is a known serialization format; else a ValueError naming the valid ones."""
    if value not in SERIALIZATION_FORMATS:
        raise ValueError(
            f"pytorch: unknown serialization_format {value!r}; use one of "
            f"{', '.join(repr(f) for f in SERIALIZATION_FORMATS)}."
        )
    return str(value)


class PyTorchFlavor(Flavor):
    """The ``pytorch`` flavor: ``torch.nn.Module`` and ``torch.export.ExportedProgram``.

    Save options (keywords of :func:`flavorkit.save_model`):

    * ``serialization_format``: ``"pt2"``, ``"state_dict"`` or ``"pickle"`` (see the module doc).
      Without it, ``"pt2"`` when an example to trace is given, else an error.
    * ``export_example``: the input ``torch.export`` traces ``pt2`` with, in any form ``predict``
      takes (DataFrame, ndarray, tensor, dict of arrays for forward's keyword arguments, tuple
      for its positional ones). By default, the data of ``save_model(input_example=...)``.
    * ``init_kwargs``: for ``state_dict``, the JSON-able keyword arguments that rebuild the model,
      ``type(model)(**init_kwargs)`` (or ``model_factory(**init_kwargs)``).
    * ``model_factory``: for ``state_dict``, a module-level function (recorded by name) that
      builds the module, for modules their class alone cannot rebuild (``torch.nn.Sequential``,
      ``ModuleList``, anything whose layers are constructor arguments).

    A ``state_dict`` save checks, before writing anything, that the recorded class or factory
    rebuilds a module the weights fit exactly (built on the ``meta`` device, no weights
    allocated); when it does not, the save fails and says what to do instead.

    Load options (keywords of :func:`flavorkit.load_model` / :func:`flavorkit.load_native`):

    * ``device``: ``"cpu"``, ``"cuda"``, ``"cuda:1"``...; overrides ``python_function.config.
      device``. Unavailable devices are an error here, a warning and the CPU elsewhere.
    * ``model_class``: for ``state_dict``, the class to build (with the recorded ``init_kwargs``)
      instead of importing the recorded one; no ``trust=True`` needed.
    * ``model_factory``: for ``state_dict``, a zero-argument callable returning the module to load
      the weights into; no ``trust=True`` needed.
    """

    name = FLAVOR_NAME
    model_types = (
        "torch.nn.modules.module.Module",
        "torch.export.exported_program.ExportedProgram",
    )
    package = "flavorkit-pytorch"
    framework_package = "torch"
    framework_version_key = "pytorch_version"
    loader_modules = (LOADER_MODULE,)

    def save(
        self,
        model: Any,
        path: Path,
        *,
        serialization_format: str | None = None,
        export_example: Any = None,
        init_kwargs: dict[str, Any] | None = None,
        model_factory: Any = None,
        input_example: Any = None,
        **options: Any,
    ) -> SavedFlavor:
        """Write the model into ``path``; see the class doc for the options.

        ``input_example`` is not a user option: the core hands over the data of
        ``save_model(input_example=...)``, which ``pt2`` traces unless ``export_example`` is given.
        """
        if options:
            raise TypeError(
                f"pytorch: unknown save option(s) {', '.join(sorted(options))}; the pytorch "
                f"flavor accepts {', '.join(SAVE_OPTIONS)}."
            )
        if serialization_format is not None:
            check_serialization_format(serialization_format)
        from flavorkit_pytorch import _save

        return _save.save(
            model,
            path,
            serialization_format=serialization_format,
            export_example=export_example,
            input_example=input_example,
            init_kwargs=init_kwargs,
            model_factory=model_factory,
        )

    def load(
        self,
        path: Path,
        conf: dict[str, Any],
        *,
        trust: bool,
        device: str | None = None,
        model_class: type | None = None,
        model_factory: Any = None,
        **options: Any,
    ) -> Any:
        """The ``torch.nn.Module`` saved in ``path``, on ``device`` if given (else the CPU).

        ``conf`` is the ``pytorch`` section, or the ``python_function`` section of a model that
        has only that one (``loader_module: mlflow.pytorch``).
        """
        if options:
            raise TypeError(
                f"pytorch: unknown load option(s) {', '.join(sorted(options))}; the pytorch "
                f"flavor accepts {', '.join(LOAD_OPTIONS)}."
            )
        from flavorkit_pytorch import _load

        return _load.load(
            path,
            conf,
            trust=trust,
            device=device,
            model_class=model_class,
            model_factory=model_factory,
        )

    def predictor(self, model: Any, conf: dict[str, Any], pyfunc_conf: dict[str, Any]) -> Predictor:
        from flavorkit_pytorch import _predict

        return _predict.make_predictor(model, pyfunc_conf)

    def framework_versions(
        self, conf: dict[str, Any], pyfunc_conf: dict[str, Any]
    ) -> list[FrameworkVersion]:
        """torch at the saved major.minor; safetensors state dicts load in any torch 2."""
        versions = super().framework_versions(conf, pyfunc_conf)
        if conf.get("serialization_format") == "state_dict":
            return [FrameworkVersion(v.package, v.saved, compatible=">=2") for v in versions]
        return versions

    def default_pip_requirements(
        self, *, serialization_format: str | None = None, **_: Any
    ) -> list[str]:
        """``torch==<installed, without +local label>``, plus ``safetensors`` for state dicts."""
        from flavorkit.environment import pinned_requirement

        reqs = [pinned_requirement("torch")]
        if serialization_format == "state_dict":
            reqs.append(pinned_requirement("safetensors"))
        return reqs
