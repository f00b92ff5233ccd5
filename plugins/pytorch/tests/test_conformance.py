"""flavorkit-pytorch passes the flavorkit conformance suite through its installed entry point."""

from collections.abc import Iterator

from models import cnn, frame, images, layer_stack, mlp, pair, two_input

from flavorkit.testing import Case, FlavorConformanceTests, SaveFormat

TOL = {"rtol": 1e-5, "atol": 1e-5}
SD, PICKLE = {"serialization_format": "state_dict"}, {"serialization_format": "pickle"}


class TestPyTorchFlavor(FlavorConformanceTests):
    flavor = "pytorch"
    framework_modules = ("torch", "safetensors", "numpy", "pandas")

    def cases(self) -> Iterator[Case]:
        # First: the suite also saves the first case without an example, which pt2 needs.
        mlp_sd = {**SD, "init_kwargs": {"hidden": 16}}
        yield Case("mlp-frame-state-dict", mlp, frame(), options=mlp_sd, trust=True, **TOL)
        yield Case("mlp-frame-pt2", mlp, frame(), **TOL)  # pt2: the default with an example
        yield Case("cnn-pt2", cnn, images(), **TOL)
        yield Case("two-input-pt2", two_input, pair(), **TOL)
        yield Case("two-input-state-dict", two_input, pair(), options=SD, trust=True, **TOL)
        yield Case("cnn-pickle", cnn, images(), options=PICKLE, trust=True, **TOL)

    def formats(self) -> Iterator[SaveFormat]:
        yield SaveFormat("pt2", {"serialization_format": "pt2"})
        yield SaveFormat("state-dict", SD, trust=True)
        yield SaveFormat("pickle", PICKLE, trust=True)

    def unrebuildable_cases(self) -> Iterator[Case]:
        # a Sequential's layers are constructor arguments: its class alone cannot rebuild it
        yield Case("sequential-state-dict", layer_stack, frame(), options=SD, trust=True)
