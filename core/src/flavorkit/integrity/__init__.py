"""Integrity and provenance: a manifest verified on load, signed models, a quiet version check.

Part of the format layer: it knows model directories and nothing of plugins. The core writes the
manifest once at save for every flavor (:func:`write_manifest`), checks sizes on every load
(:func:`check_sizes`) and digests when asked (:func:`verify_directory`: ``flavorkit validate``,
``load_model(..., verify=True)``, downloads from a tracking server). :mod:`.signing` wraps
OpenSSF model-signing (extra ``[sign]``, imported only when a model is signed or verified);
:mod:`.versions` compares the versions a model was saved with against those installed.
"""

from __future__ import annotations

from flavorkit.integrity.manifest import (
    MANIFEST_FILE,
    SIGNATURE_FILE,
    FileRecord,
    Manifest,
    check_sizes,
    read_manifest,
    verify_directory,
    write_manifest,
)
from flavorkit.integrity.signing import sign_model, verify_signature
from flavorkit.integrity.versions import FrameworkVersion, VersionMismatchWarning

__all__ = [
    "MANIFEST_FILE",
    "SIGNATURE_FILE",
    "FileRecord",
    "FrameworkVersion",
    "Manifest",
    "VersionMismatchWarning",
    "check_sizes",
    "read_manifest",
    "sign_model",
    "verify_directory",
    "verify_signature",
    "write_manifest",
]
