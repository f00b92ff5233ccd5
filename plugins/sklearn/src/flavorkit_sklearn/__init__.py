"""flavorkit-sklearn: scikit-learn models in MLflow's ``sklearn`` layout, skops by default.

The entry point ``sklearn = "flavorkit_sklearn:SklearnFlavor"`` registers :class:`SklearnFlavor`
with flavorkit, so ``flavorkit.save_model(estimator, path)`` detects any scikit-learn estimator
(pipelines and meta-estimators included) and ``flavorkit.load_model(path)`` loads models saved by
flavorkit or by ``mlflow.sklearn``.

This module is imported to discover and detect flavors, so it stays light: it imports no
scikit-learn, skops, numpy, pandas or cloudpickle. The framework code lives in
:mod:`flavorkit_sklearn._sklearn`, imported by the methods that need it.

Trust. ``skops`` files (the default) run no code on load; the types a model needs beyond skops'
defaults are accepted only when the caller lists them (``trusted_types=``) or passes
``trust=True``. ``pickle`` and ``cloudpickle`` files load only with ``trust=True``. The
``skops_trusted_types`` key written in MLmodel records what the file needs, for MLflow's loader;
flavorkit never reads it to grant trust (MLflow advisory #25686 did exactly that).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flavorkit.flavor import Flavor, Predictor, SavedFlavor

__version__ = "0.1.0"

__all__ = [
    "SklearnFlavor",
    "FLAVOR_NAME",
    "LOADER_MODULE",
    "SERIALIZATION_FORMATS",
    "PREDICT_FNS",
    "SAVE_OPTIONS",
]

FLAVOR_NAME = "sklearn"
#: ``python_function.loader_module`` of the models this flavor writes and of ``mlflow.sklearn``'s.
LOADER_MODULE = "mlflow.sklearn"
#: The serialization formats, the default first (MLflow's names and files).
SERIALIZATION_FORMATS = ("skops", "pickle", "cloudpickle")
#: The methods ``pyfunc_predict_fn`` may name: the ones MLflow's sklearn wrapper exposes.
PREDICT_FNS = ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba", "score")
#: The keyword options :meth:`SklearnFlavor.save` accepts (``flavorkit.save_model(**options)``).
SAVE_OPTIONS = ("serialization_format", "pyfunc_predict_fn", "skops_trusted_types")


def check_serialization_format(value: Any) -> str:
    """``value`` if it is a known serialization format; else a ValueError naming the valid ones."""
    if value not in SERIALIZATION_FORMATS:
        raise ValueError(
            f"sklearn: unknown serialization_format {value!r}; use one of "
            f"{', '.join(repr(f) for f in SERIALIZATION_FORMATS)} (skops is the default and the "
            "only one that runs no code when loaded)."
        )
    return str(value)


class SklearnFlavor(Flavor):
    """The ``sklearn`` flavor: any ``sklearn.base.BaseEstimator``, saved as MLflow saves it.

    Save options (keywords of :func:`flavorkit.save_model`):

    * ``serialization_format``: ``"skops"`` (default, ``model.skops``), ``"pickle"`` or
      ``"cloudpickle"`` (``model.pkl``; loading either needs ``trust=True``).
    * ``pyfunc_predict_fn``: the method ``predict`` calls, one of :data:`PREDICT_FNS`; the
      signature inferred from an input example is that method's output. An estimator without
      ``predict`` (a transformer) is saved without a ``python_function`` section, as MLflow does.
    * ``skops_trusted_types``: for skops, the types beyond skops' defaults you expect the model to
      need; saving fails if it needs others. By default the needed types are recorded as found.
      Either way the list is written for MLflow's loader and never grants trust in flavorkit.
    """

    name = FLAVOR_NAME
    model_types = ("sklearn.base.BaseEstimator",)
    package = "flavorkit-sklearn"
    framework_package = "scikit-learn"
    framework_version_key = "sklearn_version"
    loader_modules = (LOADER_MODULE,)

    def save(
        self,
        model: Any,
        path: Path,
        *,
        serialization_format: str = "skops",
        pyfunc_predict_fn: str = "predict",
        skops_trusted_types: Iterable[str] | None = None,
        **options: Any,
    ) -> SavedFlavor:
        if options:
            raise TypeError(
                f"sklearn: unknown save option(s) {', '.join(sorted(options))}; the sklearn "
                f"flavor accepts {', '.join(SAVE_OPTIONS)}."
            )
        from flavorkit_sklearn import _sklearn

        return _sklearn.save(
            model,
            path,
            serialization_format=check_serialization_format(serialization_format),
            pyfunc_predict_fn=pyfunc_predict_fn,
            skops_trusted_types=skops_trusted_types,
        )

    def load(
        self,
        path: Path,
        conf: dict[str, Any],
        *,
        trust: bool,
        trusted_types: Iterable[str] | None = None,
    ) -> Any:
        """The estimator saved in ``path``.

        ``conf`` is the ``sklearn`` section, or the ``python_function`` section of a model that
        has only that (``loader_module: mlflow.sklearn``). ``trusted_types`` lists the types
        beyond skops' defaults the caller accepts in a skops file; ``trust=True`` accepts all
        of them and is required for pickle and cloudpickle files.
        """
        from flavorkit_sklearn import _sklearn

        return _sklearn.load(path, conf, trust=trust, trusted_types=trusted_types)

    def predictor(self, model: Any, conf: dict[str, Any], pyfunc_conf: dict[str, Any]) -> Predictor:
        from flavorkit_sklearn import _sklearn

        return _sklearn.SklearnPredictor(model, pyfunc_conf.get("predict_fn") or "predict")

    def default_pip_requirements(
        self, *, serialization_format: str = "skops", **_: Any
    ) -> list[str]:
        """``scikit-learn==<installed>``, plus ``skops`` or ``cloudpickle`` to match the format."""
        from flavorkit.environment import pinned_requirement

        fmt = check_serialization_format(serialization_format)
        reqs = [pinned_requirement("scikit-learn")]
        if fmt in ("skops", "cloudpickle"):
            reqs.append(pinned_requirement(fmt))
        return reqs
