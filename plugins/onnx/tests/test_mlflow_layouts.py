"""Reading directories laid out as ``mlflow.onnx.save_model`` writes them (mlflow-format.md §3.3).

The directories are written by hand, file by file; ``model.onnx`` with MLflow's own call,
``onnx.save_model(model, path, save_as_external_data=True)``, whose side file for tensors of
1 KB or more gets a random uuid name. MLflow records no signature for ONNX models, so these
models reach the predictor unenforced: float64 is cast, DataFrames are mapped to inputs.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pandas as pd
import pytest
from models import iris32, logreg_onnx, onnx_save, wide_data, wide_mlp
from onnx import numpy_helper

import flavorkit

MLMODEL_3X = """flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_session_options: {session_options}
    onnx_version: 1.23.2
    providers:
    - CUDAExecutionProvider
    - CPUExecutionProvider
  python_function:
    data: model.onnx
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.onnx
    python_version: 3.11.7
is_signature_from_type_hint: false
mlflow_version: 3.18.0
model_id: null
model_size_bytes: 1134
model_uuid: 0d5e3c0b8a5a4c3e9f1f6c1f3a2b4c5d
prompts: null
type_hint_from_example: false
utc_time_created: '2026-11-21 22:52:15.021132'
"""

# An older layout: only python_function, with a legacy string env.
PYFUNC_ONLY = """flavors:
  python_function:
    data: model.onnx
    env: conda.yaml
    loader_module: mlflow.onnx
    python_version: 3.8.10
utc_time_created: '2021-06-01 12:00:00'
"""

CONDA_YAML = """channels:
- conda-forge
dependencies:
- python=3.11.7
- pip<=24.0
- pip:
  - mlflow==3.18.0
  - numpy==2.4.6
  - onnx==1.23.2
  - onnxruntime==1.31.1
name: mlflow-env
"""


def write_mlflow(root: Path, model: Any, mlmodel: str = MLMODEL_3X, options: str = "null") -> Path:
    root.mkdir()
    onnx_save(model, root / "model.onnx", save_as_external_data=True)
    (root / "MLmodel").write_text(mlmodel.format(session_options=options))
    (root / "conda.yaml").write_text(CONDA_YAML)
    (root / "python_env.yaml").write_text(
        "python: 3.11.7\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n"
    )
    (root / "requirements.txt").write_text(
        "mlflow==3.18.0\nnumpy==2.4.6\nonnx==1.23.2\nonnxruntime==1.31.1\n"
    )
    return root


@pytest.fixture(autouse=True)
def _cpu_only_is_fine() -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", category=UserWarning, message="onnx: .*execution provider"
        )
        yield


def test_mlflow_3x_model_predicts_dicts_arrays_and_frames(tmp_path: Path) -> None:
    root = write_mlflow(tmp_path / "m", logreg_onnx())
    model = flavorkit.load_model(root)
    assert model.flavor == "onnx" and model.signature is None
    x64 = iris32()[:4].astype(np.float64)  # what JSON and pandas give; MLflow casts it too
    as_dict = model.predict({"X": x64})
    np.testing.assert_array_equal(model.predict(x64)["label"], as_dict["label"])
    frame = model.predict(pd.DataFrame(x64, columns=["a", "b", "c", "d"]))
    # MLflow raises "All arrays must be of the same length" here
    np.testing.assert_array_equal(frame["label"].to_numpy(), as_dict["label"])
    np.testing.assert_allclose(np.stack(frame["probabilities"].to_list()), as_dict["probabilities"])


def test_mlflow_external_data_under_a_uuid_name_loads_whole(tmp_path: Path) -> None:
    root = write_mlflow(tmp_path / "m", wide_mlp())
    side = [p.name for p in root.iterdir() if p.name.endswith(".data")]
    assert len(side) == 1 and side[0] != "model.onnx.data"  # MLflow's is uuid1().data
    native = flavorkit.load_native(root)
    assert isinstance(native, onnx.ModelProto)
    for tensor, original in zip(
        native.graph.initializer, wide_mlp().graph.initializer, strict=True
    ):
        np.testing.assert_array_equal(
            numpy_helper.to_array(tensor), numpy_helper.to_array(original)
        )
    out = flavorkit.load_model(root).predict({"x": wide_data(2)})
    assert out["y"].shape == (2, 4)


def test_mlflow_session_options_are_applied(tmp_path: Path) -> None:
    options = "{execution_mode: sequential, graph_optimization_level: 99, intra_op_num_threads: 1}"
    root = write_mlflow(tmp_path / "m", logreg_onnx(), options=options)
    session = flavorkit.load_model(root).predictor.session
    applied = session.get_session_options()
    assert applied.intra_op_num_threads == 1
    assert int(applied.graph_optimization_level) == 99


def test_pyfunc_only_layout_loads_with_default_providers(tmp_path: Path) -> None:
    root = write_mlflow(tmp_path / "m", logreg_onnx(), mlmodel=PYFUNC_ONLY)
    model = flavorkit.load_model(root)
    assert model.flavor == "onnx"
    assert model.predict({"X": iris32()[:2]})["label"].tolist() == [0, 0]
    assert isinstance(flavorkit.load_native(root), onnx.ModelProto)


def test_a_flavorkit_model_reads_as_mlflow_reads_it(tmp_path: Path) -> None:
    """What mlflow.onnx's loader reads: python_function.data and flavors.onnx's providers and
    session options, beside a model.onnx that onnx.load reads whole from its directory."""
    import yaml

    flavorkit.save_model(
        wide_mlp(), tmp_path / "m", onnx_session_options={"intra_op_num_threads": 1}
    )
    raw = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    data_path = tmp_path / "m" / raw["flavors"]["python_function"]["data"]
    assert raw["flavors"]["python_function"]["loader_module"] == "mlflow.onnx"
    assert raw["flavors"]["onnx"]["onnx_session_options"] == {"intra_op_num_threads": 1}
    whole = onnx.load(str(data_path))  # mlflow.onnx.load_model's call
    assert [numpy_helper.to_array(t).shape for t in whole.graph.initializer] == [
        (64, 2048),
        (2048,),
        (2048, 4),
        (4,),
    ]
