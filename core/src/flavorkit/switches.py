"""On/off environment variables, read one way everywhere.

A switch that is off by default (``FLAVORKIT_STRICT_PLUGINS``, ``FLAVORKIT_TRUST``) is on only for
``1``, ``true`` or ``yes``; one that is on by default (``FLAVORKIT_INSTALLED_INDEX``,
``FLAVORKIT_MLMODEL_CACHE``) is off only for ``0``, ``false`` or ``no``. Case and surrounding
spaces do not matter, and an unset or empty variable keeps the default.
"""

from __future__ import annotations

import os

__all__ = ["env_flag"]

_ON = ("1", "true", "yes")
_OFF = ("0", "false", "no")


def env_flag(name: str, *, default: bool) -> bool:
    """Whether switch ``name`` is on, given what it is when the variable says neither."""
    value = os.environ.get(name, "").strip().lower()
    return value not in _OFF if default else value in _ON
