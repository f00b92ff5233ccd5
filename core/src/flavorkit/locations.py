"""Where a model loads from: any model URI becomes a local, complete model directory.

A local path or ``file://`` URI is used in place. Everything else — ``runs:/<run_id>/<path>``,
``models:/<name>/<version>``, ``models:/<name>@<alias>``, ``models:/<name>/latest``,
``models:/m-<model_id>`` and any artifact URI MLflow's client resolves (``mlflow-artifacts:/``,
``s3://``, ``gs://``, ``wasbs://``, ``dbfs:/``...) — is downloaded by MLflow's own client into the
download cache, and the cached directory is returned. Tracking and registry URIs are MLflow's
(``MLFLOW_TRACKING_URI``, ``MLFLOW_REGISTRY_URI``, ``mlflow.set_tracking_uri``), so MLflow code and
flavorkit code in one program see the same runs. MLflow is imported only here, and only when a
URI needs it.

The cache (``FLAVORKIT_CACHE_DIR``, by default ``flavorkit/models`` under the user cache dir):

* What never changes is fetched once: a registered version, a logged model (``models:/m-…``), a
  model logged in a run. A warm load of them makes no request at all.
* What moves is resolved on every load: an alias or ``latest`` costs one registry request, then
  the version's cached files are used. Plain artifact URIs name storage that can be rewritten, so
  they are downloaded on every load and replace the cached copy.
* A download goes into a ``.partial-<pid>-…`` directory beside the entry, is checked (an MLmodel
  file that parses; then :func:`verify_download`: every file against the model's manifest) and
  only then renamed into place. An entry therefore exists only when it is complete; a download
  killed half way leaves a partial directory that no load reads, removed by the next download
  once its process is gone.

HTTP calls to a tracking server are bounded (one retry, five seconds per request) unless the
caller set MLflow's own ``MLFLOW_HTTP_REQUEST_*`` variables, so an unreachable server gives one
:class:`~flavorkit.errors.TrackingServerError` within seconds instead of minutes of retries.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flavorkit.cache import CACHE_ENV, cache_dir
from flavorkit.errors import FlavorkitError, ModelURIError, TrackingServerError, install_hint
from flavorkit.staging import remove_tree

if TYPE_CHECKING:  # pragma: no cover
    from mlflow import MlflowClient

__all__ = [
    "CACHE_ENV",
    "ModelURI",
    "cache_dir",
    "bounded_http",
    "is_local",
    "is_unreachable_error",
    "local_path",
    "parse_model_uri",
    "resolve_model_dir",
    "verify_download",
]


#: MLflow's HTTP settings flavorkit bounds while it talks to a tracking server (each only when
#: the caller has not set it): at most 2 attempts of 5 s, no jitter, so an unreachable server
#: fails in ~11 s at worst (a refused connection: at once) rather than after MLflow's 7 retries
#: with exponential backoff and 120 s timeouts.
BOUNDED_HTTP = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "5",
}

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")  # 2+ letters: "C:" is a drive, not a scheme
_MODEL_ID = re.compile(r"^m-[0-9a-f]{8,}$")
_PARTIAL = ".partial-"


# -- parsing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelURI:
    """A parsed model URI. ``kind`` is one of ``run``, ``model_id``, ``version``, ``alias``,
    ``latest`` (also a stage name in ``stage``) or ``artifact``; ``subpath`` is a path inside the
    model (``models:/name/1/sub``), rarely used."""

    uri: str
    kind: str
    run_id: str | None = None
    path: str | None = None
    model_id: str | None = None
    name: str | None = None
    version: str | None = None
    alias: str | None = None
    stage: str | None = None
    subpath: str = ""


def is_local(model_uri: str | os.PathLike[str]) -> bool:
    """Whether ``model_uri`` is a local path or a ``file://`` URI (no download needed)."""
    text = os.fspath(model_uri)
    match = _SCHEME.match(text)
    return match is None or match.group(1).lower() == "file"


