"""Writing a PythonModel: artifacts, config, and the model by reference, as a pickle or as code.

The layout is MLflow's (``mlflow-format.md`` §3.4): ``artifacts/<basename>`` (colliding names in
numbered sub-directories, as MLflow does), ``python_model.pkl`` or the model file at the root, and
the ``python_function`` keys ``artifacts: {name: {path, uri}}``, ``config``, ``streamable`` plus

* reference: ``loader_module: flavorkit.mlflow_loader`` (MLflow has no such format; its loader
  calls flavorkit's), and ``python_model_class`` / ``init_kwargs`` in the ``python_model`` section;
* cloudpickle: ``loader_module: mlflow.pyfunc.model``, ``python_model: python_model.pkl``,
  ``cloudpickle_version``;
* code: ``loader_module: mlflow.pyfunc.loaders.code_model``, ``model_code_path`` (the original
  absolute path; loaders use its basename).
"""

from __future__ import annotations

import inspect
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from flavorkit.flavor import SavedFlavor
from flavorkit_pythonmodel import (
    CLOUDPICKLE_LOADER,
    CODE_LOADER,
    PICKLE_FILE,
    REFERENCE_LOADER,
    SERIALIZATIONS,
)
from flavorkit_pythonmodel._hints import signature_from_hints
from flavorkit_pythonmodel._imports import class_reference
from flavorkit_pythonmodel._predict import context_applied, hints_of, is_streamable
from flavorkit_pythonmodel.model import ModelFromCode

__all__ = ["save"]


def save(
    model: Any,
    path: Path,
    *,
    serialization: str | None,
    artifacts: Mapping[str, Any] | None,
    model_config: Any,
    init_kwargs: Mapping[str, Any] | None,
    streamable: bool | None,
) -> SavedFlavor:
    """Write ``model`` into the empty directory ``path``; see the module doc for the layout."""
    code = ModelFromCode(model) if isinstance(model, (str, os.PathLike)) else model
    config = _read_config(model_config)
    pyfunc: dict[str, Any] = {}
    saved_artifacts = _copy_artifacts(artifacts, path)
    if saved_artifacts:
        pyfunc["artifacts"] = saved_artifacts
    if config is not None:
        pyfunc["config"] = config
    if isinstance(code, ModelFromCode):
        if serialization is not None or init_kwargs is not None:
            raise ValueError(
                "python_model: serialization= and init_kwargs= do not apply to a model from code "
                f"({code.path.name}); the file itself is saved."
            )
        instance = code.load()
        shutil.copy2(code.path, path / code.path.name)
        conf: dict[str, Any] = {"serialization": "code"}
        pyfunc.update(loader_module=CODE_LOADER, model_code_path=str(code.path))
    else:
        instance = _check_instance(model)
        fmt = serialization or "reference"
        if fmt not in SERIALIZATIONS:
            raise ValueError(
                f"python_model: unknown serialization {fmt!r}; use 'reference' (the default: the "
                "class by name, no pickle) or 'cloudpickle'."
            )
        if fmt == "reference":
            conf = _reference(instance, init_kwargs)
            pyfunc["loader_module"] = REFERENCE_LOADER
        else:
            if init_kwargs is not None:
                raise ValueError(
                    "python_model: init_kwargs= applies only to serialization='reference'."
                )
            conf = {"serialization": "cloudpickle"}
            pyfunc.update(_dump_cloudpickle(instance, path / PICKLE_FILE))
    pyfunc["streamable"] = _streamable(instance, streamable)
    owner = f"{type(instance).__qualname__}.predict()"
    signature = signature_from_hints(hints_of(instance, "predict"), owner)
    return SavedFlavor(
        conf, pyfunc, signature=signature, signature_from_type_hints=signature is not None
    )


