"""Comparing what MLflow and flavorkit give back: predictions, examples and MLmodel fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Float tolerance: both sides run the same framework on the same input, so only the order of
#: float operations may differ (it does not, today; the tolerance keeps a BLAS change harmless).
RTOL = 1e-6
ATOL = 1e-7


def assert_same_output(flavorkit_out: Any, mlflow_out: Any, where: str = "") -> None:
    """The same type and the same values, recursively (frames, series, arrays, dicts, lists)."""
    label = f"{where}: " if where else ""
    assert type(flavorkit_out) is type(mlflow_out), (
        f"{label}flavorkit returned {type(flavorkit_out).__name__}, "
        f"MLflow {type(mlflow_out).__name__}"
    )
    if isinstance(mlflow_out, pd.DataFrame):
        pd.testing.assert_frame_equal(flavorkit_out, mlflow_out, rtol=RTOL, atol=ATOL)
    elif isinstance(mlflow_out, pd.Series):
        pd.testing.assert_series_equal(flavorkit_out, mlflow_out, rtol=RTOL, atol=ATOL)
    elif isinstance(mlflow_out, np.ndarray):
        assert flavorkit_out.dtype == mlflow_out.dtype, f"{label}dtypes differ"
        assert flavorkit_out.shape == mlflow_out.shape, f"{label}shapes differ"
        if mlflow_out.dtype.kind in "fc":
            np.testing.assert_allclose(flavorkit_out, mlflow_out, rtol=RTOL, atol=ATOL)
        else:
            np.testing.assert_array_equal(flavorkit_out, mlflow_out)
    elif isinstance(mlflow_out, dict):
        assert list(flavorkit_out) == list(mlflow_out), f"{label}keys differ"
        for key in mlflow_out:
            assert_same_output(flavorkit_out[key], mlflow_out[key], f"{label}[{key!r}]")
    elif isinstance(mlflow_out, (list, tuple)):
        assert len(flavorkit_out) == len(mlflow_out), f"{label}lengths differ"
        for i, (a, b) in enumerate(zip(flavorkit_out, mlflow_out, strict=True)):
            assert_same_output(a, b, f"{label}[{i}]")
    elif hasattr(mlflow_out, "detach"):  # a torch tensor
        assert_same_output(flavorkit_out.detach().numpy(), mlflow_out.detach().numpy(), where)
    else:
        assert flavorkit_out == mlflow_out, f"{label}{flavorkit_out!r} != {mlflow_out!r}"


def assert_same_example(path: Path, ours: Any, theirs: Any) -> Any:
    """The input example as both pyfunc models read it back; returns it (the data part).

    flavorkit's ``input_example`` is ``(data, params)`` for an example saved with params, as it
    was given; MLflow's is the data, its params read by ``Model.load_input_example_params``.
    """
    import mlflow.models

    example = ours.input_example
    assert example is not None, "flavorkit read no input example back"
    if isinstance(example, tuple):
        example, params = example
        meta = mlflow.models.Model.load(str(path))
        assert params == meta.load_input_example_params(str(path))
    assert_same_output(example, theirs.input_example, "input example")
    return example


def assert_same_metadata(path: Path) -> None:
    """``flavorkit.Model.load`` and ``mlflow.models.Model.load`` read the same fields."""
    import mlflow.models

    import flavorkit

    ours = flavorkit.Model.load(path)
    theirs = mlflow.models.Model.load(str(path))
    assert ours.flavors == theirs.flavors
    assert ours.model_uuid == theirs.model_uuid
    assert ours.utc_time_created == theirs.utc_time_created
    assert ours.mlflow_version == theirs.mlflow_version
    assert ours.saved_input_example_info == theirs.saved_input_example_info
    assert ours.metadata == theirs.metadata
    assert ours.model_size_bytes == theirs.model_size_bytes
    assert ours.is_signature_from_type_hint == theirs._is_signature_from_type_hint()
    if theirs.signature is None:
        assert ours.signature is None
    else:
        assert ours.signature is not None
        assert ours.signature.to_dict() == theirs.signature.to_dict()
