"""The :class:`TypeHints` of a ``predict`` method, shared by the model classes and the hint reader.

:mod:`flavorkit_pythonmodel.model` (``PythonModel.predict_type_hints``) returns it and
:mod:`flavorkit_pythonmodel._hints` builds it; it lives below both. Import it from
:mod:`flavorkit_pythonmodel.model`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["TypeHints"]


class TypeHints(NamedTuple):
    """The type hints of ``predict``'s input argument and return value (``None`` when absent)."""

    input: Any = None
    output: Any = None
