"""flavorkit: save and load ML models in the MLmodel format, with flavors as plugins.

``import flavorkit`` is deliberately cheap: it imports no numpy, pandas or framework. Public names
are resolved on first attribute access (PEP 562), so each costs only what it needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "FlavorkitError": "flavorkit.errors",
    "MLmodelError": "flavorkit.errors",
    "MLmodelNotFoundError": "flavorkit.errors",
    "SchemaError": "flavorkit.errors",
    "SchemaEnforcementError": "flavorkit.errors",
    "InputExampleError": "flavorkit.errors",
    "EnvironmentSpecError": "flavorkit.errors",
    "DataType": "flavorkit.schema",
    "Array": "flavorkit.schema",
    "Object": "flavorkit.schema",
    "Property": "flavorkit.schema",
    "Map": "flavorkit.schema",
    "AnyType": "flavorkit.schema",
    "ColSpec": "flavorkit.schema",
    "TensorSpec": "flavorkit.schema",
    "ParamSpec": "flavorkit.schema",
    "ParamSchema": "flavorkit.schema",
    "Schema": "flavorkit.schema",
    "ModelSignature": "flavorkit.signature",
    "infer_signature": "flavorkit.signature",
    "infer_schema": "flavorkit.signature",
    "Model": "flavorkit.mlmodel",
    "PyFuncModel": "flavorkit.pyfunc",
    "Flavor": "flavorkit.flavor",
    "FlavorInfo": "flavorkit.flavor",
    "SavedFlavor": "flavorkit.flavor",
    "hookimpl": "flavorkit.hookspecs",
    "save_model": "flavorkit.api",
    "load_model": "flavorkit.api",
    "load_native": "flavorkit.api",
    "list_flavors": "flavorkit.api",
    "set_signature": "flavorkit.api",
    "PluginError": "flavorkit.errors",
    "PluginNotFoundError": "flavorkit.errors",
    "UntrustedModelError": "flavorkit.errors",
    "ModelPathError": "flavorkit.errors",
    "ModelURIError": "flavorkit.errors",
    "TrackingServerError": "flavorkit.errors",
    # tracking: imports MLflow's client only when called
    "log_model": "flavorkit.tracking",
    "ModelInfo": "flavorkit.tracking",
}

__all__ = [
    "__version__",
    "AnyType",
    "Array",
    "ColSpec",
    "DataType",
    "EnvironmentSpecError",
    "Flavor",
    "FlavorInfo",
    "FlavorkitError",
    "InputExampleError",
    "MLmodelError",
    "MLmodelNotFoundError",
    "Map",
    "Model",
    "ModelInfo",
    "ModelPathError",
    "ModelSignature",
    "ModelURIError",
    "Object",
    "ParamSchema",
    "ParamSpec",
    "PluginError",
    "PluginNotFoundError",
    "Property",
    "PyFuncModel",
    "SavedFlavor",
    "Schema",
    "SchemaEnforcementError",
    "SchemaError",
    "TensorSpec",
    "TrackingServerError",
    "UntrustedModelError",
    "hookimpl",
    "infer_schema",
    "infer_signature",
    "list_flavors",
    "load_model",
    "load_native",
    "log_model",
    "save_model",
    "set_signature",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from flavorkit.api import list_flavors, load_model, load_native, save_model, set_signature
    from flavorkit.errors import (
        EnvironmentSpecError,
        FlavorkitError,
        InputExampleError,
        MLmodelError,
        MLmodelNotFoundError,
        ModelPathError,
        ModelURIError,
        PluginError,
        PluginNotFoundError,
        SchemaEnforcementError,
        SchemaError,
        TrackingServerError,
        UntrustedModelError,
    )
    from flavorkit.flavor import Flavor, FlavorInfo, SavedFlavor
    from flavorkit.hookspecs import hookimpl
    from flavorkit.mlmodel import Model
    from flavorkit.pyfunc import PyFuncModel
    from flavorkit.schema import (
        AnyType,
        Array,
        ColSpec,
        DataType,
        Map,
        Object,
        ParamSchema,
        ParamSpec,
        Property,
        Schema,
        TensorSpec,
    )
    from flavorkit.signature import ModelSignature, infer_schema, infer_signature
    from flavorkit.tracking import ModelInfo, log_model


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flavorkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
