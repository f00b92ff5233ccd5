"""Saving: choosing the format, writing ``data/``, and the MLmodel sections MLflow expects.

The layout is MLflow's (``mlflow-format.md`` §3.2) with one addition, ``serialization_format``::

    pytorch:
      code: null
      model_data: data
      pytorch_version: 2.13.0+cpu          # full torch.__version__: mlflow.pytorch reads it
      serialization_format: pt2            # flavorkit; MLflow tells pt2 from pickle by file
    python_function:
      config: {device: null}
      data: data
      loader_module: mlflow.pytorch        # or flavorkit.mlflow_loader, see below
      pickle_module_name: mlflow.pytorch.pickle_module

**Which loader MLflow gets.** ``mlflow.pytorch`` predicts with a single tensor input (a DataFrame
or an ndarray) and a model saved as ``model.pt2`` or ``model.pth``; it rejects dicts, and it
cannot read a ``state_dict`` directory. So ``pt2`` and ``pickle`` models taking one input point
MLflow at ``mlflow.pytorch``, exactly as MLflow writes them; ``state_dict`` models and models with
several inputs point it at ``flavorkit.mlflow_loader``, which loads them through flavorkit (with
flavorkit and this plugin in the model's requirements). MLflow itself writes no
``python_function`` section for multi-input ``pt2`` models; flavorkit's models stay servable.

**pickle_module_name.** MLflow writes ``mlflow.pytorch.pickle_module`` for every format; for
``pickle``, flavorkit writes ``pickle``, the module it really used (and names in
``pickle_module_info.txt``), which MLflow imports and loads with just as well.

**pt2 export.** ``torch.export.export`` traces the model in eval mode (a train-mode export would
bake dropout into the graph) with dimension 0 of every input marked ``Dim.AUTO``. An example
batch of 1 is repeated to 2 rows first, since export fixes a size-1 dimension; if the model's
code fixes the batch size anyway (``x.view(32, -1)``), the saved model accepts only that size,
and a warning says so. Weights on a GPU are moved to the CPU in the saved program.
"""

from __future__ import annotations

import inspect
import pickle
import warnings
from pathlib import Path
from typing import Any

import torch

from flavorkit.flavor import SavedFlavor
from flavorkit_pytorch import LOADER_MODULE, SERIALIZATION_FORMATS
from flavorkit_pytorch._device import model_device
from flavorkit_pytorch._layout import DATA_DIR, PICKLE_FILE, PICKLE_MODULE_INFO, PT2_FILE
from flavorkit_pytorch._predict import Inputs, to_inputs

__all__ = [
    "DATA_DIR",
    "PICKLE_FILE",
    "PICKLE_MODULE_INFO",
    "PT2_FILE",
    "choose_format",
    "save",
]

#: The loader for models MLflow's own ``mlflow.pytorch`` cannot predict with.
FLAVORKIT_LOADER = "flavorkit.mlflow_loader"
#: What MLflow writes as ``python_function.pickle_module_name`` (its cloudpickle wrapper).
MLFLOW_PICKLE_MODULE = "mlflow.pytorch.pickle_module"


def save(
    model: Any,
    path: Path,
    *,
    serialization_format: str | None,
    export_example: Any,
    input_example: Any,
    init_kwargs: Any,
    model_factory: Any = None,
) -> SavedFlavor:
    """Write the model into ``path`` and return its MLmodel sections (see the module doc)."""
    _check_model(model)
    input_example, params = _split_example(input_example)
    fmt = choose_format(model, serialization_format, export_example, input_example)
    if params and fmt == "pt2":
        raise ValueError(
            f"pytorch: the input example has params {sorted(params)}, but a pt2 model is traced "
            "without them and cannot take them at predict time. Save it as 'state_dict' or "
            "'pickle' to pass params to forward, or leave the params out of the example."
        )
    for name, value in (("init_kwargs", init_kwargs), ("model_factory", model_factory)):
        if value is not None and fmt != "state_dict":
            raise ValueError(
                f"pytorch: {name} applies only to serialization_format='state_dict', not {fmt!r}."
            )
    if export_example is not None and fmt != "pt2":
        raise ValueError(
            f"pytorch: export_example is what torch.export traces for serialization_format='pt2'; "
            f"{fmt!r} does not use it. Pass the data as input_example= to record a signature."
        )
    data = path / DATA_DIR
    data.mkdir()
    example = export_example if export_example is not None else input_example
    conf: dict[str, Any] = {
        "code": None,
        "model_data": DATA_DIR,
        "pytorch_version": str(torch.__version__),
        "serialization_format": fmt,
    }
    if fmt == "pt2":
        _save_pt2(model, data / PT2_FILE, example)
    elif fmt == "state_dict":
        from flavorkit_pytorch._state_dict import save_state_dict

        conf.update(save_state_dict(model, data, init_kwargs, model_factory))
    else:
        _save_pickle(model, data)
    pyfunc: dict[str, Any] = {"data": DATA_DIR, "config": {"device": None}}
    if fmt == "state_dict" or _several_inputs(model, example):
        pyfunc["loader_module"] = FLAVORKIT_LOADER
    else:
        pyfunc["loader_module"] = LOADER_MODULE
        pyfunc["pickle_module_name"] = "pickle" if fmt == "pickle" else MLFLOW_PICKLE_MODULE
    return SavedFlavor(conf, pyfunc)


