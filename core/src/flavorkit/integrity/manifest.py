"""The manifest: every file of a model directory with its size and SHA-256, written at save.

``flavorkit_manifest.json`` sits in the model directory beside ``MLmodel``. MLflow ignores files it
does not know, and copies (``log_artifacts``, ``download_artifacts``, the registry) carry every
file of the directory, so the manifest travels with the model and MLflow still loads it.

What it covers, and why:

* **every file** in the directory, recursively, with its size and digest, except the ones below;
* **MLmodel by meaning, not by bytes**: MLflow rewrites MLmodel when it logs a model (``run_id``,
  ``artifact_path``, ``model_id``, ``model_uuid``, ``utc_time_created``, ``mlflow_version``), so its
  bytes are not recorded. The sections that decide how the model loads and what it accepts
  (``flavors``, ``signature``, ``saved_input_example_info``) are recorded as one digest of their
  canonical JSON form: a changed data path, loader, predict function or signature fails
  verification, an added ``run_id`` does not;
* not recorded, and never reported as added: the manifest itself, ``model.sig`` (the signature
  made over the manifest and the files, see :mod:`flavorkit.integrity.signing`),
  ``registered_model_meta`` (MLflow writes it into models downloaded from the registry), and
  ``__pycache__`` folders and ``.pyc`` files (Python writes them into ``code/`` when MLflow loads a
  model with code paths).

Sizes are checked on every load (a ``stat`` per file: microseconds); digests, added files and the
MLmodel sections on :func:`verify_directory` (``flavorkit validate``, ``load_model(...,
verify=True)``, downloads from a tracking server).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flavorkit.errors import IntegrityError
from flavorkit.integrity.hashing import ALGORITHM, file_digests

__all__ = [
    "MANIFEST_FILE",
    "MLMODEL_SECTIONS",
    "SIGNATURE_FILE",
    "FileRecord",
    "Manifest",
    "check_sizes",
    "model_files",
    "read_manifest",
    "verify_directory",
    "write_manifest",
]

MANIFEST_FILE = "flavorkit_manifest.json"
SIGNATURE_FILE = "model.sig"
_MLMODEL = "MLmodel"
_FORMAT = "flavorkit-manifest/1"
#: The MLmodel sections the manifest binds (by the digest of their canonical JSON).
MLMODEL_SECTIONS = ("flavors", "signature", "saved_input_example_info")
#: Files that are never recorded and never count as added (see the module docstring).
UNRECORDED = frozenset({_MLMODEL, MANIFEST_FILE, SIGNATURE_FILE, "registered_model_meta"})
_SKIPPED_DIRS = frozenset({"__pycache__"})
_WHAT_TO_DO = (
    "The model changed after it was saved: re-download or re-save it. If the change is yours, "
    "record the files as they are now with `flavorkit manifest MODEL`."
)


@dataclass(frozen=True)
class FileRecord:
    size: int
    digest: str


@dataclass
class Manifest:
    """What a manifest records: files (POSIX paths relative to the model) and the MLmodel digest."""

    files: dict[str, FileRecord] = field(default_factory=dict)
    mlmodel_digest: str | None = None
    algorithm: str = ALGORITHM

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "algorithm": self.algorithm,
            "mlmodel": {"sections": list(MLMODEL_SECTIONS), "digest": self.mlmodel_digest},
            "files": {
                name: {"size": rec.size, "digest": rec.digest}
                for name, rec in sorted(self.files.items())
            },
        }


def model_files(root: Path) -> Iterator[str]:
    """The recordable files under ``root``, as POSIX paths relative to it (see UNRECORDED)."""
    prefix = len(str(root)) + 1
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        rel_dir = folder[prefix:].replace(os.sep, "/")
        for name in sorted(files):
            if name.endswith(".pyc"):
                continue
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if rel not in UNRECORDED:
                yield rel


def write_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Record every file of the model directory ``path`` in its manifest, replacing any old one.

    The save path calls this once the directory is complete (MLmodel included); call it yourself
    only to accept changes you made on purpose (``flavorkit manifest MODEL`` does).
    """
    root = Path(path).absolute()
    names = list(model_files(root))
    sizes = {name: (root / name).stat().st_size for name in names}
    digests = file_digests(root, names, sizes=sizes)
    manifest = Manifest(
        files={name: FileRecord(sizes[name], digests[name]) for name in names},
        mlmodel_digest=mlmodel_digest(root),
    )
    text = json.dumps(manifest.to_dict(), indent=1) + "\n"
    tmp = root / f".{MANIFEST_FILE}.{os.getpid()}-{threading.get_ident()}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, root / MANIFEST_FILE)
    return manifest


def read_manifest(path: str | os.PathLike[str]) -> Manifest | None:
    """The model's manifest, or None when it carries none (MLflow's models, older ones)."""
    file = os.path.join(os.fspath(path), MANIFEST_FILE)
    raw = _read_raw(file)
    if raw is None:
        return None
    try:
        files = {
            str(name): FileRecord(int(rec["size"]), str(rec["digest"]))
            for name, rec in raw["files"].items()
        }
        mlmodel = raw.get("mlmodel") or {}
        return Manifest(files, mlmodel.get("digest"), str(raw["algorithm"]))
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise _unreadable(file, e) from e


