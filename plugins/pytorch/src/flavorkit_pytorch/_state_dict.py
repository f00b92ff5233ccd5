"""The ``state_dict`` format: safetensors weights plus the class that rebuilds the module.

Files and keys::

    data/model.safetensors          every tensor of model.state_dict() once
    pytorch:
      model_class: pkg.nets:Classifier      # module:QualName, imported only with trust=True
      init_kwargs: {hidden: 64}             # JSON-able; the module is Classifier(**init_kwargs)
      # or, for a module its class alone cannot rebuild (torch.nn.Sequential, a ModuleList...):
      model_factory: pkg.nets:build_model   # a module-level function; build_model(**init_kwargs)
      tied_weights: {head.weight: embed.weight}   # only when tensors are shared

**Why safetensors.** The file is a JSON header and raw tensor bytes: reading it runs no code and
it can be memory-mapped. Writing it costs about a raw file copy.

**Tied weights.** safetensors refuses two names for one tensor. A name that is an alias of an
earlier one (same memory, shape, strides and dtype: ``head.weight = embed.weight``) is left out
of the file and recorded in ``tied_weights`` (also in the file's metadata, as
``safetensors.torch.save_model`` does); on load the alias is set back to the *same* Parameter, so
the tie survives. Tensors sharing memory in other ways (views) are saved as separate copies,
with a warning.

**Loading without copying.** The module is built on the ``meta`` device (no memory), then
``load_state_dict(assign=True)`` makes its parameters the memory-mapped tensors that
``safetensors.torch.load_file`` returns: the weights are read from the page cache when first
used, never copied, and loading a 400 MB model takes milliseconds. A constructor that cannot run
on ``meta``, or a module whose non-persistent buffers the file does not hold, is built normally
instead (its initial weights are then allocated and thrown away).

**What is saved can be loaded.** Before anything is written, the module is rebuilt the way a
load will rebuild it -- ``model_class(**init_kwargs)`` or ``model_factory(**init_kwargs)`` -- on
the ``meta`` device (no weights are allocated), and its state dict must have exactly the saved
names, shapes and dtypes. A ``torch.nn.Sequential(Linear(4, 3), ReLU(), Linear(3, 1))``, whose
layers are constructor arguments, fails here rather than at deployment, with the ways out: pt2
(the default), a ``model_factory``, or a module class of your own built from its init arguments.

**Trust.** Importing ``model_class`` runs that module's code, so it needs ``trust=True``; the
caller may instead pass ``model_class=`` (built with the recorded ``init_kwargs``) or
``model_factory=`` (a zero-argument function returning the module), which import nothing.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from flavorkit.errors import FlavorkitError
from flavorkit.safety import require_trust

__all__ = [
    "FILE_NAME",
    "check_rebuilds",
    "class_ref",
    "factory_ref",
    "load_state_dict",
    "save_state_dict",
]

FILE_NAME = "model.safetensors"


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------


def save_state_dict(
    model: torch.nn.Module,
    data_dir: Path,
    init_kwargs: Mapping[str, Any] | None,
    model_factory: Callable[..., Any] | None = None,
) -> dict[str, Any]:
    """Write ``data/model.safetensors``; return the flavor keys that rebuild the module.

    Raises ValueError, before writing anything, when those keys cannot rebuild ``model``.
    """
    from safetensors.torch import save_file

    if model_factory is None:
        builder: Callable[..., Any] = type(model)
        key, ref = "model_class", class_ref(type(model))
    else:
        builder = model_factory
        key, ref = "model_factory", factory_ref(model_factory)
    kwargs = _check_init_kwargs(builder, ref, init_kwargs)
    state = model.state_dict()
    check_rebuilds(model, state, lambda: builder(**kwargs), f"{ref}(**{kwargs})", key)
    tensors, ties = _untie(state)
    save_file(tensors, str(data_dir / FILE_NAME), metadata={"format": "pt", **ties})
    keys: dict[str, Any] = {key: ref, "init_kwargs": kwargs}
    if ties:
        keys["tied_weights"] = ties
    return keys


def check_rebuilds(
    model: torch.nn.Module,
    state: Mapping[str, torch.Tensor],
    build: Callable[[], Any],
    how: str,
    key: str,
) -> None:
    """A ValueError unless ``build()`` makes a module whose state dict fits ``state`` exactly.

    The module is built on the meta device, so no weights are allocated; a constructor that
    cannot run there (it computes with tensor values) is built normally, as a load would.
    """
    try:
        rebuilt = _build(build, meta=True)
    except Exception as e:
        raise ValueError(
            f"pytorch: serialization_format='state_dict' rebuilds the model as {how} when it is "
            f"loaded, and that fails here ({type(e).__name__}: {e}). {_ways_out(model, key)}"
        ) from None
    expected = {name: (tuple(t.shape), t.dtype) for name, t in rebuilt.state_dict().items()}
    saved = {name: (tuple(t.shape), t.dtype) for name, t in state.items()}
    if expected == saved:
        return
    missing = sorted(set(saved) - set(expected))
    unexpected = sorted(set(expected) - set(saved))
    differ = sorted(n for n in set(saved) & set(expected) if saved[n] != expected[n])
    problems = []
    if missing:
        problems.append(f"it has no place for {_few(missing)}")
    if unexpected:
        problems.append(f"it expects {_few(unexpected)}, which the model does not have")
    if differ:
        n = differ[0]
        problems.append(
            f"{_few(differ)} differ in shape or dtype (e.g. {n!r}: saved "
            f"{_spec(saved[n])}, rebuilt {_spec(expected[n])})"
        )
    raise ValueError(
        f"pytorch: serialization_format='state_dict' cannot rebuild this "
        f"{type(model).__name__}: the module {how} builds to hold the weights does not fit them "
        f"({'; '.join(problems)}). {_ways_out(model, key)}"
    )


def _ways_out(model: torch.nn.Module, key: str) -> str:
    why = ""
    if isinstance(model, (torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict)):
        why = (
            f"A {type(model).__name__} takes its layers as constructor arguments, so its class "
            "alone cannot rebuild it. "
        )
    fix = (
        "give the recorded model_factory the init_kwargs that rebuild this model"
        if key == "model_factory"
        else "pass init_kwargs={...} with the constructor arguments that rebuild it"
    )
    return (
        f"{why}Save it with serialization_format='pt2' (the default with an input example), "
        "or pass model_factory=<a module-level function returning the module> (called with "
        f"init_kwargs), or wrap it in a module class of your own; or {fix}."
    )


def _few(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:4])
    return shown + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def _spec(spec: tuple[tuple[int, ...], torch.dtype]) -> str:
    shape, dtype = spec
    return f"{list(shape)} {str(dtype).removeprefix('torch.')}"


def factory_ref(factory: Any) -> str:
    """``module:QualName`` of a module-level function (or class) that builds the module."""
    if not callable(factory):
        raise TypeError(
            f"pytorch: model_factory must be a function returning the module, got "
            f"{type(factory).__name__}."
        )
    module = getattr(factory, "__module__", None)
    qualname = getattr(factory, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        raise ValueError(
            f"pytorch: model_factory={factory!r} is recorded by name so a load can call it; "
            "a lambda, a nested function or a callable object has no importable name. Define a "
            "function at module level."
        )
    _check_importable(factory, module, qualname)
    return f"{module}:{qualname}"


def _check_importable(obj: Any, module: str, qualname: str) -> None:
    """A ValueError unless ``module:qualname`` names ``obj`` itself (what a load will import)."""
    found: Any = sys.modules.get(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if found is not obj and module != "__main__":
        raise ValueError(
            f"pytorch: {module}:{qualname} does not name {obj!r} (it is shadowed or created "
            "dynamically), so a load could not import it back. Define it at module level under "
            "its own name."
        )


def class_ref(cls: type) -> str:
    """``module:QualName`` of a class that can be imported back; else a ValueError saying why."""
    module, qualname = cls.__module__, cls.__qualname__
    if "<locals>" in qualname:
        raise ValueError(
            f"pytorch: serialization_format='state_dict' records the model's class to rebuild "
            f"it, but {qualname} is defined inside a function and cannot be imported. Define it "
            "at module level, or save with serialization_format='pt2'."
        )
    if isinstance(cls, type) and issubclass(cls, torch.jit.ScriptModule):
        raise ValueError(
            "pytorch: a ScriptModule has no Python class to rebuild it from; save it with "
            "serialization_format='pickle' (torch.jit.save)."
        )
    if module == "__main__":
        warnings.warn(
            f"flavorkit-pytorch: {qualname} is defined in the script being run (__main__), which "
            f"is not importable elsewhere; load the model with model_class={qualname} (or move "
            "the class into a module).",
            UserWarning,
            stacklevel=5,
        )
    _check_importable(cls, module, qualname)
    return f"{module}:{qualname}"


def _check_init_kwargs(
    cls: Callable[..., Any], ref: str, init_kwargs: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The constructor (or factory) arguments as a JSON-able dict that ``cls`` accepts."""
    if init_kwargs is None:
        init_kwargs = {}
    if not isinstance(init_kwargs, Mapping):
        raise TypeError(
            f"pytorch: init_kwargs must be a dict of keyword arguments for {ref}, not "
            f"{type(init_kwargs).__name__}."
        )
    kwargs = dict(init_kwargs)
    for key, value in kwargs.items():
        if not isinstance(key, str):
            raise TypeError(f"pytorch: init_kwargs keys must be str, got {key!r}.")
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"pytorch: init_kwargs[{key!r}] is a {type(value).__name__}, which cannot be "
                f"written to MLmodel ({e}); init_kwargs must be JSON values (numbers, strings, "
                "booleans, None, lists, dicts). Build other arguments in a model_factory= at "
                "load time instead."
            ) from None
    try:
        inspect.signature(cls).bind(**kwargs)
    except TypeError as e:
        missing = _required_parameters(cls, kwargs)
        hint = f"; pass init_kwargs={{{', '.join(repr(m) + ': ...' for m in missing)}}}" * bool(
            missing
        )
        raise TypeError(
            f"pytorch: init_kwargs {kwargs} cannot build {ref} ({e}){hint}. The state_dict "
            "format rebuilds the module as model_class(**init_kwargs) before loading weights."
        ) from None
    except ValueError:  # no signature to check (a builtin): the load will tell
        pass
    return kwargs


