"""The served model and its readiness: MLmodel read at once, weights loaded in the background.

Why two steps: the signature (which the OpenAPI document, the v2 metadata and request parsing
need) is in the small ``MLmodel`` file and reads in milliseconds, so a broken model directory
fails before the server binds its port. Loading the weights can take minutes for a large model;
doing it in a thread lets the server answer liveness probes at once and report "not ready"
(503) until the model can predict, so an orchestrator neither kills a slow-loading pod nor
routes traffic to it early.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from flavorkit.errors import FlavorkitError
from flavorkit.serve.config import ServeConfig

if TYPE_CHECKING:
    from flavorkit.mlmodel import Model
    from flavorkit.pyfunc import PyFuncModel
    from flavorkit.signature import ModelSignature

__all__ = ["ModelState", "Status"]

Status = Literal["loading", "ready", "failed"]
log = logging.getLogger("flavorkit.serve")


class ModelState:
    """One model being served: its metadata now, its loaded pyfunc once ``status == "ready"``."""

    def __init__(self, config: ServeConfig):
        from flavorkit.api import resolve_model_path
        from flavorkit.mlmodel import Model

        self.config = config
        self.root: Path = resolve_model_path(config.model)
        self.metadata: Model = Model.load(self.root)
        if self.metadata.pyfunc_flavor() is None:
            raise FlavorkitError(
                f"{self.root}: the model has no python_function flavor, so it cannot be served; "
                f"its flavors: {sorted(self.metadata.flavors)}."
            )
        self.name = config.model_name or _default_name(self.root)
        self.status: Status = "loading"
        self.error: str | None = None
        self.model: PyFuncModel | None = None
        self.load_seconds: float | None = None
        self._thread: threading.Thread | None = None

    @property
    def signature(self) -> ModelSignature | None:
        return self.metadata.signature

    @property
    def flavor(self) -> str:
        named = [f for f in self.metadata.flavors if f != "python_function"]
        return named[0] if named else "python_function"

    def start_loading(self) -> None:
        """Load the model in a daemon thread; idempotent."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._load, name="flavorkit-model-load", daemon=True
            )
            self._thread.start()

    def not_ready_message(self) -> str:
        if self.status == "failed":
            return f"The model {self.name!r} failed to load: {self.error}"
        return f"The model {self.name!r} is still loading; retry shortly."

    def _load(self) -> None:
        from flavorkit.api import load_model

        start = time.perf_counter()
        log.info("Loading model %s from %s", self.name, self.root)
        try:
            model = load_model(self.root, trust=self.config.trust, **self.config.load_options)
        except BaseException as e:  # any failure is reported on /health, not lost
            self.error = f"{type(e).__name__}: {e}"
            self.status = "failed"
            log.error("flavorkit: error: the model failed to load: %s", self.error)
            return
        self.model = model
        self.load_seconds = time.perf_counter() - start
        self.status = "ready"
        log.info("Model %s ready (loaded in %.2f s)", self.name, self.load_seconds)


def _default_name(root: Path) -> str:
    import re

    name = re.sub(r"[^A-Za-z0-9._-]+", "-", root.name).strip("-.")
    return name or "model"
