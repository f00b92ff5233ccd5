"""Meta-tests: every hook spec is exercised by a test and documented with its exact signature.

As datasette does for its plugin hooks, so that adding a hook without a test or without
documentation fails here. They read source and documentation files and build nothing, so they run
in the core session, where Sphinx is not installed.

A hook spec is a function of :mod:`flavorkit.hookspecs` carrying pluggy's ``flavorkit_spec``
marker: exactly what ``PluginManager.add_hookspecs`` registers.

A hook is **exercised** when a Python file under ``core/tests`` (other than this one), or Python
source embedded in one as a string (the modules tests write for pytester or run in a
subprocess), does one of:

* calls it through a plugin manager: ``<...>.hook.<hook name>(...)``;
* implements it directly: defines a function named after the hook;
* implements it through the ``Flavor`` base class: a class deriving from ``Flavor`` (directly,
  or through other classes defined in those sources) defines the method that ``Flavor``'s own
  implementation of the hook delegates to (``flavorkit_save_model`` -> ``save``), read from the
  ``self.<method>(...)`` call in the base class's source.

A hook is **documented** when a page under ``docs/`` has an ``autofunction`` directive for
``flavorkit.hookspecs.<hook>`` (autodoc renders the signature from the code) and the pages'
Python blocks of ``@hookspec`` stubs hold the hook with the code's exact signature and hookspec
options (``firstresult``).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from flavorkit import hookspecs
from flavorkit.flavor import Flavor

TESTS = Path(__file__).parent
DOCS = Path(__file__).parents[2] / "docs"
SPEC_MARKER = f"{hookspecs.PROJECT_NAME}_spec"


def hook_specs() -> dict[str, Callable[..., Any]]:
    """Hook name -> its specification function, in definition order."""
    return {
        name: value
        for name, value in vars(hookspecs).items()
        if callable(value) and hasattr(value, SPEC_MARKER)
    }


HOOKS = list(hook_specs())

#: Hooks that no core test exercises yet. Strict xfail: once a test exercises the hook, this
#: test passes unexpectedly, which fails, so the entry must then be removed.
UNTESTED: dict[str, str] = {}


def _hook_params(*, xfail_untested: bool) -> list[Any]:
    params = []
    for hook in HOOKS:
        marks = []
        if xfail_untested and hook in UNTESTED:
            marks.append(pytest.mark.xfail(reason=UNTESTED[hook], strict=True))
        params.append(pytest.param(hook, marks=marks, id=hook))
    return params


# -- every hook has a test ----------------------------------------------------------------------


def _base_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _embedded_modules(tree: ast.Module) -> Iterator[ast.Module]:
    """Python source held in string constants (pytester files, subprocess scripts)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "\n" in node.value:
            try:
                inner = ast.parse(textwrap.dedent(node.value))
            except SyntaxError:
                continue
            if any(isinstance(n, (ast.FunctionDef, ast.ClassDef)) for n in ast.walk(inner)):
                yield inner


@cache
def _test_sources() -> tuple[ast.Module, ...]:
    modules: list[ast.Module] = []
    for file in sorted(TESTS.rglob("*.py")):
        if file.resolve() == Path(__file__).resolve():
            continue
        tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
        modules.append(tree)
        modules.extend(_embedded_modules(tree))
    return tuple(modules)


@cache
def _evidence() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(hooks called via ``.hook.<name>(``, functions defined, methods of Flavor subclasses)."""
    called: set[str] = set()
    defined: set[str] = set()
    classes: dict[str, tuple[set[str], set[str]]] = {}  # name -> (base names, method names)
    for tree in _test_sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if isinstance(owner, ast.Attribute) and owner.attr == "hook":
                    called.add(node.func.attr)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defined.add(node.name)
            elif isinstance(node, ast.ClassDef):
                bases, methods = classes.setdefault(node.name, (set(), set()))
                bases.update(b for b in map(_base_name, node.bases) if b)
                methods.update(
                    n.name
                    for n in node.body
                    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                )
    flavor_classes = {"Flavor"}
    while True:
        more = {n for n, (bases, _) in classes.items() if bases & flavor_classes} - flavor_classes
        if not more:
            break
        flavor_classes |= more
    overridden = set().union(*(classes[n][1] for n in flavor_classes if n in classes))
    return frozenset(called), frozenset(defined), frozenset(overridden)


@cache
def _delegates() -> dict[str, str]:
    """Hook name -> the method ``Flavor``'s implementation of it calls on ``self``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(Flavor)))
    cls = tree.body[0]
    assert isinstance(cls, ast.ClassDef)
    result: dict[str, str] = {}
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name in HOOKS:
            calls = {
                n.func.attr
                for n in ast.walk(node)
                if isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute)
                and isinstance(n.func.value, ast.Name)
                and n.func.value.id == "self"
            }
            assert len(calls) == 1, f"Flavor.{node.name} should delegate to one method: {calls}"
            result[node.name] = calls.pop()
    return result


def test_the_rules_find_the_hooks() -> None:
    """The definitions above see what they are meant to see (else every check is vacuous)."""
    assert HOOKS[0] == "flavorkit_flavors" and "flavorkit_save_model" in HOOKS
    assert _delegates()["flavorkit_save_model"] == "save"
    assert _delegates()["flavorkit_flavors"] == "info"
    _, defined, overridden = _evidence()
    assert {"save", "load"} <= overridden  # the toy flavor
    assert "test_the_rules_find_the_hooks" not in defined  # this file is not evidence


