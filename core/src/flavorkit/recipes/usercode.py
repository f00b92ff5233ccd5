"""The user's ``steps/*.py``: finding their functions, and the local files their source depends on.

MLflow imported ``steps.<x>`` after appending the recipe root to ``sys.path`` and hashed nothing:
its make rules named fixed files, so an edited helper module went unnoticed. Here the cache key of
a step covers each declared ``steps/*.py`` file plus every module inside the recipe root that it
imports, transitively (found by reading the source's ``import`` statements, without running it).
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flavorkit.errors import RecipeError

__all__ = ["code_dependencies", "function_name", "user_code_path", "user_function"]


def function_name(file: str, value: str) -> str:
    """``fn`` from ``fn``, ``steps.train.fn`` or ``steps/train.py::fn`` (MLflow took all three)."""
    text = value.strip()
    if "::" in text:
        text = text.rsplit("::", 1)[1]
    prefix = f"steps.{file}."
    if text.startswith(prefix):
        text = text[len(prefix) :]
    return text.rsplit(".", 1)[-1]


@contextmanager
def user_code_path(root: Path) -> Iterator[None]:
    """Make ``import steps.x`` (and the recipe's own helper modules) resolve inside ``root``.

    Modules a previous recipe imported under the same names are dropped first, so two recipes in
    one process (a notebook, a test session) never see each other's code.
    """
    root_text = str(root)
    for name in list(sys.modules):
        module = sys.modules[name]
        file = getattr(module, "__file__", None)
        ours = file and _recipe_module(Path(file), root)
        if name == "steps" or name.startswith("steps.") or ours:
            del sys.modules[name]
    sys.path.insert(0, root_text)
    importlib.invalidate_caches()
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(root_text)


def _recipe_module(file: Path, root: Path) -> bool:
    # a module loaded from some recipe root's steps/ (ours or another's)
    return file.parent.name == "steps" and (file.parent.parent / "recipe.yaml").exists()


def user_function(root: Path, file: str, value: str) -> Callable[..., Any]:
    """The function that ``value`` names in ``steps/<file>.py``, or a RecipeError naming both."""
    name = function_name(file, value)
    path = root / "steps" / f"{file}.py"
    if not path.is_file():
        raise RecipeError(f"{path} does not exist: it must define {name}()")
    with user_code_path(root):
        try:
            module = importlib.import_module(f"steps.{file}")
        except Exception as e:
            raise RecipeError(f"{path}: importing it failed: {type(e).__name__}: {e}") from e
    fn = getattr(module, name, None)
    if not callable(fn):
        defined = sorted(
            n for n, v in vars(module).items() if callable(v) and not n.startswith("_")
        )
        raise RecipeError(
            f"{path}: no function {name!r} (named by the recipe configuration); "
            f"functions defined there: {', '.join(defined) or 'none'}"
        )
    return fn  # type: ignore[no-any-return]


def code_dependencies(root: Path, files: list[str]) -> list[Path]:
    """``steps/<f>.py`` for each f, plus the local modules they import, transitively, sorted.

    A file that does not exist is listed anyway (its absence is part of the key).
    """
    seen: set[Path] = set()
    todo = [root / "steps" / f"{f}.py" for f in files]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        if path.is_file():
            todo.extend(p for p in _local_imports(path, root) if p not in seen)
    return sorted(seen)


def _local_imports(path: Path, root: Path) -> list[Path]:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError):
        return []  # the import will fail loudly when the step runs
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x / from .helpers import y
                base = path.parent
                for _ in range(node.level - 1):
                    base = base.parent
                prefix = ".".join(base.relative_to(root).parts) if base != root else ""
                mod = ".".join(p for p in (prefix, node.module or "") if p)
            else:
                mod = node.module or ""
            names.append(mod)
            names.extend(f"{mod}.{alias.name}" if mod else alias.name for alias in node.names)
    found: list[Path] = []
    for name in names:
        if not name:
            continue
        rel = Path(*name.split("."))
        for candidate in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
            if candidate.is_file():
                found.append(candidate)
    return found
