"""Loading: finding the format of any MLflow or flavorkit pytorch model, and reading it.

**Which format.** flavorkit records ``pytorch.serialization_format``; MLflow does not, and its
loader looks at the files instead, which is what this module does when the key is absent:
``data/model.pth`` means pickle, else ``data/model.pt2`` means pt2 (``data/model.safetensors``
means state_dict). ``model_data`` (or ``python_function.data`` for a model with only that
section) names the directory; an older layout naming the file itself is read too.

**What runs.** ``pt2``: ``torch.export.load(...).module()``, no Python code from the model.
``state_dict``: see :mod:`flavorkit_pytorch._state_dict`. ``pickle``: only with ``trust=True``,
and with the standard ``pickle`` module whatever ``pickle_module_info.txt`` names (MLflow imports
that module; a model directory is data, so flavorkit never does): ``torch.load(weights_only=False)``
memory-maps the weights of zip-format files. A TorchScript archive is read by ``torch.jit.load``.

**Device.** The module is loaded onto the ``device=`` option if given, else left on the CPU;
:func:`place` moves it to the prediction device later (see :mod:`flavorkit_pytorch._device`). A
``pt2`` program is moved with ``torch.export.passes.move_to_device_pass``, since ``.to()`` on an
exported module leaves the graph's own constants behind.
"""

from __future__ import annotations

import weakref
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from flavorkit.errors import FlavorkitError
from flavorkit.safety import model_file, require_trust
from flavorkit_pytorch import SERIALIZATION_FORMATS
from flavorkit_pytorch._device import check_device, model_device, same_device
from flavorkit_pytorch._layout import DATA_DIR, PICKLE_FILE, PICKLE_MODULE_INFO, PT2_FILE

__all__ = ["LoadedState", "detect_format", "load", "loaded_state", "place"]


@dataclass(frozen=True)
class LoadedState:
    """What the predictor needs to know about a module this plugin loaded.

    ``device`` is the caller's ``device=`` option (None if not given), which wins over the
    model's config; ``program`` is the ExportedProgram of a ``pt2`` module, kept to move it.
    """

    device: torch.device | None
    program: torch.export.ExportedProgram | None = None


# Modules loaded here, and how; weak so that a dropped model is freed.
_LOADED: weakref.WeakKeyDictionary[torch.nn.Module, LoadedState] = weakref.WeakKeyDictionary()


def loaded_state(model: Any) -> LoadedState | None:
    """How ``model`` was loaded, or None for a module this plugin did not load."""
    try:
        return _LOADED.get(model)
    except TypeError:  # not weak-referenceable: not one of ours
        return None


def load(
    path: Path,
    conf: dict[str, Any],
    *,
    trust: bool,
    device: Any,
    model_class: Any,
    model_factory: Any,
) -> torch.nn.Module:
    """The module of the model directory ``path`` (see the module doc)."""
    target = check_device(device, source="the device= load option", strict=True) if device else None
    fmt, file = detect_format(path, conf)
    if (model_class is not None or model_factory is not None) and fmt != "state_dict":
        raise TypeError(
            f"pytorch: model_class= and model_factory= rebuild state_dict models; {file} is "
            f"saved as {fmt!r}."
        )
    program = None
    if fmt == "pt2":
        module, program = _load_pt2(file, target)
    elif fmt == "state_dict":
        from flavorkit_pytorch._state_dict import load_state_dict

        module = load_state_dict(
            file,
            conf,
            trust=trust,
            device=target or torch.device("cpu"),
            model_class=model_class,
            model_factory=model_factory,
        )
    else:
        module = _load_pickle(file, trust, target)
    _LOADED[module] = LoadedState(target, program)
    return module


