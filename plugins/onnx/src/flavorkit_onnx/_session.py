"""Opening an ``onnxruntime.InferenceSession`` as MLflow does: providers and session options.

**Providers.** The model records the providers to try in order (``flavors.onnx.providers``,
MLflow's default ``[CUDAExecutionProvider, CPUExecutionProvider]``); the caller may replace them
with the load option ``providers=``. Those this onnxruntime build lacks are dropped with **one**
:class:`~flavorkit_onnx.ProviderUnavailableWarning` per session (not per predict); if none is
left, the session runs on the CPU.

**Session options.** ``flavors.onnx.onnx_session_options`` holds MLflow's keys, applied at
every load:

| key | value | applied as |
|---|---|---|
| ``inter_op_num_threads`` | int >= 0 (0: onnxruntime decides) | the same attribute |
| ``intra_op_num_threads`` | int >= 0 (0: onnxruntime decides) | the same attribute |
| ``execution_mode`` | ``"sequential"`` or ``"parallel"`` (any case) | ``ExecutionMode.ORT_*`` |
| ``graph_optimization_level`` | 0, 1, 2, 3 or 99 | ``GraphOptimizationLevel(level)`` |
| ``extra_session_config`` | dict of str → str | ``add_session_config_entry`` |

Saving refuses any other key (MLflow accepts every ``SessionOptions`` attribute name and then
ignores it at load); a model written by MLflow with another key loads with one warning that the
key is ignored, as MLflow ignores it. Unlike MLflow, ``graph_optimization_level: 0`` (disable
all) and thread counts of 0 are applied rather than skipped as falsy.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import onnxruntime as ort

from flavorkit.errors import FlavorkitError, MLmodelError, ModelPathError
from flavorkit_onnx import (
    DEFAULT_PROVIDERS,
    DEFAULT_SIZE_THRESHOLD,
    EXTERNAL_DATA_FILE,
    MODEL_FILE,
    SESSION_OPTION_KEYS,
    ProviderUnavailableWarning,
    check_providers,
)

if TYPE_CHECKING:
    import onnx

__all__ = [
    "check_session_options",
    "checks_external_data",
    "open_session",
    "pinned_requirements",
    "recorded_providers",
    "session_options",
    "usable_providers",
]

_EXECUTION_MODES = {
    "SEQUENTIAL": ort.ExecutionMode.ORT_SEQUENTIAL,
    "PARALLEL": ort.ExecutionMode.ORT_PARALLEL,
}
_LEVELS = {int(v): v for v in ort.GraphOptimizationLevel.__members__.values()}
#: onnxruntime is published as several distributions of one ``onnxruntime`` module.
_ORT_DISTRIBUTIONS = (
    "onnxruntime",
    "onnxruntime-gpu",
    "onnxruntime-directml",
    "onnxruntime-openvino",
    "onnxruntime-qnn",
    "onnxruntime-training",
)


def pinned_requirements() -> list[str]:
    """``onnx`` and the onnxruntime distribution installed here (a GPU build is its own)."""
    from flavorkit.environment import pinned_requirement
    from flavorkit.installed import version

    for dist in _ORT_DISTRIBUTIONS:
        if version(dist) is None:
            continue
        return [pinned_requirement("onnx"), pinned_requirement(dist)]
    return [pinned_requirement("onnx"), pinned_requirement("onnxruntime")]  # names the fix


# --------------------------------------------------------------------------------------------
# Session options
# --------------------------------------------------------------------------------------------


def _parse(options: Mapping[str, Any]) -> tuple[dict[str, Any], list[str], list[str]]:
    """``(valid options, unknown keys, problems)``: one pass shared by save and load."""
    valid: dict[str, Any] = {}
    unknown = [k for k in options if k not in SESSION_OPTION_KEYS]
    problems = []
    for key in SESSION_OPTION_KEYS:
        if key not in options or options[key] is None:
            continue
        value = options[key]
        if key.endswith("_num_threads"):
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            expected = "a number of threads >= 0"
        elif key == "execution_mode":
            ok = isinstance(value, str) and value.upper() in _EXECUTION_MODES
            expected = "'sequential' or 'parallel'"
        elif key == "graph_optimization_level":
            ok = isinstance(value, int) and not isinstance(value, bool) and value in _LEVELS
            expected = f"one of {sorted(_LEVELS)} (onnxruntime.GraphOptimizationLevel)"
        else:
            ok = isinstance(value, Mapping) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            )
            expected = "a dict of str → str (session config entries)"
            value = dict(value) if ok else value
        if ok:
            valid[key] = value
        else:
            problems.append(f"{key} must be {expected}, got {value!r}")
    return valid, unknown, problems


def check_session_options(options: Any) -> dict[str, Any] | None:
    """The ``onnx_session_options`` save option, validated, as MLmodel records it."""
    if options is None:
        return None
    if not isinstance(options, Mapping):
        raise TypeError(
            f"onnx: onnx_session_options must be a dict of {', '.join(SESSION_OPTION_KEYS)}; "
            f"got {type(options).__name__}."
        )
    valid, unknown, problems = _parse(options)
    if unknown:
        problems.insert(
            0,
            f"unknown key(s) {sorted(unknown)}: MLflow applies only "
            f"{', '.join(SESSION_OPTION_KEYS)} when it loads a model, so others would be "
            "recorded and ignored",
        )
    if problems:
        raise ValueError("onnx: onnx_session_options: " + "; ".join(problems) + ".")
    return {k: valid.get(k) for k in options}


def session_options(options: Any, mlmodel: str) -> ort.SessionOptions:
    """``SessionOptions`` from the recorded ``onnx_session_options`` of the file ``mlmodel``."""
    result = ort.SessionOptions()
    if not options:
        return result
    key = "onnx.onnx_session_options"
    if not isinstance(options, Mapping):
        raise MLmodelError(f"expected a mapping, got {options!r}", path=mlmodel, key=key)
    valid, unknown, problems = _parse(options)
    if problems:
        raise MLmodelError("; ".join(problems), path=mlmodel, key=key)
    if unknown:
        warnings.warn(
            f"onnx: {mlmodel}: {key} has key(s) {sorted(unknown)} that are ignored, as MLflow "
            f"ignores them (it applies only {', '.join(SESSION_OPTION_KEYS)}).",
            UserWarning,
            stacklevel=4,
        )
    for name in ("inter_op_num_threads", "intra_op_num_threads"):
        if name in valid:
            setattr(result, name, valid[name])
    if "execution_mode" in valid:
        result.execution_mode = _EXECUTION_MODES[valid["execution_mode"].upper()]
    if "graph_optimization_level" in valid:
        result.graph_optimization_level = _LEVELS[valid["graph_optimization_level"]]
    for entry, value in valid.get("extra_session_config", {}).items():
        result.add_session_config_entry(entry, value)
    return result


# --------------------------------------------------------------------------------------------
# Providers and the session
# --------------------------------------------------------------------------------------------


def recorded_providers(conf: Mapping[str, Any], mlmodel: str) -> list[str]:
    """``providers`` of a flavor section; MLflow's default where there is none (a model with
    only a ``python_function`` section)."""
    value = conf.get("providers")
    if value is None:
        return list(DEFAULT_PROVIDERS)
    try:
        return check_providers(value, "providers")
    except TypeError as e:
        raise MLmodelError(str(e), path=mlmodel, key="onnx.providers") from None


def usable_providers(requested: list[str], where: str) -> list[str]:
    """``requested`` minus those this build lacks (one warning), or the CPU if none is left."""
    available = set(ort.get_available_providers())
    usable = [p for p in requested if p in available]
    dropped = [p for p in requested if p not in available]
    if not usable:
        usable = ["CPUExecutionProvider"]
    if dropped:
        warnings.warn(
            f"onnx: {where}: execution provider(s) {dropped} are not available in this "
            f"onnxruntime build (it has {sorted(available)}); running on {usable}.",
            ProviderUnavailableWarning,
            stacklevel=4,
        )
    return usable


def open_session(
    model: onnx.ModelProto | Path,
    *,
    providers: list[str],
    sess_options: ort.SessionOptions,
    where: str,
) -> ort.InferenceSession:
    """A session for a model file, or for an in-memory model (written to a temporary directory
    first when it is too large to serialize in one piece); ``where`` names it in messages."""
    chosen = usable_providers(providers, where)
    if isinstance(model, Path):
        return _session(str(model), sess_options, chosen, where)
    from flavorkit_onnx import _files

    if _files.fits_in_one_message(model) and not _files.external_tensors(model):
        return _session(model.SerializeToString(), sess_options, chosen, where)
    # onnxruntime has read (or mapped) the files once the session exists
    import tempfile

    with tempfile.TemporaryDirectory(prefix="flavorkit-onnx-", ignore_cleanup_errors=True) as tmp:
        file = Path(tmp) / MODEL_FILE
        _files.write_model(
            model,
            file,
            external_data_file=EXTERNAL_DATA_FILE,
            size_threshold=DEFAULT_SIZE_THRESHOLD,
        )
        return _session(str(file), sess_options, chosen, where)


def checks_external_data() -> bool:
    """Whether this onnxruntime refuses external data locations leading out of the model's
    directory (``..``, absolute paths, symlinks): 1.24 does, 1.22 and older open them."""
    try:
        major, minor = (int(part) for part in ort.__version__.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (1, 24)


def _session(
    model: str | bytes, options: ort.SessionOptions, providers: list[str], where: str
) -> ort.InferenceSession:
    try:
        return ort.InferenceSession(model, sess_options=options, providers=providers)
    except Exception as e:
        if not type(e).__module__.startswith("onnxruntime"):
            raise
        if "External data path" in str(e):
            detail = str(e).split("Error: ", 1)[-1]
            raise ModelPathError(
                f"onnx: {where}: refusing to read the external data of the model: {detail}; its "
                "location must be a file beside the model"
            ) from None
        raise FlavorkitError(
            f"onnx: {where}: onnxruntime cannot open the model ({type(e).__name__}: {e})."
        ) from e
