"""Running the app under uvicorn: one process, or ``--workers N`` processes on one port.

Workers and memory. uvicorn starts each worker as a fresh *spawned* process, which imports the app
and loads the model itself; nothing is shared through ``fork``. What the workers share is the
operating system's page cache: a flavor that memory-maps its weights (safetensors state dicts,
ONNX external data read with mmap) maps the same file pages into every worker, so N workers hold
one copy of those weights in RAM. A flavor that deserializes into Python objects (scikit-learn's
skops or pickle files, ``torch.load``) gives each worker its own copy: N workers, N copies. That
is the honest state per flavor; ``--workers`` multiplies throughput for CPU-bound models, and
memory by N for non-mapped ones.
"""

from __future__ import annotations

import importlib.util
import os

from flavorkit.errors import FlavorkitError, install_hint
from flavorkit.serve.config import CONFIG_ENV, ServeConfig
from flavorkit.serve.logs import configure_logging

__all__ = ["configure_logging", "serve"]


def check_dependencies() -> None:
    """A one-line error naming the extra to install when the web stack is missing."""
    missing = [m for m in ("fastapi", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        extra = install_hint("'flavorkit[serve]'")
        raise FlavorkitError(
            f"`flavorkit serve` needs {' and '.join(missing)}: `pip install fastapi uvicorn`, "
            f"or {extra}"
        )


def serve(config: ServeConfig) -> int:
    """Serve ``config.model`` until interrupted; returns the exit code.

    The MLmodel file is read before the port is bound, so a wrong path or a broken MLmodel fails
    here with one line; the weights load in the background once the server is up.
    """
    check_dependencies()
    import uvicorn

    from flavorkit.serve.state import ModelState

    configure_logging()
    state = ModelState(config)  # fails fast on a bad directory
    common = {
        "host": config.host,
        "port": config.port,
        "log_level": "info",
        "access_log": config.access_log,
        "timeout_graceful_shutdown": 10,
    }
    if config.workers == 1:
        from flavorkit.serve.app import create_app

        uvicorn.run(create_app(config, state=state), **common)  # type: ignore[arg-type]
        return 0
    os.environ[CONFIG_ENV] = config.to_json()
    uvicorn.run(
        "flavorkit.serve.app:app_from_env",
        factory=True,
        workers=config.workers,
        **common,  # type: ignore[arg-type]
    )
    return 0
