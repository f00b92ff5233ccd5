"""Which device a loaded model predicts on, and putting it there.

MLflow's rule, kept: the ``device`` of ``python_function.config`` (which ``model_config=``
overrides), else the environment variable ``MLFLOW_DEFAULT_PREDICTION_DEVICE``, else ``cuda`` when
CUDA is available, else ``cpu``. flavorkit adds the ``device=`` load option, which wins over all
of them.

Unlike MLflow, a model saved or served with ``device: cuda`` never fails on a CPU-only machine:
a device that comes from the model's config or the environment and is not available falls back to
the CPU with a warning. A device the caller asks for by name (``device=``) must exist; asking for
``cuda`` on a machine without it is an error that says so.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from typing import Any

import torch

from flavorkit.errors import FlavorkitError

__all__ = ["DEVICE_ENV", "check_device", "model_device", "resolve_device", "same_device"]

#: MLflow's environment variable for the default prediction device.
DEVICE_ENV = "MLFLOW_DEFAULT_PREDICTION_DEVICE"


def resolve_device(option: Any, config_device: Any) -> torch.device:
    """The device to predict on: ``option`` (strict), config, environment, CUDA if present, CPU."""
    if option is not None:
        return check_device(option, source="the device= load option", strict=True)
    if config_device is not None:
        return check_device(config_device, source="python_function.config.device", strict=False)
    env = os.environ.get(DEVICE_ENV, "").strip()
    if env:
        return check_device(env, source=f"${DEVICE_ENV}", strict=False)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def check_device(value: Any, *, source: str, strict: bool) -> torch.device:
    """``value`` as an available ``torch.device``.

    An unknown device string is always an error. An unavailable one (``cuda`` without CUDA,
    ``cuda:3`` on a two-GPU machine) is an error when ``strict``, else the CPU with a warning.
    """
    try:
        device = value if isinstance(value, torch.device) else torch.device(str(value))
    except (RuntimeError, TypeError, ValueError) as e:
        raise FlavorkitError(
            f"pytorch: {source} is {value!r}, which is not a torch device; use 'cpu', 'cuda', "
            f"'cuda:<index>' or another device torch knows ({e})."
        ) from None
    problem = _unavailable(device)
    if problem is None:
        return device
    if strict:
        raise FlavorkitError(
            f"pytorch: {source} asks for device {str(device)!r}, but {problem}. Load with "
            "device='cpu', or on a machine that has the device."
        )
    warnings.warn(
        f"flavorkit-pytorch: {source} asks for device {str(device)!r}, but {problem}; the "
        "model predicts on the CPU instead.",
        UserWarning,
        stacklevel=4,
    )
    return torch.device("cpu")


def _unavailable(device: torch.device) -> str | None:
    """Why ``device`` cannot be used here, or None if it can."""
    if device.type == "cuda":
        if not torch.cuda.is_available():
            build = "a CPU-only build" if torch.version.cuda is None else "no visible GPU"
            return f"CUDA is not available (torch {torch.__version__}, {build})"
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            return f"this machine has {count} CUDA device(s) (indices 0..{count - 1})"
    elif device.type == "mps" and not torch.backends.mps.is_available():
        return "MPS is not available"
    return None


def model_device(model: Any) -> torch.device:
    """Where a module's weights live: its first parameter's or buffer's device (CPU if none)."""
    for tensor in _tensors(model):
        return tensor.device
    return torch.device("cpu")


def same_device(a: torch.device, b: torch.device) -> bool:
    """``cuda`` and ``cuda:0`` are the same device when 0 is the current one."""
    if a.type != b.type:
        return False
    if a.type != "cuda" or a.index == b.index:
        return True
    current = torch.cuda.current_device()
    return (a.index if a.index is not None else current) == (
        b.index if b.index is not None else current
    )


def _tensors(model: Any) -> Iterator[torch.Tensor]:
    if isinstance(model, torch.nn.Module):
        yield from model.parameters()
        yield from model.buffers()
