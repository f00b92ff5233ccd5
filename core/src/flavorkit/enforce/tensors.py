"""Enforcing a tensor-based schema: shapes and dtypes checked, never cast (except 1-column frames).

The rules are the **Tensor-based schemas** table of :mod:`flavorkit.enforce`.
"""

from __future__ import annotations

import sys
from typing import Any

from flavorkit.coercion.cells import describe
from flavorkit.datatypes import DataType
from flavorkit.enforce.columns import resolve_named
from flavorkit.errors import SchemaEnforcementError
from flavorkit.schema import ColSpec, Schema, TensorSpec

__all__ = ["enforce_tensors"]


def enforce_tensors(data: Any, schema: Schema, extras: list[Any]) -> Any:
    import numpy as np

    # The input can be a pandas object only if pandas is imported: a tensor model fed numpy
    # arrays never pays for importing pandas (about half a second of a cold start).
    pd: Any = sys.modules.get("pandas")
    if pd is not None and isinstance(data, pd.Series):
        data = pd.DataFrame(data)
    is_frame = pd is not None and isinstance(data, pd.DataFrame)
    specs: list[TensorSpec] = schema.inputs  # type: ignore[assignment]
    if schema.has_input_names():
        names: list[str] = [s.name for s in specs]  # type: ignore[misc]
        if len(names) == 1 and isinstance(data, np.ndarray):
            data = {names[0]: data}
        if is_frame:
            positions = resolve_named(
                data, [ColSpec(DataType.string, n) for n in names], extras, None
            )
            return {
                s.name: _reshape_column(s, data.iloc[:, p])
                for s, p in zip(specs, positions, strict=True)
            }
        if isinstance(data, dict):
            missing = [n for n in names if n not in data]
            extra = [k for k in data if k not in names]
            if missing:
                msg = f"Model is missing inputs {missing} required by its signature."
                if extra:
                    msg += f" Note that there were extra inputs: {extra}."
                raise SchemaEnforcementError(
                    msg + f" Pass a dict with the keys {names}.", input_name=missing[0]
                )
            extras.extend(extra)
            result = {}
            for s in specs:
                value = data[s.name]
                if not isinstance(value, np.ndarray):
                    raise SchemaEnforcementError(
                        f"Tensor {s.name!r} ({_tensor_str(s)}): expected a numpy array, got "
                        f"{type(value).__name__}. Pass np.asarray(value, dtype={s.type.name!r}).",
                        input_name=s.name,
                    )
                result[s.name] = _check_tensor(value, s)
            return result
        raise SchemaEnforcementError(
            f"This model takes named tensors {names}: pass a dict of name → numpy array (or a "
            f"DataFrame with those columns), got {type(data).__name__}.",
            input_name=names[0],
        )
    spec = specs[0]
    if is_frame:
        if data.empty:
            raise SchemaEnforcementError(
                f"Tensor ({_tensor_str(spec)}): the input DataFrame is empty.", input_name=0
            )
        ncols = data.shape[1]
        if ncols == 1:
            return _reshape_column(spec, data.iloc[:, 0])
        if spec.shape != (-1, ncols):
            raise SchemaEnforcementError(
                f"Tensor ({_tensor_str(spec)}): a DataFrame with {ncols} columns can only feed a "
                f"tensor of shape (-1, {ncols}), but the signature declares {spec.shape}. "
                f"Pass a numpy array of shape {spec.shape} instead.",
                input_name=0,
            )
        return _check_tensor(data.to_numpy(), spec)
    if isinstance(data, np.ndarray) or _is_sparse(data):
        return _check_tensor(data, spec)
    raise SchemaEnforcementError(
        f"Tensor ({_tensor_str(spec)}): this model takes a numpy array (or a DataFrame), but an "
        f"input of type {type(data)} was found. Pass np.asarray(data, dtype={spec.type.name!r}).",
        input_name=0,
    )


def _is_sparse(x: Any) -> bool:
    return type(x).__module__.startswith("scipy.sparse") and type(x).__name__ in (
        "csr_matrix",
        "csc_matrix",
        "csr_array",
        "csc_array",
    )


def _tensor_str(spec: TensorSpec) -> str:
    return f"{spec.type.name}, shape {spec.shape}"


