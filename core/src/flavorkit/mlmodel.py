"""The MLmodel file: the single source of truth about a saved model.

:class:`Model` is a typed view of the YAML file MLflow writes at the root of every model directory.
It reads every key MLflow 1.x–3.x writes, including the legacy forms (``python_function.env`` as a
plain path, ``data`` instead of ``model_path``), writes keys in the form MLflow writes them
(``yaml.safe_dump``, keys sorted, ``utc_time_created`` as ``str(naive UTC datetime)``, signature
parts as JSON strings) and keeps unknown top-level and flavor keys through a read/write round trip.

An invalid file raises :class:`~flavorkit.errors.MLmodelError` naming the file, the key and what
is wrong; nothing else escapes from :meth:`Model.load`.
"""

from __future__ import annotations

import datetime as _dt
import errno
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, overload

from flavorkit import mlmodel_cache
from flavorkit.errors import FlavorkitError, MLmodelError, MLmodelNotFoundError, ModelPathError
from flavorkit.schema import ParamSchema, Schema
from flavorkit.signature import ModelSignature
from flavorkit.staging import staging_name

__all__ = ["MLMODEL_FILE_NAME", "Model", "PyFuncFlavor", "check_path", "mlmodel_file"]

MLMODEL_FILE_NAME = "MLmodel"
PYFUNC_FLAVOR = "python_function"


def _new_model_uuid() -> str:
    import uuid  # a new model needs it; loading one reads its uuid from the file

    return uuid.uuid4().hex


def _utc_now() -> str:
    # MLflow writes str() of a naive UTC datetime: '2026-11-21 22:52:15.021132'
    return str(_dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None))


