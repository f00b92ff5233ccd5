"""The scikit-learn side of the flavor: writing, reading and wrapping estimators.

Imported only when a model is saved or loaded (it imports scikit-learn, and skops or
cloudpickle on demand). The layout is MLflow's (``mlflow-format.md`` §3.1):

* ``model.skops`` (``skops.io.dump``) or ``model.pkl`` (``pickle``/``cloudpickle``,
  ``protocol=pickle.DEFAULT_PROTOCOL``);
* flavor section ``{pickled_model, serialization_format, sklearn_version, skops_trusted_types,
  code}``; ``python_function`` keys ``{loader_module: mlflow.sklearn, model_path, predict_fn}``.

Differences from MLflow, on purpose:

* ``skops_trusted_types`` is written (the types the file needs beyond skops' defaults, so that
  MLflow's loader, which trusts that key, can load the model) but **never read to grant trust**.
* The skops file is not re-loaded after saving to validate it (MLflow does): the types it needs
  are read from its schema, which is what a later load checks, at a fraction of the cost.
"""

from __future__ import annotations

import json
import pickle
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sklearn  # type: ignore[import-untyped,unused-ignore]

from flavorkit.errors import FlavorkitError, UntrustedModelError
from flavorkit.flavor import SavedFlavor
from flavorkit.mlmodel import PYFUNC_FLAVOR, Model
from flavorkit.safety import model_file, require_trust
from flavorkit_sklearn import LOADER_MODULE, PREDICT_FNS, check_serialization_format
from flavorkit_sklearn._skops_import import import_skops_io

__all__ = ["SklearnPredictor", "load", "save"]

_FILE_NAMES = {"skops": "model.skops", "pickle": "model.pkl", "cloudpickle": "model.pkl"}


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------


def save(
    model: Any,
    path: Path,
    *,
    serialization_format: str,
    pyfunc_predict_fn: str,
    skops_trusted_types: Iterable[str] | None,
) -> SavedFlavor:
    """Write the estimator into ``path`` and return its MLmodel sections (see the module doc)."""
    fmt = check_serialization_format(serialization_format)
    pyfunc = _pyfunc_section(model, pyfunc_predict_fn, _FILE_NAMES[fmt])
    file = path / _FILE_NAMES[fmt]
    recorded: list[str] | None = None
    if fmt == "skops":
        expected = None
        if skops_trusted_types is not None:
            expected = _type_names(skops_trusted_types, "skops_trusted_types")
        recorded = _dump_skops(model, file, expected)
    else:
        if skops_trusted_types is not None:
            raise ValueError(
                "sklearn: skops_trusted_types applies only to serialization_format='skops', "
                f"not {fmt!r}."
            )
        _dump_pickle(model, file, fmt)
    conf = {
        "pickled_model": file.name,
        "serialization_format": fmt,
        "sklearn_version": sklearn.__version__,
        "skops_trusted_types": recorded,
        "code": None,
    }
    return SavedFlavor(conf, pyfunc)


def _pyfunc_section(model: Any, predict_fn: Any, file_name: str) -> dict[str, Any] | None:
    """MLflow's ``python_function`` keys, or None for an estimator that cannot ``predict``."""
    if predict_fn not in PREDICT_FNS:
        raise ValueError(
            f"sklearn: pyfunc_predict_fn must be one of {', '.join(PREDICT_FNS)} (the methods "
            f"MLflow's sklearn loader can call), not {predict_fn!r}."
        )
    if not callable(getattr(model, predict_fn, None)):
        if predict_fn == "predict":  # a transformer: saved without python_function, as MLflow
            return None
        has = [m for m in PREDICT_FNS if callable(getattr(model, m, None))]
        raise ValueError(
            f"sklearn: {type(model).__name__} has no method {predict_fn!r} to use as "
            f"pyfunc_predict_fn; it has {', '.join(has) if has else 'none of ' + str(PREDICT_FNS)}."
        )
    return {"loader_module": LOADER_MODULE, "model_path": file_name, "predict_fn": predict_fn}


