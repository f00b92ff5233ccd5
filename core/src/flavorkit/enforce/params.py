"""Enforcing a params schema: every declared param, converted or defaulted, unknown ones warned.

The per-value conversion is :func:`flavorkit.coercion.params.enforce_param_value`; this module
adds what concerns the whole ``params`` dict (MLflow's warnings, defaults, ``strict`` refusal,
one error for several failures).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from flavorkit.coercion.params import enforce_param_value
from flavorkit.errors import SchemaEnforcementError
from flavorkit.schema import ParamSchema

__all__ = ["enforce_params"]


def enforce_params(
    params: Mapping[str, Any] | None, schema: ParamSchema | None, *, strict: bool = False
) -> dict[str, Any]:
    """Check inference ``params`` against ``schema``; return every declared param, converted.

    Unknown params are dropped with a warning (MLflow's rule), missing ones get their default, and
    all failures are reported in one :class:`~flavorkit.errors.SchemaEnforcementError`. With
    ``strict=True`` (a flavor's predictor asks for it by setting ``strict_params = True``),
    undeclared params are an error instead of a warning.
    """
    if strict:
        _refuse_undeclared(params, schema)
    if schema is None:
        if params is not None and not (isinstance(params, Mapping) and len(params) == 0):
            given = list(params) if isinstance(params, Mapping) else type(params).__name__
            warnings.warn(
                f"params {given} are ignored: the model signature declares no params. "
                "Add a params schema to the signature to pass them to the model.",
                UserWarning,
                stacklevel=2,
            )
        return {}
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise SchemaEnforcementError(
            f"params must be a dict of name → value, got {type(params).__name__}: {params!r}. "
            f"The model declares {[p.name for p in schema]}."
        )
    if any(not isinstance(k, str) for k in params):
        warnings.warn(
            "params keys should be strings; converting them with str().", UserWarning, stacklevel=2
        )
        params = {str(k): v for k, v in params.items()}
    declared = {p.name for p in schema}
    unknown = [k for k in params if k not in declared]
    if unknown:
        warnings.warn(
            f"Unrecognized params {unknown} are ignored; the model declares {sorted(declared)}. "
            "To pass them, add them to the signature's params schema.",
            UserWarning,
            stacklevel=2,
        )
    result: dict[str, Any] = {}
    failures: list[SchemaEnforcementError] = []
    for spec in schema:
        if spec.name in params:
            try:
                result[spec.name] = enforce_param_value(spec, params[spec.name])
            except SchemaEnforcementError as e:
                failures.append(e)
        else:
            result[spec.name] = _copy_default(spec.default)
    if failures:
        if len(failures) == 1:
            raise failures[0]
        names = [e.input_name for e in failures]
        raise SchemaEnforcementError(
            f"Invalid params {names}: " + " ".join(str(e) for e in failures),
            input_name=names[0],
        )
    return result


def _refuse_undeclared(params: Mapping[str, Any] | None, schema: ParamSchema | None) -> None:
    if not isinstance(params, Mapping) or not params:
        return
    declared = sorted(p.name for p in schema) if schema is not None else []
    unknown = [str(k) for k in params if str(k) not in declared]
    if unknown:
        where = f"declares only {declared}" if declared else "declares no params"
        raise SchemaEnforcementError(
            f"Undeclared params {unknown}: the model {where}. Remove them, or save the model "
            "with a signature whose params schema declares them.",
            input_name=unknown[0],
        )


def _copy_default(default: Any) -> Any:
    if isinstance(default, (list, dict)):
        import copy

        return copy.deepcopy(default)
    return default