@dataclass
class Model:
    """The contents of an MLmodel file.

    Keys flavorkit does not model (``resources``, ``auth_policy``, ``env_vars``, a plugin's own
    top-level keys, ...) live in :attr:`extra` and are written back unchanged.
    """

    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    model_uuid: str | None = field(default_factory=_new_model_uuid)
    model_id: str | None = None
    utc_time_created: str = field(default_factory=_utc_now)
    mlflow_version: str | None = None
    run_id: str | None = None
    artifact_path: str | None = None
    signature: ModelSignature | None = None
    is_signature_from_type_hint: bool = False
    type_hint_from_example: bool = False
    saved_input_example_info: dict[str, Any] | None = None
    model_size_bytes: int | None = None
    metadata: dict[str, Any] | None = None
    prompts: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # the directory this file was loaded from, so load_input_example() needs no path
    _model_dir: Path | None = field(default=None, init=False, repr=False, compare=False)

    # -- flavors ---------------------------------------------------------------------------------

    def add_flavor(self, name: str, **params: Any) -> Model:
        """Add (or replace) a flavor section; returns ``self`` so calls can be chained."""
        self.flavors[name] = dict(params)
        return self

    def pyfunc_flavor(self) -> PyFuncFlavor | None:
        """The validated ``python_function`` section, or ``None`` when the model has none."""
        conf = self.flavors.get(PYFUNC_FLAVOR)
        if conf is None:
            return None
        return PyFuncFlavor.from_dict(conf)

    # -- dict / YAML -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The mapping MLflow would write, with the same keys present or omitted."""
        d: dict[str, Any] = dict(self.extra)
        d["flavors"] = self.flavors
        d["model_uuid"] = self.model_uuid
        d["model_id"] = self.model_id
        d["utc_time_created"] = self.utc_time_created
        d["prompts"] = self.prompts
        optional = {
            "mlflow_version": self.mlflow_version,
            "run_id": self.run_id,
            "artifact_path": self.artifact_path,
            "saved_input_example_info": self.saved_input_example_info,
            "metadata": self.metadata,
        }
        d.update({k: v for k, v in optional.items() if v is not None})
        if self.signature is not None:
            d["signature"] = self.signature.to_dict()
            d["is_signature_from_type_hint"] = self.is_signature_from_type_hint
            d["type_hint_from_example"] = self.type_hint_from_example
        if self.model_size_bytes:
            d["model_size_bytes"] = self.model_size_bytes
        return d

    @overload
    def to_yaml(self, stream: None = None) -> str: ...
    @overload
    def to_yaml(self, stream: IO[str]) -> None: ...
    def to_yaml(self, stream: IO[str] | None = None) -> str | None:
        """The YAML text MLflow writes; written to ``stream`` (returning None) when one is given."""
        import yaml

        text: str | None = yaml.safe_dump(self.to_dict(), stream=stream, default_flow_style=False)
        return text

    def to_json(self) -> str:
        """The same mapping as JSON, as MLflow's ``Model.to_json``."""
        return json.dumps(self.to_dict())

    # -- MLflow's accessors ----------------------------------------------------------------------

    def get_input_schema(self) -> Schema | None:
        """The signature's input schema, or None (no signature, or no inputs in it)."""
        return self.signature.inputs if self.signature is not None else None

    def get_output_schema(self) -> Schema | None:
        """The signature's output schema, or None."""
        return self.signature.outputs if self.signature is not None else None

    def get_params_schema(self) -> ParamSchema | None:
        """The signature's param schema, or None."""
        return self.signature.params if self.signature is not None else None

    def load_input_example(self, path: str | os.PathLike[str] | None = None) -> Any:
        """The saved input example's data, typed by the input schema; None if there is none.

        ``path`` is the model directory; it defaults to the one this file was loaded from. As in
        MLflow, only the data is returned (see :meth:`load_input_example_params` for the params)
        and a missing example file raises (:class:`~flavorkit.errors.InputExampleError`).
        """
        from flavorkit.examples import load_input_example

        example = load_input_example(
            self._example_dir(path), self.saved_input_example_info, self.get_input_schema()
        )
        if example is not None and _example_has_params(self.saved_input_example_info):
            return example[0]
        return example

    def load_input_example_params(self, path: str | os.PathLike[str] | None = None) -> Any:
        """The params saved with the input example (a ``(data, params)`` example), or None."""
        from flavorkit.examples import load_input_example

        if not _example_has_params(self.saved_input_example_info):
            return None
        example = load_input_example(
            self._example_dir(path), self.saved_input_example_info, self.get_input_schema()
        )
        return example[1]

    def _example_dir(self, path: str | os.PathLike[str] | None) -> Path:
        if path is not None:
            p = Path(path)
            return p.parent if p.name == MLMODEL_FILE_NAME and p.is_file() else p
        if self._model_dir is None:
            raise MLmodelError(
                "this Model was not loaded from a directory, so pass the model directory: "
                "model.load_input_example('path/to/model')."
            )
        return self._model_dir

    @classmethod
    def from_dict(cls, d: Any, *, path: str | None = None) -> Model:
        """Build from a parsed MLmodel mapping, validating each key's type."""
        if not isinstance(d, Mapping):
            raise MLmodelError(
                f"expected a YAML mapping at the top level, got {_kind(d)}.", path=path
            )
        r = _Reader(d, path)
        extra = {k: v for k, v in d.items() if k not in _KNOWN_KEYS}
        bad_keys = [k for k in extra if not isinstance(k, str)]
        if bad_keys:
            raise MLmodelError(f"top-level keys must be strings, got {bad_keys!r}.", path=path)
        flavors = r.get("flavors", Mapping, required=True)
        if not flavors:
            raise MLmodelError(
                f"empty: the file names no flavor to load the model with.{_DAMAGED}",
                path=path,
                key="flavors",
            )
        for name, conf in flavors.items():
            if not isinstance(name, str) or not isinstance(conf, Mapping):
                raise MLmodelError(
                    f"each flavor must map a name to a mapping of options, got {_kind(conf)}.",
                    path=path,
                    key=f"flavors.{name}",
                )
        signature = None
        sig = r.get("signature", Mapping)
        if sig is not None:
            for part in ("inputs", "outputs", "params"):
                if sig.get(part) is not None and not isinstance(sig[part], str):
                    raise MLmodelError(
                        f"expected a JSON string, got {_kind(sig[part])}.",
                        path=path,
                        key=f"signature.{part}",
                    )
            try:
                # an all-null block (flavorkit 0.1 could write one) reads as no signature
                if any(sig.get(part) is not None for part in ("inputs", "outputs", "params")):
                    signature = ModelSignature.from_dict(sig)
            except FlavorkitError as e:
                key, _, message = str(e).partition(": ")
                raise MLmodelError(message, path=path, key=key) from None
        created = d.get("utc_time_created")
        if created is None:
            # MLflow and flavorkit always write it, and write it last (keys are sorted), so a
            # file without it has lost its end: every key after the cut is missing.
            raise MLmodelError(
                f"missing. MLflow and flavorkit always write it as the last key, so the file "
                f"was probably cut short.{_DAMAGED}",
                path=path,
                key="utc_time_created",
            )
        example_info = r.get("saved_input_example_info", Mapping)
        for key in ("artifact_path", "type") if example_info is not None else ():
            if not isinstance(example_info.get(key), str):
                raise MLmodelError(
                    f"expected a string, got {_kind(example_info.get(key))}; MLflow and "
                    f"flavorkit always record it with an input example.{_DAMAGED}",
                    path=path,
                    key=f"saved_input_example_info.{key}",
                )
        if isinstance(created, (_dt.datetime, _dt.date)):  # an unquoted timestamp in the YAML
            created = str(created)
        if not isinstance(created, str):
            raise MLmodelError(
                f"expected a timestamp string, got {_kind(created)}.",
                path=path,
                key="utc_time_created",
            )
        size = r.get("model_size_bytes", int)
        if isinstance(size, bool) or (size is not None and size < 0):
            raise MLmodelError(
                f"expected a non-negative integer, got {size!r}.", path=path, key="model_size_bytes"
            )
        prompts = r.get("prompts", list)
        if prompts is not None and not all(isinstance(p, str) for p in prompts):
            raise MLmodelError("expected a list of strings.", path=path, key="prompts")
        return cls(
            flavors={name: dict(conf) for name, conf in flavors.items()},
            model_uuid=r.get("model_uuid", str),
            model_id=r.get("model_id", str),
            utc_time_created=created,
            mlflow_version=r.get_version("mlflow_version"),
            run_id=r.get("run_id", str),
            artifact_path=r.get("artifact_path", str),
            signature=signature,
            is_signature_from_type_hint=bool(r.get("is_signature_from_type_hint", bool)),
            type_hint_from_example=bool(r.get("type_hint_from_example", bool)),
            saved_input_example_info=_dict_or_none(example_info),
            model_size_bytes=size,
            metadata=_dict_or_none(r.get("metadata", Mapping)),
            prompts=prompts,
            extra=extra,
        )

    @classmethod
    def from_yaml(cls, text: str | bytes, *, path: str | None = None) -> Model:
        """Parse MLmodel text. Any problem raises :class:`MLmodelError` naming ``path``."""
        return cls.from_dict(_parse_yaml(text, path), path=path)

    # -- files -----------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Read ``path``: a model directory or its ``MLmodel`` file.

        Any path that is not one (missing, a plain file, a folder without MLmodel, a save's
        temporary, a path the OS refuses) raises a :class:`~flavorkit.errors.FlavorkitError`
        saying which and what to do.
        """
        file = mlmodel_file(path)
        try:
            raw = file.read_bytes()
        except OSError as e:
            raise MLmodelError(f"cannot be read: {e.strerror or e}", path=str(file)) from None
        # A file parsed before is not parsed again: see flavorkit.mlmodel_cache for why.
        remembered = mlmodel_cache.remembered(raw)
        if remembered is not None:
            model = cls.from_dict(remembered, path=str(file))
        else:
            document = _parse_yaml(raw, str(file))
            model = cls.from_dict(document, path=str(file))
            mlmodel_cache.remember(raw, document)  # from_dict leaves it as parsed; now valid
        model._model_dir = file.parent
        return model

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``MLmodel`` into directory ``path`` (or to ``path`` if it names the file).

        The file is written to a temporary name and renamed, so a reader never sees half a file.
        """
        p = Path(path)
        file = p / MLMODEL_FILE_NAME if p.is_dir() else p
        tmp = file.with_name(f".{file.name}.{os.urandom(8).hex()}.tmp")
        tmp.write_text(self.to_yaml(), encoding="utf-8")
        os.replace(tmp, file)
        return file


