"""Predicting with a module: the caller's data in as tensors, numpy and pandas out.

The same conversion turns an example into the arguments ``torch.export`` traces with, so a
``pt2`` model is called exactly as it was exported.

**Input** (after the signature is enforced, see :mod:`flavorkit.enforce`)

| data | forward is called with |
|---|---|
| DataFrame (or Series) | one float32 tensor ``df.to_numpy(dtype=float32)``, as MLflow |
| ndarray | one tensor of the same dtype (``torch.from_numpy``; read-only arrays are copied) |
| ``torch.Tensor`` | itself |
| dict of arrays / tensors | **keyword arguments by name**: ``model(**{name: tensor})`` |
| tuple of arrays / tensors | positional arguments in order: ``model(*tensors)`` |
| params | extra keyword arguments; only the declared ones reach here (the signature drops others) |

A dict maps to ``forward``'s parameters by name rather than by position because the names are
what the signature records (named TensorSpecs) and what a JSON request carries; an exported
``pt2`` module also insists on being called the way it was exported. Inputs are moved to the
model's device; the call runs under ``torch.inference_mode()``.

**Output**

| forward returns | predict returns |
|---|---|
| a tensor | an ndarray (a DataFrame for DataFrame input, see below) |
| a dict of tensors | a dict of ndarrays |
| a tuple or list of tensors | a **list** of ndarrays (JSON-able as is; positions are the names) |
| anything else | unchanged |

For DataFrame input, a 1-D or 2-D output with one row per input row comes back as a DataFrame
with the input's index, as MLflow returns it. Tensors come back to the CPU; bfloat16 becomes
float32, which numpy has.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import torch

from flavorkit_pytorch._device import model_device, resolve_device

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Inputs", "PyTorchPredictor", "make_predictor", "to_inputs", "to_outputs"]


class Inputs(NamedTuple):
    """How to call forward: positional and keyword tensors, and the DataFrame's index if any."""

    args: tuple[torch.Tensor, ...]
    kwargs: dict[str, torch.Tensor]
    rows: pd.Index | None


def to_inputs(data: Any, device: torch.device) -> Inputs:
    """``data`` as forward's arguments on ``device`` (see the module doc for the rules)."""
    # pandas only when the caller has it loaded: arrays in, arrays out, no 0.7 s pandas import
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(data, pandas.DataFrame):
        return Inputs((_tensor(data, "the DataFrame", device),), {}, data.index)
    if pandas is not None and isinstance(data, pandas.Series):
        return Inputs((_tensor(data.to_frame(), "the Series", device),), {}, data.index)
    if isinstance(data, Mapping):
        kwargs = {}
        for name, value in data.items():
            if not isinstance(name, str):
                raise TypeError(
                    f"pytorch: dict input keys name forward's keyword arguments, so they must be "
                    f"str; got {name!r}."
                )
            kwargs[name] = _tensor(value, f"input {name!r}", device)
        return Inputs((), kwargs, None)
    if isinstance(data, tuple):
        args = tuple(_tensor(v, f"positional input {i}", device) for i, v in enumerate(data))
        return Inputs(args, {}, None)
    return Inputs((_tensor(data, "the input", device),), {}, None)


def _tensor(value: Any, where: str, device: torch.device) -> torch.Tensor:
    pandas = sys.modules.get("pandas")
    if isinstance(value, torch.Tensor):
        tensor = value
    elif pandas is not None and isinstance(value, pandas.DataFrame):
        return _tensor(value.to_numpy(dtype=np.float32), where, device)
    elif isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            raise TypeError(
                f"pytorch: {where} is an array of dtype {value.dtype}; torch takes numbers "
                "(bool, int, float, complex). Convert it before predicting."
            )
        if not value.flags.writeable or not value.flags.c_contiguous:
            value = np.array(value, order="C")  # torch cannot share read-only memory
        tensor = torch.from_numpy(value)
    else:
        raise TypeError(
            f"pytorch: {where} is a {type(value).__name__}; pass a DataFrame, an ndarray, a "
            "torch.Tensor, a dict of arrays (forward's keyword arguments) or a tuple of arrays "
            "(its positional arguments)."
        )
    return tensor if tensor.device == device else tensor.to(device)


def to_outputs(out: Any, index: pd.Index | None) -> Any:
    """forward's result as numpy/pandas (see the module doc)."""
    if isinstance(out, torch.Tensor):
        array = _numpy(out)
        if index is not None and array.ndim in (1, 2) and len(array) == len(index):
            import pandas as pd  # an index came from a DataFrame: pandas is loaded

            return pd.DataFrame(array, index=index)
        return array
    return _convert(out)


def _convert(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return _numpy(value)
    if isinstance(value, Mapping):
        return {k: _convert(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_convert(v) for v in value]
    return value


def _numpy(tensor: torch.Tensor) -> np.ndarray[Any, Any]:
    tensor = tensor.detach()
    if tensor.dtype == torch.bfloat16:
        tensor = tensor.float()
    return tensor.cpu().numpy()


class PyTorchPredictor:
    """Calls a module on converted input under ``inference_mode``; params become keywords."""

    __slots__ = ("device", "exported", "model")

    def __init__(self, model: Any, device: torch.device, *, exported: bool = False):
        self.model = model
        self.device = device
        self.exported = exported

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        inputs = to_inputs(data, self.device)
        kwargs: dict[str, Any] = dict(inputs.kwargs)
        if params and self.exported:
            raise ValueError(
                f"pytorch: this model is a torch.export program (pt2), traced without the params "
                f"{sorted(params)}; it cannot take them. Save the model as 'state_dict' or "
                "'pickle' to pass params to forward."
            )
        if params:
            clash = sorted(set(params) & set(kwargs))
            if clash:
                raise ValueError(
                    f"pytorch: {clash} are both inputs and params; forward cannot take the same "
                    "keyword argument twice. Rename the param or the input."
                )
            kwargs.update(params)
        with torch.inference_mode():
            out = self.model(*inputs.args, **kwargs)
        return to_outputs(out, inputs.rows)

    def __repr__(self) -> str:
        return f"PyTorchPredictor({type(self.model).__name__}, device={str(self.device)!r})"


def make_predictor(model: Any, pyfunc_conf: Mapping[str, Any]) -> PyTorchPredictor:
    """The predictor for ``model``.

    A model this plugin loaded is moved to the prediction device (:mod:`~flavorkit_pytorch.
    _device`). Any other module (the caller's in-memory model while its signature is inferred)
    predicts where its weights are and is never moved: moving a module changes it in place.
    """
    from flavorkit_pytorch._load import loaded_state, place

    exported = isinstance(model, torch.export.ExportedProgram)
    if exported:
        model = model.module()
    state = loaded_state(model)
    if state is None:
        return PyTorchPredictor(model, model_device(model), exported=exported)
    config = pyfunc_conf.get("config") or {}
    device = resolve_device(state.device, config.get("device"))
    return PyTorchPredictor(place(model, device), device, exported=state.program is not None)
