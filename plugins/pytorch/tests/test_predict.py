"""PyTorchPredictor: what goes into forward and what comes out (see flavorkit_pytorch._predict)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from models import MultiOutput, Scaled, cnn, frame, images, mlp, pair, two_input
from torch import nn

import flavorkit
from flavorkit.testing import assert_predictions_equal
from flavorkit_pytorch._predict import PyTorchPredictor

TOL = {"rtol": 1e-5, "atol": 1e-6}
CPU = torch.device("cpu")


def test_dataframe_in_gives_a_dataframe_with_the_input_index(tmp_path: Path) -> None:
    flavorkit.save_model(mlp(), tmp_path / "m", input_example=frame(), export_example=frame())
    df = frame(5).set_axis(["a", "b", "c", "d", "e"])
    out = flavorkit.load_model(tmp_path / "m").predict(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.index) == ["a", "b", "c", "d", "e"]
    assert out.shape == (5, 3) and (out.dtypes == np.float32).all()
    expected = mlp()(torch.tensor(df.to_numpy()))
    assert_predictions_equal(out.to_numpy(), expected, **TOL)


def test_a_float64_dataframe_is_cast_to_float32_as_mlflow_does() -> None:
    out = PyTorchPredictor(mlp(), CPU).predict(frame().astype("float64"))
    assert_predictions_equal(out.to_numpy(), mlp()(torch.tensor(frame().to_numpy())), **TOL)


def test_ndarray_and_tensor_inputs_give_ndarrays() -> None:
    predictor = PyTorchPredictor(cnn(), CPU)
    x = images(4)
    from_array = predictor.predict(x)
    from_tensor = predictor.predict(torch.from_numpy(x))
    assert isinstance(from_array, np.ndarray) and from_array.shape == (4, 10)
    assert_predictions_equal(from_tensor, from_array)


def test_read_only_arrays_are_copied_not_shared() -> None:
    x = images(2)
    x.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = PyTorchPredictor(cnn(), CPU).predict(x)
    assert out.shape == (2, 10)


def test_a_dict_feeds_forward_by_keyword() -> None:
    data = pair()
    reversed_order = dict(reversed(list(data.items())))
    out = PyTorchPredictor(two_input(), CPU).predict(reversed_order)
    inputs = {k: torch.from_numpy(v) for k, v in data.items()}
    assert_predictions_equal(out, two_input()(**inputs), **TOL)


def test_a_tuple_feeds_forward_by_position() -> None:
    data = pair()
    out = PyTorchPredictor(two_input(), CPU).predict((data["numbers"], data["codes"]))
    inputs = {k: torch.from_numpy(v) for k, v in data.items()}
    assert_predictions_equal(out, two_input()(**inputs), **TOL)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ([[1.0, 2.0, 3.0, 4.0]], "is a list"),
        (np.array([["a", "b", "c", "d"]]), "dtype <U1"),
        ({1: np.ones((1, 4), "f4")}, "must be str"),
    ],
    ids=["list", "strings", "int-keys"],
)
def test_inputs_torch_cannot_take_are_named(data: object, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        PyTorchPredictor(mlp(), CPU).predict(data)


def test_dict_outputs_become_dicts_of_arrays_and_a_signature(tmp_path: Path) -> None:
    model = MultiOutput().eval()
    x = frame().to_numpy()
    flavorkit.save_model(model, tmp_path / "m", input_example=x, export_example=x)
    pyfunc = flavorkit.load_model(tmp_path / "m")
    out = pyfunc.predict(x)
    assert sorted(out) == ["label", "scores"]
    assert out["scores"].dtype == np.float32 and out["label"].dtype == np.int64
    outputs = pyfunc.signature.outputs.to_dict()
    assert [o["name"] for o in outputs] == ["scores", "label"]


def test_tuple_outputs_become_lists_of_arrays() -> None:
    out = PyTorchPredictor(MultiOutput(as_tuple=True).eval(), CPU).predict(frame().to_numpy())
    assert isinstance(out, list) and [a.shape for a in out] == [(6, 3), (6,)]
    assert all(isinstance(a, np.ndarray) for a in out)


def test_bfloat16_outputs_become_float32() -> None:
    model = nn.Linear(4, 2).to(torch.bfloat16)
    out = PyTorchPredictor(model, CPU).predict(torch.ones(3, 4, dtype=torch.bfloat16))
    assert out.dtype == np.float32


def test_forward_runs_under_inference_mode() -> None:
    seen = []

    class Probe(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append(torch.is_inference_mode_enabled())
            return x

    PyTorchPredictor(Probe(), CPU).predict(np.ones((1, 2), "f4"))
    assert seen == [True]


def test_declared_params_become_forward_keywords(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = Scaled().eval()
    x = frame().to_numpy()
    flavorkit.save_model(
        model, tmp_path / "m", input_example=(x, {"scale": 1.0}), serialization_format="pickle"
    )
    pyfunc = flavorkit.load_model(tmp_path / "m", trust=True)
    base = model(torch.tensor(x)).detach().numpy()
    assert_predictions_equal(pyfunc.predict(x, {"scale": 3.0}), 3 * base, **TOL)
    assert_predictions_equal(pyfunc.predict(x), base, **TOL)  # the default from the signature
    with pytest.warns(UserWarning, match="color"):
        assert_predictions_equal(pyfunc.predict(x, {"scale": 2.0, "color": "red"}), 2 * base)


def test_params_and_inputs_of_one_name_clash() -> None:
    with pytest.raises(ValueError, match="both inputs and params"):
        PyTorchPredictor(two_input(), CPU).predict(pair(), {"codes": 1})


def test_a_pt2_model_refuses_params_it_was_not_traced_with(tmp_path: Path) -> None:
    x = frame().to_numpy()
    flavorkit.save_model(
        Scaled(), tmp_path / "m", input_example=(x, {"scale": 2.0}), export_example=x
    )
    pyfunc = flavorkit.load_model(tmp_path / "m")
    with pytest.raises(ValueError, match=r"traced without the params \['scale'\]"):
        pyfunc.predict(x, {"scale": 3.0})


def test_saving_pt2_from_an_example_with_params_is_refused(tmp_path: Path) -> None:
    """The check a core that hands the input example to flavors reaches."""
    from flavorkit_pytorch import PyTorchFlavor

    x = frame().to_numpy()
    (tmp_path / "m").mkdir()
    with pytest.raises(ValueError, match="cannot take them at predict time"):
        PyTorchFlavor().save(Scaled(), tmp_path / "m", input_example=(x, {"scale": 2.0}))


def test_arrays_in_arrays_out_never_import_pandas(tmp_path: Path) -> None:
    """A cold start fed numpy pays for torch, not for pandas (0.7 s of imports)."""
    flavorkit.save_model(mlp(), tmp_path / "m", input_example=np.ones((4, 4), np.float32))
    code = (
        "import sys, numpy as np, flavorkit\n"
        f"m = flavorkit.load_model({str(tmp_path / 'm')!r})\n"
        "out = m.predict(np.ones((2, 4), np.float32))\n"
        "print(type(out).__name__, 'pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ndarray", "False"]
