"""The model's own Python environment, built from its ``python_env.yaml`` and ``requirements.txt``.

MLflow's ``--env-manager virtualenv|uv`` and platforms that deploy the MLmodel format with no
scoring script (Azure ML, SageMaker through MLflow) build the environment a model was saved with
before serving it. :func:`create_environment` does the same:

1. read the model's ``python_env.yaml`` (or ``conda.yaml``) and ``requirements.txt``;
2. hash them, with the manager, the Python and the flavorkit sources, into a cache key: an
   environment is built once per key under ``$FLAVORKIT_ENV_DIR`` (default ``flavorkit/envs`` in
   the user cache dir) and reused after; it counts as built only once its marker file
   ``flavorkit-env.json`` is written, last, so a crash mid-build is rebuilt next time;
3. create it with the standard library's ``venv`` and pip (``virtualenv``, works offline from
   pip's cache and local wheels) or with ``uv`` (``uv``, only when uv is installed);
4. install the build dependencies, then the model's requirements with ``flavorkit`` and the
   ``flavorkit-*`` plugins taken from where they came from here: a local checkout or wheel that
   pip recorded (``direct_url.json``), or the directory in ``$FLAVORKIT_SOURCE`` holding
   ``core/`` and ``plugins/<name>/`` (or wheels), else the package index. flavorkit gets its
   ``serve`` extra, so the environment can run ``flavorkit serve``.

A requirement that cannot be installed is a :class:`~flavorkit.errors.FlavorkitError` naming it
and quoting the installer's last lines. The Python is the one running flavorkit when its
``major.minor`` matches ``python_env.yaml``; else ``pythonX.Y`` from ``PATH`` (virtualenv) or
uv's own lookup; a missing one is an error naming the version.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from flavorkit.errors import FlavorkitError
from flavorkit.installed import canonical_name

__all__ = ["ENV_DIR_ENV", "MANAGERS", "ModelEnvironment", "create_environment", "env_root"]

ENV_DIR_ENV = "FLAVORKIT_ENV_DIR"
SOURCE_ENV = "FLAVORKIT_SOURCE"
MARKER = "flavorkit-env.json"
MANAGERS = ("virtualenv", "uv")
Manager = Literal["virtualenv", "uv"]
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class ModelEnvironment:
    """A built environment: its directory, its interpreter, and whether this call built it."""

    path: Path
    python: Path
    created: bool


def env_root() -> Path:
    """Where cached model environments live: ``$FLAVORKIT_ENV_DIR`` or ``flavorkit/envs``."""
    configured = os.environ.get(ENV_DIR_ENV)
    if configured:
        return Path(configured).expanduser().absolute()
    from flavorkit.cache import cache_root

    return cache_root() / "envs"


def create_environment(
    model_uri: str | os.PathLike[str],
    path: str | os.PathLike[str] | None = None,
    *,
    manager: Manager = "virtualenv",
) -> ModelEnvironment:
    """The model's environment at ``path`` (default: the cache), built unless already there."""
    from flavorkit.api import resolve_model_path
    from flavorkit.environment import read_python_env, read_requirements
    from flavorkit.mlmodel import Model

    if manager not in MANAGERS:
        raise FlavorkitError(f"--env-manager {manager!r}: use one of {', '.join(MANAGERS)}.")
    root = resolve_model_path(model_uri)
    metadata = Model.load(root)
    flavor = metadata.pyfunc_flavor()
    env_conf = flavor.env if flavor is not None and flavor.env else None
    python_env = read_python_env(root, env_conf)
    requirements = read_requirements(root)
    if python_env is None and not requirements:
        raise FlavorkitError(
            f"{root}: the model has neither python_env.yaml, conda.yaml nor requirements.txt; "
            f"there is no environment to build (serve it with --env-manager local)."
        )
    wanted_python = python_env.python if python_env is not None else None
    interpreter = _interpreter(wanted_python, manager)
    installs = _install_lines(requirements if requirements else python_env_deps(python_env))
    build = list(python_env.build_dependencies) if python_env is not None else []
    key = _key(manager, interpreter, build, installs, root)
    target = Path(path) if path is not None else env_root() / f"{_slug(root.name)}-{key[:16]}"
    python = target / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    marker = target / MARKER
    if marker.is_file() and python.exists():
        try:
            if json.loads(marker.read_text()).get("key") == key:
                return ModelEnvironment(target, python, created=False)
        except ValueError:
            pass
    if target.exists():
        if path is not None and any(target.iterdir()) and not marker.is_file():
            raise FlavorkitError(
                f"{target} exists and is not a flavorkit environment; choose an empty or new PATH."
            )
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if manager == "uv":
        uv = shutil.which("uv")
        if uv is None:
            raise FlavorkitError(
                "--env-manager uv: uv is not installed (pip install uv), or use "
                "--env-manager virtualenv."
            )
        _run([uv, "venv", "--quiet", "--python", interpreter, str(target)], "uv venv")
        pip = [uv, "pip", "install", "--python", str(python)]
    else:
        _run([interpreter, "-m", "venv", str(target)], "python -m venv")
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if build:
        _run([*pip, *build], "installing the build dependencies", cwd=root)
    _run([*pip, *installs], "installing the model's requirements", cwd=root)
    marker.write_text(json.dumps({"key": key, "model": str(root), "manager": manager}))
    return ModelEnvironment(target, python, created=True)