@pytest.mark.parametrize("hook", _hook_params(xfail_untested=True))
def test_every_hook_has_a_test(hook: str) -> None:
    called, defined, overridden = _evidence()
    delegate = _delegates().get(hook)
    found = hook in called or hook in defined or (delegate is not None and delegate in overridden)
    via = f", or a Flavor subclass overriding {delegate}()" if delegate else ""
    assert found, (
        f"No test under core/tests exercises the hook {hook}. Add one that calls "
        f"registry.hook.{hook}(...) or registers a plugin implementing it (a function named "
        f"{hook}{via}) and checks what the core does with the result."
    )


def test_untested_list_names_real_hooks() -> None:
    assert set(UNTESTED) <= set(HOOKS), sorted(set(UNTESTED) - set(HOOKS))


# -- every hook is documented with its exact signature -----------------------------------------


@cache
def _doc_pages() -> dict[Path, str]:
    pages = {
        p: p.read_text(encoding="utf-8")
        for p in sorted(DOCS.rglob("*"))
        if p.suffix in (".md", ".rst") and "_build" not in p.relative_to(DOCS).parts
    }
    assert pages, f"no documentation pages found under {DOCS}"
    return pages


AUTOFUNCTION = re.compile(
    r"(?:\.\.\s+autofunction::|\{autofunction\})[ \t]*flavorkit\.hookspecs\.(\w+)"
)
PYTHON_BLOCK = re.compile(
    r"^(`{3,}|~{3,})(?:python|\{code-block\}\s+python)\s*\n(.*?)^\1", re.M | re.S
)


def _autodoc_documented() -> set[str]:
    return {name for text in _doc_pages().values() for name in AUTOFUNCTION.findall(text)}


@cache
def _documented_stubs() -> dict[str, list[tuple[Path, Callable[..., Any]]]]:
    """Hook name -> the ``@hookspec`` stubs in the docs' Python blocks, built as functions."""
    stubs: dict[str, list[tuple[Path, Callable[..., Any]]]] = {}
    for page, text in _doc_pages().items():
        for match in PYTHON_BLOCK.finditer(text):
            code = match.group(2)
            if "@hookspec" not in code:
                continue
            namespace: dict[str, Any] = {"hookspec": hookspecs.hookspec}
            source = "from __future__ import annotations\n" + code
            try:
                exec(compile(source, str(page), "exec"), namespace)
            except Exception as e:
                pytest.fail(f"{page}: a block of @hookspec stubs does not run: {e}")
            for name, value in namespace.items():
                if callable(value) and hasattr(value, SPEC_MARKER):
                    stubs.setdefault(name, []).append((page, value))
    return stubs


@pytest.mark.parametrize("hook", _hook_params(xfail_untested=False))
def test_every_hook_is_documented_with_autodoc(hook: str) -> None:
    assert hook in _autodoc_documented(), (
        f"No page under docs/ documents the hook {hook}: add "
        f"'.. autofunction:: flavorkit.hookspecs.{hook}' to docs/plugins/hooks.md."
    )


@pytest.mark.parametrize("hook", _hook_params(xfail_untested=False))
def test_documented_hook_signature_matches_the_code(hook: str) -> None:
    real = hook_specs()[hook]
    stubs = _documented_stubs().get(hook)
    assert stubs, (
        f"docs/: no @hookspec stub of {hook} in a Python block; add it to the 'At a glance' "
        f"block of docs/plugins/hooks.md:\n\n@hookspec{_options(real)}\n"
        f"def {hook}{_signature_text(real)}: ..."
    )
    for page, stub in stubs:
        assert inspect.signature(stub) == inspect.signature(real), (
            f"{page}: {hook}{_signature_text(stub)} is documented, but the code says "
            f"{hook}{_signature_text(real)}"
        )
        assert getattr(stub, SPEC_MARKER) == getattr(real, SPEC_MARKER), (
            f"{page}: {hook} is documented with hookspec options {getattr(stub, SPEC_MARKER)}, "
            f"but the code has {getattr(real, SPEC_MARKER)}"
        )


def test_docs_document_no_hook_that_does_not_exist() -> None:
    stale = (_autodoc_documented() | set(_documented_stubs())) - set(HOOKS)
    assert not stale, f"docs/ documents hooks flavorkit.hookspecs does not have: {sorted(stale)}"


def _signature_text(fn: Callable[..., Any]) -> str:
    return str(inspect.signature(fn)).replace("'", "")


def _options(fn: Callable[..., Any]) -> str:
    return "(firstresult=True)" if getattr(fn, SPEC_MARKER).get("firstresult") else ""


# -- every CLI command is documented -----------------------------------------------------------


def _cli_commands() -> list[str]:
    from flavorkit.cli import build_parser

    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def test_every_cli_command_has_a_help_section() -> None:
    """docs/reference/cli.md renders each command's --help with the flavorkit-help directive."""
    documented = {
        name
        for text in _doc_pages().values()
        for name in re.findall(r"\.\.\s+flavorkit-help::[ \t]*(\S+)", text)
    }
    commands = _cli_commands()
    assert commands, "flavorkit.cli.build_parser() has no subcommands"
    missing = [c for c in commands if c not in documented]
    assert not missing, (
        f"docs/reference/cli.md has no section for flavorkit {missing}: add a heading and "
        f"'.. flavorkit-help:: {missing[0]}' in an eval-rst block."
    )
    assert documented <= set(commands), f"docs name commands that do not exist: {documented}"
