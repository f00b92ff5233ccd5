"""Device placement: the device= option, MLflow's config/env/CUDA rule, and CPU-only machines.

The CUDA checks run only where CUDA is available (a GPU machine); on CPU-only machines the
checks of what must happen *without* CUDA run instead.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from models import cnn, frame, images, mlp, pair, two_input

import flavorkit
from flavorkit.errors import FlavorkitError
from flavorkit.testing import assert_predictions_equal

TOL = {"rtol": 1e-4, "atol": 1e-5}  # GPU kernels differ from CPU ones in the last bits
HAS_CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(
    not HAS_CUDA,
    reason="needs a CUDA device: run `python3 -m nox -s 'conformance(pytorch)'` on a GPU machine",
)
cpu_only = pytest.mark.skipif(HAS_CUDA, reason="checks behaviour on a machine without CUDA")

FORMATS = {
    "pt2": {"export_example": images()},
    "state_dict": {"serialization_format": "state_dict"},
    "pickle": {"serialization_format": "pickle"},
}


@pytest.fixture(scope="module", params=sorted(FORMATS))
def saved(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp(request.param) / "m"
    flavorkit.save_model(cnn(), path, input_example=images(), **FORMATS[request.param])
    return path


def _device_of(pyfunc: flavorkit.PyFuncModel) -> torch.device:
    return pyfunc.predictor.device  # type: ignore[attr-defined, no-any-return]


def _reference() -> np.ndarray:
    return cnn()(torch.from_numpy(images())).detach().numpy()


def test_device_cpu_loads_and_predicts_on_the_cpu(saved: Path) -> None:
    pyfunc = flavorkit.load_model(saved, trust=True, device="cpu")
    assert _device_of(pyfunc).type == "cpu"
    assert all(p.device.type == "cpu" for p in pyfunc.predictor.model.parameters())  # type: ignore[attr-defined]
    assert_predictions_equal(pyfunc.predict(images()), _reference(), **TOL)


@cpu_only
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_asking_for_cuda_without_it_is_a_clear_error(saved: Path, device: str) -> None:
    with pytest.raises(FlavorkitError, match=rf"device '{device}'.*CUDA is not available"):
        flavorkit.load_model(saved, trust=True, device=device)
    with pytest.raises(FlavorkitError, match="CUDA is not available"):
        flavorkit.load_native(saved, trust=True, device=device)


def test_an_unknown_device_is_an_error(saved: Path) -> None:
    with pytest.raises(FlavorkitError, match="'gpu0', which is not a torch device"):
        flavorkit.load_model(saved, trust=True, device="gpu0")


@cpu_only
def test_cuda_from_the_model_config_falls_back_to_the_cpu(saved: Path) -> None:
    with pytest.warns(UserWarning, match=r"python_function\.config\.device .*'cuda'.*on the CPU"):
        pyfunc = flavorkit.load_model(saved, trust=True, model_config={"device": "cuda"})
    assert _device_of(pyfunc).type == "cpu"
    assert_predictions_equal(pyfunc.predict(images()), _reference(), **TOL)


@cpu_only
def test_cuda_from_the_environment_falls_back_to_the_cpu(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_DEFAULT_PREDICTION_DEVICE", "cuda")
    with pytest.warns(UserWarning, match="MLFLOW_DEFAULT_PREDICTION_DEVICE"):
        pyfunc = flavorkit.load_model(saved, trust=True)
    assert _device_of(pyfunc).type == "cpu"


def test_the_device_option_wins_over_config_and_environment(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_DEFAULT_PREDICTION_DEVICE", "cuda:5")
    pyfunc = flavorkit.load_model(
        saved, trust=True, device="cpu", model_config={"device": "cuda:7"}
    )
    assert _device_of(pyfunc).type == "cpu"


def test_default_is_cuda_if_available_else_cpu(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_DEFAULT_PREDICTION_DEVICE", raising=False)
    pyfunc = flavorkit.load_model(saved, trust=True)
    assert _device_of(pyfunc).type == ("cuda" if HAS_CUDA else "cpu")
    assert_predictions_equal(pyfunc.predict(images()), _reference(), **TOL)


def test_saving_predicts_where_the_model_is_and_does_not_move_it(tmp_path: Path) -> None:
    model = mlp()
    flavorkit.save_model(model, tmp_path / "m", input_example=frame(), export_example=frame())
    assert all(p.device.type == "cpu" for p in model.parameters())


@needs_cuda
@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_cuda_device_option_places_the_model_on_the_gpu(saved: Path, device: str) -> None:
    pyfunc = flavorkit.load_model(saved, trust=True, device=device)
    model = pyfunc.predictor.model  # type: ignore[attr-defined]
    assert all(t.device.type == "cuda" for t in (*model.parameters(), *model.buffers()))
    out = pyfunc.predict(images())
    assert isinstance(out, np.ndarray)
    assert_predictions_equal(out, _reference(), **TOL)


@needs_cuda
def test_cuda_from_config_moves_a_cpu_loaded_model(saved: Path) -> None:
    pyfunc = flavorkit.load_model(saved, trust=True, model_config={"device": "cuda"})
    assert _device_of(pyfunc).type == "cuda"
    assert_predictions_equal(pyfunc.predict(images()), _reference(), **TOL)
    cpu = flavorkit.load_model(saved, trust=True, model_config={"device": "cpu"})
    assert _device_of(cpu).type == "cpu"


@needs_cuda
def test_a_missing_gpu_index_is_a_clear_error(saved: Path) -> None:
    index = torch.cuda.device_count()
    with pytest.raises(FlavorkitError, match=rf"has {index} CUDA device"):
        flavorkit.load_model(saved, trust=True, device=f"cuda:{index}")


@needs_cuda
def test_a_model_on_the_gpu_saves_and_loads_on_a_cpu(tmp_path: Path) -> None:
    model = copy.deepcopy(two_input()).to("cuda")
    flavorkit.save_model(model, tmp_path / "m", input_example=pair(), export_example=pair())
    assert all(p.device.type == "cuda" for p in model.parameters())  # not moved by the save
    loaded = flavorkit.load_model(tmp_path / "m", device="cpu")
    reference = two_input()
    inputs = {k: torch.from_numpy(v) for k, v in pair().items()}
    assert_predictions_equal(loaded.predict(pair()), reference(**inputs), **TOL)
