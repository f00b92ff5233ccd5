"""The state_dict format: trust, the caller's class or factory, tied weights, memory mapping."""

from __future__ import annotations

import sys
import textwrap
import uuid
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from models import (
    MLP,
    Big,
    Computes,
    TiedLM,
    WithBuffer,
    frame,
    half_and_steps,
    mlp,
    tied_lm,
    two_halves,
)

import flavorkit
from flavorkit.errors import FlavorkitError, IntegrityError, UntrustedModelError
from flavorkit.integrity import MANIFEST_FILE
from flavorkit.testing import assert_predictions_equal

TOL = {"rtol": 1e-6, "atol": 1e-7}


def _save(model: torch.nn.Module, path: Path, **init_kwargs: object) -> Path:
    flavorkit.save_model(model, path, serialization_format="state_dict", init_kwargs=init_kwargs)
    return path


def _x() -> torch.Tensor:
    return torch.tensor(frame().to_numpy())


@pytest.fixture
def mlp_dir(tmp_path: Path) -> Path:
    return _save(mlp(), tmp_path / "mlp", hidden=16)


def test_mlmodel_records_the_class_and_its_arguments(mlp_dir: Path) -> None:
    conf = yaml.safe_load((mlp_dir / "MLmodel").read_text())["flavors"]["pytorch"]
    assert conf["model_class"] == "models:MLP"
    assert conf["init_kwargs"] == {"hidden": 16}
    assert conf["serialization_format"] == "state_dict"
    assert "tied_weights" not in conf
    assert sorted(p.name for p in (mlp_dir / "data").iterdir()) == ["model.safetensors"]


def test_without_trust_the_recorded_class_is_never_imported(tmp_path: Path) -> None:
    name = f"fresh_net_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent(
            """
            import torch

            class Net(torch.nn.Linear):
                def __init__(self):
                    super().__init__(4, 2)
            """
        )
    )
    sys.path.insert(0, str(tmp_path))
    try:
        module = __import__(name)
        model_dir = _save(module.Net(), tmp_path / "m")
        del sys.modules[name]
        for load in (flavorkit.load_model, flavorkit.load_native):
            with pytest.raises(UntrustedModelError, match=rf"{name}:Net.*model_class=") as info:
                load(model_dir)
            assert "trust=True" in str(info.value)
            assert name not in sys.modules, f"{load.__name__} imported the model's class"
        loaded = flavorkit.load_native(model_dir, trust=True)
        assert type(loaded).__module__ == name
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)


def test_model_class_loads_without_trust_with_the_recorded_arguments(mlp_dir: Path) -> None:
    loaded = flavorkit.load_native(mlp_dir, model_class=MLP)
    assert isinstance(loaded, MLP) and not loaded.training
    assert loaded.net[0].out_features == 16
    assert_predictions_equal(loaded(_x()), mlp()(_x()), **TOL)
    pyfunc = flavorkit.load_model(mlp_dir, model_class=MLP)
    assert_predictions_equal(pyfunc.predict(frame()).to_numpy(), mlp()(_x()), **TOL)


def test_model_factory_loads_without_trust(mlp_dir: Path) -> None:
    loaded = flavorkit.load_native(mlp_dir, model_factory=lambda: MLP(hidden=16))
    assert_predictions_equal(loaded(_x()), mlp()(_x()), **TOL)