def mlmodel_file(path: str | os.PathLike[str]) -> Path:
    """The ``MLmodel`` file of model directory ``path`` (or ``path`` itself if it is that file).

    Raises :class:`~flavorkit.errors.ModelPathError` for a path the OS refuses (a NUL byte, too
    long) and :class:`~flavorkit.errors.MLmodelNotFoundError` when ``path`` is no model directory.
    """
    p = Path(check_path(path, what="model path"))
    kind = _stat_kind(p)
    if kind is None:
        raise MLmodelNotFoundError(
            "no such directory. Pass the directory a model was saved to "
            "(flavorkit.save_model writes one).",
            path=str(p),
        )
    stage = staging_name(p)
    if stage is not None:
        raise MLmodelNotFoundError(
            "a temporary of a save that did not finish (it was killed), not a model; "
            f"`flavorkit gc {p.parent}` removes such leftovers.",
            path=str(p),
        )
    if kind == "file":
        if p.name == MLMODEL_FILE_NAME:
            return p
        raise MLmodelNotFoundError(
            "a file, not a model directory. A flavorkit or MLflow model is a directory "
            "with an MLmodel file: load the object with its own library and save it with "
            "flavorkit.save_model(obj, 'model-dir').",
            path=str(p),
        )
    file = p / MLMODEL_FILE_NAME
    if _stat_kind(file) != "file":
        raise MLmodelNotFoundError(
            f"not an MLmodel directory: it has no MLmodel file{_contents_hint(p)}. "
            "To make one, load the model with its own library and save it with "
            "flavorkit.save_model(obj, 'model-dir').",
            path=str(p),
        )
    return file


