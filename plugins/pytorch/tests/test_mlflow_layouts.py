"""Model directories as MLflow 3.x writes them (mlflow-format.md §3.2), built here with torch
itself: flavorkit must load every form, and never import the module pickle_module_info.txt names."""

from __future__ import annotations

import json
import pickle
import sys
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml
from models import CNN, cnn, images, mlp

import flavorkit
from flavorkit.errors import FlavorkitError, UntrustedModelError
from flavorkit.testing import assert_predictions_equal

TOL = {"rtol": 1e-5, "atol": 1e-6}
IMAGE_SIGNATURE = {
    "inputs": json.dumps(
        [{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1, 8, 8]}}]
    ),
    "outputs": json.dumps(
        [{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 10]}}]
    ),
    "params": None,
}


def _mlflow_dir(
    root: Path,
    *,
    pytorch_section: bool = True,
    pyfunc_section: bool = True,
    signature: dict[str, Any] | None = None,
) -> Path:
    """The MLmodel MLflow 3.18 writes for pytorch (identical for pt2 and pickle) and data/."""
    flavors: dict[str, Any] = {}
    if pyfunc_section:
        flavors["python_function"] = {
            "config": {"device": None},
            "data": "data",
            "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
            "loader_module": "mlflow.pytorch",
            "pickle_module_name": "mlflow.pytorch.pickle_module",
            "python_version": "3.11.7",
        }
    if pytorch_section:
        flavors["pytorch"] = {
            "code": None,
            "model_data": "data",
            "pytorch_version": str(torch.__version__),
        }
    meta = {
        "artifact_path": None,
        "flavors": flavors,
        "mlflow_version": "3.18.0",
        "model_id": None,
        "model_uuid": uuid.uuid4().hex,
        "prompts": None,
        "utc_time_created": "2026-11-21 22:52:15.021132",
    }
    if signature is not None:
        meta["signature"] = signature
    (root / "data").mkdir(parents=True)
    (root / "MLmodel").write_text(yaml.safe_dump(meta, default_flow_style=False))
    return root


def _export_as_mlflow(model: torch.nn.Module, file: Path) -> None:
    """What mlflow.pytorch.save_model(serialization_format='pt2') runs for TensorSpec (-1, ...)."""
    example = torch.from_numpy(images(3))
    dims = [{0: torch.export.Dim("dynamic_dim")}]
    torch.export.save(torch.export.export(model, (example,), dynamic_shapes=dims), str(file))


def _pickle_as_mlflow(model: torch.nn.Module, data: Path, module_name: str) -> None:
    torch.save(model, data / "model.pth", pickle_module=pickle)
    (data / "pickle_module_info.txt").write_text(module_name)


def test_mlflow_pt2_loads_without_trust(tmp_path: Path) -> None:
    root = _mlflow_dir(tmp_path / "m", signature=IMAGE_SIGNATURE)
    _export_as_mlflow(cnn(), root / "data" / "model.pt2")
    pyfunc = flavorkit.load_model(root)
    assert pyfunc.flavor == "pytorch"
    x = images(5)
    assert_predictions_equal(pyfunc.predict(x), cnn()(torch.from_numpy(x)), **TOL)
    with pytest.raises(flavorkit.SchemaEnforcementError, match="float64"):
        pyfunc.predict(x.astype(np.float64))


def test_mlflow_pickle_needs_trust_and_never_imports_the_named_module(tmp_path: Path) -> None:
    sentinel = f"pickle_module_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{sentinel}.py").write_text("raise RuntimeError('this module must not run')\n")
    sys.path.insert(0, str(tmp_path))
    try:
        root = _mlflow_dir(tmp_path / "m", signature=IMAGE_SIGNATURE)
        _pickle_as_mlflow(cnn(), root / "data", sentinel)
        with pytest.raises(UntrustedModelError, match=rf"names '{sentinel}'.*never imports"):
            flavorkit.load_model(root)
        pyfunc = flavorkit.load_model(root, trust=True)
        assert sentinel not in sys.modules
    finally:
        sys.path.remove(str(tmp_path))
    x = images(4)
    assert_predictions_equal(pyfunc.predict(x), cnn()(torch.from_numpy(x)), **TOL)
    assert not pyfunc.get_raw_model().training  # loaded in eval mode, as MLflow


def test_mlflow_default_pickle_module_name_loads_with_the_standard_pickle(tmp_path: Path) -> None:
    root = _mlflow_dir(tmp_path / "m")
    _pickle_as_mlflow(mlp(), root / "data", "mlflow.pytorch.pickle_module")
    model = flavorkit.load_native(root, trust=True)
    assert "mlflow" not in sys.modules
    x = torch.ones(2, 4)
    assert_predictions_equal(model(x), mlp()(x), **TOL)


