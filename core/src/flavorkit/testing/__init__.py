"""The conformance suite for flavor plugins: subclass one class, list your cases, run pytest.

::

    from flavorkit.testing import Case, FlavorConformanceTests

    class TestToyFlavor(FlavorConformanceTests):
        flavor = "toy"
        framework_modules = ("numpy",)

        def cases(self):
            yield Case("linear-2col", model=ToyModel([2.0, -1.0]), input_example=X)

Every property a flavor must have (MLmodel round trip, pyfunc equals native, signature enforced,
requirements pinned, safe loading, MLflow's loader contract, ...) is one test, collected once per
case; see :class:`FlavorConformanceTests` for the list. The comparison helpers are public for a
plugin's own tests. This package imports pytest, so ``import flavorkit`` never imports it.
"""

import pytest

# Before the submodules are imported: their asserts then report values as test-module asserts do.
pytest.register_assert_rewrite(
    "flavorkit.testing.compare",
    "flavorkit.testing.suite",
    "flavorkit.testing.checks",
    "flavorkit.testing.state",
    "flavorkit.testing.badinputs",
    "flavorkit.testing.integrity",
    "flavorkit.testing.formats",
)

from flavorkit.testing.badinputs import BadInput, bad_inputs  # noqa: E402
from flavorkit.testing.case import (  # noqa: E402
    CAPABILITIES,
    IN_PROCESS_ONLY,
    NEEDS_INPUT_EXAMPLE,
    NO_PYFUNC,
    UNSAFE_FORMATS,
    Case,
)
from flavorkit.testing.compare import (  # noqa: E402
    assert_mlmodel_equal,
    assert_predictions_equal,
    mlmodel_diff,
    prediction_diff,
)
from flavorkit.testing.formats import SaveFormat  # noqa: E402
from flavorkit.testing.suite import FlavorConformanceTests, SavedModel  # noqa: E402

__all__ = [
    "FlavorConformanceTests",
    "Case",
    "SavedModel",
    "SaveFormat",
    "CAPABILITIES",
    "IN_PROCESS_ONLY",
    "NEEDS_INPUT_EXAMPLE",
    "NO_PYFUNC",
    "UNSAFE_FORMATS",
    "assert_predictions_equal",
    "prediction_diff",
    "assert_mlmodel_equal",
    "mlmodel_diff",
    "BadInput",
    "bad_inputs",
]