def _dump_skops(model: Any, file: Path, expected: list[str] | None) -> list[str] | None:
    """Dump with skops; return the types the file needs beyond skops' defaults (None if none).

    With ``expected`` (the caller's ``skops_trusted_types``), a model needing other types is an
    error, as MLflow's save-time validation makes it; the caller's list is then recorded.
    """
    sio = import_skops_io()

    try:
        sio.dump(model, file)
    except Exception as e:
        raise ValueError(
            f"sklearn: skops cannot save this {type(model).__name__} ({type(e).__name__}: {e}). "
            "Save it with serialization_format='cloudpickle' instead (loading it will then "
            "need trust=True)."
        ) from e
    needed = sorted(sio.get_untrusted_types(file=file))
    _check_findable(needed, model)
    if expected is None:
        return needed or None
    missing = sorted(set(needed) - set(expected))
    if missing:
        raise ValueError(
            f"sklearn: the model needs types not listed in skops_trusted_types: {missing}. Add "
            "them if you expect them, or leave skops_trusted_types out to record what the model "
            "needs."
        )
    return expected


def _check_findable(names: Iterable[str], model: Any) -> None:
    """A ValueError unless every function or class the skops file names can be found by name.

    skops records functions and classes by ``module.name``, and a load imports them back by
    that name. A lambda or a function defined inside another function has no such name
    (``__main__.<lambda>``), so the save would succeed and every load fail. Names from the
    running script (``__main__``) are found only by that script: a warning, as for pytorch.
    """
    for name in names:
        module_name, attr = _split_reference(name)
        found: Any = sys.modules.get(module_name) if module_name else None
        for part in attr.split(".") if found is not None else ():
            found = getattr(found, part, None)
        if found is None:
            raise ValueError(
                f"sklearn: the skops file refers to {name!r}, which a load cannot find by that "
                "name (a lambda, or a function or class defined inside another function), so "
                f"this {type(model).__name__} could be saved but never loaded. Define it at "
                "module level, or save with serialization_format='cloudpickle' (loading then "
                "needs trust=True)."
            )
        if module_name == "__main__":
            warnings.warn(
                f"flavorkit-sklearn: the model refers to {name!r}, defined in the script being "
                "run (__main__); loading it elsewhere needs that script's code importable under "
                "the same name. Move it into a module to load the model anywhere.",
                UserWarning,
                stacklevel=6,
            )


def _split_reference(name: str) -> tuple[str, str]:
    """``("pkg.mod", "Cls.attr")`` for ``"pkg.mod.Cls.attr"``: the longest imported module."""
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:i])
        if module in sys.modules:
            return module, ".".join(parts[i:])
    return "", name