def _required_parameters(cls: Callable[..., Any], given: Mapping[str, Any]) -> list[str]:
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in params
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and p.name not in given
    ]


def _untie(state: Mapping[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The tensors to write (CPU, contiguous, one per memory) and ``{alias: kept name}``."""
    kept: dict[tuple[Any, ...], str] = {}
    ties: dict[str, str] = {}
    tensors: dict[str, torch.Tensor] = {}
    for name, tensor in state.items():
        if tensor.is_meta:
            raise ValueError(
                f"pytorch: the model's tensor {name!r} is on the meta device and holds no data; "
                "load or initialise its weights before saving."
            )
        if tensor.numel():
            key = (
                tensor.device,
                tensor.data_ptr(),
                tensor.dtype,
                tuple(tensor.shape),
                tuple(tensor.stride()),
            )
            if key in kept:
                ties[name] = kept[key]
                continue
            kept[key] = name
        tensors[name] = tensor
    _separate_views(tensors)
    return {k: v.detach().cpu().contiguous() for k, v in tensors.items()}, ties


def _separate_views(tensors: dict[str, torch.Tensor]) -> None:
    """Copy tensors that share memory without being the same tensor (safetensors refuses them)."""
    by_storage: dict[tuple[Any, ...], list[str]] = {}
    for name, tensor in tensors.items():
        if tensor.numel():
            key = (tensor.device, tensor.untyped_storage().data_ptr())
            by_storage.setdefault(key, []).append(name)
    shared = [names for names in by_storage.values() if len(names) > 1]
    for names in shared:
        for name in names[1:]:
            tensors[name] = tensors[name].clone()
    if shared:
        listed = "; ".join(", ".join(names) for names in shared)
        warnings.warn(
            f"flavorkit-pytorch: tensors that are different views of the same memory ({listed}) "
            "are saved as separate copies; after loading they no longer share memory.",
            UserWarning,
            stacklevel=5,
        )


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load_state_dict(
    file: Path,
    conf: Mapping[str, Any],
    *,
    trust: bool,
    device: torch.device,
    model_class: Any,
    model_factory: Any,
) -> torch.nn.Module:
    """Rebuild the module and map the weights of ``file`` into it (see the module doc)."""
    from safetensors.torch import load_file

    key = "model_factory" if conf.get("model_factory") is not None else "model_class"
    ref = conf.get(key)
    init_kwargs = conf.get("init_kwargs") or {}
    if not isinstance(init_kwargs, Mapping):
        raise FlavorkitError(
            f"{file.parent.parent}: MLmodel key 'pytorch.init_kwargs' must be a mapping, got "
            f"{init_kwargs!r}."
        )
    build = _builder(file, key, ref, dict(init_kwargs), trust, model_class, model_factory)
    try:
        weights = load_file(str(file), device=str(device))
    except Exception as e:
        raise FlavorkitError(
            f"{file}: not a readable safetensors file ({type(e).__name__}: {e})."
        ) from e
    ties = _ties(conf, weights, file)
    for alias, name in ties.items():
        weights[alias] = weights[name]
    model = _build(build, meta=True)
    _assign(model, weights, file)
    if _has_meta(model):  # non-persistent buffers the file cannot hold: build it for real
        model = _build(build, meta=False)
        _assign(model, weights, file)
    _retie(model, ties)
    return model.to(device).eval()


def _builder(
    file: Path,
    key: str,
    ref: Any,
    init_kwargs: dict[str, Any],
    trust: bool,
    model_class: Any,
    model_factory: Any,
) -> Callable[[], Any]:
    """A function building the empty module: the caller's factory or class, else the recorded
    class or factory, imported only with trust."""
    if model_class is not None and model_factory is not None:
        raise TypeError("pytorch: pass model_class= or model_factory=, not both.")
    if model_factory is not None:
        if not callable(model_factory):
            raise TypeError(
                f"pytorch: model_factory must be a function returning the module, got "
                f"{type(model_factory).__name__}."
            )
        return model_factory  # type: ignore[no-any-return]
    if model_class is not None:
        if not (isinstance(model_class, type) and issubclass(model_class, torch.nn.Module)):
            raise TypeError(
                f"pytorch: model_class must be a torch.nn.Module subclass, got {model_class!r}; "
                "pass model_factory= for a function that builds the module."
            )
        return lambda: model_class(**init_kwargs)
    if not isinstance(ref, str) or not ref:
        raise FlavorkitError(
            f"{file.parent.parent}: MLmodel key 'pytorch.model_class' is missing, so the module "
            "cannot be rebuilt; pass model_class= or model_factory= to load the weights."
        )
    what = "class" if key == "model_class" else "function"
    require_trust(
        trust,
        file,
        f"its module is rebuilt by the {what} {ref} named in MLmodel (pytorch.{key}), "
        "and importing a module runs its code. To build it yourself instead, pass "
        f"model_class=<the class> or model_factory=<a function returning the module>",
    )
    builder = _import_ref(ref, file, key)
    return lambda: builder(**init_kwargs)


def _import_ref(ref: str, file: Path, key: str) -> Any:
    """The module class or factory function ``module:QualName`` names."""
    module_name, colon, qualname = ref.partition(":")
    where = f"{file.parent.parent}: MLmodel key 'pytorch.{key}' ({ref!r})"
    if not colon or not module_name or not qualname:
        raise FlavorkitError(f"{where} is not of the form 'module:QualName'.")
    if module_name == "__main__":
        raise FlavorkitError(
            f"{where} names a {'class' if key == 'model_class' else 'function'} of the script "
            f"that saved the model, which cannot be imported here; pass "
            f"{'model_class' if key == 'model_class' else 'model_factory'}={qualname} itself."
        )
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise FlavorkitError(
            f"{where} cannot be imported ({type(e).__name__}: {e}). Install the package that "
            "defines it, or pass model_class= / model_factory=."
        ) from e
    if key == "model_class" and not (isinstance(obj, type) and issubclass(obj, torch.nn.Module)):
        raise FlavorkitError(f"{where} is {obj!r}, not a torch.nn.Module subclass.")
    if not callable(obj):
        raise FlavorkitError(f"{where} is {obj!r}, which cannot be called to build the module.")
    return obj


def _build(build: Callable[[], Any], *, meta: bool) -> torch.nn.Module:
    """The empty module, on the meta device (no memory) when its constructor allows it."""
    model: Any = None
    if meta:
        try:
            with torch.device("meta"):
                model = build()
        except Exception:  # constructors that compute with tensor values cannot run on meta
            model = None
    if model is None:
        model = build()
    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"pytorch: the model class or factory returned a {type(model).__name__}, not a "
            "torch.nn.Module."
        )
    return model


def _assign(model: torch.nn.Module, weights: dict[str, torch.Tensor], file: Path) -> None:
    try:
        model.load_state_dict(weights, strict=True, assign=True)
    except RuntimeError as e:
        raise FlavorkitError(
            f"{file}: the weights do not fit the {type(model).__name__} built to hold them: {e}"
        ) from e


def _has_meta(model: torch.nn.Module) -> bool:
    return any(t.is_meta for t in (*model.parameters(), *model.buffers()))


def _ties(
    conf: Mapping[str, Any], weights: Mapping[str, torch.Tensor], file: Path
) -> dict[str, str]:
    ties = conf.get("tied_weights") or {}
    bad = (
        not isinstance(ties, Mapping)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in ties.items())
        or any(v not in weights for v in ties.values())
    )
    if bad:
        raise FlavorkitError(
            f"{file.parent.parent}: MLmodel key 'pytorch.tied_weights' must map tensor names "
            f"to names stored in {file.name}; got {ties!r}."
        )
    return dict(ties)


def _retie(model: torch.nn.Module, ties: Mapping[str, str]) -> None:
    """Make each alias the same Parameter (or buffer) object as the tensor it was tied to."""
    for alias, name in ties.items():
        owner, leaf = _owner(model, alias)
        source, source_leaf = _owner(model, name)
        if leaf in owner._parameters and source_leaf in source._parameters:
            owner._parameters[leaf] = source._parameters[source_leaf]
        elif leaf in owner._buffers and source_leaf in source._buffers:
            owner._buffers[leaf] = source._buffers[source_leaf]


def _owner(model: torch.nn.Module, name: str) -> tuple[torch.nn.Module, str]:
    prefix, _, leaf = name.rpartition(".")
    return (model.get_submodule(prefix) if prefix else model), leaf