def local_path(model_uri: str | os.PathLike[str]) -> Path:
    """The absolute path of a local path or ``file://`` URI."""
    text = os.fspath(model_uri)
    if _SCHEME.match(text):
        from urllib.parse import unquote, urlparse
        from urllib.request import url2pathname

        text = url2pathname(unquote(urlparse(text).path))
    return Path(text).absolute()


def parse_model_uri(model_uri: str) -> ModelURI:
    """Split a ``runs:/`` or ``models:/`` URI into its parts; other schemes are artifact URIs.

    Raises :class:`~flavorkit.errors.ModelURIError` for a malformed ``runs:/``/``models:/`` URI,
    saying what the forms are.
    """
    match = _SCHEME.match(model_uri)
    scheme = match.group(1).lower() if match else ""
    rest = model_uri[len(scheme) + 1 :] if match else model_uri
    if scheme == "runs":
        parts = [p for p in rest.strip("/").split("/") if p]
        if len(parts) < 2:
            raise ModelURIError(
                f"{model_uri}: not a runs:/ model URI; the form is runs:/<run_id>/<artifact path> "
                "(e.g. runs:/0a1b2c.../model, the name given to log_model)."
            )
        return ModelURI(model_uri, "run", run_id=parts[0], path="/".join(parts[1:]))
    if scheme == "models":
        return _parse_models_uri(model_uri, rest)
    return ModelURI(model_uri, "artifact")


def _parse_models_uri(model_uri: str, rest: str) -> ModelURI:
    forms = (
        "the forms are models:/<name>/<version>, models:/<name>@<alias>, models:/<name>/latest "
        "and models:/m-<model_id>"
    )
    parts = [p for p in rest.strip("/").split("/") if p]
    if not parts or rest.startswith("//"):
        raise ModelURIError(f"{model_uri}: not a models:/ URI; {forms}.")
    head = parts[0]
    if "@" in head:
        name, _, alias = head.rpartition("@")
        if not name or not alias:
            raise ModelURIError(f"{model_uri}: empty model name or alias; {forms}.")
        return ModelURI(model_uri, "alias", name=name, alias=alias, subpath="/".join(parts[1:]))
    if len(parts) == 1:
        if _MODEL_ID.match(head):
            return ModelURI(model_uri, "model_id", model_id=head)
        raise ModelURIError(
            f"{model_uri}: names a model but no version or alias; {forms} "
            f"(e.g. models:/{head}/1 or models:/{head}@champion)."
        )
    name, which, subpath = head, parts[1], "/".join(parts[2:])
    if which.isdigit():
        return ModelURI(model_uri, "version", name=name, version=which, subpath=subpath)
    if _MODEL_ID.match(name):  # models:/m-<id>/sub/path
        return ModelURI(model_uri, "model_id", model_id=name, subpath="/".join(parts[1:]))
    stage = None if which.lower() == "latest" else which
    return ModelURI(model_uri, "latest", name=name, stage=stage, subpath=subpath)


# -- the cache ----------------------------------------------------------------------------------


def _entry(kind: str, label: str, *key: str) -> Path:
    """The cache entry for an identity: readable label, hash of the full key (store URIs too)."""
    import hashlib  # the remote path's modules load with it, not with every local load

    digest = hashlib.sha256("\0".join((kind, *key)).encode()).hexdigest()[:16]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", label)[:60].strip("._") or kind
    return cache_dir() / kind / f"{slug}-{digest}"


def verify_download(model_dir: Path, source: str) -> None:
    """The integrity check every download goes through: called after its files are complete and
    parsed, before they are renamed into the cache, with the downloaded directory and its URI.

    It runs :func:`flavorkit.integrity.verify_directory` (every file's size and SHA-256 against
    the model's ``flavorkit_manifest.json``, nothing added, MLmodel's bound sections unchanged;
    models without a manifest, such as MLflow's own, pass). A failure raises
    :class:`~flavorkit.errors.IntegrityError` naming the URI; the files are then discarded and
    nothing enters the cache.
    """
    from flavorkit.integrity import verify_directory

    verify_directory(model_dir, label=source)