def _dump_pickle(model: Any, file: Path, fmt: str) -> None:
    if fmt == "cloudpickle":
        module: Any = _import_cloudpickle()
    else:
        module = pickle
    with open(file, "wb") as out:
        try:
            module.dump(model, out, protocol=pickle.DEFAULT_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as e:
            hint = (
                " Save it with serialization_format='cloudpickle', which records lambdas and "
                "nested functions by value."
                if fmt == "pickle"
                else ""
            )
            raise ValueError(
                f"sklearn: {fmt} cannot save this {type(model).__name__} "
                f"({type(e).__name__}: {e}).{hint}"
            ) from e


def _import_cloudpickle() -> Any:
    try:
        import cloudpickle  # type: ignore[import-untyped,unused-ignore]
    except ImportError as e:
        raise FlavorkitError(
            "sklearn: serialization_format='cloudpickle' needs cloudpickle; "
            "`pip install cloudpickle` (what the plugin's `cloudpickle` extra installs)."
        ) from e
    return cloudpickle


def _type_names(value: Any, what: str) -> list[str]:
    """A list of dotted type names; a bare string (a common slip) is refused."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(
            f"sklearn: {what} must be a list of dotted type names "
            f"(e.g. ['sklearn.model_selection._split.StratifiedKFold']), not {value!r}."
        )
    names = list(value)
    bad = [n for n in names if not isinstance(n, str) or not n]
    if bad:
        raise TypeError(f"sklearn: {what} must hold dotted type names as strings; got {bad!r}.")
    return sorted(set(names))


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load(
    path: Path, conf: dict[str, Any], *, trust: bool, trusted_types: Iterable[str] | None
) -> Any:
    """The estimator of the model directory ``path``; ``conf`` is the sklearn section, or the
    ``python_function`` section of a model that has only that one."""
    file = _resolve_model_file(path, conf)
    # MLflow's rule: no serialization_format means pickle (models from before skops).
    fmt = conf.get("serialization_format") or "pickle"
    if not isinstance(fmt, str) or fmt not in _FILE_NAMES:
        raise FlavorkitError(
            f"{path}: MLmodel key 'sklearn.serialization_format' is {fmt!r}, which this version "
            f"of flavorkit-sklearn cannot read (it reads {', '.join(_FILE_NAMES)})."
        )
    granted = _type_names(trusted_types, "trusted_types") if trusted_types is not None else []
    if fmt == "skops":
        model = _load_skops(file, trust=trust, granted=granted)
    else:
        require_trust(
            trust,
            file,
            f"it is a {fmt} file (serialization_format: {fmt}), and unpickling runs code",
        )
        model = _load_pickle(file, fmt)
    return model


def _resolve_model_file(path: Path, conf: dict[str, Any]) -> Path:
    """The model file, from ``sklearn.pickled_model`` or, for models that name it only there,
    from ``python_function.model_path`` (MLflow ≥ 2) or ``python_function.data`` (older)."""
    if "loader_module" in conf:  # the python_function section itself
        section, pyfunc = PYFUNC_FLAVOR, conf
    elif conf.get("pickled_model"):
        return _existing(model_file(path, conf["pickled_model"], key="sklearn.pickled_model"))
    else:
        section, pyfunc = PYFUNC_FLAVOR, Model.load(path).flavors.get(PYFUNC_FLAVOR) or {}
    for key in ("model_path", "data"):
        if pyfunc.get(key):
            return _existing(model_file(path, pyfunc[key], key=f"{section}.{key}"))
    raise FlavorkitError(
        f"{path}: MLmodel names no scikit-learn model file: expected 'sklearn.pickled_model', "
        "'python_function.model_path' or 'python_function.data'."
    )


def _existing(file: Path) -> Path:
    if not file.is_file():
        what = "a directory" if file.is_dir() else "missing"
        raise FlavorkitError(f"{file}: the scikit-learn model file is {what}.")
    return file


def _load_skops(file: Path, *, trust: bool, granted: list[str]) -> Any:
    sio = import_skops_io()

    try:
        needed = sorted(sio.get_untrusted_types(file=file))
    except Exception as e:
        raise FlavorkitError(f"{file}: not a readable skops file ({type(e).__name__}: {e}).") from e
    refused = [] if trust else sorted(set(needed) - set(granted))
    if refused:
        raise UntrustedModelError(
            f"Refusing to load {file}: the skops file needs types outside skops' trusted "
            f"defaults: {refused}. Loading them imports and calls what they name. If you trust "
            "where this model came from, either list the types you have reviewed, "
            f"flavorkit.load_model(uri, trusted_types={refused!r}) (CLI: --load-option "
            f"trusted_types='{json.dumps(refused)}'), or pass trust=True (CLI: --trust). The "
            "model's own skops_trusted_types key is never used to grant trust."
        )
    try:
        return sio.load(file, trusted=needed)
    except Exception as e:
        if type(e).__name__ == "UntrustedTypesFoundException":
            raise UntrustedModelError(f"Refusing to load {file}: {e}") from e
        raise FlavorkitError(
            f"{file}: skops could not load the model ({type(e).__name__}: {e})."
        ) from e


def _load_pickle(file: Path, fmt: str) -> Any:
    module: Any = _import_cloudpickle() if fmt == "cloudpickle" else pickle
    try:
        with open(file, "rb") as src:
            return module.load(src)
    except Exception as e:
        raise FlavorkitError(
            f"{file}: could not unpickle the model ({type(e).__name__}: {e})."
        ) from e


# --------------------------------------------------------------------------------------------
# Predicting
# --------------------------------------------------------------------------------------------


class SklearnPredictor:
    """Calls ``model.<predict_fn>(data)``; params are not passed to scikit-learn (as MLflow).

    ``predict_fn`` is one of :data:`~flavorkit_sklearn.PREDICT_FNS`: MLmodel names the method,
    and only methods that predict may be called on its say-so.
    """

    __slots__ = ("_fn", "method", "model")

    def __init__(self, model: Any, predict_fn: str = "predict"):
        if predict_fn not in PREDICT_FNS:
            raise FlavorkitError(
                f"sklearn: python_function.predict_fn is {predict_fn!r}; scikit-learn models "
                f"predict with one of {', '.join(PREDICT_FNS)}."
            )
        fn = getattr(model, predict_fn, None)
        if not callable(fn):
            raise FlavorkitError(
                f"sklearn: {type(model).__name__} has no method {predict_fn!r} "
                "(python_function.predict_fn)."
            )
        self.model = model
        self.method = predict_fn
        self._fn = fn

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._fn(data)
