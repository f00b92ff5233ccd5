"""The environment a model needs: requirements.txt, constraints.txt, python_env.yaml, conda.yaml.

A saved model is portable only if it names what must be installed to load it. This module builds
that list as MLflow does (MLflow format §6) and writes the files byte for byte as MLflow does, so
MLflow's env managers (virtualenv, uv, conda) restore a flavorkit model. Two differences:

* Requirements are inferred **in process, from the model object**: the modules of the types
  reachable from it are mapped to the distributions that installed those very files. MLflow
  reloads the model in a subprocess and records every import (2-6 s per save, listing whatever
  the framework happens to import, e.g. torch for any skops model).
* No ``mlflow==`` pin is added: flavorkit never depends on MLflow, and MLflow's serving tools
  install mlflow into the environments they build.

Requirement lines are read with ``packaging``; lines pip accepts that are not PEP 508 (pip
options, URLs, paths) get a light check and are kept as written. ``packaging``, ``yaml`` and
``importlib.metadata`` are imported where needed, so importing this module stays cheap.

The package has three parts: :mod:`.inference` (which distributions the model object needs),
:mod:`.requirements` (parsing and merging requirement lists) and :mod:`.files` (the files
themselves); every name below is importable from ``flavorkit.environment``.
"""

from __future__ import annotations

from flavorkit.environment.files import (
    CONDA_ENV_FILE_NAME,
    CONSTRAINTS_FILE_NAME,
    PYTHON_ENV_FILE_NAME,
    REQUIREMENTS_FILE_NAME,
    PythonEnv,
    read_python_env,
    read_requirements,
    write_environment_files,
)
from flavorkit.environment.inference import infer_requirements, pinned_requirement
from flavorkit.environment.requirements import (
    CondaEnvOption,
    RequirementMismatch,
    Requirements,
    RequirementsOption,
    check_installed,
    resolve_requirements,
)

__all__ = [
    "CONDA_ENV_FILE_NAME",
    "CONSTRAINTS_FILE_NAME",
    "PYTHON_ENV_FILE_NAME",
    "REQUIREMENTS_FILE_NAME",
    "CondaEnvOption",
    "PythonEnv",
    "RequirementMismatch",
    "Requirements",
    "RequirementsOption",
    "check_installed",
    "infer_requirements",
    "pinned_requirement",
    "read_python_env",
    "read_requirements",
    "resolve_requirements",
    "write_environment_files",
]
