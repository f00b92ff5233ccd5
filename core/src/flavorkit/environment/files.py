"""The environment files of a model directory, written and read byte for byte as MLflow does.

``requirements.txt``, ``constraints.txt``, ``python_env.yaml`` and ``conda.yaml``: written from a
resolved :class:`~flavorkit.environment.Requirements`, read back (also from what MLflow wrote)
into a :class:`PythonEnv`.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flavorkit.environment.inference import installed_version
from flavorkit.environment.requirements import Requirements, load_yaml, logical_lines
from flavorkit.errors import EnvironmentSpecError

__all__ = [
    "CONDA_ENV_FILE_NAME",
    "CONSTRAINTS_FILE_NAME",
    "PYTHON_ENV_FILE_NAME",
    "REQUIREMENTS_FILE_NAME",
    "PythonEnv",
    "read_python_env",
    "read_requirements",
    "write_environment_files",
]


REQUIREMENTS_FILE_NAME = "requirements.txt"


CONSTRAINTS_FILE_NAME = "constraints.txt"


PYTHON_ENV_FILE_NAME = "python_env.yaml"


CONDA_ENV_FILE_NAME = "conda.yaml"


def write_environment_files(
    model_dir: str | os.PathLike[str], reqs: Requirements, *, python_version: str | None = None
) -> dict[str, str]:
    """Write requirements.txt, constraints.txt (if any), python_env.yaml and conda.yaml.

    The bytes are MLflow's: requirements joined by ``\\n`` with no trailing newline,
    python_env.yaml with ``sort_keys=False``, conda.yaml with sorted keys. ``python_version``
    defaults to the running interpreter's. Returns MLmodel's ``python_function.env`` mapping.
    """
    import yaml

    directory = Path(model_dir)
    if not directory.is_dir():
        raise EnvironmentSpecError(f"model directory {str(directory)!r} does not exist")
    python = python_version if python_version is not None else _python_version()
    if not re.fullmatch(r"\d+\.\d+(\.\d+)?\S*", python):
        raise EnvironmentSpecError(
            f"python_version={python!r} is not a Python version; use e.g. '3.11.7'"
        )
    for what, lines in (("requirements", reqs.requirements), ("constraints", reqs.constraints)):
        for index, line in enumerate(lines):
            if not isinstance(line, str) or not line.strip() or "\n" in line or "\r" in line:
                raise EnvironmentSpecError(
                    f"Requirements.{what}[{index}] must be one non-empty line, not {line!r}"
                )
    lines = list(reqs.requirements)
    if reqs.constraints:
        lines.append(f"-c {CONSTRAINTS_FILE_NAME}")
        (directory / CONSTRAINTS_FILE_NAME).write_text("\n".join(reqs.constraints), "utf-8")
    (directory / REQUIREMENTS_FILE_NAME).write_text("\n".join(lines), "utf-8")

    versions = {name: installed_version(name) for name in ("pip", "setuptools", "wheel")}
    python_env = {
        "python": python,
        "build_dependencies": [f"{n}=={v}" if v else n for n, v in versions.items()],
        "dependencies": [f"-r {REQUIREMENTS_FILE_NAME}"],
    }
    with open(directory / PYTHON_ENV_FILE_NAME, "w", encoding="utf-8") as handle:
        yaml.safe_dump(python_env, handle, sort_keys=False, default_flow_style=False)

    if reqs.conda_env is not None:
        conda = _conda_with_pip(reqs.conda_env, lines)
    else:
        deps: list[Any] = [f"python={python}"]
        if lines:
            deps += [f"pip<={versions['pip']}" if versions["pip"] else "pip", {"pip": lines}]
        conda = {"name": "mlflow-env", "channels": ["conda-forge"], "dependencies": deps}
    with open(directory / CONDA_ENV_FILE_NAME, "w", encoding="utf-8") as handle:
        yaml.safe_dump(conda, handle, default_flow_style=False)
    return {"conda": CONDA_ENV_FILE_NAME, "virtualenv": PYTHON_ENV_FILE_NAME}


def _python_version() -> str:
    return "{}.{}.{}".format(*sys.version_info[:3])


def _conda_with_pip(env: Mapping[str, Any], pip_lines: list[str]) -> dict[str, Any]:
    """A copy of ``env`` whose pip section (the first; others are dropped) is ``pip_lines``."""
    import copy

    result = copy.deepcopy(dict(env))
    deps = result.get("dependencies") or []
    pip_at = [i for i, dep in enumerate(deps) if isinstance(dep, dict) and "pip" in dep]
    if pip_at:
        deps[pip_at[0]] = {**deps[pip_at[0]], "pip": pip_lines}
        deps = [dep for i, dep in enumerate(deps) if i not in pip_at[1:]]
    elif pip_lines:
        deps.append({"pip": pip_lines})
    result["dependencies"] = deps
    return result


@dataclass(frozen=True)
class PythonEnv:
    """The contents of python_env.yaml: what MLflow's virtualenv/uv env managers build."""

    python: str
    build_dependencies: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)


