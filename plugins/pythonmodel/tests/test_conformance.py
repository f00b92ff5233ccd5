"""flavorkit-pythonmodel passes the conformance suite through its installed entry point."""

from collections.abc import Iterator

from pythonmodel_helpers import CODE_MODEL, DATA, models

from flavorkit.testing import Case, FlavorConformanceTests, SaveFormat
from flavorkit_pythonmodel import ModelFromCode

X, WEIGHTS = models.frame(), {"weights": str(DATA / "weights.json")}


class TestPythonModelFlavor(FlavorConformanceTests):
    flavor = "python_model"
    framework_modules = ("cloudpickle", "numpy", "pandas")

    def cases(self) -> Iterator[Case]:  # every way of loading a PythonModel runs code: trust
        yield Case("artifact", models.WeightedSum(), X, options={"artifacts": WEIGHTS}, trust=True)
        config = {"model_config": {"offset": 0.5}}
        yield Case(
            "config-params", models.Affine(), (X, {"scale": 2.0}), options=config, trust=True
        )
        kwargs = {"init_kwargs": {"factor": 3.0, "columns": ["b"]}}
        yield Case("reference", models.Scaler(3.0, ["b"]), X, options=kwargs, trust=True)
        pickled = {"serialization": "cloudpickle"}
        lookup = models.Lookup().fit({"a": 1, "b": 2})
        yield Case("cloudpickle", lookup, models.words(), options=pickled, trust=True)
        yield Case("code-file", ModelFromCode(CODE_MODEL), X, trust=True)

    def formats(self) -> Iterator[SaveFormat]:
        yield SaveFormat("reference", {"serialization": "reference"}, trust=True)
        yield SaveFormat("cloudpickle", {"serialization": "cloudpickle"}, trust=True)

    def unrebuildable_cases(self) -> Iterator[Case]:
        lookup = models.Lookup().fit({"a": 1, "b": 2})  # state set after construction
        yield Case("reference-lost-state", lookup, models.words(), trust=True)
        pickled = {"serialization": "cloudpickle"}
        yield Case("cloudpickle-lock", models.Locked(), X, options=pickled, trust=True)