def _read_raw(file: str) -> dict[str, Any] | None:
    try:
        with open(file, "rb") as f:
            raw = json.loads(f.read())
        if not isinstance(raw, dict) or raw.get("format") != _FORMAT:
            found = raw.get("format") if isinstance(raw, dict) else type(raw).__name__
            raise ValueError(f"format {found!r} is not {_FORMAT!r}")
        return raw
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise _unreadable(file, e) from e


def _unreadable(file: str, e: Exception) -> IntegrityError:
    return IntegrityError(
        f"{file}: the manifest is unreadable ({type(e).__name__}: {e}). {_WHAT_TO_DO}",
        file=MANIFEST_FILE,
    )


def check_sizes(path: str | os.PathLike[str]) -> bool:
    """The cheap check run on every load: each recorded file exists with its recorded size.

    Returns True when the model carries a manifest and every size matches, False when it carries
    none; raises :class:`IntegrityError` naming the first file that is missing or of another size.
    It reads the manifest's JSON and stats each file, nothing more: it runs on every load.
    """
    root = os.fspath(path)
    raw = _read_raw(os.path.join(root, MANIFEST_FILE))
    if raw is None:
        return False
    try:
        records = [(str(name), int(rec["size"])) for name, rec in raw["files"].items()]
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise _unreadable(os.path.join(root, MANIFEST_FILE), e) from e
    for name, recorded in records:
        try:
            size = os.stat(os.path.join(root, name)).st_size
        except FileNotFoundError:
            raise IntegrityError(
                f"{root}: {name} is missing; the manifest recorded it ({recorded} bytes). "
                + _WHAT_TO_DO,
                file=name,
            ) from None
        if size != recorded:
            raise IntegrityError(
                f"{root}: {name} is {size} bytes; the manifest recorded {recorded} (truncated or "
                f"replaced). {_WHAT_TO_DO}",
                file=name,
            )
    return True


def verify_directory(
    path: str | os.PathLike[str], *, digests: bool = True, label: str | None = None
) -> Manifest | None:
    """Check a model directory against its manifest; return it, or None if there is none.

    Checks that no recorded file is missing or resized and that no file was added; with
    ``digests`` (the default) also every file's SHA-256 and the MLmodel sections the manifest
    binds. Every difference is reported in one :class:`IntegrityError`, whose ``file`` is the
    first one. ``label`` names the model in the message instead of ``path`` (the URI of a
    download, whose files are still in a temporary directory). This is the verifier every
    download from a tracking server goes through before it enters the cache.
    """
    root = Path(path).absolute()
    manifest = read_manifest(root)
    if manifest is None:
        return None
    problems: list[tuple[str, str]] = []
    present = set(model_files(root))
    for name in sorted(present - manifest.files.keys()):
        problems.append((name, f"{name} is not in the manifest (added after saving)"))
    same_size: dict[str, int] = {}
    for name, rec in sorted(manifest.files.items()):
        if name not in present:
            problems.append((name, f"{name} is missing ({rec.size} bytes recorded)"))
            continue
        size = (root / name).stat().st_size
        if size != rec.size:
            problems.append((name, f"{name} is {size} bytes, {rec.size} recorded"))
        else:
            same_size[name] = size
    if digests:
        import hashlib  # only when digests are checked: a size check is every load's

        if manifest.algorithm not in hashlib.algorithms_available:
            raise IntegrityError(
                f"{root / MANIFEST_FILE}: digest {manifest.algorithm!r} is not available here.",
                file=MANIFEST_FILE,
            )
        found = file_digests(root, same_size, sizes=same_size, algorithm=manifest.algorithm)
        for name in sorted(found):
            expected = manifest.files[name].digest
            if found[name] != expected:
                problems.append(
                    (
                        name,
                        f"{name} has {manifest.algorithm} {found[name][:16]}…, "
                        f"{expected[:16]}… recorded",
                    )
                )
        if manifest.mlmodel_digest is not None:
            now = mlmodel_digest(root, manifest.algorithm)
            if now != manifest.mlmodel_digest:
                sections = ", ".join(MLMODEL_SECTIONS)
                problems.append((_MLMODEL, f"MLmodel's {sections} differ from those recorded"))
    if problems:
        listed = "; ".join(text for _, text in problems)
        count = f"{len(problems)} differences" if len(problems) > 1 else "a difference"
        raise IntegrityError(
            f"{label or root}: {count} from the manifest: {listed}. {_WHAT_TO_DO}",
            file=problems[0][0],
        )
    return manifest


def mlmodel_digest(root: Path, algorithm: str = ALGORITHM) -> str | None:
    """The digest of MLmodel's load-bearing sections in canonical JSON; None without MLmodel."""
    import yaml

    file = root / _MLMODEL
    try:
        text = file.read_bytes()
    except FileNotFoundError:
        return None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        raw = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as e:
        raise IntegrityError(f"{file}: not valid YAML ({e}).", file=_MLMODEL) from e
    raw = raw if isinstance(raw, dict) else {}
    bound = {key: raw.get(key) for key in MLMODEL_SECTIONS}
    signature = bound.get("signature")
    if isinstance(signature, dict):  # JSON strings inside YAML: compare what they mean
        bound["signature"] = {k: _json_or_text(v) for k, v in signature.items()}
    canonical = json.dumps(bound, sort_keys=True, separators=(",", ":"), default=str)
    import hashlib

    return hashlib.new(algorithm, canonical.encode()).hexdigest()


def _json_or_text(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
