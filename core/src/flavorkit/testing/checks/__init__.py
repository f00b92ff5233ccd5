"""The conformance checks, grouped by what they check.

:class:`~flavorkit.testing.FlavorConformanceTests` inherits every group:

* :mod:`.mlmodel`: the MLmodel file and the files it names;
* :mod:`.predictions`: round trips, the predictor context, the signature;
* :mod:`.environment`: requirements, environment files, example files;
* :mod:`.safety`: the trust policy and MLflow's loader contract;
* :mod:`.saving`: saving without an example, onto an existing path, a failed save;
* :mod:`.packaging`: the entry point and a light plugin import.
"""

from __future__ import annotations

from flavorkit.testing.checks.environment import EnvironmentChecks
from flavorkit.testing.checks.mlmodel import MLmodelChecks
from flavorkit.testing.checks.packaging import PackagingChecks
from flavorkit.testing.checks.predictions import PredictionChecks
from flavorkit.testing.checks.safety import SafetyChecks
from flavorkit.testing.checks.saving import SavingChecks

__all__ = [
    "EnvironmentChecks",
    "MLmodelChecks",
    "PackagingChecks",
    "PredictionChecks",
    "SafetyChecks",
    "SavingChecks",
]