def test_weights_that_do_not_fit_the_built_module_are_an_error(mlp_dir: Path) -> None:
    with pytest.raises(FlavorkitError, match=r"model\.safetensors: the weights do not fit the MLP"):
        flavorkit.load_native(mlp_dir, model_factory=lambda: MLP(hidden=8))


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"model_class": MLP, "model_factory": MLP}, "not both"),
        ({"model_class": lambda: MLP()}, "must be a torch.nn.Module subclass"),
        ({"model_factory": "models:MLP"}, "must be a function"),
        ({"model_factory": lambda: {"net": 1}}, "not a torch.nn.Module"),
    ],
    ids=["both", "class-not-a-class", "factory-not-callable", "factory-not-a-module"],
)
def test_bad_class_or_factory_options(mlp_dir: Path, options: dict, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        flavorkit.load_native(mlp_dir, **options)


def test_tied_weights_survive_the_round_trip(tmp_path: Path) -> None:
    model_dir = _save(tied_lm(), tmp_path / "m")
    conf = yaml.safe_load((model_dir / "MLmodel").read_text())["flavors"]["pytorch"]
    assert conf["tied_weights"] == {"head.weight": "embed.weight"}
    from safetensors import safe_open

    with safe_open(str(model_dir / "data" / "model.safetensors"), "pt") as f:
        assert sorted(f.keys()) == ["embed.weight"]
        assert f.metadata()["head.weight"] == "embed.weight"  # safetensors' own convention
    for loaded in (
        flavorkit.load_native(model_dir, trust=True),
        flavorkit.load_native(model_dir, model_class=TiedLM),
    ):
        assert loaded.head.weight is loaded.embed.weight
        assert len(list(loaded.parameters())) == 1
        tokens = torch.tensor([[1, 4, 9], [0, 2, 10]])
        assert_predictions_equal(loaded(tokens), tied_lm()(tokens), **TOL)


def test_views_of_one_memory_are_saved_as_copies_with_a_warning(tmp_path: Path) -> None:
    model = torch.nn.Module()
    base = torch.arange(8.0)
    model.register_buffer("low", base[:4])
    model.register_buffer("high", base[4:])
    with pytest.warns(UserWarning, match="different views of the same memory"):
        flavorkit.save_model(
            model,
            tmp_path / "m",
            flavor="pytorch",
            serialization_format="state_dict",
            model_factory=two_halves,
        )
    loaded = flavorkit.load_native(tmp_path / "m", model_factory=lambda: model)
    assert loaded.low.tolist() == [0, 1, 2, 3] and loaded.high.tolist() == [4, 5, 6, 7]


def test_non_persistent_buffers_come_from_the_constructor(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = WithBuffer().eval()
    loaded = flavorkit.load_native(_save(model, tmp_path / "m"), trust=True)
    assert not loaded.offset.is_meta
    x = torch.ones(2, 4)
    assert_predictions_equal(loaded(x), model(x), **TOL)


def test_a_constructor_that_reads_tensor_values_still_loads(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = Computes().eval()
    loaded = flavorkit.load_native(_save(model, tmp_path / "m"), trust=True)
    x = torch.ones(3, 4)
    assert_predictions_equal(loaded(x), model(x), **TOL)


class Script(MLP):
    """Stands for a class defined in the script that saves the model."""


Script.__module__ = "__main__"


def test_a_class_from_main_needs_model_class(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match=r"__main__.*model_class=Script"):
        model_dir = _save(Script().eval(), tmp_path / "m")
    with pytest.raises(FlavorkitError, match="pass model_class=Script"):
        flavorkit.load_native(model_dir, trust=True)
    assert isinstance(flavorkit.load_native(model_dir, model_class=Script), Script)


def test_a_corrupt_weights_file_is_named(mlp_dir: Path) -> None:
    (mlp_dir / "data" / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(IntegrityError, match=r"data/model\.safetensors is 15 bytes; the manifest"):
        flavorkit.load_native(mlp_dir, trust=True)  # the core's manifest check comes first
    (mlp_dir / MANIFEST_FILE).unlink()  # a model without one (MLflow's): the plugin's own error
    with pytest.raises(FlavorkitError, match=r"model\.safetensors: not a readable safetensors"):
        flavorkit.load_native(mlp_dir, trust=True)


# -- memory mapping ------------------------------------------------------------------------------

needs_proc = pytest.mark.skipif(
    not Path("/proc/self/maps").exists(),
    reason="mappings and RSS are read from /proc/self, which only Linux has",
)


def _mapped_file(address: int) -> str | None:
    """The file mapped at ``address`` in this process, if any."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split()
        start, end = (int(x, 16) for x in fields[0].split("-"))
        if start <= address < end:
            return fields[5] if len(fields) > 5 else None
    return None


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


@needs_proc
def test_weights_are_memory_mapped_not_copied(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = Big(width=3584, layers=1).eval()  # 51 MB of float32
    size = sum(p.numel() * p.element_size() for p in model.parameters())
    model_dir = _save(model, tmp_path / "big", width=3584, layers=1)
    weights_file = str((model_dir / "data" / "model.safetensors").resolve())
    del model
    before = _rss_bytes()
    pyfunc = flavorkit.load_model(model_dir, trust=True, device="cpu")
    growth = _rss_bytes() - before
    weight = pyfunc.get_raw_model().layers[0].weight
    assert _mapped_file(weight.data_ptr()) == weights_file
    assert growth < 0.2 * size, f"loading grew RSS by {growth / 1e6:.1f} MB for {size / 1e6} MB"
    out = pyfunc.predict(np.ones((2, 3584), dtype=np.float32))
    assert out.shape == (2, 3584)


def test_an_exact_round_trip_of_float16_and_int_tensors(tmp_path: Path) -> None:
    model = torch.nn.Module()
    model.register_buffer("f16", torch.randn(3, 2).half())
    model.register_buffer("steps", torch.tensor([1, 2, 3], dtype=torch.int64))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", message=".*local version label")
        flavorkit.save_model(
            model,
            tmp_path / "m",
            flavor="pytorch",
            serialization_format="state_dict",
            model_factory=half_and_steps,
        )
    fresh = torch.nn.Module()
    fresh.register_buffer("f16", torch.zeros(3, 2).half())
    fresh.register_buffer("steps", torch.zeros(3, dtype=torch.int64))
    loaded = flavorkit.load_native(tmp_path / "m", model_factory=lambda: fresh)
    assert torch.equal(loaded.f16, model.f16) and loaded.f16.dtype == torch.float16
    assert torch.equal(loaded.steps, model.steps)
