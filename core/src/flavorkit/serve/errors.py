"""The one error type a request handler raises, and the status each MLflow ``error_code`` maps to.

Handlers turn every problem with a request into a :class:`RequestError` (status, MLflow
``error_code``, message); the app renders it as MLflow's error body on the MLflow routes and as
``{"error": ...}`` on the Open Inference Protocol routes. Keeping the status decision here, once,
is what guarantees that bad input is a 4xx and never a 500.
"""

from __future__ import annotations

__all__ = ["STATUS_BY_ERROR_CODE", "RequestError", "status_for"]

#: MLflow's ``error_code`` → HTTP status (``mlflow.protos.databricks_pb2`` / scoring server).
STATUS_BY_ERROR_CODE = {
    "BAD_REQUEST": 400,
    "INVALID_PARAMETER_VALUE": 400,
    "MALFORMED_REQUEST": 400,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "ENDPOINT_NOT_FOUND": 404,
    "PERMISSION_DENIED": 403,
    "REQUEST_LIMIT_EXCEEDED": 413,  # 429 in MLflow's tracking server; here: the body is too big
    "TEMPORARILY_UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


def status_for(error_code: str) -> int:
    """The HTTP status of an MLflow ``error_code``; unknown codes are 500s, as in MLflow."""
    return STATUS_BY_ERROR_CODE.get(error_code, 500)


class RequestError(Exception):
    """A request the server answers with an error: ``status``, MLflow ``error_code``, message."""

    def __init__(self, status: int, message: str, *, error_code: str = "BAD_REQUEST"):
        self.status = status
        self.error_code = error_code
        self.message = message
        super().__init__(message)

    @classmethod
    def from_code(cls, error_code: str, message: str) -> RequestError:
        """A RequestError whose status follows MLflow's mapping of ``error_code``."""
        return cls(status_for(error_code), message, error_code=error_code)