def python_env_deps(python_env: object) -> list[str]:
    return list(getattr(python_env, "dependencies", []) or [])


def _install_lines(requirements: Sequence[str]) -> list[str]:
    """pip arguments for the model's requirements, flavorkit's own packages from their source."""
    out: list[str] = []
    own: dict[str, str] = {}
    for line in requirements:
        if line.startswith("-"):
            out.extend(line.split(None, 1))  # -r file, -c constraints: relative to the model
            continue
        match = _NAME.match(line)
        name = canonical_name(match.group(1)) if match else ""
        if name == "flavorkit" or name.startswith("flavorkit-"):
            own[name] = line.split(";")[0].strip()
        else:
            out.append(line)
    own.setdefault("flavorkit", "flavorkit")
    for name, line in sorted(own.items()):
        source = _source(name)
        extra = "[serve]" if name == "flavorkit" else ""
        if source is None:
            spec = line if name != "flavorkit" else re.sub(r"^flavorkit", "flavorkit[serve]", line)
            out.append(spec)
        elif source.endswith(".whl"):
            out.append(f"{name}{extra} @ {Path(source).as_uri()}")
        else:
            out.append(f"{source}{extra}")
    return out


def _source(name: str) -> str | None:
    """Where ``name`` comes from: ``$FLAVORKIT_SOURCE``, else the local path pip recorded."""
    base = os.environ.get(SOURCE_ENV)
    if base:
        found = _in_checkout_or_wheels(Path(base), name)
        if found is not None:
            return found
    import importlib.metadata

    try:
        text = importlib.metadata.distribution(name).read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    url = json.loads(text).get("url", "")
    if not url.startswith("file://"):
        return None
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(url).path)


def _in_checkout_or_wheels(base: Path, name: str) -> str | None:
    if name == "flavorkit" and (base / "core" / "pyproject.toml").is_file():
        return str(base / "core")
    plugin = base / "plugins" / name.removeprefix("flavorkit-")
    if name != "flavorkit" and (plugin / "pyproject.toml").is_file():
        return str(plugin)
    wheels = sorted(base.glob(f"{name.replace('-', '_')}-*.whl"))
    return str(wheels[-1]) if wheels else None


def _interpreter(wanted: str | None, manager: Manager) -> str:
    """An interpreter for ``wanted`` (``3.11.7``): this one if ``major.minor`` matches."""
    if wanted is None:
        return sys.executable
    parts = wanted.split(".")
    major_minor = ".".join(parts[:2])
    if major_minor == f"{sys.version_info.major}.{sys.version_info.minor}":
        return sys.executable
    if manager == "uv":
        return wanted  # uv finds (or fetches) it, and says so when it cannot
    found = shutil.which(f"python{major_minor}")
    if found is None:
        raise FlavorkitError(
            f"The model wants Python {wanted}, and no python{major_minor} is on PATH (this is "
            f"Python {sys.version_info.major}.{sys.version_info.minor}); install it, or use "
            f"--env-manager uv, which can fetch one."
        )
    return found


def _key(manager: str, interpreter: str, build: list[str], installs: list[str], root: Path) -> str:
    digest = hashlib.sha256()
    for part in (manager, interpreter, sys.version, *build, "--", *installs):
        digest.update(part.encode() + b"\0")
    for name in ("python_env.yaml", "requirements.txt", "conda.yaml"):
        file = root / name
        if file.is_file():
            digest.update(name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def _run(command: list[str], what: str, cwd: Path | None = None) -> None:
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603
    if proc.returncode == 0:
        return
    output = (proc.stderr or "") + (proc.stdout or "")
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    quoted = " | ".join(lines[-4:]) or f"exit status {proc.returncode}"
    failed = re.search(
        r"(?:No matching distribution found for|Could not find a version that satisfies the "
        r"requirement|Because|No solution found when resolving dependencies:?)\s*([^\n]*)",
        output,
    )
    named = f" ({failed.group(1).strip()[:120]})" if failed and failed.group(1).strip() else ""
    raise FlavorkitError(f"{what} failed{named}: {quoted}")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:40].strip("._") or "model"
