"""Comparing predictions and MLmodel contents, with failure messages that say *where* they differ.

Why not ``numpy.testing.assert_allclose``: predictions come as ndarrays, DataFrames, Series, dicts
of arrays, lists or framework tensors, and a plugin author debugging a failed check needs the
shape, the dtypes, the largest absolute and relative errors and the first mismatching index, for
each column or output. These helpers walk both values in parallel and report every difference in
one message. They are public: a plugin's own tests can use them too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "assert_mlmodel_equal",
    "assert_predictions_equal",
    "mlmodel_diff",
    "prediction_diff",
]

#: How many differing keys or elements a message lists before saying "... and N more".
_MAX_LISTED = 20


def assert_predictions_equal(
    actual: Any,
    expected: Any,
    *,
    rtol: float = 1e-7,
    atol: float = 0.0,
    names: tuple[str, str] = ("actual", "expected"),
    label: str = "predictions",
) -> None:
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` agree within tolerances.

    Numbers agree when ``|a - e| <= atol + rtol * |e|`` (NaN equals NaN); other values must be
    equal. Containers must have the same structure: DataFrames the same columns, dicts the same
    keys, arrays the same shape. Lists, tuples, scalars, ndarrays and tensors (anything with
    ``.numpy()`` or ``__array__``) are compared as arrays. ``names`` label the two sides in the
    message, e.g. ``("pyfunc", "native")``.
    """
    __tracebackhide__ = True
    problems = prediction_diff(actual, expected, rtol=rtol, atol=atol, names=names, label=label)
    if problems:
        head = f"{label}: {names[0]} and {names[1]} differ (rtol={rtol:g}, atol={atol:g})"
        raise AssertionError("\n".join([head, *problems]))


def prediction_diff(
    actual: Any,
    expected: Any,
    *,
    rtol: float = 1e-7,
    atol: float = 0.0,
    names: tuple[str, str] = ("actual", "expected"),
    label: str = "predictions",
) -> list[str]:
    """The differences :func:`assert_predictions_equal` reports, one line (or block) each."""
    out: list[str] = []
    _diff(actual, expected, label, rtol, atol, names, out)
    return out


def _kind(value: Any) -> str:
    module = type(value).__module__
    name = type(value).__name__
    if module.startswith("pandas") and name == "DataFrame":
        return "DataFrame"
    if module.startswith("pandas") and name == "Series":
        return "Series"
    if isinstance(value, Mapping):
        return "mapping"
    return "array"


def _type_name(value: Any) -> str:
    cls = type(value)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


def _diff(
    a: Any,
    e: Any,
    where: str,
    rtol: float,
    atol: float,
    names: tuple[str, str],
    out: list[str],
) -> None:
    ka, ke = _kind(a), _kind(e)
    if ka != ke:
        out.append(
            f"{where}: {names[0]} is a {_type_name(a)}, {names[1]} is a {_type_name(e)}"
            + _shapes_suffix(a, e)
        )
        return
    if ka == "mapping":
        _diff_mappings(a, e, where, rtol, atol, names, out)
    elif ka == "DataFrame":
        ca, ce = [str(c) for c in a.columns], [str(c) for c in e.columns]
        if ca != ce:
            out.append(f"{where}: columns differ: {names[0]} {ca}, {names[1]} {ce}")
            return
        if a.shape != e.shape:
            out.append(f"{where}: shape {names[0]} {a.shape} vs {names[1]} {e.shape}")
            return
        for i, column in enumerate(a.columns):
            _diff_arrays(
                a.iloc[:, i].to_numpy(),
                e.iloc[:, i].to_numpy(),
                f"{where}[{column!r}]",
                rtol,
                atol,
                names,
                out,
            )
    elif ka == "Series":
        _diff_arrays(a.to_numpy(), e.to_numpy(), where, rtol, atol, names, out)
    else:
        _diff_arraylike(a, e, where, rtol, atol, names, out)


