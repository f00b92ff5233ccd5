"""Sphinx glue that keeps the documentation rendered from the code rather than copied from it.

* Markdown pipe tables in docstrings (``flavorkit.enforce`` writes its rules that way, so they read
  well in ``help()``) become reStructuredText list-tables, for autodoc and for the directive below.
* ``.. docstring:: module`` renders a module's docstring, or the part of it between two marker
  strings (``:start-after:``, ``:end-before:``), without importing the module: the text is read
  from its source file. A marker that is no longer in the docstring fails the build.
* ``.. flavorkit-help:: [command]`` renders ``flavorkit [command] --help`` from the CLI's own
  argparse parser, at a fixed width.
"""

from __future__ import annotations

import argparse
import ast
import functools
import importlib.util
import re
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

HELP_WIDTH = 80
_SEPARATOR = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _cells(line: str) -> list[str]:
    inner = line.strip()[1:-1]
    return [cell.strip().replace("\\|", "|") for cell in _CELL_SPLIT.split(inner)]


def markdown_tables_to_rst(lines: list[str]) -> list[str]:
    """Replace each Markdown pipe table (header, ``|---|`` separator, rows) with a list-table."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        is_table = (
            stripped.startswith("|")
            and stripped.endswith("|")
            and i + 1 < len(lines)
            and _SEPARATOR.match(lines[i + 1].strip())
        )
        if not is_table:
            out.append(line)
            i += 1
            continue
        indent = line[: len(line) - len(line.lstrip())]
        rows = [_cells(line)]
        i += 2
        while i < len(lines) and lines[i].strip().startswith("|"):
            rows.append(_cells(lines[i]))
            i += 1
        if out and out[-1].strip():
            out.append("")
        out += [f"{indent}.. list-table::", f"{indent}   :header-rows: 1", ""]
        for row in rows:
            for j, cell in enumerate(row):
                bullet = "* -" if j == 0 else "  -"
                out.append(f"{indent}   {bullet} {cell}".rstrip())
        out.append("")
    return out


def _process_docstring(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    lines[:] = markdown_tables_to_rst(lines)


def module_docstring(module: str) -> tuple[str, str]:
    """(docstring, source file) of ``module``, read from its source without importing it."""
    spec = importlib.util.find_spec(module)  # imports the parent packages only
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        raise LookupError(f"no Python source found for module {module!r}")
    with open(spec.origin, encoding="utf-8") as source:
        tree = ast.parse(source.read(), spec.origin)
    text = ast.get_docstring(tree, clean=True)
    if text is None:
        raise LookupError(f"module {module!r} ({spec.origin}) has no docstring")
    return text, spec.origin


class DocstringDirective(SphinxDirective):
    """Render (part of) a module docstring as reStructuredText."""

    required_arguments = 1
    option_spec = {  # noqa: RUF012 - the docutils API
        "start-after": directives.unchanged_required,
        "end-before": directives.unchanged_required,
    }

    def run(self) -> list[nodes.Node]:
        module = self.arguments[0]
        try:
            text, origin = module_docstring(module)
        except (ImportError, LookupError, SyntaxError) as e:
            raise self.error(f"docstring:: {module}: {e}") from None
        self.env.note_dependency(origin)
        if "start-after" in self.options:
            marker = self.options["start-after"]
            if marker not in text:
                raise self.error(f"docstring:: {module}: start-after text {marker!r} not found")
            text = text.split(marker, 1)[1]
        if "end-before" in self.options:
            marker = self.options["end-before"]
            if marker not in text:
                raise self.error(f"docstring:: {module}: end-before text {marker!r} not found")
            text = text.split(marker, 1)[0]
        lines = markdown_tables_to_rst(text.strip("\n").splitlines())
        container = nodes.container()
        # Short cross-references in the docstring (:func:`model_file`) resolve in its module.
        context = self.env.ref_context
        previous = context.get("py:module")
        context["py:module"] = module
        try:
            self.state.nested_parse(StringList(lines, source=origin), 0, container)
        finally:
            if previous is None:
                context.pop("py:module", None)
            else:
                context["py:module"] = previous
        return list(container.children)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def cli_help(command: str | None = None, width: int = HELP_WIDTH) -> str:
    """``flavorkit [command] --help`` as the installed CLI prints it, ``width`` columns wide."""
    from flavorkit.cli import build_parser

    parser = build_parser()
    if command is not None:
        commands = _subcommands(parser)
        if command not in commands:
            raise LookupError(f"flavorkit has no command {command!r}; it has {sorted(commands)}")
        parser = commands[command]
    parser.formatter_class = functools.partial(argparse.HelpFormatter, width=width)
    return parser.format_help().rstrip()


class FlavorkitHelpDirective(SphinxDirective):
    """A literal block holding ``flavorkit [command] --help``."""

    optional_arguments = 1

    def run(self) -> list[nodes.Node]:
        command = self.arguments[0] if self.arguments else None
        try:
            text = cli_help(command)
        except (ImportError, LookupError) as e:
            raise self.error(f"flavorkit-help: {e}") from None
        args = f" {command}" if command else ""
        block = nodes.literal_block(text, f"$ flavorkit{args} --help\n{text}")
        block["language"] = "text"
        return [block]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("autodoc-process-docstring", _process_docstring)
    app.add_directive("docstring", DocstringDirective)
    app.add_directive("flavorkit-help", FlavorkitHelpDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
