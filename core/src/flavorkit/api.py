"""The public API: save a model, load it back as a pyfunc or as its native object, list flavors.

Saving is atomic: the model directory is built in a temporary directory beside the target and
renamed into place, so a failure (or a kill) leaves nothing at the target. Loading dispatches by the
flavor names in MLmodel to installed plugins and never imports a module named by the model.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from flavorkit.errors import FlavorkitError, ModelPathError, PluginError
from flavorkit.flavor import FlavorInfo, Predictor, PredictorContext
from flavorkit.integrity import check_sizes, verify_directory, write_manifest
from flavorkit.integrity.versions import (
    FrameworkVersion,
    VersionMismatch,
    check_versions,
    find_mismatches,
)
from flavorkit.mlmodel import PYFUNC_FLAVOR, Model, check_path, mlmodel_file
from flavorkit.plugins import get_registry
from flavorkit.pyfunc import PyFuncModel
from flavorkit.signature import ModelSignature
from flavorkit.staging import remove_stale, remove_tree, staging

__all__ = [
    "list_flavors",
    "load_model",
    "load_native",
    "resolve_model_path",
    "save_model",
    "set_signature",
]

PathLike = str | os.PathLike[str]


def save_model(
    model: Any,
    path: PathLike,
    *,
    flavor: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Sequence[str] | PathLike | None = None,
    extra_pip_requirements: Sequence[str] | PathLike | None = None,
    conda_env: Mapping[str, Any] | PathLike | None = None,
    code_paths: Sequence[PathLike] | None = None,
    metadata: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    **flavor_options: Any,
) -> Model:
    """Save ``model`` as an MLmodel directory at ``path`` and return its :class:`Model`.

    The flavor is detected from the model's class unless ``flavor`` names it. Without a
    ``signature``, one is inferred by running the in-memory model on ``input_example``.
    Requirements are the flavor's defaults plus the distributions owning the model's types
    (``pip_requirements`` replaces them, ``extra_pip_requirements`` adds to them, ``conda_env``
    supplies them; the three are exclusive). ``flavor_options`` go to the flavor plugin.

    An existing non-empty ``path`` is refused unless ``overwrite=True``; either way the directory
    appears whole or not at all.
    """
    from flavorkit.environment import (
        infer_requirements,
        pinned_requirement,
        resolve_requirements,
        write_environment_files,
    )

    registry = get_registry()
    info = registry.flavor(flavor) if flavor is not None else registry.detect(model)
    target = Path(path).absolute()
    _check_target(target, overwrite)
    options = dict(flavor_options)

    defaults = list(
        registry.hook.flavorkit_default_pip_requirements(flavor=info.name, options=options) or []
    )
    for dist in ("flavorkit", registry.distribution_of(info.name)):
        if dist is not None:
            defaults.append(pinned_requirement(dist))
    reqs = resolve_requirements(  # validates the options before anything is written
        defaults,
        inferred=infer_requirements(model),
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        conda_env=conda_env,
    )
    if conda_env is None and reqs.conda_env is None:
        plugin_env = registry.hook.flavorkit_default_conda_env(flavor=info.name, options=options)
        if plugin_env is not None:
            reqs = replace(reqs, conda_env=plugin_env)

    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(target.parent)  # what saves killed earlier left here
    with staging(target) as paths:
        tmp = paths.tmp
        example_data = input_example[0] if _is_params_tuple(input_example) else input_example
        saved = registry.hook.flavorkit_save_model(
            flavor=info.name, model=model, path=tmp, options=options, input_example=example_data
        )
        if saved is None:
            raise PluginError(f"The plugin for flavor {info.name!r} did not save the model.")
        mlmodel = Model(flavors={info.name: dict(saved.conf)})
        own = saved.signature
        # a type-hint signature is checked by the hints, not by column enforcement
        if (
            signature is None
            and own is not None
            and (saved.signature_from_type_hints or _example_fits(own, input_example))
        ):
            signature = _with_example_params(own, input_example)
            mlmodel.is_signature_from_type_hint = saved.signature_from_type_hints
        elif signature is None and input_example is not None and saved.pyfunc is not None:
            signature = _infer_signature(info.name, model, saved.conf, saved.pyfunc, input_example)
        if input_example is not None:
            from flavorkit.examples import save_input_example

            mlmodel.saved_input_example_info = save_input_example(tmp, input_example)
        if code_paths:
            _copy_code_paths(code_paths, tmp / "code")
        mlmodel.model_size_bytes = _directory_size(tmp)
        env = write_environment_files(tmp, reqs)
        if saved.pyfunc is not None:
            python_version = ".".join(map(str, sys.version_info[:3]))
            pyfunc = {**saved.pyfunc, "python_version": python_version, "env": env}
            if code_paths:
                pyfunc["code"] = "code"
            mlmodel.flavors[PYFUNC_FLAVOR] = pyfunc
        mlmodel.signature = signature
        mlmodel.metadata = dict(metadata) if metadata is not None else None
        mlmodel.extra["flavorkit_version"] = _flavorkit_version()
        mlmodel.save(tmp)
        write_manifest(tmp)  # last: it records every file, MLmodel's sections included
        _commit(tmp, target, paths.old)
    return mlmodel


def load_model(
    model_uri: PathLike,
    *,
    trust: bool = False,
    model_config: Mapping[str, Any] | None = None,
    verify: bool | None = False,
    verify_signature: PathLike | None = None,
    **load_options: Any,
) -> PyFuncModel:
    """Load a model as a :class:`PyFuncModel` from a directory or any model URI.

    ``model_uri`` is a path, a ``file://`` URI, ``runs:/<run_id>/<path>``,
    ``models:/<name>/<version>``, ``models:/<name>@<alias>``, ``models:/m-<model_id>`` or an
    artifact URI MLflow's client resolves; remote models are downloaded once into the cache
    (see :mod:`flavorkit.locations`).

    Formats that run code when loaded are refused unless ``trust=True``. ``model_config``
    overrides keys of the flavor's ``python_function.config``. ``load_options`` go to the flavor
    plugin (e.g. ``trusted_types=[...]`` for scikit-learn's skops files).

    The sizes in the model's manifest are always checked; ``verify=True`` checks every file's
    digest too, and ``verify_signature=`` (a public key file) checks ``model.sig`` (needs
    ``flavorkit[sign]``); ``verify=None`` skips the manifest, for callers that checked it as a
    step of their own (``flavorkit validate``). See :mod:`flavorkit.integrity`.
    """
    root = mlmodel_file(resolve_model_path(model_uri)).parent  # says what a wrong path is
    meta = _open(root, verify, verify_signature)
    pyfunc = meta.pyfunc_flavor()
    if pyfunc is None:
        raise FlavorkitError(
            f'{root}: model does not have the "python_function" flavor, so it cannot predict '
            f"through the uniform API. Its flavors: {sorted(meta.flavors)}; use "
            "flavorkit.load_native() to get the framework object."
        )
    flavor, conf = _choose_flavor(meta, root)
    _check_versions(root, meta, flavor, conf)
    registry = get_registry()

    def load_native_model() -> Any:
        return registry.hook.flavorkit_load_model(
            flavor=flavor, path=root, conf=conf, trust=trust, options=load_options
        )

    on_demand = registry.flavor(flavor).native_on_demand
    native = None if on_demand else load_native_model()
    config = _merge_config(pyfunc.config, model_config)
    pyfunc_conf = {**meta.flavors[PYFUNC_FLAVOR], "config": config}
    context = PredictorContext(path=root, trust=trust, options=dict(load_options))
    predictor = _predictor(flavor, native, conf, pyfunc_conf, context)
    return PyFuncModel(
        meta,
        predictor,
        flavor=flavor,
        raw_model=load_native_model if on_demand else native,
        raw_model_on_demand=on_demand,
        path=root,
        model_config=config,
    )


def load_native(
    model_uri: PathLike,
    *,
    trust: bool = False,
    flavor: str | None = None,
    verify: bool | None = False,
    verify_signature: PathLike | None = None,
    **load_options: Any,
) -> Any:
    """Load the framework's own object (an estimator, a module, a ModelProto...).

    ``flavor`` picks one when the model has several; by default the first installed one.
    ``load_options``, ``verify`` and ``verify_signature`` are as for :func:`load_model`.
    """
    root = mlmodel_file(resolve_model_path(model_uri)).parent  # says what a wrong path is
    meta = _open(root, verify, verify_signature)
    if flavor is not None:
        if flavor not in meta.flavors:
            raise FlavorkitError(
                f"{root}: the model has no {flavor!r} flavor: {sorted(meta.flavors)}"
            )
        conf = meta.flavors[flavor]
        get_registry().flavor(flavor)
    else:
        flavor, conf = _choose_flavor(meta, root)
    _check_versions(root, meta, flavor, conf)
    return get_registry().hook.flavorkit_load_model(
        flavor=flavor, path=root, conf=conf, trust=trust, options=load_options
    )


def list_flavors() -> list[FlavorInfo]:
    """The flavors of every installed plugin that loads (see ``flavorkit flavors``)."""
    return get_registry().flavors()


def set_signature(model_uri: PathLike, signature: ModelSignature) -> None:
    """Replace the signature recorded in a saved model's ``MLmodel``, as MLflow's does.

    ``model_uri`` is a model directory (or ``file://`` URI). The file is rewritten atomically
    with every other key kept; the new signature is enforced from then on
    (``is_signature_from_type_hint`` becomes false, as in MLflow). A ``runs:/``, ``models:/`` or
    artifact-store URI is refused: changing the downloaded copy would change nothing in the store
    (MLflow's own ``mlflow.models.set_signature`` uploads the new file for ``runs:/`` URIs).
    """
    given: Any = signature  # checked: callers porting from MLflow may pass anything
    if not isinstance(given, ModelSignature):
        from flavorkit.errors import SchemaError

        raise SchemaError(
            f"set_signature takes a flavorkit ModelSignature, got {type(given).__name__}; "
            "build one with ModelSignature(...) or infer_signature(...)."
        )
    signature.to_dict()  # refuses an empty signature before anything is written
    from flavorkit import locations

    if not locations.is_local(model_uri):
        raise ModelPathError(
            f"{os.fspath(model_uri)}: set_signature changes a local model directory; for a model "
            "in a tracking or artifact store use mlflow.models.set_signature, or download it, "
            "set the signature and log it again."
        )
    root = locations.local_path(model_uri)
    meta = Model.load(root)
    meta.signature = signature
    meta.is_signature_from_type_hint = False
    meta.type_hint_from_example = False
    meta.save(root if root.is_dir() else root.parent)


def resolve_model_path(model_uri: PathLike) -> Path:
    """A local model directory for a path, a ``file://`` URI or any model URI.

    ``runs:/``, ``models:/`` and artifact URIs (``mlflow-artifacts:/``, ``s3://``...) are
    downloaded through MLflow's client into flavorkit's download cache
    (:mod:`flavorkit.locations`); MLflow is imported only then.
    """
    from flavorkit import locations

    check_path(model_uri, what="model path or URI")  # a list, a NUL byte: one clear error
    if locations.is_local(model_uri):
        return locations.local_path(model_uri)
    return locations.resolve_model_dir(model_uri)


# -- saving helpers -----------------------------------------------------------------------------


def _check_target(target: Path, overwrite: bool) -> None:
    if target.exists() and not target.is_dir():
        raise ModelPathError(f"{target} exists and is a file; choose a directory path.")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise ModelPathError(
            f"{target} already exists and is not empty; pass overwrite=True to replace it."
        )


def _infer_signature(
    flavor: str, model: Any, conf: dict[str, Any], pyfunc: dict[str, Any], example: Any
) -> ModelSignature | None:
    """Run the in-memory model on its example; a failure warns and saves no signature.

    An output that has no signature type (a tuple of tensors, say) is recorded as Any, as MLflow
    does, so the inputs and params keep being checked.
    """
    from flavorkit.errors import SchemaError
    from flavorkit.schema import AnyType, ColSpec, Schema
    from flavorkit.signature import (
        infer_param_schema,
        infer_schema,
        infer_signature_from_prediction,
    )

    data, params = example if _is_params_tuple(example) else (example, None)
    try:
        predictor = _predictor(flavor, model, conf, pyfunc, PredictorContext())
        prediction = predictor.predict(data, params)
        try:
            return infer_signature_from_prediction(data, prediction, params)
        except SchemaError as e:
            # as MLflow: the inputs keep being checked, and the output is recorded as Any
            any_output = Schema([ColSpec(AnyType())])
            signature = ModelSignature(
                infer_schema(data), any_output, infer_param_schema(params) or None
            )
            warnings.warn(
                f"flavorkit: the model's output has no signature type ({e}); the inputs are "
                "recorded and the output as Any, as MLflow does. Pass signature= to describe "
                "the outputs.",
                UserWarning,
                stacklevel=3,
            )
            return signature
    except Exception as e:
        warnings.warn(
            f"flavorkit: could not infer a signature from the input example "
            f"({type(e).__name__}: {e}); the model is saved without one. Pass signature= "
            "to record one.",
            UserWarning,
            stacklevel=3,
        )
        return None


def _example_fits(signature: ModelSignature, example: Any) -> bool:
    """Whether the input example passes the flavor's own signature.

    The example is what callers will send. When it does not fit the signature the flavor read
    from the model (a DataFrame of features for a graph whose one input is a tensor ``X``), the
    signature is inferred from the example instead, with a warning, so the saved model accepts
    its own example.
    """
    if example is None or signature.inputs is None:
        return True
    from flavorkit.enforce import enforce_schema
    from flavorkit.errors import SchemaEnforcementError

    data = example[0] if _is_params_tuple(example) else example
    try:
        enforce_schema(data, signature.inputs)
    except SchemaEnforcementError as e:
        warnings.warn(
            f"flavorkit: the input example does not fit the signature read from the model ({e}); "
            "recording the signature inferred from the example instead. Pass signature= to "
            "choose.",
            UserWarning,
            stacklevel=4,
        )
        return False
    return True


def _with_example_params(signature: ModelSignature, example: Any) -> ModelSignature:
    """A flavor's own signature plus the params of a ``(data, params)`` example, as MLflow adds."""
    if signature.params or not _is_params_tuple(example):
        return signature
    from flavorkit.signature import infer_param_schema

    return ModelSignature(
        signature.inputs, signature.outputs, infer_param_schema(example[1]) or None
    )


def _is_params_tuple(example: Any) -> bool:
    return isinstance(example, tuple) and len(example) == 2 and isinstance(example[1], dict)


def _copy_code_paths(code_paths: Sequence[PathLike], dest: Path) -> None:
    import shutil  # saving with code_paths needs it; a load does not

    dest.mkdir()
    for entry in code_paths:
        src = Path(entry)
        if not src.exists():
            raise ModelPathError(f"code_paths entry {src} does not exist.")
        if (dest / src.name).exists():
            raise ModelPathError(f"code_paths has two entries named {src.name!r}.")
        if src.is_dir():
            shutil.copytree(src, dest / src.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / src.name)


def _directory_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _commit(tmp: Path, target: Path, old: Path) -> None:
    """Move the finished directory into place; an old one is swapped out (to ``old``, which
    :func:`flavorkit.staging.remove_stale` puts back if the process dies here), then removed."""
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    if not target.exists():
        os.rename(tmp, target)
        return
    os.rename(target, old)
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(old, target)
        raise
    remove_tree(old)


def _flavorkit_version() -> str:
    from flavorkit import __version__

    return __version__


# -- loading helpers ----------------------------------------------------------------------------


def _open(root: Path, verify: bool | None, public_key: PathLike | None) -> Model:
    """Check the model against its manifest (sizes always; digests or signature when asked)."""
    if public_key is not None:
        from flavorkit.integrity.signing import verify_signature

        verify_signature(root, public_key=public_key)  # every file but MLmodel, and its sections
    elif verify:
        verify_directory(root)
    elif verify is not None:
        check_sizes(root)
    return Model.load(root)


def framework_versions(meta: Model, flavor: str, conf: dict[str, Any]) -> list[FrameworkVersion]:
    """The framework versions the flavor's plugin reads from the model (its declared ranges)."""
    pyfunc_conf = meta.flavors.get(PYFUNC_FLAVOR) or {}
    found = get_registry().hook.flavorkit_framework_versions(
        flavor=flavor, conf=conf, pyfunc_conf=pyfunc_conf
    )
    return list(found or [])


def version_mismatches(model_uri: PathLike) -> list[VersionMismatch]:
    """What ``load_model`` would warn about: packages (and Python) the model was not saved for."""
    root = resolve_model_path(model_uri)
    meta = Model.load(root)
    flavor, conf = _choose_flavor(meta, root)
    pyfunc_conf = meta.flavors.get(PYFUNC_FLAVOR) or {}
    return find_mismatches(
        root,
        framework_versions(meta, flavor, conf),
        python_version=pyfunc_conf.get("python_version"),
        flavorkit_version=meta.extra.get("flavorkit_version"),
    )


def _check_versions(root: Path, meta: Model, flavor: str, conf: dict[str, Any]) -> None:
    """Warn once (or raise under FLAVORKIT_STRICT_VERSIONS) before the plugin loads the model."""
    pyfunc_conf = meta.flavors.get(PYFUNC_FLAVOR) or {}
    check_versions(
        root,
        framework_versions(meta, flavor, conf),
        python_version=pyfunc_conf.get("python_version"),
        flavorkit_version=meta.extra.get("flavorkit_version"),
    )


def _choose_flavor(meta: Model, root: Path) -> tuple[str, dict[str, Any]]:
    """The flavor to load with: the first named flavor with an installed plugin, else a plugin
    claiming the ``python_function.loader_module`` (as text: it is never imported)."""
    registry = get_registry()
    named = [name for name in meta.flavors if name != PYFUNC_FLAVOR]
    errors: list[FlavorkitError] = []
    for name in named:
        try:
            registry.flavor(name)
        except FlavorkitError as e:
            errors.append(e)
            continue
        return name, meta.flavors[name]
    pyfunc = meta.pyfunc_flavor()
    if pyfunc is not None:
        try:
            info = registry.claim_loader_module(pyfunc.loader_module)
            return info.name, meta.flavors[PYFUNC_FLAVOR]
        except FlavorkitError as e:
            errors.append(e)
    if errors:
        raise errors[0]
    raise FlavorkitError(f"{root}: MLmodel names no flavor to load the model with.")


def _predictor(
    flavor: str,
    model: Any,
    conf: dict[str, Any],
    pyfunc_conf: dict[str, Any],
    context: PredictorContext,
) -> Predictor:
    predictor = get_registry().hook.flavorkit_pyfunc_predictor(
        flavor=flavor, model=model, conf=conf, pyfunc_conf=pyfunc_conf, context=context
    )
    if predictor is None:
        raise PluginError(f"The plugin for flavor {flavor!r} gave no predictor for the model.")
    return predictor  # type: ignore[no-any-return]


def _merge_config(saved: dict[str, Any], override: Mapping[str, Any] | None) -> dict[str, Any]:
    """MLflow's rule: the caller may override keys the model declares; others are ignored."""
    config = dict(saved)
    for key, value in (override or {}).items():
        if key in config:
            config[key] = value
        else:
            warnings.warn(
                f"flavorkit: model_config key {key!r} is not one the model declares "
                f"({sorted(config)}); it is ignored.",
                UserWarning,
                stacklevel=3,
            )
    return config
