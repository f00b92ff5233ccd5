"""The flavorkit conformance suite, run on the installed plugin (found by its entry point)."""

from collections.abc import Iterator

import pandas as pd
from flavorkit.testing import Case, FlavorConformanceTests, SaveFormat

# REPLACE THIS: import (or build) your framework's models instead.
from {{ cookiecutter.__package_name }}.example_model import NearestCentroid

X = pd.DataFrame({"length": [1.0, 1.2, 3.1, 3.3], "width": [0.5, 0.4, 2.2, 2.0]})


def fitted() -> NearestCentroid:
    return NearestCentroid().fit(X, [0, 0, 1, 1])


class Test{{ cookiecutter.__class_name }}(FlavorConformanceTests):
    flavor = "{{ cookiecutter.__flavor }}"
    framework_modules = ("{{ cookiecutter.framework_import_name.split('.')[0] }}",)

    def cases(self) -> Iterator[Case]:
        yield Case("centroid-frame", fitted, X, inputs=(X * 2,))
        yield Case("centroid-array", fitted, X.to_numpy(), expected=[0, 0, 1, 1])

    def formats(self) -> Iterator[SaveFormat]:
        # Every format your save accepts (its save options): each case is saved in each one and
        # must load back and predict the same, or be refused at save with a clear error.
        yield SaveFormat("default")

    # If a format records how to rebuild a model (a class and its arguments, a function's
    # name) rather than the model itself, also yield, from unrebuildable_cases(), a Case of a
    # model it cannot rebuild: the suite checks that your save refuses it.