def _tensor_where(spec: TensorSpec) -> str:
    return "Tensor" if spec.name is None else f"Tensor {spec.name!r}"


def _check_tensor(values: Any, spec: TensorSpec) -> Any:
    """MLflow's exact shape and dtype check (no casting), with its two ragged exceptions."""
    import numpy as np

    expected = spec.shape
    dtype = values.dtype if isinstance(values, np.ndarray) else values.data.dtype
    shape = tuple(values.shape)
    if len(expected) == 1 and expected[0] == -1 and spec.type == np.dtype("O"):
        return values
    if len(expected) > 1 and -1 in expected[1:] and len(shape) == 1 and dtype == np.dtype("O"):
        return values
    where = _tensor_where(spec)
    name = spec.name if spec.name is not None else 0
    if len(expected) != len(shape) or any(
        e not in (-1, a) for e, a in zip(expected, shape, strict=True)
    ):
        raise SchemaEnforcementError(
            f"{where} ({_tensor_str(spec)}): shape of input {shape} does not match expected "
            f"shape {expected} (-1 = any size). Pass an array of that shape (arr.reshape(...)), "
            "or check that this is the right input.",
            input_name=name,
        )
    clean = np.dtype(dtype.char) if dtype.char in "US" else dtype
    if clean != spec.type:
        raise SchemaEnforcementError(
            f"{where} ({_tensor_str(spec)}): dtype of input {dtype} does not match expected dtype "
            f"{spec.type}. Tensors are not cast: pass arr.astype({spec.type.name!r}).",
            input_name=name,
        )
    return values


def _reshape_column(spec: TensorSpec, series: Any) -> Any:
    """One DataFrame column feeding one tensor (MLflow: ``_reshape_and_cast_pandas_column_values``).

    The first cell is read by position (MLflow reads row label 0).
    """
    import numpy as np

    where = _tensor_where(spec)
    name = spec.name if spec.name is not None else 0
    shape = spec.shape
    if not shape or shape[0] != -1 or -1 in shape[1:]:
        raise SchemaEnforcementError(
            f"{where} ({_tensor_str(spec)}): a DataFrame column can only feed a tensor whose "
            "first dimension is -1 and the others fixed. Pass a numpy array instead.",
            input_name=name,
        )
    if len(series) == 0:
        raise SchemaEnforcementError(
            f"{where} ({_tensor_str(spec)}): the input column is empty.", input_name=name
        )
    first = series.iloc[0]
    if np.isscalar(first):
        if shape not in ((-1,), (-1, 1)):
            raise SchemaEnforcementError(
                f"{where} ({_tensor_str(spec)}): the DataFrame column holds scalars, which only "
                f"fit shape (-1,) or (-1, 1), not {shape}. Put one list or array of shape "
                f"{shape[1:]} in each cell, or pass a numpy array.",
                input_name=name,
            )
        try:
            arr = np.array(series, dtype=spec.type).reshape(shape)
        except (ValueError, TypeError) as e:
            raise SchemaEnforcementError(
                f"{where} ({_tensor_str(spec)}): the column's values cannot be cast to "
                f"{spec.type}: {e}",
                input_name=name,
            ) from None
        return _check_tensor(arr, spec)
    is_list = isinstance(first, list) and len(first) > 0 and np.isscalar(first[0])
    if is_list or isinstance(first, np.ndarray):
        try:
            stacked = np.vstack(series.tolist()).reshape(shape)
            if is_list:
                stacked = stacked.astype(spec.type)
        except (ValueError, TypeError):
            stacked = None
        if stacked is None or len(stacked) != len(series):
            raise SchemaEnforcementError(
                f"{where} ({_tensor_str(spec)}): the values in the DataFrame column cannot be "
                f"reshaped to {shape}. Make every cell a list or array of shape {shape[1:]} "
                f"whose values can be cast to {spec.type}.",
                input_name=name,
            )
        return stacked
    raise SchemaEnforcementError(
        f"{where} ({_tensor_str(spec)}): a DataFrame column feeding a tensor must hold scalars, "
        f"lists of scalars or numpy arrays, got {describe(first)}.",
        input_name=name,
    )
