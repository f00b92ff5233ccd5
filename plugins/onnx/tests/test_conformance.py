"""flavorkit-onnx passes the flavorkit conformance suite through its installed entry point."""

from collections.abc import Iterator

from models import (
    broken_graph,
    iris32,
    logreg_onnx,
    torch_mlp,
    two_inputs,
    two_inputs_data,
    wide_data,
    wide_mlp,
)

from flavorkit.testing import Case, FlavorConformanceTests, SaveFormat


class TestOnnxFlavor(FlavorConformanceTests):
    flavor = "onnx"
    framework_modules = ("onnx", "onnxruntime", "numpy")

    def cases(self) -> Iterator[Case]:
        yield Case("skl2onnx-logreg", logreg_onnx, {"X": iris32()[:5]}, [{"X": iris32()[50:]}])
        yield Case("torch-mlp", torch_mlp, {"x": iris32()[:5]}, [{"x": iris32()[:1]}])
        yield Case("two-inputs", two_inputs, two_inputs_data(4), [two_inputs_data(1)])
        options = {"external_data_size_threshold": 4096}
        yield Case("external-data", wide_mlp, {"x": wide_data(3)}, options=options)

    def formats(self) -> Iterator[SaveFormat]:
        yield SaveFormat("external-data", {"save_as_external_data": True})
        yield SaveFormat("inline", {"save_as_external_data": False})

    def unrebuildable_cases(self) -> Iterator[Case]:
        # ONNX records the graph itself; what cannot be rebuilt is a graph no runtime can open
        yield Case("broken-graph", broken_graph, {"x": iris32()[:3]})
