"""``predict`` for ONNX models: caller data in, onnxruntime feeds, outputs back.

The predictor receives data already enforced against the signature (by default the graph's
named tensors, which turns a DataFrame into a dict of arrays). What it accepts, as MLflow's
``mlflow.onnx`` wrapper:

| input | feed |
|---|---|
| dict name → array | the feed itself (lists become arrays) |
| ndarray | the single input (a model with several inputs refuses it, naming them) |
| DataFrame, several inputs | one column per input, by name |
| DataFrame, one input | that input's column if the frame has one, else ``df.to_numpy()`` |

A DataFrame column of scalars feeding a ``[N, 1]`` input is reshaped to ``(n, 1)`` (and a
one-column frame feeding an ``[N]`` input to ``(n,)``); a column of lists or arrays is stacked.

**Casting**, toward the dtype the graph declares for each input: floats to the graph's float
width (float64 → float32, as MLflow, because JSON and pandas produce float64), integers to its
integer width when every value fits (int64 → int32, which MLflow does not do; a value out of
range is an error naming the input). Nothing else is cast: ints are not made floats, nor
numbers strings; the error says which ``astype`` to apply.

**Output.** A dict output name → value (arrays; lists for sequence outputs), or, for DataFrame
input, a DataFrame with one column per output and the input's index. Outputs of different shapes
fit (MLflow flattens each and fails with "All arrays must be of the same length" for a label
``(n,)`` plus probabilities ``(n, k)``): an ``(n,)`` or ``(n, 1)`` output is a column of scalars,
an ``(n, k, ...)`` output a column holding one array per row. An output whose first dimension is
not the number of rows cannot be a column: that is an error saying to pass a dict instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from flavorkit.errors import FlavorkitError, SchemaEnforcementError
from flavorkit_onnx import _dtypes, _session

__all__ = ["OnnxPredictor", "Source"]


@dataclass(frozen=True)
class Source:
    """A model directory, its ``.onnx`` file, and the providers the caller chose (or None)."""

    root: Path
    file: Path
    providers: list[str] | None = None


class OnnxPredictor:
    """Runs an ``onnxruntime.InferenceSession`` on dicts, arrays and DataFrames."""

    __slots__ = ("_dtypes", "_inputs", "_outputs", "_ranks", "_types", "session", "where")

    def __init__(self, session: Any, where: str = "the model"):
        self.session = session
        self.where = where
        inputs = session.get_inputs()
        self._inputs: list[str] = [i.name for i in inputs]
        self._types: dict[str, str] = {i.name: i.type for i in inputs}
        self._dtypes = {i.name: _dtypes.numpy_dtype_of(i.type) for i in inputs}
        self._ranks = {i.name: len(i.shape) if isinstance(i.shape, list) else None for i in inputs}
        self._outputs: list[str] = [o.name for o in session.get_outputs()]

    @classmethod
    def for_model(cls, model: Any, conf: Mapping[str, Any], source: Source | None) -> OnnxPredictor:
        """A predictor over a new session with the providers and session options of ``conf``:
        for the file ``model`` was loaded from (``source``), else for ``model`` itself (a
        ``ModelProto``, or a path at save time)."""
        mlmodel = str(source.root / "MLmodel") if source is not None else "MLmodel"
        providers = _session.recorded_providers(conf, mlmodel)
        sess_options = _session.session_options(conf.get("onnx_session_options"), mlmodel)
        target: Any
        if source is not None:
            target, where = source.file, str(source.file)
            providers = source.providers or providers
            if not _session.checks_external_data():  # then check the locations here (onnx)
                from flavorkit_onnx import _files

                _files.read_graph(source.file)
        else:
            from flavorkit_onnx import _files  # imports onnx: only for an in-memory model

            target, where = _files.as_model_proto(model), "the in-memory model"
        session = _session.open_session(
            target, providers=providers, sess_options=sess_options, where=where
        )
        return cls(session, where)

    @property
    def _first(self) -> str | None:
        return self._inputs[0] if self._inputs else None

    # -- predict ---------------------------------------------------------------------------------

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """The outputs for ``data`` (module doc); ``params`` are unused (ONNX graphs take none,
        and MLflow's wrapper ignores them too)."""
        index = None
        if isinstance(data, dict):
            feed = self._feed_dict(data)
        elif isinstance(data, np.ndarray):
            feed = {self._single("a numpy array"): self._cast(self._inputs[0], data)}
        elif _is_dataframe(data):
            feed, index = self._feed_frame(data), data.index
        else:
            raise SchemaEnforcementError(
                f"onnx: {self.where} takes a dict of input name → numpy array, a numpy array "
                f"(for a single input) or a pandas DataFrame; got {type(data).__name__}. Its "
                f"inputs: {self._describe_inputs()}.",
                input_name=self._first,
            )
        try:
            outputs = self.session.run(self._outputs, feed)
        except Exception as e:
            raise self._run_error(e, feed) from e
        if index is not None:
            return _to_frame(self._outputs, outputs, index)
        return dict(zip(self._outputs, outputs, strict=True))

    # -- feeds -----------------------------------------------------------------------------------

    def _feed_dict(self, data: Mapping[Any, Any]) -> dict[str, Any]:
        missing = [n for n in self._inputs if n not in data]
        extra = [k for k in data if k not in self._types]
        if missing or extra:
            msg = f"onnx: {self.where} takes the inputs {self._describe_inputs()}."
            if missing:
                msg += f" Missing: {missing}."
            if extra:
                msg += f" Not inputs of the model: {extra}."
            raise SchemaEnforcementError(msg, input_name=(missing or extra)[0])
        return {n: self._cast(n, data[n]) for n in self._inputs}

    def _single(self, what: str) -> str:
        if len(self._inputs) != 1:
            raise SchemaEnforcementError(
                f"onnx: {self.where} has {len(self._inputs)} inputs, so {what} cannot feed it; "
                f"pass a dict (or a DataFrame) with the inputs {self._describe_inputs()}.",
                input_name=self._first,
            )
        return self._inputs[0]

    def _feed_frame(self, df: Any) -> dict[str, Any]:
        names = self._inputs
        if len(names) == 1 and names[0] not in df.columns:
            values = df.to_numpy()
            if self._ranks[names[0]] == 1 and values.ndim == 2 and values.shape[1] == 1:
                values = values[:, 0]
            return {names[0]: self._cast(names[0], values)}
        missing = [n for n in names if n not in df.columns]
        if missing:
            raise SchemaEnforcementError(
                f"onnx: the DataFrame lacks the column(s) {missing} for the model's inputs "
                f"{self._describe_inputs()}; it has {list(df.columns)}.",
                input_name=missing[0],
            )
        extra = [c for c in df.columns if c not in self._types]
        if extra:
            warnings.warn(
                f"onnx: DataFrame column(s) {extra} are not inputs of the model; they are ignored.",
                UserWarning,
                stacklevel=3,
            )
        return {n: self._cast(n, self._column(n, df[n])) for n in names}

    def _column(self, name: str, series: Any) -> Any:
        values = series.to_numpy()
        if values.dtype == object and len(values) and _is_array_like(values[0]):
            try:
                values = np.stack([np.asarray(v) for v in values])
            except ValueError as e:
                raise SchemaEnforcementError(
                    f"onnx: column {name!r} holds arrays of different shapes ({e}); every row "
                    "must hold one of the same shape.",
                    input_name=name,
                ) from None
        if self._ranks[name] == 2 and values.ndim == 1:
            values = values.reshape(-1, 1)
        return values

    def _cast(self, name: str, value: Any) -> Any:
        """``value`` as an array of the input's dtype where that is safe (module doc)."""
        want = self._dtypes[name]
        if not isinstance(value, np.ndarray):
            value = np.asarray(value)
        if want is None or value.dtype == want:
            return value
        have = value.dtype.kind
        if have == "f" and want.kind == "f":
            return value.astype(want)
        if have in "iu" and want.kind in "iu" and _ints_fit(value, want):
            return value.astype(want)
        if want.kind == "O" and have in "UOS":
            return value
        hint = f"arr.astype({want.name!r})" if want.kind != "O" else "an array of str"
        detail = ""
        if have in "iu" and want.kind in "iu":
            detail = f" (its values do not all fit in {want.name})"
        raise SchemaEnforcementError(
            f"onnx: input {name!r} is {self._types[name]}, got an array of {value.dtype}"
            f"{detail}; pass {hint}.",
            input_name=name,
        )

    # -- errors ----------------------------------------------------------------------------------

    def _describe_inputs(self) -> str:
        session_inputs = self.session.get_inputs()
        return ", ".join(f"{i.name!r}: {i.type} {list(i.shape)}" for i in session_inputs)

    def _run_error(self, error: Exception, feed: Mapping[str, Any]) -> Exception:
        if not type(error).__module__.startswith("onnxruntime"):
            return error
        got = ", ".join(
            f"{k!r}: {getattr(v, 'dtype', type(v).__name__)} {tuple(getattr(v, 'shape', ()))}"
            for k, v in feed.items()
        )
        detail = " ".join(str(error).split()).rstrip(".")
        message = (
            f"onnx: onnxruntime rejected the input of {self.where}: {detail}. The model takes "
            f"{self._describe_inputs()}; it got {got}."
        )
        if type(error).__name__ == "InvalidArgument":
            return SchemaEnforcementError(message)
        return FlavorkitError(message)


def _is_dataframe(data: Any) -> bool:
    """Without importing pandas, which dict and array callers never need."""
    return type(data).__name__ == "DataFrame" and type(data).__module__.startswith("pandas")


def _is_array_like(value: Any) -> bool:
    return isinstance(value, (list, tuple, np.ndarray))


def _ints_fit(value: np.ndarray[Any, Any], want: np.dtype[Any]) -> bool:
    if np.can_cast(value.dtype, want, "safe") or value.size == 0:
        return True
    info = np.iinfo(want)
    return bool(info.min <= value.min() and value.max() <= info.max)


def _to_frame(names: list[str], outputs: list[Any], index: Any) -> Any:
    """One column per output, one row per input row (see the module doc)."""
    import pandas as pd

    rows = len(index)
    columns: dict[str, Any] = {}
    for name, out in zip(names, outputs, strict=True):
        length = len(out) if isinstance(out, list) else (out.shape[0] if out.ndim else None)
        if length != rows:
            shape = f"a list of {len(out)}" if isinstance(out, list) else f"shape {out.shape}"
            raise FlavorkitError(
                f"onnx: output {name!r} has {shape}, not one value per input row ({rows}), so "
                "it cannot be a DataFrame column; pass the input as a dict of arrays to get "
                "the outputs as they are."
            )
        if isinstance(out, list) or out.ndim == 1:
            columns[name] = out
        elif out.ndim == 2 and out.shape[1] == 1:
            columns[name] = out[:, 0]
        else:
            column = np.empty(rows, dtype=object)
            column[:] = list(out)
            columns[name] = column
    return pd.DataFrame(columns, index=index)