def _check_instance(model: Any) -> Any:
    if isinstance(model, type):
        raise TypeError(
            f"python_model: got the class {model.__qualname__}; pass an instance of it."
        )
    if not callable(getattr(model, "predict", None)):
        raise TypeError(
            f"python_model: a {type(model).__qualname__} has no predict() method; subclass "
            "flavorkit_pythonmodel.PythonModel, or pass ModelFromCode('file.py')."
        )
    return model


# -- by reference -------------------------------------------------------------------------------


def _reference(instance: Any, init_kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``python_model`` section naming the class, after checking it can rebuild the model."""
    cls = type(instance)
    ref = class_reference(cls)
    kwargs = _yaml_mapping(init_kwargs, "init_kwargs") if init_kwargs is not None else {}
    try:
        inspect.signature(cls).bind(**kwargs)
    except TypeError as e:
        raise ValueError(
            f"python_model: {ref} is rebuilt at load time as {cls.__qualname__}(**init_kwargs), "
            f"and init_kwargs={kwargs!r} do not fit its constructor ({e}). Pass "
            "init_kwargs={...}, or save with serialization='cloudpickle'."
        ) from e
    if not context_applied(instance):  # its attributes are still the ones the caller set
        _refuse_lost_state(instance, cls, kwargs, ref)
    conf: dict[str, Any] = {"serialization": "reference", "python_model_class": ref}
    if kwargs:
        conf["init_kwargs"] = kwargs
    return conf


def _refuse_lost_state(instance: Any, cls: type, kwargs: dict[str, Any], ref: str) -> None:
    """A ValueError if ``cls(**init_kwargs)`` does not rebuild the attributes ``instance`` has.

    Saved by reference, the loaded model would silently lack them and predict differently, and
    the user would learn it at deployment; the save refuses instead, before anything is written.
    """
    try:
        fresh = cls(**kwargs)
    except Exception as e:
        raise ValueError(
            f"python_model: {ref} is rebuilt at load time as {cls.__qualname__}(**init_kwargs), "
            f"and that fails now: {type(e).__name__}: {e}"
        ) from e
    mine, theirs = getattr(instance, "__dict__", {}), getattr(fresh, "__dict__", {})
    lost = sorted(k for k in mine if k not in theirs or not _same(mine[k], theirs[k]))
    if lost:
        raise ValueError(
            f"python_model: the {cls.__qualname__} being saved has attributes {lost} that "
            f"{cls.__qualname__}(**init_kwargs) does not rebuild; saved by reference, the loaded "
            "model would not have them. Load that state from artifacts in load_context(), pass "
            "it in init_kwargs, or save with serialization='cloudpickle'."
        )


def _same(a: Any, b: Any) -> bool:
    """Equal for plain data; objects of one type are taken as rebuilt (no cheap comparison)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, (str, bytes, int, float, bool, tuple, list, dict, set, frozenset)):
        try:
            return bool(a == b)
        except Exception:  # e.g. lists of arrays
            return True
    return True


# -- cloudpickle ---------------------------------------------------------------------------------


def _dump_cloudpickle(instance: Any, file: Path) -> dict[str, Any]:
    try:
        import cloudpickle  # type: ignore[import-untyped,unused-ignore]
    except ModuleNotFoundError as e:
        raise ModuleNotFoundError(
            "python_model: serialization='cloudpickle' needs cloudpickle; `pip install "
            "cloudpickle` (what the plugin's `cloudpickle` extra installs)."
        ) from e
    with open(file, "wb") as f:
        cloudpickle.dump(instance, f)
    return {
        "loader_module": CLOUDPICKLE_LOADER,
        "python_model": PICKLE_FILE,
        "cloudpickle_version": cloudpickle.__version__,
    }


# -- streaming ------------------------------------------------------------------------------------


def _streamable(instance: Any, requested: bool | None) -> bool:
    """``python_function.streamable``: whether MLflow may call ``predict_stream``."""
    can = is_streamable(instance)
    if requested and not can:
        raise ValueError(
            f"python_model: streamable=True, but {type(instance).__qualname__} does not implement "
            "predict_stream()."
        )
    return can if requested is None else bool(requested)


