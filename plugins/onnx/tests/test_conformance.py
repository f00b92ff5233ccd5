"""flavorkit-onnx passes the flavorkit conformance suite through its installed entry point."""

from collections.abc import Iterator

from models import iris32, logreg_onnx, torch_mlp, two_inputs, two_inputs_data, wide_data, wide_mlp

from flavorkit.testing import Case, FlavorConformanceTests


class TestOnnxFlavor(FlavorConformanceTests):
    flavor = "onnx"
    framework_modules = ("onnx", "onnxruntime", "numpy")

    def cases(self) -> Iterator[Case]:
        yield Case("skl2onnx-logreg", logreg_onnx, {"X": iris32()[:5]}, [{"X": iris32()[50:]}])
        yield Case("torch-mlp", torch_mlp, {"x": iris32()[:5]}, [{"x": iris32()[:1]}])
        yield Case("two-inputs", two_inputs, two_inputs_data(4), [two_inputs_data(1)])
        options = {"external_data_size_threshold": 4096}
        yield Case("external-data", wide_mlp, {"x": wide_data(3)}, options=options)
