"""Reading a PythonModel back: the model, then its context, with every code-running step gated.

Three kinds of model directory, told apart by the ``python_model`` section flavorkit writes, or,
for a directory MLflow wrote (``python_function`` only), by its keys:

| kind (its key) | runs code by | loads with |
|---|---|---|
| reference (``python_model_class``) | importing the class's module | ``trust=True``, or (1) |
| code (``model_code_path``) | running the model file | ``trust=True``, or (1) |
| cloudpickle (``python_model``) | unpickling | ``trust=True`` only (2) |

(1) ``python_model_class=``: a class the caller imported, built with the saved ``init_kwargs``
(with no arguments for a code model, whose file is then not run).
(2) A pickle MLflow wrote names MLflow's own classes, so it also needs mlflow installed.

Every path read from MLmodel (artifacts, ``code``, the pickle, the model file) is resolved with
:func:`flavorkit.safety.model_file`, so none leads out of the model directory. ``code/`` is on
``sys.path`` only while the model's code is imported (:mod:`flavorkit_pythonmodel._imports`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flavorkit.errors import FlavorkitError, MLmodelError
from flavorkit.mlmodel import MLMODEL_FILE_NAME, PYFUNC_FLAVOR, Model
from flavorkit.safety import model_file, require_trust
from flavorkit_pythonmodel import FLAVOR_NAME, SERIALIZATIONS
from flavorkit_pythonmodel._codefile import run_model_file
from flavorkit_pythonmodel._imports import import_reference, missing_module_error, on_sys_path
from flavorkit_pythonmodel._predict import apply_context
from flavorkit_pythonmodel.model import PythonModelContext

__all__ = ["load"]

_KINDS = (*SERIALIZATIONS, "code")


def load(path: Path, conf: dict[str, Any], *, trust: bool, python_model_class: Any) -> Any:
    """The model saved in ``path``, with ``load_context`` called on it."""
    if python_model_class is not None and not callable(python_model_class):
        raise TypeError(
            f"python_model_class must be the model's class, got {python_model_class!r}."
        )
    pyfunc = Model.load(path).flavors.get(PYFUNC_FLAVOR)
    if not isinstance(pyfunc, dict):
        raise MLmodelError(
            "the python_model flavor needs the python_function section (its loader, artifacts "
            "and config), and there is none.",
            path=str(path / MLMODEL_FILE_NAME),
        )
    ours = "serialization" in conf and "loader_module" not in conf
    kind = _kind(conf if ours else None, pyfunc, path)
    code_dir = (
        model_file(path, pyfunc["code"], key="python_function.code") if pyfunc.get("code") else None
    )
    artifacts = _artifact_paths(path, pyfunc)
    if kind == "reference":
        model = _load_reference(path, conf, code_dir, trust, python_model_class)
    elif kind == "code":
        model = _load_code(path, pyfunc, code_dir, trust, python_model_class)
    else:
        model = _load_pickle(path, pyfunc, code_dir, trust, python_model_class)
    context = PythonModelContext(artifacts, pyfunc.get("config") or {})
    try:
        apply_context(model, context, from_dir=True)
    except Exception as e:
        raise FlavorkitError(
            f"{path}: {type(model).__qualname__}.load_context() failed: {type(e).__name__}: {e}"
        ) from e
    return model


def _kind(conf: dict[str, Any] | None, pyfunc: dict[str, Any], path: Path) -> str:
    if conf is not None:
        kind = conf["serialization"]
        if kind not in _KINDS:
            raise MLmodelError(
                f"unknown value {kind!r}; this version of flavorkit-pythonmodel reads "
                f"{', '.join(_KINDS)}. Upgrade flavorkit-pythonmodel.",
                path=str(path / MLMODEL_FILE_NAME),
                key=f"flavors.{FLAVOR_NAME}.serialization",
            )
        return str(kind)
    if pyfunc.get("model_code_path"):
        return "code"
    if pyfunc.get("python_model"):
        return "cloudpickle"
    raise MLmodelError(
        "has neither python_model (a pickled PythonModel) nor model_code_path (a model from "
        "code), so there is no model to load.",
        path=str(path / MLMODEL_FILE_NAME),
        key=PYFUNC_FLAVOR,
    )


def _artifact_paths(root: Path, pyfunc: dict[str, Any]) -> dict[str, str]:
    """Artifact name → absolute path of its copy, each confined to the model directory."""
    raw = pyfunc.get("artifacts") or {}
    if not isinstance(raw, Mapping):
        raise MLmodelError(
            f"expected a mapping of artifact name → {{path, uri}}, got {raw!r}.",
            path=str(root / MLMODEL_FILE_NAME),
            key=f"{PYFUNC_FLAVOR}.artifacts",
        )
    paths = {}
    for name, info in raw.items():
        key = f"{PYFUNC_FLAVOR}.artifacts.{name}.path"
        relative = info.get("path") if isinstance(info, Mapping) else None
        target = model_file(root, relative, key=key)  # type: ignore[arg-type]
        if not target.exists():
            raise MLmodelError(
                f"{relative!r} does not exist in the model directory.",
                path=str(root / MLMODEL_FILE_NAME),
                key=key,
            )
        paths[str(name)] = str(target)
    return paths


def _load_reference(
    root: Path, conf: dict[str, Any], code_dir: Path | None, trust: bool, given: Any
) -> Any:
    key = f"{FLAVOR_NAME}.python_model_class"
    ref = conf.get("python_model_class")
    init_kwargs = conf.get("init_kwargs") or {}
    if not isinstance(init_kwargs, Mapping):
        raise MLmodelError(
            f"expected a mapping, got {init_kwargs!r}.",
            path=str(root / MLMODEL_FILE_NAME),
            key=f"flavors.{FLAVOR_NAME}.init_kwargs",
        )
    if given is not None:
        cls = given
        name = f"{getattr(given, '__module__', '?')}:{getattr(given, '__qualname__', given)}"
        if name != ref:
            warnings.warn(
                f"python_model: the model was saved as {ref!r}; building it with the "
                f"python_model_class given, {name!r}.",
                UserWarning,
                stacklevel=5,
            )
    else:
        require_trust(
            trust,
            root / MLMODEL_FILE_NAME,
            f"it names the class {ref!r} (key 'flavors.{key}'), and importing that class's "
            "module runs code. Pass python_model_class=<the class> to use a class you imported "
            "yourself instead",
        )
        cls = import_reference(ref, code_dir, key=f"flavors.{key}")  # type: ignore[arg-type]
    try:
        return cls(**init_kwargs)
    except Exception as e:
        call = f"{getattr(cls, '__qualname__', cls)}(**{dict(init_kwargs)!r})"
        raise FlavorkitError(
            f"{root}: building the model as {call} failed: {type(e).__name__}: {e}"
        ) from e


def _load_code(
    root: Path, pyfunc: dict[str, Any], code_dir: Path | None, trust: bool, given: Any
) -> Any:
    key = f"{PYFUNC_FLAVOR}.model_code_path"
    recorded = pyfunc["model_code_path"]
    if not isinstance(recorded, str):
        raise MLmodelError(
            f"expected a path, got {recorded!r}.", path=str(root / MLMODEL_FILE_NAME), key=key
        )
    basename = re.split(r"[\\/]", recorded)[-1]  # MLflow's loader uses only the basename
    file = model_file(root, basename, key=key)
    if given is not None:
        return given()
    require_trust(
        trust,
        file,
        "it is the model's Python file (a model from code), and loading the model runs it. "
        "Pass python_model_class=<the class> to build the model from a class you imported "
        "yourself instead",
    )
    if not file.is_file():
        raise MLmodelError(
            f"the model file {basename!r} is missing from the model directory.",
            path=str(root / MLMODEL_FILE_NAME),
            key=key,
        )
    return run_model_file(file, code_dir=code_dir)


def _load_pickle(
    root: Path,
    pyfunc: dict[str, Any],
    code_dir: Path | None,
    trust: bool,
    given: Any,
) -> Any:
    key = f"{PYFUNC_FLAVOR}.python_model"
    file = model_file(root, pyfunc["python_model"], key=key)
    if given is not None:
        raise FlavorkitError(
            f"{file} is a pickled model: python_model_class= cannot stand in for it (it applies "
            "to models saved by reference or as code). Load it with trust=True."
        )
    require_trust(trust, file, "it is a cloudpickle file, and unpickling runs code")
    if not file.is_file():
        raise MLmodelError(
            f"the pickle {pyfunc['python_model']!r} is missing from the model directory.",
            path=str(root / MLMODEL_FILE_NAME),
            key=key,
        )
    try:
        import cloudpickle  # type: ignore[import-untyped,unused-ignore]
    except ModuleNotFoundError as e:
        raise missing_module_error(e, f"unpickling {file}") from e
    try:  # a pickle MLflow wrote names MLflow's classes: without mlflow, this says so
        with _open(file, pyfunc.get("python_model_compression")) as f, on_sys_path(code_dir):
            return cloudpickle.load(f)
    except ModuleNotFoundError as e:
        raise missing_module_error(e, f"unpickling {file}") from e


def _open(file: Path, compression: Any) -> Any:
    """The pickle, decompressed as ``python_model_compression`` says (MLflow's three codecs)."""
    if compression in (None, ""):
        return open(file, "rb")
    if compression == "gzip":
        import gzip

        return gzip.open(file, "rb")
    if compression == "bzip2":
        import bz2

        return bz2.open(file, "rb")
    if compression == "lzma":
        import lzma

        return lzma.open(file, "rb")
    raise FlavorkitError(
        f"{file}: unknown python_model_compression {compression!r} (MLflow writes lzma, bzip2 "
        "or gzip)."
    )
