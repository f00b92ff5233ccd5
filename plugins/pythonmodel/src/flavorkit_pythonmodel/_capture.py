"""The models ``set_model()`` hands over while flavorkit runs a model-from-code file.

:func:`flavorkit_pythonmodel.set_model` (called by the user's file) appends to the innermost list;
:func:`flavorkit_pythonmodel._codefile.run_model_file` (which runs the file) opens one. It sits
below both so neither module needs the other.
"""

from __future__ import annotations

import contextvars
from typing import Any

__all__ = ["CAPTURED"]

#: The models set by set_model() while flavorkit runs a model file, innermost run last.
CAPTURED: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "flavorkit_pythonmodel_captured", default=None
)
