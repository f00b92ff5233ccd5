"""A state_dict save refuses, before writing anything, a model its recorded class cannot rebuild."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from models import MLP, frame, mlp, sequential_stack
from torch import nn

import flavorkit
from flavorkit.testing import assert_predictions_equal

X = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)


def test_a_sequential_of_layers_is_refused_with_the_ways_out(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
    with pytest.raises(ValueError, match="cannot rebuild this Sequential") as info:
        flavorkit.save_model(
            model, tmp_path / "m", serialization_format="state_dict", input_example=X
        )
    message = str(info.value)
    for part in (
        "'0.weight'",
        "takes its layers as constructor arguments",
        "serialization_format='pt2'",
        "model_factory=",
        "module class of your own",
    ):
        assert part in message
    assert not (tmp_path / "m").exists()
    assert list(tmp_path.iterdir()) == []  # no temporary left behind either


def test_init_kwargs_that_build_other_shapes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"differ in shape or dtype .*saved \[16\] float32, rebuilt \[8\]"
    ):
        flavorkit.save_model(
            mlp(), tmp_path / "m", serialization_format="state_dict", init_kwargs={"hidden": 8}
        )
    assert not (tmp_path / "m").exists()


class Grown(MLP):
    """A module given an extra layer after construction: its class builds it without one."""


def test_a_module_changed_after_construction_is_refused(tmp_path: Path) -> None:
    model = Grown()
    model.extra = nn.Linear(3, 3)
    with pytest.raises(ValueError, match=r"it has no place for 'extra\.bias', 'extra\.weight'"):
        flavorkit.save_model(model, tmp_path / "m", serialization_format="state_dict")


def test_a_constructor_that_fails_is_refused(tmp_path: Path) -> None:
    class_ = type("Fragile", (MLP,), {"__init__": _fragile_init, "__module__": __name__})
    globals()["Fragile"] = class_
    model = MLP.__new__(class_)
    MLP.__init__(model)
    with pytest.raises(ValueError, match=r"fails here \(RuntimeError: needs a GPU\)"):
        flavorkit.save_model(model, tmp_path / "m", serialization_format="state_dict")


def _fragile_init(self: MLP) -> None:
    raise RuntimeError("needs a GPU")


def test_a_model_factory_saves_and_loads_the_sequential(tmp_path: Path) -> None:
    model = sequential_stack(hidden=5)
    flavorkit.save_model(
        model,
        tmp_path / "m",
        serialization_format="state_dict",
        model_factory=sequential_stack,
        init_kwargs={"hidden": 5},
        input_example=X,
    )
    conf = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["flavors"]["pytorch"]
    assert conf["model_factory"] == "models:sequential_stack"
    assert "model_class" not in conf
    loaded = flavorkit.load_model(tmp_path / "m", trust=True)
    with torch.no_grad():
        assert_predictions_equal(loaded.predict(X), model(torch.from_numpy(X)), rtol=1e-6)


def test_a_recorded_factory_is_never_called_without_trust(tmp_path: Path) -> None:
    flavorkit.save_model(
        sequential_stack(),
        tmp_path / "m",
        serialization_format="state_dict",
        model_factory=sequential_stack,
    )
    with pytest.raises(flavorkit.errors.UntrustedModelError, match="models:sequential_stack"):
        flavorkit.load_model(tmp_path / "m")


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: sequential_stack(), "has no importable name"),
        ("models:sequential_stack", "must be a function"),
    ],
    ids=["lambda", "a-string"],
)
def test_factories_a_load_cannot_find_are_refused(
    tmp_path: Path, factory: object, match: str
) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        flavorkit.save_model(
            sequential_stack(),
            tmp_path / "m",
            serialization_format="state_dict",
            model_factory=factory,
        )


def test_model_factory_applies_only_to_state_dict(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="model_factory applies only"):
        flavorkit.save_model(
            sequential_stack(), tmp_path / "m", export_example=X, model_factory=sequential_stack
        )


def test_the_check_allocates_no_weights(tmp_path: Path) -> None:
    """The rebuilt module lives on the meta device: a 400 MB constructor costs no memory."""
    from flavorkit_pytorch._state_dict import check_rebuilds

    built: list[nn.Module] = []

    def build() -> nn.Module:
        module = nn.Linear(10_000, 10_000)  # 400 MB of float32 if it were real
        built.append(module)
        return module

    real = nn.Linear(10_000, 10_000, device="meta")
    check_rebuilds(real, real.state_dict(), build, "nn.Linear(10000, 10000)", "model_class")
    assert built and all(p.is_meta for p in built[0].parameters())


def test_a_rebuildable_model_still_saves(tmp_path: Path) -> None:
    flavorkit.save_model(
        mlp(), tmp_path / "m", serialization_format="state_dict", init_kwargs={"hidden": 16}
    )
    assert_predictions_equal(
        flavorkit.load_model(tmp_path / "m", model_class=MLP).predict(frame()),
        flavorkit.load_model(tmp_path / "m", trust=True).predict(frame()),
    )