def detect_format(path: Path, conf: dict[str, Any]) -> tuple[str, Path]:
    """(format, model file) from ``serialization_format`` or, as MLflow does, from the files."""
    if "loader_module" in conf:  # the python_function section of a model with only that one
        key, rel = "python_function.data", conf.get("data") or DATA_DIR
    else:
        key, rel = "pytorch.model_data", conf.get("model_data") or DATA_DIR
    data = model_file(path, rel, key=key)
    files = {"pt2": PT2_FILE, "pickle": PICKLE_FILE, "state_dict": "model.safetensors"}
    recorded = conf.get("serialization_format")
    if recorded is not None and recorded not in SERIALIZATION_FORMATS:
        raise FlavorkitError(
            f"{path}: MLmodel key 'pytorch.serialization_format' is {recorded!r}, which this "
            f"version of flavorkit-pytorch cannot read (it reads {', '.join(files)})."
        )
    if data.is_file():  # an old layout naming the file itself
        by_suffix = {".pt2": "pt2", ".safetensors": "state_dict"}
        return recorded or by_suffix.get(data.suffix, "pickle"), data
    if not data.is_dir():
        raise FlavorkitError(f"{path}: MLmodel key '{key}' names {rel!r}, which does not exist.")
    if recorded is not None:
        file = data / files[recorded]
        if not file.is_file():
            raise FlavorkitError(
                f"{file}: missing; MLmodel says the model is saved as {recorded!r} "
                f"({key}: {rel}). The directory holds {sorted(p.name for p in data.iterdir())}."
            )
        return recorded, file
    for fmt in ("pickle", "pt2", "state_dict"):  # MLflow's order: model.pth wins
        if (data / files[fmt]).is_file():
            return fmt, data / files[fmt]
    raise FlavorkitError(
        f"{data}: no PyTorch model file ({', '.join(files.values())}) in {key} {rel!r}; it holds "
        f"{sorted(p.name for p in data.iterdir())}."
    )


def _load_pt2(
    file: Path, device: torch.device | None
) -> tuple[torch.nn.Module, torch.export.ExportedProgram]:
    try:
        program = torch.export.load(str(file))
    except Exception as e:
        raise FlavorkitError(
            f"{file}: torch.export.load could not read it ({type(e).__name__}: {e}). It may "
            f"have been saved by a newer torch than {torch.__version__}."
        ) from e
    if device is not None and device.type != "cpu":
        program = _move_program(program, device)
    return program.module(), program


def _move_program(
    program: torch.export.ExportedProgram, device: torch.device
) -> torch.export.ExportedProgram:
    from torch.export.passes import move_to_device_pass

    return move_to_device_pass(program, device)


def _load_pickle(file: Path, trust: bool, device: torch.device | None) -> torch.nn.Module:
    info = file.parent / PICKLE_MODULE_INFO
    named = info.read_text(encoding="utf-8").strip() if info.is_file() else "pickle"
    require_trust(
        trust,
        file,
        f"it is a whole module saved with torch.save (pickle; {PICKLE_MODULE_INFO} names "
        f"{named!r}, which flavorkit never imports), and unpickling runs code",
    )
    location = device or torch.device("cpu")
    try:
        if _is_torchscript(file):
            model: Any = torch.jit.load(str(file), map_location=location)  # type: ignore[no-untyped-call]
        else:
            mmap = location.type == "cpu" and zipfile.is_zipfile(file)
            model = torch.load(file, map_location=location, weights_only=False, mmap=mmap)
    except Exception as e:
        raise FlavorkitError(
            f"{file}: torch.load could not read the pickled module ({type(e).__name__}: {e})."
        ) from e
    if not isinstance(model, torch.nn.Module):
        hint = ""
        if isinstance(model, dict):
            hint = (
                " A state dict saved with torch.save cannot be loaded without its model class "
                "(MLflow cannot either); re-save the module with flavorkit's state_dict format."
            )
        raise FlavorkitError(
            f"{file}: holds a {type(model).__name__}, not a torch.nn.Module.{hint}"
        )
    return model.eval()


def _is_torchscript(file: Path) -> bool:
    if not zipfile.is_zipfile(file):
        return False
    with zipfile.ZipFile(file) as z:
        return any(name.endswith("/constants.pkl") for name in z.namelist())


def place(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``model`` on ``device``: itself if already there, else moved (pt2: a moved program)."""
    if same_device(model_device(model), device):
        return model
    state = _LOADED.get(model)
    if state is not None and state.program is not None:
        program = _move_program(state.program, device)
        moved = program.module()
        _LOADED[moved] = LoadedState(state.device, program)
        return moved
    return model.to(device)