def _split_example(example: Any) -> tuple[Any, dict[str, Any] | None]:
    """``(data, params)`` of an example given as data or as a ``(data, params_dict)`` tuple."""
    if isinstance(example, tuple) and len(example) == 2 and isinstance(example[1], dict):
        return example[0], example[1]
    return example, None


def _check_model(model: Any) -> None:
    if not isinstance(model, (torch.nn.Module, torch.export.ExportedProgram)):
        raise TypeError(
            f"pytorch: expected a torch.nn.Module or a torch.export.ExportedProgram, got "
            f"{type(model).__module__}.{type(model).__qualname__}."
        )


def choose_format(
    model: Any, requested: str | None, export_example: Any, input_example: Any
) -> str:
    """The format to save in: the one asked for, else pt2 when there is an example to trace.

    Never pickle by default: without an example and without a format, the caller must choose.
    """
    kind = type(model).__qualname__
    if isinstance(model, torch.export.ExportedProgram):
        if requested not in (None, "pt2"):
            raise ValueError(
                f"pytorch: an ExportedProgram is saved as serialization_format='pt2' "
                f"(torch.export.save), not {requested!r}."
            )
        return "pt2"
    scripted = isinstance(model, torch.jit.ScriptModule)
    if requested is not None:
        if scripted and requested != "pickle":
            raise ValueError(
                f"pytorch: a {kind} (TorchScript) can only be saved with "
                "serialization_format='pickle', which writes it with torch.jit.save as MLflow "
                "does; loading it needs trust=True."
            )
        return requested
    if scripted:
        raise ValueError(
            f"pytorch: a {kind} (TorchScript) can only be saved with "
            "serialization_format='pickle' (torch.jit.save, as MLflow does; loading it needs "
            "trust=True). Pass it explicitly."
        )
    if export_example is not None or input_example is not None:
        return SERIALIZATION_FORMATS[0]
    raise ValueError(
        f"pytorch: choose how to save this {kind}; there is no safe default without an example.\n"
        "  * serialization_format='pt2', export_example=<a batch of input>: torch.export traces "
        "the model; loading runs no Python code. The default whenever an example is given.\n"
        "  * serialization_format='state_dict', init_kwargs={...}: safetensors weights plus the "
        "model's class; loading imports the class, so it needs trust=True or model_class=.\n"
        "  * serialization_format='pickle': MLflow's legacy whole-module torch.save; loading it "
        "runs arbitrary code and needs trust=True."
    )


# --------------------------------------------------------------------------------------------
# pt2
# --------------------------------------------------------------------------------------------


def _save_pt2(model: Any, file: Path, example: Any) -> None:
    if isinstance(model, torch.export.ExportedProgram):
        program = model
    else:
        if example is None:
            raise ValueError(
                "pytorch: serialization_format='pt2' traces the model with torch.export, so it "
                "needs an example batch: pass export_example=<data as predict takes it> (an "
                "ndarray, DataFrame, tensor, or a dict of arrays for keyword inputs)."
            )
        program = _export(model, example)
    if model_device(program.module()).type != "cpu":
        from torch.export.passes import move_to_device_pass

        program = move_to_device_pass(program, "cpu")
    torch.export.save(program, str(file))