def check_path(path: str | os.PathLike[str], *, what: str = "path") -> str:
    """``path`` as text, refused with :class:`ModelPathError` if no file system could hold it."""
    try:
        text = os.fsdecode(os.fspath(path))  # a bytes path becomes text as the OS would read it
    except TypeError:
        raise ModelPathError(
            f"expected a {what} (a string or os.PathLike), got {type(path).__name__}."
        ) from None
    if "\x00" in text:
        raise ModelPathError(f"{what} {text!r} contains a NUL byte, which no file name can hold.")
    return text


def _stat_kind(p: Path) -> str | None:
    """``'dir'``, ``'file'`` (anything else that exists) or None when nothing is there."""
    try:
        st = p.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as e:
        if e.errno == errno.ENAMETOOLONG:
            raise ModelPathError(
                f"path is longer than the file system allows ({len(str(p))} characters, "
                f"a name may have at most 255): {str(p)[:60]}..."
            ) from None
        raise ModelPathError(f"{p}: cannot be examined: {e.strerror or e}.") from None
    except ValueError as e:  # what the OS layer refuses before asking the kernel
        raise ModelPathError(f"{str(p)[:80]!r}: not a usable path ({e}).") from None
    return "dir" if stat.S_ISDIR(st.st_mode) else "file"


def _contents_hint(p: Path) -> str:
    """What the folder looks like instead, when that is recognisable."""
    try:
        names = sorted(os.listdir(p))
    except OSError:
        return ""
    if not names:
        return " (it is empty)"
    lowered = {n.lower() for n in names}
    suffixes = {Path(n).suffix.lower() for n in names}
    if "config.json" in lowered and (
        suffixes & {".safetensors", ".bin", ".h5", ".msgpack"} or "tokenizer.json" in lowered
    ):
        kind = "; it looks like a Hugging Face model folder"
    elif suffixes & {".joblib", ".pkl", ".pickle"}:
        kind = "; it holds pickled objects (.joblib/.pkl), which are not a model directory"
    elif {n for n in names if staging_name(n) in ("tmp", "old")}:
        kind = "; it holds temporaries of unfinished saves, so it may be the parent of a model"
    else:
        kind = ""
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return f" (it holds {shown}{kind})"


_KNOWN_KEYS = frozenset(
    f for f in Model.__dataclass_fields__ if f != "extra" and not f.startswith("_")
)


def _example_has_params(info: Mapping[str, Any] | None) -> bool:
    """Whether the example was saved as ``(data, params)`` (MLflow writes the string 'true')."""
    value = None if info is None else info.get("params")
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "no")
    return bool(value)


