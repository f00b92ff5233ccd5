"""The plugin contract: the hooks a flavor plugin implements.

A flavor plugin is a distribution that registers an object under the entry-point group
``flavorkit.flavors``; the entry-point name is the flavor name (``sklearn = "flavorkit_sklearn"``).
flavorkit imports that object only when a model of that flavor is saved or loaded, and calls the
hooks below through `pluggy <https://pluggy.readthedocs.io>`_.

Most authors never write these functions by hand: subclass :class:`flavorkit.flavor.Flavor`,
whose hook implementations check the flavor name and call a few plain methods. The hooks are the
contract underneath, for plugins that need more.

Every per-model hook receives the ``flavor`` name first and is ``firstresult``: an implementation
**returns None when the flavor is not its own**, and the first non-None answer wins. Work that
every flavor needs (signatures, examples, environment files, atomic writes, the trust policy,
``python_function`` bookkeeping) is done by the core, once; a hook does only what is specific to
its framework.
"""

# Hook specifications have no body: pluggy calls the implementations, never these.
# mypy: disable-error-code="empty-body"
from __future__ import annotations

from pathlib import Path
from typing import Any

import pluggy

from flavorkit.contract import FlavorInfo, Predictor, PredictorContext, SavedFlavor
from flavorkit.integrity.versions import FrameworkVersion

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME = "flavorkit"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Decorate a plugin's hook implementations with this marker.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def flavorkit_flavors() -> list[FlavorInfo]:
    """Declare the flavors this plugin provides.

    Called once, when the plugin is first registered. Return a list of
    :class:`~flavorkit.flavor.FlavorInfo`: the flavor name, the model types it saves as dotted
    strings (so nothing is imported to detect a flavor), the distribution to ``pip install`` for
    it, and the ``python_function.loader_module`` strings of MLflow-saved models it can load.

    Example::

        @hookimpl
        def flavorkit_flavors():
            return [FlavorInfo(name="lightgbm", model_types=("lightgbm.basic.Booster",),
                               package="flavorkit-lightgbm")]
    """


@hookspec(firstresult=True)
def flavorkit_save_model(
    flavor: str, model: Any, path: Path, options: dict[str, Any], input_example: Any
) -> SavedFlavor | None:
    """Write ``model``'s files into the new model directory ``path``.

    Called by :func:`flavorkit.save_model` after the flavor is chosen. ``path`` is an empty
    temporary directory that the core renames into place once everything is written, so write only
    inside it. ``options`` are the flavor-specific keyword arguments the caller gave
    (``serialization_format="skops"``, ...); reject unknown ones with a clear error.
    ``input_example`` is the data of the caller's input example (without its params), or None:
    a flavor that must trace the model to save it (``torch.export``) uses it.

    Return a :class:`~flavorkit.flavor.SavedFlavor`: the flavor's MLmodel section and the keys of
    the ``python_function`` section that are specific to it (``loader_module``, ``data``, ...).
    Return None if ``flavor`` is not yours.

    Example::

        @hookimpl
        def flavorkit_save_model(flavor, model, path, options, input_example):
            if flavor != "lightgbm":
                return None
            model.save_model(path / "model.txt")
            return SavedFlavor(conf={"data": "model.txt"},
                               pyfunc={"loader_module": "flavorkit.mlflow_loader"})
    """


@hookspec(firstresult=True)
def flavorkit_load_model(
    flavor: str, path: Path, conf: dict[str, Any], trust: bool, options: dict[str, Any]
) -> Any | None:
    """Load the native framework object of a saved model.

    ``path`` is the model directory, ``conf`` the flavor's MLmodel section (or the
    ``python_function`` section for a model claimed by its ``loader_module``). Resolve every path
    read from ``conf`` with :func:`flavorkit.safety.model_file`, which refuses paths leading out of
    the directory. If the format runs code when loaded (pickle, importing a class named in the
    model) and ``trust`` is false, raise :class:`~flavorkit.errors.UntrustedModelError` via
    :func:`flavorkit.safety.require_trust`. ``options`` are the flavor-specific keyword
    arguments the caller gave to ``load_model`` (e.g. ``trusted_types=[...]``); reject unknown
    ones with a clear error. Return None if ``flavor`` is not yours.
    """