def _diff_mappings(
    a: Mapping[Any, Any],
    e: Mapping[Any, Any],
    where: str,
    rtol: float,
    atol: float,
    names: tuple[str, str],
    out: list[str],
) -> None:
    only_a = [k for k in a if k not in e]
    only_e = [k for k in e if k not in a]
    if only_a:
        out.append(f"{where}: keys only in {names[0]}: {only_a}")
    if only_e:
        out.append(f"{where}: keys only in {names[1]}: {only_e}")
    for key in a:
        if key in e:
            _diff(a[key], e[key], f"{where}[{key!r}]", rtol, atol, names, out)


def _to_array(value: Any) -> np.ndarray[Any, Any] | None:
    """``value`` as an ndarray, or None for a ragged or nested structure (compared item-wise)."""
    import numpy as np

    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        value = value.detach().cpu().numpy()
    elif not isinstance(value, np.ndarray) and hasattr(value, "numpy") and callable(value.numpy):
        value = value.numpy()  # tf/jax-like tensors
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):  # ragged lists
        return None
    if arr.dtype == object and arr.ndim > 0 and any(_is_container(x) for x in arr.flat):
        return None
    return arr


def _is_container(x: Any) -> bool:
    return isinstance(x, (Mapping, list, tuple)) or _kind(x) in ("DataFrame", "Series")


def _diff_arraylike(
    a: Any, e: Any, where: str, rtol: float, atol: float, names: tuple[str, str], out: list[str]
) -> None:
    arr_a, arr_e = _to_array(a), _to_array(e)
    if arr_a is not None and arr_e is not None:
        _diff_arrays(arr_a, arr_e, where, rtol, atol, names, out)
        return
    if isinstance(a, Sequence) and isinstance(e, Sequence) and not isinstance(a, (str, bytes)):
        if len(a) != len(e):
            out.append(f"{where}: length {names[0]} {len(a)} vs {names[1]} {len(e)}")
            return
        for i, (x, y) in enumerate(zip(a, e, strict=True)):
            _diff(x, y, f"{where}[{i}]", rtol, atol, names, out)
        return
    if not _equal_scalars(a, e):
        out.append(f"{where}: {names[0]} {_short(a)} != {names[1]} {_short(e)}")


def _equal_scalars(a: Any, e: Any) -> bool:
    try:
        return bool(a == e)
    except Exception:
        return False


def _short(value: Any, limit: int = 80) -> str:
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()  # 2.0, not np.float64(2.0)
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shapes_suffix(a: Any, e: Any) -> str:
    sa, se = getattr(a, "shape", None), getattr(e, "shape", None)
    if sa is None and se is None:
        return ""
    return f" (shapes {sa} vs {se})"


def _diff_arrays(
    a: np.ndarray[Any, Any],
    e: np.ndarray[Any, Any],
    where: str,
    rtol: float,
    atol: float,
    names: tuple[str, str],
    out: list[str],
) -> None:
    import numpy as np

    dtypes = f"dtype {names[0]} {a.dtype} vs {names[1]} {e.dtype}"
    if a.shape != e.shape:
        out.append(f"{where}: shape {names[0]} {a.shape} vs {names[1]} {e.shape}; {dtypes}")
        return
    numeric = a.dtype.kind in "biufc" and e.dtype.kind in "biufc"
    if numeric:
        ftype = np.complex128 if "c" in a.dtype.kind + e.dtype.kind else np.float64
        fa, fe = a.astype(ftype), e.astype(ftype)
        close = np.isclose(fa, fe, rtol=rtol, atol=atol, equal_nan=True)
    elif a.dtype.kind != e.dtype.kind and {a.dtype.kind, e.dtype.kind} & set("biufcmM"):
        first_a, first_e = _short(a.ravel()[:3].tolist()), _short(e.ravel()[:3].tolist())
        out.append(
            f"{where}: not comparable: {dtypes}; first values {names[0]} {first_a}, "
            f"{names[1]} {first_e}"
        )
        return
    else:
        close = np.array(
            [_equal_items(x, y) for x, y in zip(a.ravel(), e.ravel(), strict=True)], dtype=bool
        ).reshape(a.shape)
    if close.all():
        return
    bad = np.argwhere(~close) if a.ndim else np.zeros((1, 0), dtype=int)
    first = tuple(int(i) for i in bad[0])
    lines = [
        f"{where}: {len(bad)} of {max(a.size, 1)} elements differ "
        f"({100.0 * len(bad) / max(a.size, 1):.3g}%); shape {a.shape}, {dtypes}"
    ]
    if numeric:
        with np.errstate(divide="ignore", invalid="ignore"):
            abs_err = np.abs(fa - fe)
            rel_err = abs_err / np.abs(fe)
        abs_err = np.where(np.isnan(abs_err), np.inf, abs_err) * ~close
        rel_err = np.where(np.isnan(rel_err), np.inf, rel_err) * ~close
        i_abs = np.unravel_index(int(np.argmax(abs_err)), a.shape) if a.ndim else ()
        i_rel = np.unravel_index(int(np.argmax(rel_err)), a.shape) if a.ndim else ()
        lines.append(f"  max abs error: {abs_err[i_abs]:.6g} at index {_index(i_abs)}")
        lines.append(f"  max rel error: {rel_err[i_rel]:.6g} at index {_index(i_rel)}")
    lines.append(
        f"  first mismatch at index {_index(first)}: {names[0]} {_short(a[first])}, "
        f"{names[1]} {_short(e[first])}"
    )
    out.append("\n".join(lines))