def _parse_yaml(text: str | bytes, path: str | None) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as e:
        raise MLmodelError(f"not valid YAML: {_one_line(e)}", path=path) from None
    except (UnicodeDecodeError, ValueError) as e:  # bytes that are not text
        raise MLmodelError(f"not a text file: {e}", path=path) from None
    except RecursionError:
        raise MLmodelError("YAML nested too deeply.", path=path) from None


class _Reader:
    """Typed access to a parsed MLmodel mapping, with errors naming the file and key."""

    def __init__(self, d: Mapping[Any, Any], path: str | None):
        self.d = d
        self.path = path

    def get(self, key: str, kind: type, *, required: bool = False) -> Any:
        value = self.d.get(key)
        if value is None:
            if required:
                raise MLmodelError("missing; every MLmodel file needs it.", path=self.path, key=key)
            return None
        if not isinstance(value, kind):
            raise MLmodelError(
                f"expected {_KIND_NAMES.get(kind, kind.__name__)}, got {_kind(value)}.",
                path=self.path,
                key=key,
            )
        return value

    def get_version(self, key: str) -> str | None:
        value = self.d.get(key)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)  # a hand-written, unquoted `2.0`
        raise MLmodelError(
            f"expected a version string, got {_kind(value)}.", path=self.path, key=key
        )


_DAMAGED = (
    " The MLmodel file is damaged: restore it from where the model came from, or save the "
    "model again."
)

_KIND_NAMES = {
    Mapping: "a mapping",
    str: "a string",
    int: "an integer",
    bool: "true or false",
    list: "a list",
}


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"[:80]


def _dict_or_none(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(value) if value is not None else None


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split())


@dataclass(frozen=True)
class PyFuncFlavor:
    """The ``python_function`` section, validated, with legacy forms normalised.

    ``env`` is always a mapping (``{"conda": ..., "virtualenv": ...}``); MLflow before 2.0 wrote a
    plain path to the conda file. ``data`` is the model data path (``model_path`` as sklearn writes
    it, else ``data``). The raw section in :attr:`Model.flavors` is left untouched.
    """

    loader_module: str
    python_version: str | None = None
    data: str | None = None
    code: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    predict_fn: str = "predict"
    streamable: bool = False
    predict_stream_fn: str = "predict_stream"
    model_code_path: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, conf: Mapping[str, Any], *, path: str | None = None) -> PyFuncFlavor:
        def err(key: str, message: str) -> MLmodelError:
            return MLmodelError(message, path=path, key=f"{PYFUNC_FLAVOR}.{key}")

        def text(key: str, *, required: bool = False) -> str | None:
            value = conf.get(key)
            if value is None:
                if required:
                    raise err(key, "missing; it names the module MLflow loads the model with.")
                return None
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return str(value)  # e.g. an unquoted python_version 3.10 would be lost otherwise
            if not isinstance(value, str):
                raise err(key, f"expected a string, got {_kind(value)}.")
            return value

        env_raw = conf.get("env")
        if env_raw is None:
            env: dict[str, str] = {}
        elif isinstance(env_raw, str):
            env = {"conda": env_raw}
        elif isinstance(env_raw, Mapping) and all(isinstance(v, str) for v in env_raw.values()):
            env = dict(env_raw)
        else:
            raise err("env", f"expected a mapping of file names, got {_kind(env_raw)}.")
        config = conf.get("config") or {}
        if not isinstance(config, Mapping):
            raise err("config", f"expected a mapping, got {_kind(config)}.")
        streamable = conf.get("streamable", False)
        if not isinstance(streamable, bool):
            raise err("streamable", f"expected true or false, got {_kind(streamable)}.")
        known = {
            "loader_module", "python_version", "data", "model_path", "code", "env", "config",
            "predict_fn", "streamable", "predict_stream_fn", "model_code_path",
        }  # fmt: skip
        return cls(
            loader_module=text("loader_module", required=True) or "",
            python_version=text("python_version"),
            data=text("model_path") or text("data"),
            code=text("code"),
            env=env,
            config=dict(config),
            predict_fn=text("predict_fn") or "predict",
            streamable=streamable,
            predict_stream_fn=text("predict_stream_fn") or "predict_stream",
            model_code_path=text("model_code_path"),
            options={k: v for k, v in conf.items() if k not in known},
        )
