"""Refuse answers that would generate a plugin that cannot work, before any file is written.

cookiecutter renders this file with the answers, then runs it; a non-zero exit stops generation
and removes the half-made project. The answers arrive as one JSON document inside a raw string,
so that no answer (quotes, backslashes) can break this file, which stays valid Python unrendered.
"""

from __future__ import annotations

import json
import re
import sys

ANSWERS = json.loads(
    r"""
{
  "flavor_name": {{ cookiecutter.flavor_name | tojson }},
  "flavor": {{ cookiecutter.__flavor | tojson }},
  "framework_import_name": {{ cookiecutter.framework_import_name | tojson }},
  "framework_pypi_name": {{ cookiecutter.framework_pypi_name | tojson }},
  "project_slug": {{ cookiecutter.project_slug | tojson }}
}
"""
)

#: Flavor names flavorkit's own plugins (or MLflow's generic section) own, and where they live.
BUILT_IN_FLAVORS = {
    "sklearn": "flavorkit-sklearn",
    "pytorch": "flavorkit-pytorch",
    "onnx": "flavorkit-onnx",
    "python_model": "flavorkit-pythonmodel",
    "python_function": "MLflow's generic pyfunc section, written by every flavor",
}

#: A distribution name as PEP 508 allows it.
DISTRIBUTION_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def is_identifier(name: str) -> bool:
    """An ASCII Python identifier: it becomes part of a package and a class name."""
    return name.isascii() and name.isidentifier()


def problems(answers: dict[str, str]) -> list[str]:
    """Every answer that cannot work, each with what to type instead."""
    out: list[str] = []
    raw, flavor = answers["flavor_name"], answers["flavor"]
    if not is_identifier(flavor):
        out.append(
            f"flavor_name {raw!r} (normalised to {flavor!r}) is not a valid Python identifier. "
            "Use ASCII letters, digits and underscores, not starting with a digit (dashes, dots "
            "and spaces become underscores), e.g. 'lightgbm' or 'my_framework'."
        )
    elif flavor in BUILT_IN_FLAVORS:
        out.append(
            f"flavor_name {raw!r} (normalised to {flavor!r}) is taken by a built-in flavor "
            f"({BUILT_IN_FLAVORS[flavor]}); two plugins cannot claim one flavor name. Pick "
            f"another, e.g. 'my_{flavor}'. Built-in names: {', '.join(sorted(BUILT_IN_FLAVORS))}."
        )
    module = answers["framework_import_name"]
    if not module or not all(is_identifier(part) for part in module.split(".")):
        out.append(
            f"framework_import_name {module!r} is not an importable module name: give what you "
            "write after 'import', e.g. 'lightgbm' or 'sklearn'."
        )
    # The default project_slug derives from the flavor name: one error about that name is enough.
    keys = (
        ("framework_pypi_name", "project_slug")
        if is_identifier(flavor)
        else ("framework_pypi_name",)
    )
    for key in keys:
        value = answers[key]
        if not DISTRIBUTION_NAME.match(value):
            out.append(
                f"{key} {value!r} is not a valid distribution name: use letters, digits, '-', "
                "'_' and '.', starting and ending with a letter or digit, e.g. 'lightgbm'."
            )
    return out


def main() -> int:
    found = problems(ANSWERS)
    for problem in found:
        print(f"ERROR: {problem}", file=sys.stderr)
    if found:
        print("cookiecutter-flavor: nothing was generated; run it again.", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