# -- resolving ----------------------------------------------------------------------------------


def resolve_model_dir(model_uri: str | os.PathLike[str]) -> Path:
    """A local model directory for ``model_uri``, downloading it into the cache when needed."""
    if is_local(model_uri):
        return local_path(model_uri)
    uri = os.fspath(model_uri)
    parsed = parse_model_uri(uri)
    return _Resolver(parsed).resolve()


class _Resolver:
    """Resolves one parsed URI against the tracking server and registry MLflow is configured
    with; every MLflow call goes through :meth:`_call`, which bounds and translates errors."""

    def __init__(self, parsed: ModelURI) -> None:
        self.parsed = parsed
        self.client, self.tracking_uri, self.registry_uri = _client()

    def resolve(self) -> Path:
        p = self.parsed
        if p.kind == "run":
            assert p.run_id is not None and p.path is not None
            entry = _entry("runs", f"{p.run_id[:12]}-{p.path}", self.tracking_uri, p.run_id, p.path)
            if _complete(entry):
                return entry
            self._check_run(p.run_id)
            return self._download(f"runs:/{p.run_id}/{p.path}", entry, run_path=True)
        if p.kind == "model_id":
            assert p.model_id is not None
            entry = _entry("logged", p.model_id, self.tracking_uri, p.model_id, p.subpath)
            if _complete(entry):
                return entry
            self._check_logged_model(p.model_id)
            return self._download(_with_subpath(f"models:/{p.model_id}", p.subpath), entry)
        if p.kind == "artifact":
            entry = _entry("artifacts", p.uri.rsplit("/", 1)[-1], self.tracking_uri, p.uri)
            return self._download(p.uri, entry, replace=True)
        assert p.name is not None
        version = p.version if p.version is not None else self._version_of(p)
        entry = _entry(
            "versions", f"{p.name}-v{version}", self.registry_uri, p.name, version, p.subpath
        )
        if _complete(entry):
            return entry
        if p.kind == "version":
            self._check_version(p.name, version)
        return self._download(_with_subpath(f"models:/{p.name}/{version}", p.subpath), entry)

    # -- registry lookups ------------------------------------------------------------------------

    def _version_of(self, p: ModelURI) -> str:
        """The version an alias or ``latest``/stage points at now (one registry request)."""
        assert p.name is not None
        if p.kind == "alias":
            try:
                with self._call():
                    mv = self.client.get_model_version_by_alias(p.name, p.alias)
            except _NotFound:
                raise self._not_found(
                    f"no alias {p.alias!r} on registered model {p.name!r}"
                ) from None
            return str(mv.version)
        try:
            with self._call():
                if p.stage is None:  # the newest version: one indexed query
                    latest = self.client.search_model_versions(
                        f"name = '{_quote(p.name)}'",
                        max_results=1,
                        order_by=["version_number DESC"],
                    )
                else:
                    latest = self.client.get_latest_versions(p.name, stages=[p.stage])
        except _NotFound:
            raise self._not_found(f"no registered model {p.name!r}") from None
        if not latest:
            what = "no versions" if p.stage is None else f"no version in stage {p.stage!r}"
            raise self._not_found(f"registered model {p.name!r} has {what}") from None
        return str(max(int(mv.version) for mv in latest))

    def _check_version(self, name: str, version: str) -> None:
        try:
            with self._call():
                self.client.get_model_version(name, version)
        except _NotFound:
            raise self._not_found(f"no version {version} of registered model {name!r}") from None

    def _check_run(self, run_id: str) -> None:
        try:
            with self._call():
                self.client.get_run(run_id)
        except _NotFound:
            raise self._not_found(f"no run {run_id!r}", runs=True) from None

    def _check_logged_model(self, model_id: str) -> None:
        try:
            with self._call():
                self.client.get_logged_model(model_id)
        except _NotFound:
            raise self._not_found(f"no logged model {model_id!r}", logged_models=True) from None

    # -- downloading -----------------------------------------------------------------------------

    def _download(
        self, source: str, entry: Path, *, run_path: bool = False, replace: bool = False
    ) -> Path:
        """Download ``source`` into a partial directory, check it, rename it to ``entry``."""
        import tempfile

        import mlflow.artifacts

        entry.parent.mkdir(parents=True, exist_ok=True)
        _sweep_partials(entry.parent)
        partial = Path(
            tempfile.mkdtemp(prefix=f"{_PARTIAL}{os.getpid()}-{entry.name}-", dir=entry.parent)
        )
        try:
            try:
                with self._call():
                    local = mlflow.artifacts.download_artifacts(
                        artifact_uri=source,
                        dst_path=str(partial),
                        tracking_uri=self.tracking_uri,
                        registry_uri=self.registry_uri,
                    )
            except _NotFound:
                if run_path:
                    raise self._missing_run_path() from None
                raise self._not_found("nothing is stored there") from None
            model_dir = self._model_dir(Path(local))
            verify_download(model_dir, self.parsed.uri)
            (entry.parent / f"{entry.name}.source.json").write_text(
                json.dumps(
                    {
                        "uri": self.parsed.uri,
                        "downloaded_from": source,
                        "tracking_uri": self.tracking_uri,
                        "registry_uri": self.registry_uri,
                        "downloaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    },
                    indent=2,
                )
            )
            _commit(model_dir, entry, replace=replace)
        finally:
            remove_tree(partial)
        return entry

    def _model_dir(self, local: Path) -> Path:
        """The downloaded directory, checked to be a model (an MLmodel file that parses)."""
        from flavorkit.mlmodel import MLMODEL_FILE_NAME, Model

        if local.is_file() and local.name == MLMODEL_FILE_NAME:
            local = local.parent
        if not (local / MLMODEL_FILE_NAME).is_file():
            what = (
                "a plain file" if local.is_file() else "plain files (a directory with no MLmodel)"
            )
            raise ModelURIError(
                f"{self.parsed.uri}: this artifact was logged as {what}, not as a model. Log it "
                "with flavorkit.log_model(model, name) (or an mlflow.<flavor>.log_model call) "
                "and load the URI that returns (tracking URI: "
                f"{self.tracking_uri})."
            )
        Model.load(local)  # raises MLmodelError naming the file and key
        return local

    # -- errors ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _call(self) -> Iterator[None]:
        """Run MLflow calls with bounded HTTP retries; translate what the caller can act on."""
        with bounded_http():
            try:
                yield
            except FlavorkitError:
                raise
            except Exception as e:
                if is_unreachable_error(e):
                    raise TrackingServerError(
                        f"{self.parsed.uri}: cannot reach the tracking server at "
                        f"{self.tracking_uri} ({_short(e)}). Check that it is running and that "
                        "MLFLOW_TRACKING_URI names it."
                    ) from None
                if _broken_transfer(e):
                    raise TrackingServerError(
                        f"{self.parsed.uri}: the download from {self.tracking_uri} broke off "
                        f"({_transfer_failure(e)}); nothing was cached. Load it again once the "
                        "server is back."
                    ) from None
                if _not_mlflow(e):
                    raise TrackingServerError(
                        f"{self.parsed.uri}: the server at {self.tracking_uri} does not answer "
                        f"MLflow's API ({_short(e)}); is MLFLOW_TRACKING_URI an MLflow tracking "
                        "server?"
                    ) from None
                if _error_code(e) in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"):
                    raise _NotFound(str(e)) from e
                if _error_code(e) == "INVALID_PARAMETER_VALUE" and "not found" in str(e).lower():
                    raise _NotFound(str(e)) from e
                raise

    def _not_found(
        self, what: str, *, runs: bool = False, logged_models: bool = False
    ) -> ModelURIError:
        p = self.parsed
        store = f"tracking URI {self.tracking_uri}"
        if self.registry_uri != self.tracking_uri and p.name is not None:
            store += f", registry URI {self.registry_uri}"
        exists = ""
        try:
            with self._call():
                if p.name is not None:
                    exists = self._registered(p.name)
                elif runs:
                    exists = self._recent_runs()
                elif logged_models:
                    exists = self._recent_logged_models()
        except Exception as e:  # the listing is a courtesy; the error is the point
            exists = f" (could not list what exists: {_short(e)})"
        return ModelURIError(f"{p.uri}: {what} ({store}).{exists}")

    def _registered(self, name: str) -> str:
        try:
            model = self.client.get_registered_model(name)
        except Exception as e:
            if _error_code(e) not in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"):
                raise
            names = sorted(m.name for m in self.client.search_registered_models(max_results=50))
            listed = ", ".join(repr(n) for n in names) if names else "none"
            return f" No registered model {name!r}; registered models: {listed}."
        versions = sorted(
            int(v.version)
            for v in self.client.search_model_versions(f"name = '{_quote(name)}'", max_results=200)
        )
        aliases = ", ".join(f"@{a} -> {v}" for a, v in sorted((model.aliases or {}).items()))
        return (
            f" {name!r} has versions {', '.join(map(str, versions)) or 'none'}"
            f" and aliases {aliases or 'none'}."
        )

    def _recent_runs(self) -> str:
        experiments = [e.experiment_id for e in self.client.search_experiments(max_results=20)]
        runs = (
            self.client.search_runs(
                experiments, max_results=5, order_by=["attributes.start_time DESC"]
            )
            if experiments
            else []
        )
        listed = ", ".join(f"{r.info.run_id} ({r.info.run_name})" for r in runs)
        return f" Most recent runs: {listed or 'none'}."

    def _recent_logged_models(self) -> str:
        experiments = [e.experiment_id for e in self.client.search_experiments(max_results=20)]
        models = (
            self.client.search_logged_models(experiment_ids=experiments, max_results=5)
            if experiments
            else []
        )
        listed = ", ".join(f"models:/{m.model_id} ({m.name})" for m in models)
        return f" Most recent logged models: {listed or 'none'}."

    def _missing_run_path(self) -> ModelURIError:
        p = self.parsed
        assert p.run_id is not None
        try:
            with self._call():
                run = self.client.get_run(p.run_id)
                artifacts = [a.path for a in self.client.list_artifacts(p.run_id)]
                models = self.client.search_logged_models(
                    experiment_ids=[run.info.experiment_id],
                    filter_string=f"source_run_id = '{p.run_id}'",
                    max_results=50,
                )
            names = sorted({m.name for m in models})
            exists = (
                f" The run's logged models: {', '.join(names) or 'none'}; its artifacts: "
                f"{', '.join(sorted(artifacts)) or 'none'}."
            )
        except Exception as e:
            exists = f" (could not list what the run holds: {_short(e)})"
        return ModelURIError(
            f"{p.uri}: run {p.run_id} has no model or artifact named {p.path!r} "
            f"(tracking URI {self.tracking_uri}).{exists}"
        )


class _NotFound(Exception):
    """MLflow said the thing asked for does not exist (translated by the caller)."""


# -- MLflow's client, bounded -------------------------------------------------------------------

_CLIENTS: dict[tuple[str, str, str], Any] = {}


def _client() -> tuple[MlflowClient, str, str]:
    """A cached MLflow client for the tracking and registry URIs MLflow is configured with."""
    try:
        import mlflow
    except ImportError:
        raise TrackingServerError(
            "loading a model from a model URI needs MLflow's client: `pip install "
            "mlflow-skinny`, or " + install_hint("'flavorkit[mlflow]'")
        ) from None
    tracking_uri = mlflow.get_tracking_uri()
    registry_uri = mlflow.get_registry_uri()
    # a relative store (the default sqlite:///mlflow.db, ./mlruns) depends on the working dir
    key = (tracking_uri, registry_uri, os.getcwd())
    client = _CLIENTS.get(key)
    if client is None:
        client = _CLIENTS[key] = mlflow.MlflowClient(tracking_uri, registry_uri)
    return client, tracking_uri, registry_uri


@contextlib.contextmanager
def bounded_http() -> Iterator[None]:
    """Bound MLflow's HTTP retries and timeouts (:data:`BOUNDED_HTTP`) for the calls inside,
    leaving alone any the caller set."""
    added = [k for k in BOUNDED_HTTP if k not in os.environ]
    for key in added:
        os.environ[key] = BOUNDED_HTTP[key]
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


def is_unreachable_error(e: BaseException) -> bool:
    """Whether an exception (or one it wraps) says the server could not be reached."""
    seen: set[int] = set()
    current: BaseException | None = e
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = type(current).__name__
        text = str(current)
        if name in ("ConnectionError", "ConnectTimeout", "ReadTimeout", "MaxRetryError"):
            return True
        if "Max retries exceeded" in text or "Failed to establish a new connection" in text:
            return True
        if "API request to" in text and ("timed out" in text or "Connection" in text):
            return True
        current = current.__cause__ or current.__context__
    return False


def _broken_transfer(e: BaseException) -> bool:
    """MLflow's artifact download failed part way (the connection dropped mid-file)."""
    text = str(e)
    return "failures occurred while downloading" in text or "Connection broken" in text


def _transfer_failure(e: BaseException) -> str:
    """The first failed file and its reason, from MLflow's multi-line download error."""
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    files = [line.strip("# ").removeprefix("File ") for line in lines if line.startswith("#####")]
    reasons = [line for line in lines[1:] if not line.startswith("#####")]
    reason = reasons[0] if reasons else lines[0] if lines else type(e).__name__
    reason = reason.split("', ")[0].strip("('\"")
    return f"{files[0]}: {reason[:160]}" if files else reason[:200]


def _not_mlflow(e: BaseException) -> bool:
    """An HTTP error with no MLflow error body: something else answers at the tracking URI."""
    text = str(e)
    return "API request to endpoint" in text and "Response body: ''" in text


def _error_code(e: BaseException) -> str | None:
    code = getattr(e, "error_code", None)
    return code if isinstance(code, str) else None


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    if "Max retries exceeded" in text or "Connection refused" in text:
        reason = "connection refused" if "refused" in text else "no answer"
        return (
            f"{reason} after {int(os.environ.get('MLFLOW_HTTP_REQUEST_MAX_RETRIES', 1)) + 1} tries"
        )
    return text[:200]


def _quote(name: str) -> str:
    return name.replace("'", "\\'")


def _with_subpath(uri: str, subpath: str) -> str:
    return f"{uri}/{subpath}" if subpath else uri


# -- the file system side -----------------------------------------------------------------------


def _complete(entry: Path) -> bool:
    """An entry exists only by the final rename, so its MLmodel file means it is whole."""
    return (entry / "MLmodel").is_file()


def _commit(model_dir: Path, entry: Path, *, replace: bool) -> None:
    """Rename the checked download into place. Another process that got there first wins (its
    copy is as good); ``replace`` swaps a previous copy out first (artifact URIs)."""
    if entry.exists() and replace:
        old = entry.parent / f"{_PARTIAL}{os.getpid()}-old-{os.urandom(4).hex()}"
        with contextlib.suppress(FileNotFoundError):
            os.rename(entry, old)
        remove_tree(old)
    try:
        os.rename(model_dir, entry)
    except OSError:
        if not _complete(entry):
            raise


def _sweep_partials(folder: Path) -> None:
    """Remove partial downloads whose process is gone (killed mid-download)."""
    for partial in folder.glob(f"{_PARTIAL}*"):
        pid_text = partial.name[len(_PARTIAL) :].split("-", 1)[0]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            remove_tree(partial)


def _alive(pid: int) -> bool:
    if pid == os.getpid() or sys.platform == "win32":  # no signal-0 probe there: keep it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True
