"""flavorkit-sklearn passes the flavorkit conformance suite through its installed entry point."""

from collections.abc import Iterator

from models import iris, lambda_pipeline, logreg, mixed, pipeline, ridge, ridge_data

from flavorkit.testing import Case, FlavorConformanceTests, SaveFormat


class TestSklearnFlavor(FlavorConformanceTests):
    flavor = "sklearn"
    framework_modules = ("sklearn", "skops")

    def cases(self) -> Iterator[Case]:
        yield Case("logreg-iris", logreg, iris().head(5))
        yield Case("pipeline-mixed", pipeline, mixed().head(5))
        yield Case("ridge-ndarray", ridge, ridge_data()[:5])
        yield Case(
            "proba-iris", logreg, iris().head(5), options={"pyfunc_predict_fn": "predict_proba"}
        )
        yield Case(
            "pickle-iris",
            logreg,
            iris().head(5),
            options={"serialization_format": "pickle"},
            trust=True,
        )

    def formats(self) -> Iterator[SaveFormat]:
        yield SaveFormat("skops", {"serialization_format": "skops"})
        yield SaveFormat("pickle", {"serialization_format": "pickle"}, trust=True)
        yield SaveFormat("cloudpickle", {"serialization_format": "cloudpickle"}, trust=True)

    def unrebuildable_cases(self) -> Iterator[Case]:
        # skops and pickle record functions by name; a lambda has none a load could find
        yield Case("skops-lambda", lambda_pipeline, ridge_data()[:5])
        pickled = {"serialization_format": "pickle"}
        yield Case("pickle-lambda", lambda_pipeline, ridge_data()[:5], options=pickled, trust=True)