# -- artifacts and config ---------------------------------------------------------------------


def _copy_artifacts(artifacts: Mapping[str, Any] | None, root: Path) -> dict[str, dict[str, str]]:
    """Copy each artifact to ``artifacts/<basename>``; return MLflow's ``{name: {path, uri}}``.

    Artifacts naming the same file share one copy; different files with the same basename (case
    insensitively, as MLflow compares them) go to ``artifacts/0/<basename>``, ``artifacts/1/...``.
    """
    if artifacts is None:
        return {}
    if not isinstance(artifacts, Mapping):
        raise TypeError(
            f"python_model: artifacts must be a dict of name → local path, got "
            f"{type(artifacts).__name__}."
        )
    sources: dict[Path, list[str]] = {}
    for name, value in artifacts.items():
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"python_model: artifact names must be non-empty strings, got {name!r}."
            )
        sources.setdefault(_local_source(name, value, root), []).append(name)
    counts: dict[str, int] = {}
    for src in sources:
        counts[src.name.casefold()] = counts.get(src.name.casefold(), 0) + 1
    taken = {src.name.casefold() for src in sources if counts[src.name.casefold()] == 1}
    namespace = 0
    saved: dict[str, dict[str, str]] = {}
    for src, names in sources.items():
        relative = Path(src.name)
        if counts[src.name.casefold()] > 1:
            while str(namespace) in taken:
                namespace += 1
            relative = Path(str(namespace), src.name)
            taken.add(str(namespace))
        dest = root / "artifacts" / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dest)  # symlinks are followed: the copy holds no link out
        else:
            shutil.copy2(src, dest)
        for name in names:
            saved[name] = {"path": f"artifacts/{relative.as_posix()}", "uri": str(src)}
    return saved


def _local_source(name: str, value: Any, root: Path) -> Path:
    text = str(value) if isinstance(value, (str, Path)) else None
    if text is None:
        raise TypeError(
            f"python_model: artifact {name!r} must be a local path, got {type(value).__name__}."
        )
    if "://" in text or text.startswith(("hf:/", "runs:/", "models:/")):
        parsed = urlparse(text)
        if parsed.scheme != "file":
            raise ValueError(
                f"python_model: artifact {name!r} is {text!r}; flavorkit copies local files and "
                "directories only: download it first and pass the local path."
            )
        text = unquote(parsed.path)
    src = Path(text).absolute()
    if not src.exists():
        raise FileNotFoundError(f"python_model: artifact {name!r}: {src} does not exist.")
    if src.resolve() in root.resolve().parents or src.resolve() == root.resolve():
        raise ValueError(
            f"python_model: artifact {name!r} is {src}, which contains the model being saved; "
            "pass a directory beside it instead."
        )
    return src


def _read_config(model_config: Any) -> dict[str, Any] | None:
    """``model_config`` as a mapping: given as one, or read from a YAML file."""
    if model_config is None:
        return None
    if isinstance(model_config, (str, Path)):
        import yaml

        file = Path(model_config)
        try:
            loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as e:
            raise ValueError(f"python_model: model_config file {file} cannot be read: {e}") from e
        return _yaml_mapping(loaded if loaded is not None else {}, f"model_config ({file})")
    return _yaml_mapping(model_config, "model_config")


def _yaml_mapping(value: Any, what: str) -> dict[str, Any]:
    """``value`` as a plain dict that MLmodel (YAML) can hold, or a ValueError naming ``what``."""
    import yaml

    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"python_model: {what} must be a dict with str keys, got {value!r}.")
    try:
        yaml.safe_dump(dict(value))
    except yaml.YAMLError as e:
        raise ValueError(
            f"python_model: {what} is written into MLmodel, so its values must be plain YAML "
            f"data (str, numbers, bool, None, lists, dicts): {e}"
        ) from e
    return dict(value)