def _index(index: tuple[Any, ...]) -> str:
    return str(tuple(int(i) for i in index))


def _equal_items(x: Any, y: Any) -> bool:
    if _is_nan(x) and _is_nan(y):
        return True
    try:
        result = x == y
        return bool(result) if not hasattr(result, "all") else bool(result.all())
    except Exception:
        return False


def _is_nan(x: Any) -> bool:
    try:
        return bool(x != x)
    except Exception:
        return False


# -- MLmodel ------------------------------------------------------------------------------------


def mlmodel_diff(
    actual: Mapping[str, Any],
    expected: Mapping[str, Any],
    *,
    names: tuple[str, str] = ("actual", "expected"),
) -> list[str]:
    """Per-key differences between two MLmodel dicts (``Model.to_dict()`` or parsed YAML).

    Keys are reported by their dotted path (``flavors.toy.data``), so a failed round trip says
    exactly which key was lost, added or changed.
    """
    out: list[str] = []
    _diff_tree(actual, expected, "", names, out)
    return out


def _diff_tree(a: Any, e: Any, where: str, names: tuple[str, str], out: list[str]) -> None:
    if isinstance(a, Mapping) and isinstance(e, Mapping):
        for key in a:
            path = f"{where}.{key}" if where else str(key)
            if key not in e:
                out.append(f"{path}: only in {names[0]}: {_short(a[key])}")
            else:
                _diff_tree(a[key], e[key], path, names, out)
        for key in e:
            if key not in a:
                path = f"{where}.{key}" if where else str(key)
                out.append(f"{path}: only in {names[1]}: {_short(e[key])}")
        return
    if isinstance(a, list) and isinstance(e, list) and len(a) == len(e):
        for i, (x, y) in enumerate(zip(a, e, strict=True)):
            _diff_tree(x, y, f"{where}[{i}]", names, out)
        return
    if type(a) is not type(e) or a != e:
        out.append(f"{where or '<top>'}: {names[0]} {_short(a)} != {names[1]} {_short(e)}")


def assert_mlmodel_equal(
    actual: Mapping[str, Any],
    expected: Mapping[str, Any],
    *,
    names: tuple[str, str] = ("actual", "expected"),
    label: str = "MLmodel",
) -> None:
    """Raise ``AssertionError`` listing every differing key unless the two dicts are equal."""
    __tracebackhide__ = True
    problems = mlmodel_diff(actual, expected, names=names)
    if problems:
        listed = problems[:_MAX_LISTED]
        more = len(problems) - len(listed)
        tail = [f"... and {more} more"] if more else []
        raise AssertionError(
            "\n".join(
                [f"{label}: {names[0]} and {names[1]} differ in {len(problems)} key(s):"]
                + [f"  {p}" for p in listed]
                + tail
            )
        )