def read_requirements(
    model_dir: str | os.PathLike[str], file_name: str = REQUIREMENTS_FILE_NAME
) -> list[str]:
    """The lines of a model's requirements.txt (``[]`` when there is none), without comments and
    blank lines; option lines such as ``-c constraints.txt`` are returned as written."""
    path = _inside(model_dir, file_name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise EnvironmentSpecError(f"cannot read {str(path)!r}: {exc}") from None
    return [line for line, _ in logical_lines(text, str(path))]


def read_python_env(
    model_dir: str | os.PathLike[str], env: Mapping[str, str] | str | None = None
) -> PythonEnv | None:
    """The model's Python environment, as MLflow's env managers read it; None without one.

    ``env`` is MLmodel's ``python_function.env`` (file names under ``virtualenv`` and ``conda``,
    or the legacy conda file name). Without python_env.yaml, the Python version and build
    dependencies come from conda.yaml, and the dependencies are ``-r requirements.txt`` when that
    file exists, else conda.yaml's pip list.
    """
    names = {"conda": env} if isinstance(env, str) else (env or {})
    path = _inside(model_dir, names.get("virtualenv", PYTHON_ENV_FILE_NAME))
    data = load_yaml(path, what=path.name, strings_only=True)
    if data is not None:
        if not isinstance(data, dict):
            raise EnvironmentSpecError(f"{path}: the top level must be a mapping")
        if not isinstance(python := data.get("python"), str) or not python:
            raise EnvironmentSpecError(
                f"{path}: key 'python' must name the Python version (e.g. 3.11.7), not {python!r}"
            )
        build = _string_list(data.get("build_dependencies"), f"{path}: 'build_dependencies'")
        return PythonEnv(
            python, build, _string_list(data.get("dependencies"), f"{path}: 'dependencies'")
        )
    path = _inside(model_dir, names.get("conda", CONDA_ENV_FILE_NAME))
    conda = load_yaml(path, what=path.name)
    if conda is None:
        return None
    python, build, pip = _from_conda(conda, str(path))
    if _inside(model_dir, REQUIREMENTS_FILE_NAME).is_file():
        pip = [f"-r {REQUIREMENTS_FILE_NAME}"]
    return PythonEnv(python, build, pip)


# A conda dependency a virtualenv needs too (in conda syntax, a single '=' pins).
_CONDA_BUILD_DEP = r"^(python|pip|setuptools|wheel)(<=|>=|==|!=|<|>|=)?([\d.]+)?$"


def _from_conda(conda: Any, where: str) -> tuple[str, list[str], list[str]]:
    """(python version, build dependencies, pip list) of a conda environment, as MLflow's
    ``_PythonEnv.get_dependencies_from_conda_yaml`` reads them."""
    if not isinstance(conda, dict) or not isinstance(conda.get("dependencies") or [], list):
        raise EnvironmentSpecError(f"{where}: expected a mapping with a 'dependencies' list")
    python: str | None = None
    build: list[str] = []
    pip: list[str] = []
    for dep in conda.get("dependencies") or []:
        if isinstance(dep, dict) and "pip" in dep:
            pip += _string_list(dep["pip"], f"{where}: dependencies pip")
        elif not isinstance(dep, str):
            raise EnvironmentSpecError(
                f"{where}: invalid conda dependency {dep!r}; use a string or {{pip: [...]}}"
            )
        elif match := re.match(_CONDA_BUILD_DEP, dep):  # others are conda-only packages
            package, op, version = match.groups()
            if package != "python":
                build.append(package + ("==" if op == "=" else (op or "")) + (version or ""))
            elif python is None:
                if not (op and version) or op in ("<", ">", "!="):
                    raise EnvironmentSpecError(
                        f"{where}: python dependency {dep!r} must pin a version "
                        "(e.g. python=3.11.7)"
                    )
                python = version
    if python is None:
        python = _python_version()
        warnings.warn(
            f"{where} names no python version; assuming the running Python {python}",
            UserWarning,
            stacklevel=3,
        )
    return python, build, pip


def _inside(model_dir: str | os.PathLike[str], name: str) -> Path:
    """``model_dir/name``, refusing a name that escapes the model directory."""
    if os.path.isabs(name) or ".." in Path(name).parts:
        raise EnvironmentSpecError(
            f"environment file {name!r} must be a relative path inside the model directory"
        )
    return Path(model_dir) / name


def _string_list(value: Any, where: str) -> list[str]:
    if value is None or value == "":
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EnvironmentSpecError(f"{where} must be a list of strings, not {value!r}")
    return list(value)
