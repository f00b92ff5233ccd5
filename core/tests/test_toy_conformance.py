"""The toy flavor passes the conformance suite, as a third-party plugin's test module runs it."""

from collections.abc import Iterator

import pandas as pd
from toyflavor_pkg import ToyFlavor, ToyModel

from flavorkit.testing import Case, FlavorConformanceTests

X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, 0.0, -1.0]})


class TestToyFlavor(FlavorConformanceTests):
    flavor = "toy"
    plugin = ToyFlavor  # registered in-process: here the toy is not an installed distribution
    framework_modules = ("numpy",)

    def cases(self) -> Iterator[Case]:
        pickled = {"serialization_format": "pickle"}
        yield Case("linear-2col", ToyModel([2.0, -1.0], bias=0.5), X, inputs=(X * 3,))
        yield Case("params", ToyModel([1.0, 1.0]), (X, {"scale": 2.0}))
        yield Case("ndarray", ToyModel([1.0, 2.0]), X.to_numpy(), expected=[2.0, 2.0, 1.0])
        yield Case("pickle", lambda: ToyModel([0.5]), X[["a"]], options=pickled, trust=True)