@hookspec(firstresult=True)
def flavorkit_pyfunc_predictor(
    flavor: str,
    model: Any,
    conf: dict[str, Any],
    pyfunc_conf: dict[str, Any],
    context: PredictorContext,
) -> Predictor | None:
    """Wrap a native model as a :class:`~flavorkit.flavor.Predictor`.

    Called for a freshly loaded model, and at save time for the in-memory model, to infer the
    signature from the input example without reloading anything. ``conf`` is the flavor section,
    ``pyfunc_conf`` the ``python_function`` section (``predict_fn``, ``config``...). The predictor
    receives input already enforced against the signature. Return None if ``flavor`` is not yours.

    ``context`` (a :class:`~flavorkit.contract.PredictorContext`) says where the model came from:
    for a model :func:`flavorkit.load_model` just loaded, ``context.path`` is the model directory
    and ``context.options`` the load options the caller gave (the same ``options`` the load hook
    received), so a runtime can be opened from the files with the caller's settings; at save time
    ``context.path`` is None. A flavor whose :class:`~flavorkit.contract.FlavorInfo` says
    ``native_on_demand`` is called by ``load_model`` with ``model=None`` (the load hook runs
    only when ``get_raw_model()`` asks), so it must build the predictor from the files and
    reject unknown ``context.options`` itself. Like any pluggy argument it may be left out of an
    implementation that does not need it. The predictor must predict the same either way: the
    conformance kit checks that a predictor built with the directory matches one built from the
    object alone.

    Example::

        @hookimpl
        def flavorkit_pyfunc_predictor(flavor, model, conf, pyfunc_conf, context):
            if flavor != "onnx":
                return None
            if context.path is not None:  # open the session from the file, external data too
                return SessionPredictor(context.path / conf["data"], **context.options)
            return SessionPredictor(model.SerializeToString())
    """


@hookspec(firstresult=True)
def flavorkit_default_pip_requirements(flavor: str, options: dict[str, Any]) -> list[str] | None:
    """The pip requirements every model of this flavor needs, pinned to installed versions.

    ``options`` are the save options (a serialization format may add a package). The core adds
    the distributions that own the model object's types, the plugin and flavorkit itself.
    Return None if ``flavor`` is not yours.
    """


@hookspec(firstresult=True)
def flavorkit_default_conda_env(flavor: str, options: dict[str, Any]) -> dict[str, Any] | None:
    """A conda environment for this flavor, for frameworks best installed from conda channels.

    Most plugins leave this unimplemented: the core then writes MLflow's default conda
    environment (python, pip and the pip requirements). Return None if ``flavor`` is not yours.
    """


@hookspec(firstresult=True)
def flavorkit_framework_versions(
    flavor: str, conf: dict[str, Any], pyfunc_conf: dict[str, Any]
) -> list[FrameworkVersion] | None:
    """The framework versions a saved model was written with, and the installed ones that load it.

    Called at every load, before ``flavorkit_load_model``. Read the versions your save recorded
    from ``conf`` (the flavor section) or ``pyfunc_conf`` and return
    :class:`~flavorkit.flavor.FrameworkVersion` entries; ``compatible`` declares a PEP 440
    range (``">=1.14"``) when the same major.minor is too strict. The core compares them with what
    is installed, warns once per model, and raises under ``FLAVORKIT_STRICT_VERSIONS=1``.
    Return None if ``flavor`` is not yours.

    Example::

        @hookimpl
        def flavorkit_framework_versions(flavor, conf, pyfunc_conf):
            if flavor != "lightgbm":
                return None
            return [FrameworkVersion("lightgbm", conf.get("lgb_version"), compatible=">=4")]
    """
