"""``flavorkit recipes init DIR --template regression|classification``: a runnable starter recipe.

The project files live in ``flavorkit/recipes/projects/<template>/``; Python sources there end in
``-tpl`` so that they are not modules of flavorkit itself (linters and type checkers skip them, and
two templates' ``steps/train.py`` never collide). The data are a dataset that ships inside
scikit-learn (no download), written to ``data/`` as parquet, with a scoring file without the
target for ``predict``.
"""

from __future__ import annotations

import os
import shutil
from importlib.resources import files
from pathlib import Path
from typing import Any

from flavorkit.errors import RecipeError

__all__ = ["TEMPLATES", "init_project"]

TEMPLATES = ("regression", "classification")
SCORING_ROWS = 100


def _dataset(template: str) -> tuple[str, Any]:
    if template == "regression":
        from sklearn.datasets import load_diabetes

        frame = load_diabetes(as_frame=True, scaled=False).frame
        return "diabetes", frame.rename(columns={"target": "progression"})
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame.copy()
    frame.columns = [str(c).replace(" ", "_") for c in frame.columns]
    # scikit-learn codes malignant as 0; the recipe's positive class is the malignant case
    frame["malignant"] = (frame.pop("target") == 0).astype("int64")
    return "breast_cancer", frame


def init_project(directory: str | os.PathLike[str], template: str = "regression") -> Path:
    """Write a runnable recipe project into ``directory`` (which must not exist or be empty)."""
    if template not in TEMPLATES:
        raise RecipeError(f"unknown template {template!r}: choose one of {', '.join(TEMPLATES)}")
    target = Path(directory).absolute()
    if target.exists() and any(target.iterdir()):
        raise RecipeError(f"{target} exists and is not empty: choose a new directory")
    source = files("flavorkit.recipes") / "projects" / template
    tmp = target.with_name(f".{target.name}.init-tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _copy(source, tmp)
        name, frame = _dataset(template)
        data = tmp / "data"
        data.mkdir()
        frame.to_parquet(data / f"{name}.parquet", index=False)
        target_col = frame.columns[-1]
        frame.drop(columns=[target_col]).head(SCORING_ROWS).to_parquet(
            data / "scoring.parquet", index=False
        )
        if target.exists():
            target.rmdir()
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _copy(source: Any, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        name = item.name
        if item.is_dir():
            if name != "__pycache__":
                _copy(item, dest / name)
            continue
        if name == "gitignore-tpl":
            name = ".gitignore"
        elif name.endswith("-tpl"):
            name = name[: -len("-tpl")]
        (dest / name).write_bytes(item.read_bytes())
