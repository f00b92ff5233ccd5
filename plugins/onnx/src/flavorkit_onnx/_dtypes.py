"""onnxruntime's tensor type strings (``tensor(float)``) and the numpy dtypes they hold.

Apart from :mod:`flavorkit_onnx._graph` so that a predictor, which sees only onnxruntime's
types, never imports ``onnx`` (its import costs more than onnxruntime's on a cold start).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["NUMPY_DTYPES", "numpy_dtype_of"]

#: ONNX element types with a numpy dtype, keyed by their name in onnxruntime's type strings.
NUMPY_DTYPES: dict[str, np.dtype[Any]] = {
    name: np.dtype(dtype)
    for name, dtype in {
        "float": "float32",
        "double": "float64",
        "float16": "float16",
        "int8": "int8",
        "int16": "int16",
        "int32": "int32",
        "int64": "int64",
        "uint8": "uint8",
        "uint16": "uint16",
        "uint32": "uint32",
        "uint64": "uint64",
        "bool": "bool",
        "string": "object",
        "complex64": "complex64",
        "complex128": "complex128",
    }.items()
}


def numpy_dtype_of(ort_type: str) -> np.dtype[Any] | None:
    """The numpy dtype of an onnxruntime type string (``"tensor(float)"``), else None."""
    if ort_type.startswith("tensor(") and ort_type.endswith(")"):
        return NUMPY_DTYPES.get(ort_type[7:-1])
    return None
