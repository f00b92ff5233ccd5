"""Sphinx configuration: MyST Markdown pages, furo, API pages rendered from the installed code.

Build: ``sphinx-build -W --keep-going -b html docs docs/_build/html`` with flavorkit, its plugins
and ``flavorkit[testing]`` installed (autodoc imports them), or ``python3 -m nox -s docs``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "flavorkit"
author = "flavorkit developers"
copyright = "flavorkit developers"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "flavorkit_docs",
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True

html_theme = "furo"
html_title = "flavorkit"
