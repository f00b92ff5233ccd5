"""The exceptions flavorkit raises.

Every error flavorkit raises on purpose derives from :class:`FlavorkitError`, so a caller can catch
one type. Each also carries an ``error_code`` in MLflow's vocabulary, which a scoring server maps to
an HTTP status (``INVALID_PARAMETER_VALUE`` and ``BAD_REQUEST`` → 400, ``RESOURCE_DOES_NOT_EXIST``
→ 404). Errors about the caller's data also subclass :class:`ValueError`, so code written against
plain Python conventions keeps working.
"""

from __future__ import annotations

__all__ = [
    "BatchScoringError",
    "EnvironmentSpecError",
    "FlavorkitError",
    "InputExampleError",
    "InputFileError",
    "ModelPathError",
    "PluginError",
    "PluginNotFoundError",
    "RecipeError",
    "RecipeStepError",
    "UntrustedModelError",
    "install_hint",
    "MLmodelError",
    "MLmodelNotFoundError",
    "ModelURIError",
    "MissingExtraError",
    "SchemaEnforcementError",
    "SchemaError",
    "TrackingServerError",
    "IntegrityError",
    "SignatureVerificationError",
    "VersionMismatchError",
]


class FlavorkitError(Exception):
    """Base class of every error flavorkit raises on purpose."""

    error_code = "INTERNAL_ERROR"


class MLmodelError(FlavorkitError):
    """An ``MLmodel`` file is missing, unreadable or invalid.

    ``path`` is the file and ``key`` the dotted key at fault (``None`` when the whole file is).
    """

    error_code = "INVALID_PARAMETER_VALUE"

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None):
        self.path = path
        self.key = key
        where = ""
        if path is not None:
            where = f"{path}: "
        if key is not None:
            where += f"key '{key}': "
        super().__init__(where + message)


class MLmodelNotFoundError(MLmodelError, FileNotFoundError):
    """No ``MLmodel`` file where one was expected."""

    error_code = "RESOURCE_DOES_NOT_EXIST"


class SchemaError(FlavorkitError, ValueError):
    """A schema, signature or param spec is malformed, or cannot be inferred from the data."""

    error_code = "INVALID_PARAMETER_VALUE"


class SchemaEnforcementError(FlavorkitError, ValueError):
    """Input data or params do not match the model's signature.

    ``input_name`` is the column, tensor or param at fault, when there is one.
    """

    error_code = "INVALID_PARAMETER_VALUE"

    def __init__(self, message: str, *, input_name: str | int | None = None):
        self.input_name = input_name
        super().__init__(message)


class InputExampleError(FlavorkitError, ValueError):
    """An input example cannot be saved or read back."""

    error_code = "INVALID_PARAMETER_VALUE"


class InputFileError(FlavorkitError, ValueError):
    """A file given to read or write (``flavorkit predict``'s input or output) is missing,
    unreadable, empty, of a type flavorkit does not read or write, or needs a missing engine."""

    error_code = "INVALID_PARAMETER_VALUE"


class EnvironmentSpecError(FlavorkitError, ValueError):
    """Requirement options conflict, or an environment file cannot be read or written."""

    error_code = "INVALID_PARAMETER_VALUE"


class PluginError(FlavorkitError):
    """A flavor plugin is broken, missing a hook, or claims a flavor name another already has."""


class PluginNotFoundError(PluginError):
    """No installed plugin handles a flavor or a model object; the message says what to install."""

    error_code = "RESOURCE_DOES_NOT_EXIST"


class UntrustedModelError(FlavorkitError):
    """Loading would run code from the model directory (unpickling, importing a class it names).

    Pass ``trust=True`` only for models from a source you trust; nothing inside a model directory
    can grant trust.
    """

    error_code = "PERMISSION_DENIED"


class ModelPathError(FlavorkitError, ValueError):
    """A path is unusable: it leads out of the model directory, or the save target is taken."""

    error_code = "INVALID_PARAMETER_VALUE"


