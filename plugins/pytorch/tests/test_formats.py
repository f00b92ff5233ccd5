"""Saving: how the format is chosen, what each writes, and the errors that explain a bad choice."""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from models import CNN, MLP, Sized, TwoInput, cnn, frame, images, mlp, pair, two_input
from torch import nn

import flavorkit
from flavorkit.errors import ModelPathError
from flavorkit.testing import assert_predictions_equal


def _mlmodel(path: Path) -> dict:
    return yaml.safe_load((path / "MLmodel").read_text())


def test_no_example_and_no_format_explains_the_three_choices(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="choose how to save this MLP") as info:
        flavorkit.save_model(mlp(), tmp_path / "m")
    message = str(info.value)
    for choice in ("'pt2'", "'state_dict'", "'pickle'", "trust=True", "export_example"):
        assert choice in message
    assert not (tmp_path / "m").exists()


def _core_hands_over_the_input_example() -> bool:
    from flavorkit import hookspecs

    return "input_example" in inspect.signature(hookspecs.flavorkit_save_model).parameters


@pytest.mark.skipif(
    not _core_hands_over_the_input_example(),
    reason="this flavorkit core passes save_model's input_example to signature inference only",
)
def test_an_input_example_alone_saves_pt2(tmp_path: Path) -> None:
    flavorkit.save_model(cnn(), tmp_path / "m", input_example=images())
    meta = _mlmodel(tmp_path / "m")
    assert meta["flavors"]["pytorch"]["serialization_format"] == "pt2"
    assert meta["signature"]["inputs"]
    x = images(5)
    assert_predictions_equal(
        flavorkit.load_model(tmp_path / "m").predict(x), cnn()(torch.from_numpy(x)), rtol=1e-5
    )


