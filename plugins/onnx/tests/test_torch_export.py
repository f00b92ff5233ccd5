"""A PyTorch MLP exported with ``torch.onnx.export``, saved and predicting as torch does.

torch is not in the plugin's ``test`` extra (it is a multi-GB install, and the conformance case
uses the checked-in export ``data/mlp_torch.onnx``), so this module is skipped without it.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from models import DATA, iris32

import flavorkit

if importlib.util.find_spec("torch") is None or importlib.util.find_spec("onnxscript") is None:
    pytest.skip(
        "torch and onnxscript are not installed (not in the test extra; the conformance case "
        "uses the checked-in export data/mlp_torch.onnx): to run it, `pip install onnxscript "
        "-c constraints-dev.txt torch` into .nox/conformance-onnx, then `nox -R -s "
        "'conformance(onnx)'`",
        allow_module_level=True,
    )

sys.path.insert(0, str(DATA))
import make_mlp_torch

pytestmark = pytest.mark.filterwarnings("ignore::flavorkit_onnx.ProviderUnavailableWarning")


def forward(x: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return make_mlp_torch.build_mlp()(torch.from_numpy(x)).numpy()


def test_a_fresh_export_predicts_as_torch(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's own deprecation chatter
        make_mlp_torch.export(make_mlp_torch.build_mlp(), tmp_path / "mlp.onnx")
    flavorkit.save_model(str(tmp_path / "mlp.onnx"), tmp_path / "m", flavor="onnx")
    model = flavorkit.load_model(tmp_path / "m")
    assert model.signature is not None and model.signature.inputs is not None
    assert model.signature.inputs.to_dict() == [
        {"name": "x", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}
    ]
    x = iris32()[:7]
    np.testing.assert_allclose(model.predict({"x": x})["probabilities"], forward(x), atol=1e-6)


def test_the_checked_in_export_is_the_scripts_model(tmp_path: Path) -> None:
    flavorkit.save_model(str(DATA / "mlp_torch.onnx"), tmp_path / "m", flavor="onnx")
    x = iris32()[40:60]
    out = flavorkit.load_model(tmp_path / "m").predict({"x": x})["probabilities"]
    np.testing.assert_allclose(out, forward(x), atol=1e-6)
