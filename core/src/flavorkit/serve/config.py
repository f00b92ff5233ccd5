"""What ``flavorkit serve`` was asked to do, in one value that survives a trip through the
environment.

uvicorn starts each extra worker in a fresh (spawned) process that imports the app by name, so the
settings travel as JSON in the ``FLAVORKIT_SERVE_CONFIG`` environment variable, as MLflow passes
its model path in ``__pyfunc_model_path__``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_MAX_BATCH_SIZE",
    "DEFAULT_MAX_BODY_SIZE",
    "ServeConfig",
    "parse_size",
]

CONFIG_ENV = "FLAVORKIT_SERVE_CONFIG"
DEFAULT_MAX_BODY_SIZE = 100 * 1024 * 1024
DEFAULT_MAX_BATCH_SIZE = 1024

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(text: str | int) -> int:
    """Bytes in ``"100MB"``, ``"1.5GiB"``, ``"4096"`` or an int; a ValueError says the forms."""
    if isinstance(text, int) and not isinstance(text, bool):
        size = text
    else:
        match = _SIZE.match(str(text))
        unit = match.group(2).lower() if match else None
        if match is None or unit not in _UNITS:
            raise ValueError(
                f"--max-body-size {text!r}: expected a number of bytes with an optional unit, "
                f"e.g. 1048576, 500KB, 100MB, 2GiB."
            )
        size = int(float(match.group(1)) * _UNITS[unit])
    if size <= 0:
        raise ValueError(f"--max-body-size must be positive, got {text!r}.")
    return size


@dataclass(frozen=True)
class ServeConfig:
    """Settings of one server: the model, how to load it, and the limits on requests."""

    model: str
    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 1
    trust: bool = False
    load_options: dict[str, Any] = field(default_factory=dict)
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
    timeout: float = 60.0  # seconds per prediction; MLflow's MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT
    model_name: str | None = None  # the name under /v2/models/; default: the directory's name
    access_log: bool = True
    batching: bool = False  # coalesce concurrent requests into one predict (serve/batching.py)
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE  # rows per batched predict
    max_batch_delay_ms: float = 0.0  # how long a batch waits for more rows; 0: never waits

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"--workers must be at least 1, got {self.workers}.")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"--port must be between 0 and 65535, got {self.port}.")
        if self.timeout <= 0:
            raise ValueError(f"--timeout must be positive, got {self.timeout}.")
        if self.max_batch_size < 1:
            raise ValueError(f"--max-batch-size must be at least 1, got {self.max_batch_size}.")
        if not 0 <= self.max_batch_delay_ms <= 10_000:
            raise ValueError(
                f"--max-batch-delay-ms must be between 0 and 10000, got {self.max_batch_delay_ms}."
            )
        if self.model_name is not None and not re.fullmatch(r"[A-Za-z0-9._-]+", self.model_name):
            raise ValueError(
                f"--model-name {self.model_name!r}: use letters, digits, '.', '_' and '-' "
                f"(it is a URL path segment)."
            )

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        return cls(**json.loads(text))

    @classmethod
    def from_env(cls) -> ServeConfig:
        """The config a parent ``flavorkit serve`` left in ``FLAVORKIT_SERVE_CONFIG``."""
        text = os.environ.get(CONFIG_ENV)
        if not text:
            raise RuntimeError(
                f"{CONFIG_ENV} is not set: start the server with `flavorkit serve MODEL`."
            )
        return cls.from_json(text)