def test_mlflow_torchscript_pth_loads_with_trust(tmp_path: Path) -> None:
    root = _mlflow_dir(tmp_path / "m")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit's own deprecation
        torch.jit.save(torch.jit.script(cnn()), str(root / "data" / "model.pth"))
        (root / "data" / "pickle_module_info.txt").write_text("mlflow.pytorch.pickle_module")
        with pytest.raises(UntrustedModelError):
            flavorkit.load_native(root)
        model = flavorkit.load_native(root, trust=True)
    assert isinstance(model, torch.jit.ScriptModule)
    x = torch.from_numpy(images(2))
    assert_predictions_equal(model(x), cnn()(x), **TOL)


def test_model_pth_wins_over_model_pt2_as_in_mlflow(tmp_path: Path) -> None:
    root = _mlflow_dir(tmp_path / "m")
    _export_as_mlflow(CNN().eval(), root / "data" / "model.pt2")  # other weights
    _pickle_as_mlflow(cnn(), root / "data", "pickle")
    with pytest.raises(UntrustedModelError):
        flavorkit.load_native(root)
    x = torch.from_numpy(images(2))
    assert_predictions_equal(flavorkit.load_native(root, trust=True)(x), cnn()(x), **TOL)


def test_python_function_only_model_is_claimed_by_its_loader_module(tmp_path: Path) -> None:
    root = _mlflow_dir(tmp_path / "m", pytorch_section=False, signature=IMAGE_SIGNATURE)
    _export_as_mlflow(cnn(), root / "data" / "model.pt2")
    pyfunc = flavorkit.load_model(root)
    assert pyfunc.flavor == "pytorch"
    x = images(2)
    assert_predictions_equal(pyfunc.predict(x), cnn()(torch.from_numpy(x)), **TOL)


def test_pytorch_only_model_loads_natively(tmp_path: Path) -> None:
    root = _mlflow_dir(tmp_path / "m", pyfunc_section=False)
    _export_as_mlflow(cnn(), root / "data" / "model.pt2")
    x = torch.from_numpy(images(2))
    assert_predictions_equal(flavorkit.load_native(root)(x), cnn()(x), **TOL)


def test_a_pickled_state_dict_says_what_is_missing(tmp_path: Path) -> None:
    root = _mlflow_dir(tmp_path / "m")
    torch.save(cnn().state_dict(), root / "data" / "model.pth")
    (root / "data" / "pickle_module_info.txt").write_text("mlflow.pytorch.pickle_module")
    with pytest.raises(FlavorkitError, match=r"holds a OrderedDict, not a torch\.nn\.Module"):
        flavorkit.load_native(root, trust=True)


def test_an_empty_data_directory_is_named(tmp_path: Path) -> None:
    root = _mlflow_dir(tmp_path / "m")
    (root / "data" / "notes.txt").write_text("x")
    with pytest.raises(FlavorkitError, match=r"no PyTorch model file .*'notes\.txt'"):
        flavorkit.load_native(root)


def test_a_recorded_format_without_its_file_is_named(tmp_path: Path) -> None:
    root = _mlflow_dir(tmp_path / "m")
    _export_as_mlflow(cnn(), root / "data" / "model.pt2")
    meta = yaml.safe_load((root / "MLmodel").read_text())
    meta["flavors"]["pytorch"]["serialization_format"] = "state_dict"
    (root / "MLmodel").write_text(yaml.safe_dump(meta))
    with pytest.raises(FlavorkitError, match=r"model\.safetensors: missing.*'state_dict'"):
        flavorkit.load_native(root)
    meta["flavors"]["pytorch"]["serialization_format"] = "onnx"
    (root / "MLmodel").write_text(yaml.safe_dump(meta))
    with pytest.raises(FlavorkitError, match="'onnx', which this version"):
        flavorkit.load_native(root)


def test_model_data_outside_the_model_is_refused(tmp_path: Path) -> None:
    root = _mlflow_dir(tmp_path / "m")
    meta = yaml.safe_load((root / "MLmodel").read_text())
    meta["flavors"]["pytorch"]["model_data"] = "../elsewhere"
    (root / "MLmodel").write_text(yaml.safe_dump(meta))
    with pytest.raises(flavorkit.ModelPathError, match=r"pytorch\.model_data"):
        flavorkit.load_native(root)


def test_another_torch_release_warns_once(tmp_path: Path) -> None:
    root = _mlflow_dir(tmp_path / "m")
    _export_as_mlflow(cnn(), root / "data" / "model.pt2")
    meta = yaml.safe_load((root / "MLmodel").read_text())
    meta["flavors"]["pytorch"]["pytorch_version"] = "2.4.0+cu121"
    (root / "MLmodel").write_text(yaml.safe_dump(meta))
    with pytest.warns(UserWarning, match=r"saved with torch 2\.4\.0\+cu121") as record:
        flavorkit.load_native(root)
    assert len([w for w in record if "saved with torch" in str(w.message)]) == 1
