"""Fixtures for flavorkit.recipes: real scikit-learn, a real local sqlite MLflow store.

A full recipe run costs tens of seconds here, so the session builds one regression and one
classification project once (``built_*``); tests that change things work on a copy
(``regression_copy``), which also proves a copied recipe keeps its cache.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest

from flavorkit.recipes import Recipe
from flavorkit.recipes.init import init_project


class Lines(list):
    """Collects the runner's one-line outcomes."""

    def __call__(self, line: str) -> None:
        self.append(line)

    def of(self, step: str) -> str:
        found = [line for line in self if line.startswith(f"{step}:")]
        assert found, f"no line for {step} in {list(self)}"
        return found[-1]


@pytest.fixture
def lines() -> Lines:
    return Lines()


def _build(tmp_path_factory: pytest.TempPathFactory, template: str) -> Path:
    root = tmp_path_factory.mktemp(f"built-{template}") / "project"
    init_project(root, template)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recipe = Recipe("local", root=root, echo=lambda _: None)
        recipe.run()
        recipe.run("predict")
    return root


@pytest.fixture(scope="session")
def built_regression(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory, "regression")


@pytest.fixture(scope="session")
def built_classification(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory, "classification")


@pytest.fixture
def regression_copy(built_regression: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "moved-project"
    shutil.copytree(built_regression, dest)
    return dest


@pytest.fixture
def fresh_regression(tmp_path: Path) -> Path:
    root = tmp_path / "fresh"
    init_project(root, "regression")
    return root
