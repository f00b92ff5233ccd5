"""Signatures from the type hints on ``predict``, and input checked against them (MLflow 2.20+).

As MLflow does, a ``list[...]`` hint on ``model_input`` *is* the signature: the model is saved with
``is_signature_from_type_hint: true``, the core then skips column enforcement, and the predictor
validates the input against the hint instead.

| hint on ``model_input`` | signature | what ``predict`` receives |
|---|---|---|
| ``list[T]`` (1) | one unnamed column of T | the input, checked element by element (2) |
| ``pandas.DataFrame``, ``numpy.ndarray`` | from the input example, as MLflow | the input, if so |
| none, ``Any`` | from the input example | the input, unchecked |
| any other hint | from the input example; a warning names the hint | the input, unchecked |

(1) T is ``int`` ``float`` ``str`` ``bool`` ``bytes`` ``datetime`` ``Any``, ``list[...]``,
``dict[str, ...]`` or a ``Union``: ``list[dict[str, float]]`` → ``Map(double)``, as MLflow.
(2) A DataFrame becomes a list first: its records for ``list[dict]``, else its one column.

The output schema comes from the return hint: ``list[T]`` or ``T`` → one column of T; no hint or an
unsupported one → one column of ``Any``.

**Differences from MLflow**: ``bool`` is refused where ``int``/``float`` is declared (MLflow accepts
it, as ``isinstance(True, int)``); an ``int`` is accepted (as a float) where ``float`` is declared
(MLflow refuses it); a DataFrame of several columns for a ``list`` of scalars is refused (MLflow
keeps the first column with a warning). Errors are
:class:`~flavorkit.errors.SchemaEnforcementError` naming the hint and the first bad elements.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import math
import numbers
import sys
import types
import typing
import warnings
from typing import Any, Union, get_args, get_origin

from flavorkit.errors import SchemaEnforcementError
from flavorkit.schema import AnyType, Array, ColSpec, ColumnType, DataType, Map, Schema
from flavorkit.signature import ModelSignature
from flavorkit_pythonmodel._typehints import TypeHints

__all__ = [
    "HintedInput",
    "column_type",
    "predict_type_hints",
    "signature_from_hints",
    "takes_context",
]

_SCALARS: dict[Any, DataType] = {
    int: DataType.long,
    float: DataType.double,
    str: DataType.string,
    bool: DataType.boolean,
    bytes: DataType.binary,
    _dt.datetime: DataType.datetime,
}
_UNION_TYPES = (Union, types.UnionType)
_MAX_REPORTED = 5


class UnsupportedHint(ValueError):
    """A type hint no column type corresponds to."""


def takes_context(fn: Any) -> bool:
    """MLflow's rule: ``predict`` takes a context if it has a parameter named ``context``, or two
    parameters besides ``self`` and ``params`` (whatever the first is called)."""
    try:
        names = [n for n in inspect.signature(fn).parameters if n != "self"]
    except (TypeError, ValueError):
        return False
    return "context" in names or len([n for n in names if n != "params"]) == 2


def predict_type_hints(fn: Any) -> TypeHints:
    """The hints of ``fn``'s ``model_input`` argument and return value (as MLflow reads them)."""
    try:
        names = [n for n in inspect.signature(fn).parameters if n != "self"]
    except (TypeError, ValueError):
        return TypeHints()
    index = 1 if takes_context(fn) else 0
    if len(names) <= index or not getattr(fn, "__annotations__", None):
        return TypeHints()
    try:
        hints = typing.get_type_hints(fn)
    except Exception as e:  # a name the annotations use cannot be resolved
        warnings.warn(
            f"python_model: cannot read the type hints of {_qualname(fn)} ({type(e).__name__}: "
            f"{e}); no signature is taken from them and the input is not checked against them.",
            UserWarning,
            stacklevel=3,
        )
        return TypeHints()
    return TypeHints(hints.get(names[index]), hints.get("return"))


