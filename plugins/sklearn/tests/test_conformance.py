"""flavorkit-sklearn passes the flavorkit conformance suite through its installed entry point."""

from collections.abc import Iterator

from models import iris, logreg, mixed, pipeline, ridge, ridge_data

from flavorkit.testing import Case, FlavorConformanceTests


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