def test_an_example_to_trace_makes_pt2_the_default(tmp_path: Path) -> None:
    flavorkit.save_model(mlp(), tmp_path / "m", export_example=frame())
    conf = _mlmodel(tmp_path / "m")["flavors"]["pytorch"]
    assert conf["serialization_format"] == "pt2"
    assert sorted(p.name for p in (tmp_path / "m" / "data").iterdir()) == ["model.pt2"]


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"serialization_format": "onnx"}, "unknown serialization_format 'onnx'"),
        ({"serialization_format": "pt2"}, "needs an example batch"),
        ({"serialization_format": "pickle", "init_kwargs": {"hidden": 16}}, "init_kwargs applies"),
        (
            {"serialization_format": "state_dict", "export_example": frame()},
            "export_example is what torch.export traces",
        ),
        ({"serialization_format": "state_dict", "init_kwargs": {"hidden": object()}}, "JSON"),
        ({"serialization_format": "state_dict", "init_kwargs": {"depth": 3}}, "cannot build"),
        ({"serialization_format": "state_dict", "init_kwargs": [16]}, "must be a dict"),
        ({"serialisation_format": "pt2"}, "unknown save option"),
    ],
)
def test_bad_save_options_are_refused(tmp_path: Path, options: dict, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        flavorkit.save_model(mlp(), tmp_path / "m", **options)
    assert list(tmp_path.iterdir()) == []


def test_state_dict_names_the_missing_constructor_arguments(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"init_kwargs=\{'width': \.\.\., 'depth': \.\.\.\}"):
        flavorkit.save_model(Sized(2, 1), tmp_path / "m", serialization_format="state_dict")


def test_state_dict_refuses_a_class_defined_in_a_function(tmp_path: Path) -> None:
    class Local(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x

    with pytest.raises(ValueError, match="defined inside a function"):
        flavorkit.save_model(Local(), tmp_path / "m", serialization_format="state_dict")


def test_pickle_layout_is_mlflows(tmp_path: Path) -> None:
    flavorkit.save_model(cnn(), tmp_path / "m", serialization_format="pickle")
    data = tmp_path / "m" / "data"
    assert sorted(p.name for p in data.iterdir()) == ["model.pth", "pickle_module_info.txt"]
    assert (data / "pickle_module_info.txt").read_text() == "pickle"
    meta = _mlmodel(tmp_path / "m")["flavors"]
    assert meta["pytorch"] == {
        "code": None,
        "model_data": "data",
        "pytorch_version": str(torch.__version__),
        "serialization_format": "pickle",
    }
    pyfunc = meta["python_function"]
    assert pyfunc["loader_module"] == "mlflow.pytorch"
    assert pyfunc["pickle_module_name"] == "pickle"
    assert pyfunc["config"] == {"device": None}
    assert pyfunc["data"] == "data"


def test_pt2_with_one_input_is_for_mlflows_own_loader(tmp_path: Path) -> None:
    flavorkit.save_model(cnn(), tmp_path / "m", export_example=images())
    pyfunc = _mlmodel(tmp_path / "m")["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "mlflow.pytorch"
    assert pyfunc["pickle_module_name"] == "mlflow.pytorch.pickle_module"


@pytest.mark.parametrize(
    ("model", "options"),
    [
        (two_input, {"export_example": pair()}),  # MLflow's loader rejects dict input
        (two_input, {"serialization_format": "pickle"}),  # forward needs two inputs
        (mlp, {"serialization_format": "state_dict", "init_kwargs": {"hidden": 16}}),
    ],
    ids=["two-input-pt2", "two-input-pickle", "state-dict"],
)
def test_models_mlflow_cannot_feed_get_flavorkits_loader(
    tmp_path: Path, model: object, options: dict
) -> None:
    flavorkit.save_model(model(), tmp_path / "m", **options)  # type: ignore[operator]
    pyfunc = _mlmodel(tmp_path / "m")["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "flavorkit.mlflow_loader"
    assert "pickle_module_name" not in pyfunc


def test_pt2_batch_dimension_is_dynamic_even_from_a_one_row_example(tmp_path: Path) -> None:
    one = images(1)
    flavorkit.save_model(cnn(), tmp_path / "m", export_example=one)
    model = flavorkit.load_native(tmp_path / "m")
    for n in (1, 2, 7):
        batch = torch.from_numpy(images(n))
        assert_predictions_equal(model(batch), cnn()(batch), rtol=1e-5, atol=1e-6)


def test_pt2_warns_when_the_model_fixes_the_batch_size(tmp_path: Path) -> None:
    class Reshapes(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.reshape(4, -1)

    with pytest.warns(UserWarning, match=r"fixed the batch dimension .*batch 4"):
        flavorkit.save_model(Reshapes(), tmp_path / "m", export_example=np.ones((4, 3), "f4"))


def test_pt2_is_exported_in_eval_mode_and_the_model_keeps_its_mode(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = MLP(hidden=64).train()
    flavorkit.save_model(model, tmp_path / "m", export_example=frame())
    assert model.training
    x = torch.tensor(frame().to_numpy())
    loaded = flavorkit.load_native(tmp_path / "m")
    assert_predictions_equal(loaded(x), model.eval()(x), rtol=1e-5, atol=1e-6)


def test_pt2_of_a_multi_input_model_is_called_by_keyword(tmp_path: Path) -> None:
    flavorkit.save_model(two_input(), tmp_path / "m", export_example=pair())
    loaded = flavorkit.load_native(tmp_path / "m")
    inputs = {k: torch.from_numpy(v) for k, v in pair(9).items()}
    assert_predictions_equal(loaded(**inputs), two_input()(**inputs), rtol=1e-5, atol=1e-6)


def test_an_exported_program_saves_as_pt2_without_an_example(tmp_path: Path) -> None:
    x = torch.from_numpy(images(3))
    program = torch.export.export(cnn(), (x,), dynamic_shapes=({0: torch.export.Dim.AUTO},))
    flavorkit.save_model(program, tmp_path / "m")
    meta = _mlmodel(tmp_path / "m")["flavors"]
    assert meta["pytorch"]["serialization_format"] == "pt2"
    assert meta["python_function"]["loader_module"] == "mlflow.pytorch"
    assert_predictions_equal(
        flavorkit.load_model(tmp_path / "m").predict(images(5)),
        cnn()(torch.from_numpy(images(5))),
        rtol=1e-5,
        atol=1e-6,
    )
    with pytest.raises(ValueError, match="an ExportedProgram is saved as"):
        flavorkit.save_model(program, tmp_path / "m2", serialization_format="pickle")


def test_a_script_module_saves_only_as_pickle(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit's own deprecation
        scripted = torch.jit.script(CNN().eval())
        with pytest.raises(ValueError, match="TorchScript"):
            flavorkit.save_model(scripted, tmp_path / "m", export_example=images())
        flavorkit.save_model(scripted, tmp_path / "m", serialization_format="pickle")
        loaded = flavorkit.load_native(tmp_path / "m", trust=True)
    assert isinstance(loaded, torch.jit.ScriptModule)
    x = torch.from_numpy(images(2))
    assert_predictions_equal(loaded(x), scripted(x))


def test_save_refuses_what_is_not_a_module(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"expected a torch\.nn\.Module"):
        flavorkit.save_model({"w": torch.ones(2)}, tmp_path / "m", flavor="pytorch")


def test_default_requirements_pin_torch_without_its_local_label(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the local-label warning, if any
        flavorkit.save_model(
            mlp(), tmp_path / "m", serialization_format="state_dict", init_kwargs={"hidden": 16}
        )
    reqs = (tmp_path / "m" / "requirements.txt").read_text().splitlines()
    torch_pin = next(r for r in reqs if r.startswith("torch=="))
    assert torch_pin == f"torch=={str(torch.__version__).partition('+')[0]}"
    assert any(r.startswith("safetensors==") for r in reqs)


def test_existing_target_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "keep").write_text("x")
    with pytest.raises(ModelPathError):
        flavorkit.save_model(TwoInput(), tmp_path / "m", export_example=pair())


def test_an_input_example_handed_to_the_flavor_makes_pt2_the_default(tmp_path: Path) -> None:
    """What a core that passes save_model's input_example to Flavor.save gets."""
    from flavorkit_pytorch import PyTorchFlavor

    (tmp_path / "m").mkdir()
    saved = PyTorchFlavor().save(cnn(), tmp_path / "m", input_example=images())
    assert saved.conf["serialization_format"] == "pt2"
    assert (tmp_path / "m" / "data" / "model.pt2").is_file()