def column_type(hint: Any) -> ColumnType:
    """The column type of one element of the input; raises :class:`UnsupportedHint`."""
    if hint is Any:
        return AnyType()
    if hint in _SCALARS:
        return _SCALARS[hint]
    origin, args = get_origin(hint), get_args(hint)
    if origin is list and len(args) == 1:
        return Array(column_type(args[0]))
    if origin is dict and len(args) == 2:
        if args[0] is not str:
            raise UnsupportedHint(f"dictionary keys must be str, not {_hint_repr(args[0])}")
        return Map(column_type(args[1]))
    if origin in _UNION_TYPES:
        rest = [a for a in args if a is not type(None)]
        return column_type(rest[0]) if len(rest) == 1 else AnyType()
    raise UnsupportedHint(f"{_hint_repr(hint)} has no column type")


def signature_from_hints(hints: TypeHints, owner: str) -> ModelSignature | None:
    """The signature a ``list[...]`` input hint declares, or None (with a warning if the hint is
    one flavorkit cannot read). ``owner`` names the method, for the warning."""
    kind = input_kind(hints.input)
    if kind != "list":
        if kind == "unsupported":
            warnings.warn(
                f"python_model: the type hint {_hint_repr(hints.input)} on the input of {owner} "
                "gives no signature (supported: list[...] of int, float, str, bool, bytes, "
                "datetime, Any, lists and dict[str, ...]; pandas.DataFrame and numpy.ndarray are "
                "checked but the signature comes from the input example).",
                UserWarning,
                stacklevel=3,
            )
        return None
    (element,) = get_args(hints.input)
    inputs = Schema([ColSpec(column_type(element))])
    return ModelSignature(inputs=inputs, outputs=Schema([ColSpec(_output_type(hints.output))]))


def _output_type(hint: Any) -> ColumnType:
    try:
        if get_origin(hint) is list and len(get_args(hint)) == 1:
            return column_type(get_args(hint)[0])
        return column_type(hint) if hint is not None else AnyType()
    except UnsupportedHint:
        return AnyType()


def input_kind(hint: Any) -> str:
    """``"list"`` (a supported ``list[...]``), ``"dataframe"``, ``"ndarray"``, ``"none"`` or
    ``"unsupported"``; pandas and numpy are compared by name, never imported."""
    if hint is None or hint is Any or hint is object:
        return "none"
    if isinstance(hint, type) and f"{hint.__module__}.{hint.__qualname__}" in _CONTAINERS:
        return _CONTAINERS[f"{hint.__module__}.{hint.__qualname__}"]
    if get_origin(hint) is list and len(get_args(hint)) == 1:
        element = get_args(hint)[0]
        optional = get_origin(element) in _UNION_TYPES and type(None) in get_args(element)
        try:
            column_type(element)
        except UnsupportedHint:
            return "unsupported"
        return "unsupported" if optional and len(get_args(element)) == 2 else "list"
    return "unsupported"


_CONTAINERS = {
    "pandas.DataFrame": "dataframe",
    "pandas.core.frame.DataFrame": "dataframe",
    "numpy.ndarray": "ndarray",
}


