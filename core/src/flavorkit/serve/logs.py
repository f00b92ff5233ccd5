"""flavorkit's log lines beside uvicorn's, for the server process and each worker it spawns.

:mod:`flavorkit.serve.server` configures logging before it starts uvicorn; each spawned worker
does it again in :func:`flavorkit.serve.app.app_from_env`. Both use this module, which needs
neither of them.
"""

from __future__ import annotations

import logging
import sys

__all__ = ["configure_logging"]

_LOG_FORMAT = "%(levelname)s:     %(message)s"  # uvicorn's own console style


def configure_logging() -> None:
    """Show flavorkit's INFO messages (model loading, readiness) next to uvicorn's."""
    logger = logging.getLogger("flavorkit.serve")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_LOG_FORMAT))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