def _export(model: torch.nn.Module, example: Any) -> torch.export.ExportedProgram:
    inputs = _batch_of_two(to_inputs(example, model_device(model)))
    if inputs.args:
        dynamic: Any = tuple(_batch_dim(t) for t in inputs.args)
    else:
        dynamic = {name: _batch_dim(t) for name, t in inputs.kwargs.items()}
    was_training = model.training
    model.eval()
    try:
        program = torch.export.export(model, inputs.args, inputs.kwargs, dynamic_shapes=dynamic)
    except Exception as e:
        raise ValueError(
            f"pytorch: torch.export could not export this {type(model).__qualname__} "
            f"({type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else e}). "
            "Save it with serialization_format='state_dict' (safe, needs its class to load) or "
            "'pickle' instead, or make forward exportable (see the torch.export docs)."
        ) from e
    finally:
        model.train(was_training)
    _warn_static_batch(program, model)
    return program


def _batch_dim(tensor: torch.Tensor) -> Any:
    from torch.export import Dim

    return {0: Dim.AUTO} if tensor.ndim else None


def _batch_of_two(inputs: Inputs) -> Inputs:
    """Repeat a batch of one to two rows: torch.export would fix a size-1 dimension."""

    def grow(t: torch.Tensor) -> torch.Tensor:
        return torch.cat([t, t]) if t.ndim and t.shape[0] == 1 else t

    return Inputs(
        tuple(grow(t) for t in inputs.args),
        {k: grow(t) for k, t in inputs.kwargs.items()},
        inputs.rows,
    )


def _warn_static_batch(program: torch.export.ExportedProgram, model: torch.nn.Module) -> None:
    from torch.fx.experimental.symbolic_shapes import is_concrete_int

    placeholders = {n.name: n for n in program.graph.nodes if n.op == "placeholder"}
    fixed = []
    for name in program.graph_signature.user_inputs:
        node = placeholders.get(str(name))
        value = node.meta.get("val") if node is not None else None
        shape = getattr(value, "shape", None)
        if shape is not None and len(shape) and is_concrete_int(shape[0]):
            fixed.append(f"{name} (batch {int(shape[0])})")
    if fixed:
        warnings.warn(
            f"flavorkit-pytorch: torch.export fixed the batch dimension of "
            f"{type(model).__qualname__}'s input(s) {', '.join(fixed)}: forward uses the batch "
            "size as a constant (e.g. x.view(n, -1)), so the saved model accepts only batches of "
            "that size. Write x.flatten(1) or x.view(x.shape[0], -1) to keep it dynamic.",
            UserWarning,
            stacklevel=6,
        )


def _several_inputs(model: Any, example: Any) -> bool:
    """Whether forward is not called with exactly one positional tensor, the only call MLflow's
    pytorch loader makes."""
    if isinstance(model, torch.export.ExportedProgram):
        recorded = model.example_inputs
        if recorded is not None:
            args, kwargs = recorded
            return len(args) != 1 or bool(kwargs)
        return len(model.graph_signature.user_inputs) != 1
    if example is not None:
        return isinstance(example, dict) or (isinstance(example, tuple) and len(example) != 1)
    try:
        params = inspect.signature(model.forward).parameters.values()
    except (TypeError, ValueError):
        return False
    required = [
        p
        for p in params
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    return len(required) > 1


# --------------------------------------------------------------------------------------------
# pickle
# --------------------------------------------------------------------------------------------


def _save_pickle(model: torch.nn.Module, data: Path) -> None:
    """MLflow's pickle layout with the standard pickle module (MLflow loads that too)."""
    file = data / PICKLE_FILE
    if isinstance(model, torch.jit.ScriptModule):
        torch.jit.save(model, str(file))
    else:
        try:
            torch.save(model, file, pickle_module=pickle, pickle_protocol=pickle.DEFAULT_PROTOCOL)
        except (pickle.PicklingError, AttributeError, TypeError) as e:
            raise ValueError(
                f"pytorch: torch.save could not pickle this {type(model).__qualname__} ({e}). "
                "pickle saves classes by reference, so they must be importable (defined at "
                "module level); or save with serialization_format='pt2'."
            ) from e
    (data / PICKLE_MODULE_INFO).write_text("pickle", encoding="utf-8")