class HintedInput:
    """Checks (and for a DataFrame, converts) the input of a method against its input hint."""

    def __init__(self, hint: Any, owner: str):
        self.hint = hint
        self.owner = owner
        self.kind = input_kind(hint)

    def __call__(self, data: Any) -> Any:
        if self.kind == "list":
            return self._check_list(data)
        if self.kind in ("dataframe", "ndarray"):
            expected = "pandas.DataFrame" if self.kind == "dataframe" else "numpy.ndarray"
            if not isinstance(data, self.hint):
                raise SchemaEnforcementError(
                    f"{self.owner} declares model_input: {expected}, got "
                    f"{type(data).__module__}.{type(data).__qualname__}. Pass a {expected}."
                )
        return data

    def _check_list(self, data: Any) -> Any:
        pandas = sys.modules.get("pandas")
        if pandas is not None and isinstance(data, pandas.DataFrame):
            data = self._from_frame(data)
        where = (
            f"Failed to validate data against type hint `{_hint_repr(self.hint)}` of {self.owner}"
        )
        if not isinstance(data, list):
            raise SchemaEnforcementError(
                f"{where}: expected a list, got {type(data).__name__}: {_short(data)}. Pass a "
                "list (one element per input row)."
            )
        (element,) = get_args(self.hint)
        checked, bad = [], []
        for i, value in enumerate(data):
            try:
                checked.append(_check(value, element))
            except _Mismatch as e:
                bad.append(f"[{i}] {_short(value)}: {e}")
        if bad:
            more = f" (and {len(bad) - _MAX_REPORTED} more)" if len(bad) > _MAX_REPORTED else ""
            raise SchemaEnforcementError(
                f"{where}: invalid elements {'; '.join(bad[:_MAX_REPORTED])}{more}."
            )
        return checked

    def _from_frame(self, frame: Any) -> list[Any]:
        """MLflow's conversion: ``list[dict]`` takes the records (or column ``0`` of dicts), any
        other ``list`` takes the values of the one column."""
        (element,) = get_args(self.hint)
        if element is dict or get_origin(element) is dict:
            if list(frame.columns) == [0]:
                return [_plain(v) for v in frame.iloc[:, 0].tolist()]
            return [_plain(r) for r in frame.to_dict(orient="records")]
        if frame.shape[1] != 1:
            raise SchemaEnforcementError(
                f"{self.owner} takes {_hint_repr(self.hint)}, so a DataFrame input must have one "
                f"column; got {frame.shape[1]}: {list(frame.columns)}. Pass a list, or select "
                "the column."
            )
        return [_plain(v) for v in frame.iloc[:, 0].tolist()]


class _Mismatch(Exception):
    pass


def _check(value: Any, hint: Any) -> Any:
    """``value`` if it matches ``hint`` (ints widened to float); raises :class:`_Mismatch`."""
    if hint is Any:
        return value
    if hint in _SCALARS:
        if isinstance(value, bool) and hint is not bool:
            raise _Mismatch(f"expected {hint.__name__}, got bool")
        if hint is float and isinstance(value, numbers.Real):
            return float(value)
        if hint is int and isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, hint):
            return value
        raise _Mismatch(f"expected {hint.__name__}, got {type(value).__name__}")
    origin, args = get_origin(hint), get_args(hint)
    if origin is list:
        if not isinstance(value, list):
            raise _Mismatch(f"expected a list, got {type(value).__name__}")
        return [_check(v, args[0]) for v in value]
    if origin is dict:
        if not isinstance(value, dict):
            raise _Mismatch(f"expected a dict, got {type(value).__name__}")
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise _Mismatch(f"dict keys must be str, got {type(k).__name__} {k!r}")
            try:
                out[k] = _check(v, args[1])
            except _Mismatch as e:
                raise _Mismatch(f"key {k!r}: {e}") from None
        return out
    if origin in _UNION_TYPES:
        rest = [a for a in args if a is not type(None)]
        if value is None and len(rest) < len(args):
            return None
        return _check(value, rest[0]) if len(rest) == 1 else value
    return value


def _plain(value: Any) -> Any:
    """numpy values as Python ones and NaN as None, as a DataFrame cell reaches ``predict``."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _hint_repr(hint: Any) -> str:
    if isinstance(hint, type) and not get_args(hint):
        return (
            hint.__qualname__
            if hint.__module__ == "builtins"
            else f"{hint.__module__}.{hint.__qualname__}"
        )
    return str(hint).replace("typing.", "")


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _qualname(fn: Any) -> str:
    return str(getattr(fn, "__qualname__", None) or repr(fn))