class ModelURIError(FlavorkitError, ValueError):
    """A model URI is malformed, or names a run, model, version or alias that does not exist, or
    an artifact that is not a model; the message names the URI, the tracking URI and what exists.
    """

    error_code = "RESOURCE_DOES_NOT_EXIST"


class TrackingServerError(FlavorkitError):
    """The tracking server or model registry cannot be reached (or MLflow's client is missing)."""

    error_code = "TEMPORARILY_UNAVAILABLE"


class IntegrityError(FlavorkitError):
    """A model file differs from what the model's manifest recorded at save, or is missing/extra.

    ``file`` is the path inside the model directory at fault (``None`` when the whole manifest is).
    Re-download or re-save the model: a file was truncated, replaced or edited after saving.
    """

    error_code = "INVALID_STATE"

    def __init__(self, message: str, *, file: str | None = None):
        self.file = file
        super().__init__(message)


class SignatureVerificationError(IntegrityError):
    """A model's signature (``model.sig``) is missing, made by another key, or no longer matches."""


class VersionMismatchError(FlavorkitError):
    """Under ``FLAVORKIT_STRICT_VERSIONS=1``: the installed framework is not one the model needs.

    ``package`` is the distribution, ``saved`` the version the model recorded and ``installed``
    the version found here.
    """

    error_code = "INVALID_STATE"

    def __init__(self, message: str, *, package: str, saved: str, installed: str | None):
        self.package = package
        self.saved = saved
        self.installed = installed
        super().__init__(message)


#: Where the flavorkit distributions come from until they are on a package index.
CHECKOUT_INSTALL = "python3 -m nox -s build"


def install_hint(requirement: str) -> str:
    """How to install ``requirement``, a flavorkit distribution (``flavorkit-sklearn``,
    ``'flavorkit[serve]'``): every "install ..." message names one this repository builds, and
    says how to get it, since none is on a package index yet."""
    return (
        f"install {requirement}: in a flavorkit checkout run `{CHECKOUT_INSTALL}`, then "
        f"`pip install --find-links <checkout>/dist {requirement}`"
    )


class MissingExtraError(FlavorkitError, ImportError):
    """A feature needs packages that come with an extra which is not installed.

    The message names the extra: ``pip install 'flavorkit[batch]'``.
    """

    error_code = "INVALID_PARAMETER_VALUE"

    @classmethod
    def check(cls, modules: tuple[str, ...], *, extra: str, feature: str) -> None:
        """Raise naming ``extra`` when any of ``modules`` cannot be imported."""
        import importlib.util

        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        if missing:
            raise cls(
                f"{feature} needs {' and '.join(missing)}; " + install_hint(f"'flavorkit[{extra}]'")
            )


class BatchScoringError(FlavorkitError, ValueError):
    """Bulk scoring failed: an input cannot be read, an option is wrong, or a batch failed.

    ``file`` is the input file at fault and ``rows`` the ``(first, last)`` row numbers (0-based,
    within that file) of the failing batch, when known.
    """

    error_code = "INVALID_PARAMETER_VALUE"

    def __init__(
        self, message: str, *, file: str | None = None, rows: tuple[int, int] | None = None
    ):
        self.file = file
        self.rows = rows
        where = ""
        if file is not None:
            where = f"{file}: "
        if rows is not None:
            where += f"rows {rows[0]:,}-{rows[1]:,}: "
        super().__init__(where + message)


class RecipeError(FlavorkitError, ValueError):
    """A recipe's configuration, profile, data or ``steps/`` code is unusable.

    The message names the file, key or function at fault and what to do about it.
    """

    error_code = "INVALID_PARAMETER_VALUE"


class RecipeStepError(FlavorkitError):
    """A recipe step failed: its own code raised, or it refused its input.

    ``step`` is the step's name and ``traceback_text`` the user's traceback, so the command line
    can print one line while the API keeps the whole story. Nothing downstream ran and no cache
    entry was written.
    """

    def __init__(self, step: str, message: str, *, traceback_text: str = ""):
        self.step = step
        self.traceback_text = traceback_text
        super().__init__(f"step {step!r} failed: {message}")
