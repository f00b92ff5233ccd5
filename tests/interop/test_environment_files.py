"""Environment files: what one side writes, the other reads the same way.

MLflow restores a model's environment from ``python_env.yaml`` (virtualenv and uv managers),
``requirements.txt`` and ``conda.yaml``; flavorkit reads them with
:func:`flavorkit.environment.read_python_env` and :func:`~flavorkit.environment.read_requirements`.
MLflow's readers are private functions (``_PythonEnv.from_yaml``, ``_parse_requirements``), the
ones its environment managers call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from interop_env import need_mlflow

need_mlflow()

import mlflow.pyfunc  # noqa: E402
import mlflow.sklearn  # noqa: E402
import yaml  # noqa: E402
from mlflow.utils.environment import _PythonEnv  # noqa: E402
from mlflow.utils.requirements_utils import _parse_requirements  # noqa: E402

import flavorkit  # noqa: E402
from flavorkit.environment import read_python_env, read_requirements  # noqa: E402

EXTRA = ["pandas>=2", "requests"]


def save_flavorkit(path: Path, model: Any, example: Any) -> None:
    flavorkit.save_model(model, path, input_example=example, extra_pip_requirements=EXTRA)


def save_mlflow(path: Path, model: Any, example: Any) -> None:
    mlflow.sklearn.save_model(
        model, str(path), input_example=example, pip_requirements=["scikit-learn", *EXTRA]
    )


@pytest.mark.parametrize("writer", ["flavorkit", "mlflow"])
def test_both_sides_read_the_same_environment(
    writer: str, tmp_path: Path, logreg: Any, iris: Any
) -> None:
    path = tmp_path / writer
    (save_flavorkit if writer == "flavorkit" else save_mlflow)(path, logreg, iris[0].head(2))

    theirs_reqs = [r.req_str for r in _parse_requirements(str(path / "requirements.txt"), False)]
    ours_reqs = read_requirements(path)
    assert ours_reqs == theirs_reqs
    assert {"pandas>=2", "requests"} <= set(ours_reqs)

    env = flavorkit.Model.load(path).flavors["python_function"]["env"]
    ours_env = read_python_env(path, env)
    theirs_env = _PythonEnv.from_yaml(str(path / env["virtualenv"]))
    assert ours_env is not None
    assert (ours_env.python, ours_env.build_dependencies, ours_env.dependencies) == (
        theirs_env.python,
        theirs_env.build_dependencies,
        theirs_env.dependencies,
    )

    assert mlflow.pyfunc.get_model_dependencies(str(path)) == str(path / "requirements.txt")
    conda = yaml.safe_load(
        Path(mlflow.pyfunc.get_model_dependencies(str(path), "conda")).read_text()
    )
    pip_section = next(d for d in conda["dependencies"] if isinstance(d, dict))
    assert pip_section["pip"] == theirs_reqs
