"""Developer sessions. `python3 -m nox -s tests` is the full test suite CI runs.

Each session builds its own virtualenv with pip (not uv): the PyTorch sessions to come must take the
CPU wheel pinned in constraints-dev.txt, which only pip finds.
"""

from __future__ import annotations

from pathlib import Path

import nox

ROOT = Path(__file__).parent
CONSTRAINTS = ("-c", str(ROOT / "constraints-dev.txt"))
TEST_DEPS = ("pytest>=8", "hypothesis>=6.100", "scipy", "pyarrow", "scikit-learn")

nox.options.default_venv_backend = "virtualenv"
nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.error_on_missing_interpreters = True


@nox.session
def tests(session: nox.Session) -> None:
    """The full test suite: the core and the cross-package tests."""
    session.install(*CONSTRAINTS, "-e", "./core", *TEST_DEPS)
    session.run("pytest", *session.posargs)


@nox.session
def core(session: nox.Session) -> None:
    """The core's own tests against a non-editable install (catches packaging mistakes)."""
    session.install(*CONSTRAINTS, "./core", *TEST_DEPS)
    session.run("pytest", "core/tests", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The end-to-end demo: train, describe, write and read back a model directory."""
    session.install(*CONSTRAINTS, "./core", "scikit-learn")
    session.run("python", "-m", "flavorkit.demo", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install(*CONSTRAINTS, "ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install(*CONSTRAINTS, "mypy", "types-PyYAML", "pandas-stubs", "-e", "./core")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks (slow; not part of the default run). Each prints figures next to targets."""
    session.install(*CONSTRAINTS, "./core", "scikit-learn")
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.run("python", str(script))
