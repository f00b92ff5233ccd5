"""The environment a model needs: requirements.txt, constraints.txt, python_env.yaml, conda.yaml.

A saved model is portable only if it names what must be installed to load it. This module builds
that list as MLflow does (MLflow format §6) and writes the files byte for byte as MLflow does, so
MLflow's env managers (virtualenv, uv, conda) restore a flavorkit model. Two differences:

* Requirements are inferred **in process, from the model object**: the modules of the types
  reachable from it are mapped to the distributions that installed those very files. MLflow
  reloads the model in a subprocess and records every import (2-6 s per save, listing whatever
  the framework happens to import, e.g. torch for any skops model).
* No ``mlflow==`` pin is added: flavorkit never depends on MLflow, and MLflow's serving tools
  install mlflow into the environments they build.

Requirement lines are read with ``packaging``; lines pip accepts that are not PEP 508 (pip
options, URLs, paths) get a light check and are kept as written. ``packaging``, ``yaml`` and
``importlib.metadata`` are imported where needed, so importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import re
import sys
import types
import warnings
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeAlias

from flavorkit.errors import EnvironmentSpecError

__all__ = [
    "CONDA_ENV_FILE_NAME",
    "CONSTRAINTS_FILE_NAME",
    "PYTHON_ENV_FILE_NAME",
    "REQUIREMENTS_FILE_NAME",
    "PythonEnv",
    "RequirementMismatch",
    "Requirements",
    "check_installed",
    "infer_requirements",
    "pinned_requirement",
    "read_python_env",
    "read_requirements",
    "resolve_requirements",
    "write_environment_files",
]

REQUIREMENTS_FILE_NAME = "requirements.txt"
CONSTRAINTS_FILE_NAME = "constraints.txt"
PYTHON_ENV_FILE_NAME = "python_env.yaml"
CONDA_ENV_FILE_NAME = "conda.yaml"

#: A requirements option: a list of requirement lines, or the path of a requirements file.
RequirementsOption: TypeAlias = "Sequence[str] | str | os.PathLike[str]"
#: A ``conda_env`` option: the environment as a dict, or the path of a conda YAML file.
CondaEnvOption: TypeAlias = "Mapping[str, Any] | str | os.PathLike[str]"


# --------------------------------------------------------------------------------------------
# Pinning
# --------------------------------------------------------------------------------------------


@functools.cache
def _installed_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


_WARNED_LOCAL_LABELS: set[tuple[str, str]] = set()


def _public_version(dist_name: str, version: str) -> str:
    """``version`` without its local label (``2.13.0+cpu``), with a warning: such a build exists
    only on some index, so a pin carrying it fails to install from PyPI (MLflow strips it too)."""
    public, plus, _local = version.partition("+")
    if plus and (dist_name, version) not in _WARNED_LOCAL_LABELS:
        _WARNED_LOCAL_LABELS.add((dist_name, version))  # once per process, not once per save
        warnings.warn(
            f"{dist_name} is installed as version {version}, which has a local version label; "
            f"pinning {dist_name}=={public} instead (pin the local build yourself with "
            f"extra_pip_requirements if the model needs it)",
            UserWarning,
            stacklevel=3,
        )
    return public


def pinned_requirement(dist_name: str) -> str:
    """``name==<installed version>``, e.g. ``scikit-learn==1.9.1``, without a local label."""
    installed = _installed_version(dist_name)
    if installed is None:
        raise EnvironmentSpecError(
            f"cannot pin {dist_name!r}: no distribution of that name is installed; install it, "
            "or list the requirement explicitly with pip_requirements / extra_pip_requirements"
        )
    return f"{dist_name}=={_public_version(dist_name, installed)}"


# --------------------------------------------------------------------------------------------
# Inference, step 1: the modules of the types reachable from the model
# --------------------------------------------------------------------------------------------

# Values that refer to nothing worth following.
_ATOMIC = frozenset({str, bytes, bytearray, int, float, complex, bool, type(None), range})
# Per container, at most this many items are looked at: a vocabulary of a million strings must
# not cost a second, and a list of 10 000 trees has one type.
_MAX_CONTAINER_ITEMS = 10_000
_ROUTINES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def infer_requirements(obj: object, *, max_depth: int = 10, max_objects: int = 20_000) -> list[str]:
    """Pinned requirements of the distributions whose types are reachable from ``obj``.

    Walks types and their MRO, ``__dict__``, slots, containers, and functions and classes held
    as values, at most ``max_depth`` attribute hops deep and ``max_objects`` objects, never into
    numpy arrays. Each module is mapped to the distribution whose RECORD lists its file, so a
    LogisticRegression yields numpy and scikit-learn, never a package merely installed beside
    them; the standard library and files no distribution installed (a test module, a script)
    are left out. Nothing is imported and no subprocess is started.
    """
    found = {_module_owner(module) for module in _reachable_modules(obj, max_depth, max_objects)}
    owners = sorted((o for o in found if o), key=lambda o: re.sub(r"[-_.]+", "-", o[0]).lower())
    return [f"{name}=={_public_version(name, version)}" for name, version in owners]


def _reachable_modules(obj: object, max_depth: int, max_objects: int) -> set[str]:
    """The ``__module__`` of every type, function, class or module reachable from ``obj``."""
    modules: set[str] = set()
    seen_types: set[type] = set()
    seen: dict[int, object] = {}  # by id; holding each object keeps its id from being reused
    slots: dict[type, list[Any]] = {}  # per type, its slot descriptors
    queue: deque[tuple[object, int]] = deque([(obj, 0)])

    def add_types(*classes: type) -> None:
        for cls in set(classes) - seen_types:
            seen_types.add(cls)
            modules.update(k.__module__ for k in cls.__mro__ if isinstance(k.__module__, str))

    def look_at(current: object) -> tuple[int, Iterable[object]]:
        """Record the modules ``current`` names; return (1 for an attribute hop, what it holds)."""
        add_types(type(current))
        if isinstance(current, type):  # a class held as a value (dtype=np.float32, a callback)
            add_types(current)
        elif isinstance(current, types.ModuleType):
            modules.add(current.__name__)
        elif isinstance(current, _ROUTINES):
            if isinstance(module := getattr(current, "__module__", None), str):
                modules.add(module)
            owner = getattr(current, "__self__", None)
            return 1, () if isinstance(owner, types.ModuleType) else (owner,)
        elif type(current).__module__.partition(".")[0] == "numpy":
            pass  # arrays, scalars, dtypes: their contents say nothing new and can be huge
        elif isinstance(current, dict):
            return 0, itertools.chain.from_iterable(current.items())
        elif isinstance(current, (list, tuple, set, frozenset, deque)):
            return 0, current
        else:
            return 1, _attributes(current, slots)
        return 0, ()

    while queue and len(seen) < max_objects:
        current, depth = queue.popleft()
        if id(current) in seen:
            continue
        seen[id(current)] = current
        try:
            hop, children = look_at(current)
            if depth + hop <= max_depth:
                for child in itertools.islice(children, _MAX_CONTAINER_ITEMS):
                    if type(child) not in _ATOMIC:
                        queue.append((child, depth + hop))
        except Exception:  # noqa: S112 - a hostile __getattr__ or a dead proxy must not break a save
            continue
    return modules


def _attributes(obj: object, slots: dict[type, list[Any]]) -> list[object]:
    """The values in ``obj.__dict__`` and in its slots: ``__slots__`` and C members such as
    ``functools.partial.func`` alike are member descriptors on the type."""
    found = list(itertools.islice(getattr(obj, "__dict__", {}).values(), _MAX_CONTAINER_ITEMS))
    cls = type(obj)
    if cls not in slots:
        members = (m for k in cls.__mro__ for m in vars(k).values())
        slots[cls] = [m for m in members if isinstance(m, types.MemberDescriptorType)]
    for member in slots[cls]:
        with contextlib.suppress(AttributeError):  # an unset slot
            found.append(member.__get__(obj, cls))
    return found


# --------------------------------------------------------------------------------------------
# Inference, step 2: module -> the distribution that installed its file
# --------------------------------------------------------------------------------------------


def _clear_caches() -> None:
    """Forget what was learnt about installed distributions (after installing something)."""
    caches = (
        _file_owner,
        _metadata_dirs,
        _editable_installs,
        _packages_distributions,
        _installed_version,
    )
    for cached in caches:
        cached.cache_clear()


def _module_owner(module: str) -> tuple[str, str] | None:
    """(name, version) of the distribution that installed ``module``, or None.

    The first module on the dotted path backed by a file decides: the top-level package, or the
    package below a namespace (``google`` -> ``google.protobuf``). The standard library and a
    module never imported (we import nothing) or built in memory have no owner.
    """
    parts = module.split(".")
    if parts[0] in ("builtins", "__main__", "__mp_main__") or parts[0] in sys.stdlib_module_names:
        return None
    for i in range(1, len(parts) + 1):
        key = ".".join(parts[:i])
        mod = sys.modules.get(key)
        if isinstance(file := getattr(mod, "__file__", None), str):
            return _file_owner(key, file, hasattr(mod, "__path__"))
        if not hasattr(mod, "__path__"):
            break
    return None


@functools.cache
def _file_owner(key: str, file: str, is_package: bool) -> tuple[str, str] | None:
    """(name, version) of the distribution that installed ``file``, the file of module ``key``:
    the one whose RECORD lists it, else an editable install, else legacy metadata naming it."""
    top = key.partition(".")[0]
    if not os.path.isfile(file):  # imported from a zip archive: no RECORD lists it
        return _zip_owner(top)
    site = file  # the sys.path entry the module was found in
    for _ in range(key.count(".") + (2 if is_package else 1)):
        site = os.path.dirname(site)
    rel = os.path.relpath(file, site).replace(os.sep, "/")
    # Likeliest owners first (sklearn -> scikit_learn-1.9.1.dist-info), so few RECORDs are read.
    candidates = sorted(_metadata_dirs(site), key=lambda meta: not _similar(top, meta))
    meta = (
        next((m for m in candidates if f"\n{rel}," in "\n" + _read_text(f"{m}/RECORD")), None)
        or _editable_owner(site, top)
        or next((m for m in candidates if _legacy_declares(m, top)), None)
    )
    return None if meta is None else _name_and_version(meta)


@functools.cache
def _metadata_dirs(directory: str) -> list[str]:
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    names = (".dist-info", ".egg-info")
    return sorted(e.path for e in entries if e.name.endswith(names) and e.is_dir())


_NO_SEPARATORS = str.maketrans("", "", "-_.")


def _similar(top: str, meta: str) -> bool:
    """Whether module ``top`` or the name in ``meta`` is a subsequence of the other, ignoring
    case and separators (sklearn / scikit-learn, yaml / PyYAML, PIL / pillow)."""
    name = os.path.basename(meta).split("-")[0].removesuffix(".egg")
    short, long = sorted((s.lower().translate(_NO_SEPARATORS) for s in (top, name)), key=len)
    letters = iter(long)
    return all(ch in letters for ch in short)


def _read_text(path: str) -> str:
    """The file's text, or "" when it cannot be read (most metadata files are optional)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def _legacy_declares(meta: str, top: str) -> bool:
    """Metadata without a RECORD (``setup.py develop``, Debian's dist-packages) can only name
    its top-level packages."""
    has_record = os.path.exists(f"{meta}/RECORD")
    return not has_record and top in _read_text(f"{meta}/top_level.txt").split()


def _editable_owner(site: str, top: str) -> str | None:
    """The editable install whose ``.pth`` file put ``site`` on sys.path (and, when it lists
    its top-level names, lists ``top``: a script beside the package is not part of it)."""
    for meta, paths in _editable_installs():
        top_level = _read_text(f"{meta}/top_level.txt").split()
        if os.path.normpath(site) in paths and (not top_level or top in top_level):
            return meta
    return None


_NOT_PATH = ("#", "import ", "import\t")  # lines of a .pth file that add no path


@functools.cache
def _editable_installs() -> list[tuple[str, set[str]]]:
    """(metadata dir, the directories its ``.pth`` files add to sys.path) per editable install.

    An editable install says so in ``direct_url.json`` (PEP 610); pip, uv, setuptools, hatchling
    and poetry point it at the sources with a path line in a ``.pth`` file its RECORD lists.
    """
    found: list[tuple[str, set[str]]] = []
    for entry in dict.fromkeys(p for p in sys.path if p and os.path.isdir(p)):
        for meta in _metadata_dirs(entry):
            if not re.search(r'"editable"\s*:\s*true', _read_text(f"{meta}/direct_url.json")):
                continue
            record = _read_text(f"{meta}/RECORD").splitlines()
            pth_files = [line.split(",")[0] for line in record if ".pth," in line]
            lines = "\n".join(_read_text(f"{entry}/{pth}") for pth in pth_files).splitlines()
            paths = {line.strip() for line in lines if not line.startswith(_NOT_PATH)} - {""}
            found.append((meta, {os.path.normpath(os.path.join(entry, p)) for p in paths}))
    return found


def _name_and_version(meta: str) -> tuple[str, str] | None:
    """(Name, Version) from the headers of ``METADATA`` (or a legacy ``PKG-INFO``)."""
    text = _read_text(f"{meta}/METADATA") or _read_text(f"{meta}/PKG-INFO")
    header = text.split("\n\n")[0].splitlines()
    fields = {key: value.strip() for key, _, value in (line.partition(":") for line in header)}
    name, version = fields.get("Name"), fields.get("Version")
    return (name, version) if name and version else None


@functools.cache
def _packages_distributions() -> Mapping[str, list[str]]:
    """The stdlib's map of top-level names to distributions: ~140 ms a call, hence the cache."""
    from importlib.metadata import packages_distributions

    return packages_distributions()


def _zip_owner(top: str) -> tuple[str, str] | None:
    """For a module imported from a zip archive: the one distribution naming ``top`` (several
    would make it a namespace: do not guess)."""
    names = set(_packages_distributions().get(top, []))
    version = _installed_version(name := names.pop()) if len(names) == 1 else None
    return None if version is None else (name, version)


# --------------------------------------------------------------------------------------------
# Requirement lines
# --------------------------------------------------------------------------------------------

# The pip options a requirements file may hold on a line of their own, with or without value.
_PIP_OPTIONS_WITH_VALUE = (  # noqa: SIM905 - as a list literal: 11 lines
    "-e --editable -i --index-url --extra-index-url -f --find-links --trusted-host --no-binary "
    "--only-binary --use-feature"
).split()
_PIP_FLAGS = ["--no-index", "--pre", "--prefer-binary", "--require-hashes"]
# The pip options a requirement may carry after it on its line.
_PER_REQUIREMENT_OPTION = r"\s--(?:hash|config-settings|global-option|install-option)\b"
_INCLUDE = r"^(-[rc]|--requirement\b|--constraint\b)\s*=?\s*(.*)$"
_ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")


class _Line(NamedTuple):
    """One requirement line as written, where it came from (for errors), and its PEP 508 parts.

    ``key`` is what duplicates share: the PEP 503 name and the marker, or for a pip option, URL
    or path (no ``name``) the line itself.
    """

    text: str
    source: str
    key: str
    name: str = ""
    extras: tuple[str, ...] = ()
    specs: tuple[str, ...] = ()  # extras and specs in the order written (packaging has sets)
    url: str | None = None
    marker: str | None = None
    options: str = ""  # pip options after the requirement, e.g. " --hash=sha256:..."


def _parse_line(text: str, source: str) -> _Line:
    """Check one requirement line (not ``-r``/``-c``) and read it."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    line = text.strip()
    if not line:
        raise EnvironmentSpecError(f"{source}: empty requirement; remove it")
    if line.startswith("-"):
        _check_pip_option(line, source)
        return _Line(line, source, key="\0" + line)
    options_at = re.search(_PER_REQUIREMENT_OPTION, line)
    body = line[: options_at.start()] if options_at else line
    try:
        req = Requirement(body)
    except InvalidRequirement:
        # pip also takes a URL (git+https://...) or a local path; pip reports what it can't fetch
        is_path = re.search(r"[/\\]|^[.~]", body) or body.lower().endswith(_ARCHIVE_SUFFIXES)
        if is_path and " " not in body:
            return _Line(line, source, key="\0" + line)
        conda_like = re.match(r"^[\w.-]+\s*=\s*\d", body)
        raise EnvironmentSpecError(
            f"{source}: {line!r} is not a valid requirement"
            + (" (a single '=' is conda syntax: pip needs '==')" if conda_like else "")
            + "; expected a PEP 508 requirement such as 'numpy>=1.24' or "
            "'pkg[extra]==1.0; python_version>=\"3.10\"', a URL or a local path"
        ) from None
    marker = str(req.marker) if req.marker else None
    written = "".join(body.split())
    return _Line(
        text=line,
        source=source,
        key=canonicalize_name(req.name) + (f";{marker}" if marker else ""),
        name=req.name,
        extras=tuple(sorted(req.extras, key=written.find)),
        specs=tuple(sorted(map(str, req.specifier), key=written.find)),
        url=req.url,
        marker=marker,
        options=line[options_at.start() :] if options_at else "",
    )


def _check_pip_option(line: str, source: str) -> None:
    spaced = re.sub(r"^(--[A-Za-z][A-Za-z-]*|-[A-Za-z]?)\s*=?\s*", r"\1 ", line)
    option, _, value = spaced.partition(" ")
    if option not in (*_PIP_OPTIONS_WITH_VALUE, *_PIP_FLAGS):
        allowed = ", ".join(["-r", "-c", *sorted([*_PIP_OPTIONS_WITH_VALUE, *_PIP_FLAGS])])
        raise EnvironmentSpecError(
            f"{source}: {line!r} is not a requirement nor a pip option allowed in a "
            f"requirements file (allowed: {allowed})"
        )
    if (option in _PIP_OPTIONS_WITH_VALUE) != bool(value.strip()):
        need = "needs a value" if option in _PIP_OPTIONS_WITH_VALUE else "takes no value"
        raise EnvironmentSpecError(f"{source}: pip option {option} {need}: {line!r}")


def _logical_lines(text: str, where: str) -> Iterator[tuple[str, str]]:
    """(line without its comment, "where:lineno") per non-blank line, joining ``\\`` lines."""
    pending, start = "", 0
    for number, raw in enumerate([*text.splitlines(), ""], start=1):
        start = start if pending else number
        if raw.endswith("\\"):
            pending += raw[:-1]
            continue
        line = re.sub(r"(^|\s+)#.*$", "", pending + raw).strip()
        pending = ""
        if line:
            yield line, f"{where}:{start}"


class _Parsed(NamedTuple):
    requirements: list[_Line]
    constraints: list[_Line]


def _expand(
    lines: Iterable[tuple[str, str]],
    base_dir: Path,
    out: _Parsed,
    constraint: bool = False,
    stack: tuple[Path, ...] = (),
) -> _Parsed:
    """Parse lines into ``out``, following ``-r`` (lines of the same kind) and ``-c``
    (constraints) files, relative to ``base_dir``; ``stack`` is the chain of including files."""
    for line, source in lines:
        include = re.match(_INCLUDE, line)
        if include is None:
            (out.constraints if constraint else out.requirements).append(_parse_line(line, source))
            continue
        flag, target = include[1], include[2].strip()
        if not target:
            raise EnvironmentSpecError(f"{source}: {flag} needs a file name: {line!r}")
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+://", target):
            raise EnvironmentSpecError(
                f"{source}: remote requirement file {target!r} is not supported; download it "
                "and reference the local copy"
            )
        path = base_dir / os.path.expanduser(target)
        if path.resolve() in stack:
            chain = " -> ".join(str(p) for p in (*stack, path.resolve()))
            raise EnvironmentSpecError(f"{source}: requirements files include each other: {chain}")
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise EnvironmentSpecError(
                f"{source}: requirements file {str(path)!r} does not exist"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise EnvironmentSpecError(
                f"{source}: cannot read requirements file {str(path)!r}: {exc}"
            ) from None
        is_constraint = constraint or flag in ("-c", "--constraint")
        nested = _logical_lines(text, str(path))
        _expand(nested, path.parent, out, is_constraint, (*stack, path.resolve()))
    return out


def _parse_option(value: object, option: str) -> _Parsed:
    """A ``pip_requirements``-style option: a requirements file, or a list of lines (whose
    includes are relative to the working directory)."""
    if isinstance(value, (list, tuple)):
        return _expand(_item_lines(value, option), Path.cwd(), _Parsed([], []))
    if not isinstance(value, (str, os.PathLike)):
        raise EnvironmentSpecError(
            f"{option} must be a list of requirement strings or the path of a requirements "
            f"file, not {type(value).__name__}"
        )
    if not os.path.isfile(value):
        hint = f"; to give requirement strings pass a list, e.g. {option}=[{value!r}]"
        raise EnvironmentSpecError(
            f"{option}={os.fspath(value)!r} is read as the path of a requirements file, but no "
            f"such file exists{hint if isinstance(value, str) else ''}"
        )
    return _expand([(f"-r {os.fspath(value)}", option)], Path.cwd(), _Parsed([], []))


def _item_lines(items: Sequence[object], option: str) -> Iterator[tuple[str, str]]:
    for index, item in enumerate(items):
        where = f"{option}[{index}]"
        if not isinstance(item, str):
            raise EnvironmentSpecError(
                f"{where} must be a requirement string, not {type(item).__name__}: {item!r}"
            )
        if not item.strip():
            raise EnvironmentSpecError(f"{where}: empty requirement string; remove it")
        yield from ((line, where) for line, _ in _logical_lines(item, where))


# --------------------------------------------------------------------------------------------
# Merging duplicates
# --------------------------------------------------------------------------------------------


def _merge(lines: Iterable[_Line]) -> list[_Line]:
    """Deduplicate, keeping the position of the first occurrence of each distribution."""
    merged: dict[str, _Line] = {}
    for line in lines:
        previous = merged.get(line.key)
        merged[line.key] = line if previous is None else _merge_two(previous, line)
    return list(merged.values())


def _merge_two(a: _Line, b: _Line) -> _Line:
    """One line meaning both ``a`` and ``b`` (same key); a side already meaning both is kept
    exactly as written."""
    if a.text == b.text:
        return a
    if a.url and b.url and a.url != b.url:
        raise _conflict(a, b, " (two different URLs)")
    url = a.url or b.url
    extras = a.extras + tuple(e for e in b.extras if e not in a.extras)
    specs = () if url else _merge_specs(a, b)  # a direct reference decides the version
    options = a.options if a.options == b.options else a.options + b.options
    for side in (a, b):
        if (side.extras, side.specs, side.url, side.options) == (extras, specs, url, options):
            return side
    text = a.name + (f"[{','.join(extras)}]" if extras else "")
    text += (f" @ {url}" + (" " if a.marker else "")) if url else ",".join(specs)
    text += f"; {a.marker}" if a.marker else ""
    return a._replace(text=text + options, extras=extras, specs=specs, url=url, options=options)


def _merge_specs(a: _Line, b: _Line) -> tuple[str, ...]:
    """Specifiers meaning both: ranges are combined, and a pin wins over what it satisfies."""
    if not a.specs or not b.specs or set(a.specs) == set(b.specs):
        return a.specs or b.specs
    pins = [x for x in (a, b) if len(x.specs) == 1 and re.match(r"==[^*]*$", x.specs[0])]
    if not pins:
        return a.specs + tuple(s for s in b.specs if s not in a.specs)
    pinned, other = (a, b) if pins[0] is a else (b, a)
    if not _satisfies(pinned.specs[0].lstrip("="), other.specs):  # 1.0 and 1.0.0 are one pin
        hint = "" if len(pins) == 2 else f" ({pinned.text!r} does not satisfy {other.text!r})"
        raise _conflict(a, b, hint)
    return pinned.specs


def _satisfies(version: str, specs: Sequence[str]) -> bool:
    """Whether ``version`` meets every specifier, pre-releases allowed."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion

    try:
        return SpecifierSet(",".join(specs)).contains(version, prereleases=True)
    except InvalidVersion:  # packaging < 26 raises for a version that is not PEP 440
        return False


def _conflict(a: _Line, b: _Line, why: str) -> EnvironmentSpecError:
    return EnvironmentSpecError(
        f"conflicting requirements for {a.name!r}: {a.text!r} ({a.source}) and {b.text!r} "
        f"({b.source}){why}; keep only one, or pass pip_requirements= to replace the default "
        "and inferred requirements"
    )


# --------------------------------------------------------------------------------------------
# Resolution
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirements:
    """What :func:`write_environment_files` writes.

    ``requirements`` are the lines of requirements.txt, without the ``-c constraints.txt`` line
    the writer adds when there are ``constraints``. ``conda_env`` is the caller's own conda
    environment (``conda_env=``), written as conda.yaml with its pip section replaced.
    """

    requirements: list[str]
    constraints: list[str] = field(default_factory=list)
    conda_env: dict[str, Any] | None = None


def resolve_requirements(
    default_requirements: Sequence[str],
    *,
    inferred: Sequence[str] = (),
    pip_requirements: RequirementsOption | None = None,
    extra_pip_requirements: RequirementsOption | None = None,
    conda_env: CondaEnvOption | None = None,
) -> Requirements:
    """The requirements to write, as MLflow's ``_process_pip_requirements`` builds them.

    No option: ``defaults ∪ inferred``, sorted by name. ``pip_requirements`` replaces everything;
    ``extra_pip_requirements`` is appended to ``defaults ∪ inferred``; ``conda_env``'s pip list
    is used and the environment kept for conda.yaml. The options are mutually exclusive. A
    requirements option is a list of lines or a file path; ``-r file`` is expanded and
    ``-c file`` lines become ``constraints``. Duplicates (same PEP 503 name and marker) are
    merged: extras united, a range yields to a pin satisfying it, two different pins are an
    error.
    """
    options = {
        "pip_requirements": pip_requirements,
        "extra_pip_requirements": extra_pip_requirements,
        "conda_env": conda_env,
    }
    given = [name for name, value in options.items() if value is not None]
    if len(given) > 1:
        raise EnvironmentSpecError(
            f"{' and '.join(given)} are mutually exclusive, but {len(given)} were given: pass "
            "pip_requirements to replace the requirements, extra_pip_requirements to add to "
            "them, or conda_env for a whole conda environment"
        )
    env: dict[str, Any] | None = None
    if pip_requirements is not None:
        parsed = _parse_option(pip_requirements, "pip_requirements")
    elif conda_env is not None:
        env, where, base_dir = _load_conda_env(conda_env)
        parsed = _expand(_conda_pip_lines(env, where), base_dir, _Parsed([], []))
    else:
        parsed = _Parsed(_sorted_base(default_requirements, inferred), [])
        if extra_pip_requirements is not None:
            extra = _parse_option(extra_pip_requirements, "extra_pip_requirements")
            parsed = _Parsed(parsed.requirements + extra.requirements, extra.constraints)
    return Requirements(
        requirements=[line.text for line in _merge(parsed.requirements)],
        constraints=list(dict.fromkeys(line.text for line in parsed.constraints)),
        conda_env=env,
    )


def _sorted_base(defaults: Sequence[str], inferred: Sequence[str]) -> list[_Line]:
    lines: list[_Line] = []
    for option, values in (("default_requirements", defaults), ("inferred", inferred)):
        if isinstance(values, str):
            raise EnvironmentSpecError(f"{option} must be a list of strings, not a string")
        for index, value in enumerate(values):
            if not isinstance(value, str):
                raise EnvironmentSpecError(f"{option}[{index}] must be a string, not {value!r}")
            lines.append(_parse_line(value, f"{option}[{index}]"))
    return sorted(lines, key=lambda line: (line.key.lstrip("\0"), line.text))


def _load_conda_env(value: object) -> tuple[dict[str, Any], str, Path]:
    """(environment dict, how to name it in errors, directory for relative ``-r`` paths)."""
    import copy

    if isinstance(value, (str, os.PathLike)):
        path = Path(value)
        env = _load_yaml(path, what="conda_env")
        if env is None:
            raise EnvironmentSpecError(f"conda_env: {str(path)!r} does not exist")
        where, base_dir = f"conda_env ({path})", path.parent
    elif isinstance(value, Mapping):
        env, where, base_dir = copy.deepcopy(dict(value)), "conda_env", Path.cwd()
    else:
        raise EnvironmentSpecError(
            f"conda_env must be a dict or the path of a conda YAML file, not {type(value).__name__}"
        )
    if not isinstance(env, dict):
        raise EnvironmentSpecError(f"{where}: the top level must be a mapping, not {env!r}")
    return env, where, base_dir


def _conda_pip_lines(env: Mapping[str, Any], where: str) -> Iterator[tuple[str, str]]:
    deps = env.get("dependencies") or []
    if not isinstance(deps, list):
        raise EnvironmentSpecError(f"{where}: 'dependencies' must be a list, not {deps!r}")
    for index, dep in enumerate(deps):
        if isinstance(dep, dict) and "pip" in dep:
            pip, pip_where = dep["pip"] or [], f"{where}: dependencies[{index}]['pip']"
            if not isinstance(pip, list):
                raise EnvironmentSpecError(f"{pip_where} must be a list of requirement strings")
            yield from _item_lines(pip, pip_where)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def write_environment_files(
    model_dir: str | os.PathLike[str], reqs: Requirements, *, python_version: str | None = None
) -> dict[str, str]:
    """Write requirements.txt, constraints.txt (if any), python_env.yaml and conda.yaml.

    The bytes are MLflow's: requirements joined by ``\\n`` with no trailing newline,
    python_env.yaml with ``sort_keys=False``, conda.yaml with sorted keys. ``python_version``
    defaults to the running interpreter's. Returns MLmodel's ``python_function.env`` mapping.
    """
    import yaml

    directory = Path(model_dir)
    if not directory.is_dir():
        raise EnvironmentSpecError(f"model directory {str(directory)!r} does not exist")
    python = python_version if python_version is not None else _python_version()
    if not re.fullmatch(r"\d+\.\d+(\.\d+)?\S*", python):
        raise EnvironmentSpecError(
            f"python_version={python!r} is not a Python version; use e.g. '3.11.7'"
        )
    for what, lines in (("requirements", reqs.requirements), ("constraints", reqs.constraints)):
        for index, line in enumerate(lines):
            if not isinstance(line, str) or not line.strip() or "\n" in line or "\r" in line:
                raise EnvironmentSpecError(
                    f"Requirements.{what}[{index}] must be one non-empty line, not {line!r}"
                )
    lines = list(reqs.requirements)
    if reqs.constraints:
        lines.append(f"-c {CONSTRAINTS_FILE_NAME}")
        (directory / CONSTRAINTS_FILE_NAME).write_text("\n".join(reqs.constraints), "utf-8")
    (directory / REQUIREMENTS_FILE_NAME).write_text("\n".join(lines), "utf-8")

    versions = {name: _installed_version(name) for name in ("pip", "setuptools", "wheel")}
    python_env = {
        "python": python,
        "build_dependencies": [f"{n}=={v}" if v else n for n, v in versions.items()],
        "dependencies": [f"-r {REQUIREMENTS_FILE_NAME}"],
    }
    with open(directory / PYTHON_ENV_FILE_NAME, "w", encoding="utf-8") as handle:
        yaml.safe_dump(python_env, handle, sort_keys=False, default_flow_style=False)

    if reqs.conda_env is not None:
        conda = _conda_with_pip(reqs.conda_env, lines)
    else:
        deps: list[Any] = [f"python={python}"]
        if lines:
            deps += [f"pip<={versions['pip']}" if versions["pip"] else "pip", {"pip": lines}]
        conda = {"name": "mlflow-env", "channels": ["conda-forge"], "dependencies": deps}
    with open(directory / CONDA_ENV_FILE_NAME, "w", encoding="utf-8") as handle:
        yaml.safe_dump(conda, handle, default_flow_style=False)
    return {"conda": CONDA_ENV_FILE_NAME, "virtualenv": PYTHON_ENV_FILE_NAME}


def _python_version() -> str:
    return "{}.{}.{}".format(*sys.version_info[:3])


def _conda_with_pip(env: Mapping[str, Any], pip_lines: list[str]) -> dict[str, Any]:
    """A copy of ``env`` whose pip section (the first; others are dropped) is ``pip_lines``."""
    import copy

    result = copy.deepcopy(dict(env))
    deps = result.get("dependencies") or []
    pip_at = [i for i, dep in enumerate(deps) if isinstance(dep, dict) and "pip" in dep]
    if pip_at:
        deps[pip_at[0]] = {**deps[pip_at[0]], "pip": pip_lines}
        deps = [dep for i, dep in enumerate(deps) if i not in pip_at[1:]]
    elif pip_lines:
        deps.append({"pip": pip_lines})
    result["dependencies"] = deps
    return result


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PythonEnv:
    """The contents of python_env.yaml: what MLflow's virtualenv/uv env managers build."""

    python: str
    build_dependencies: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)


def read_requirements(
    model_dir: str | os.PathLike[str], file_name: str = REQUIREMENTS_FILE_NAME
) -> list[str]:
    """The lines of a model's requirements.txt (``[]`` when there is none), without comments and
    blank lines; option lines such as ``-c constraints.txt`` are returned as written."""
    path = _inside(model_dir, file_name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise EnvironmentSpecError(f"cannot read {str(path)!r}: {exc}") from None
    return [line for line, _ in _logical_lines(text, str(path))]


def read_python_env(
    model_dir: str | os.PathLike[str], env: Mapping[str, str] | str | None = None
) -> PythonEnv | None:
    """The model's Python environment, as MLflow's env managers read it; None without one.

    ``env`` is MLmodel's ``python_function.env`` (file names under ``virtualenv`` and ``conda``,
    or the legacy conda file name). Without python_env.yaml, the Python version and build
    dependencies come from conda.yaml, and the dependencies are ``-r requirements.txt`` when that
    file exists, else conda.yaml's pip list.
    """
    names = {"conda": env} if isinstance(env, str) else (env or {})
    path = _inside(model_dir, names.get("virtualenv", PYTHON_ENV_FILE_NAME))
    data = _load_yaml(path, what=path.name, strings_only=True)
    if data is not None:
        if not isinstance(data, dict):
            raise EnvironmentSpecError(f"{path}: the top level must be a mapping")
        if not isinstance(python := data.get("python"), str) or not python:
            raise EnvironmentSpecError(
                f"{path}: key 'python' must name the Python version (e.g. 3.11.7), not {python!r}"
            )
        build = _string_list(data.get("build_dependencies"), f"{path}: 'build_dependencies'")
        return PythonEnv(
            python, build, _string_list(data.get("dependencies"), f"{path}: 'dependencies'")
        )
    path = _inside(model_dir, names.get("conda", CONDA_ENV_FILE_NAME))
    conda = _load_yaml(path, what=path.name)
    if conda is None:
        return None
    python, build, pip = _from_conda(conda, str(path))
    if _inside(model_dir, REQUIREMENTS_FILE_NAME).is_file():
        pip = [f"-r {REQUIREMENTS_FILE_NAME}"]
    return PythonEnv(python, build, pip)


# A conda dependency a virtualenv needs too (in conda syntax, a single '=' pins).
_CONDA_BUILD_DEP = r"^(python|pip|setuptools|wheel)(<=|>=|==|!=|<|>|=)?([\d.]+)?$"


def _from_conda(conda: Any, where: str) -> tuple[str, list[str], list[str]]:
    """(python version, build dependencies, pip list) of a conda environment, as MLflow's
    ``_PythonEnv.get_dependencies_from_conda_yaml`` reads them."""
    if not isinstance(conda, dict) or not isinstance(conda.get("dependencies") or [], list):
        raise EnvironmentSpecError(f"{where}: expected a mapping with a 'dependencies' list")
    python: str | None = None
    build: list[str] = []
    pip: list[str] = []
    for dep in conda.get("dependencies") or []:
        if isinstance(dep, dict) and "pip" in dep:
            pip += _string_list(dep["pip"], f"{where}: dependencies pip")
        elif not isinstance(dep, str):
            raise EnvironmentSpecError(
                f"{where}: invalid conda dependency {dep!r}; use a string or {{pip: [...]}}"
            )
        elif match := re.match(_CONDA_BUILD_DEP, dep):  # others are conda-only packages
            package, op, version = match.groups()
            if package != "python":
                build.append(package + ("==" if op == "=" else (op or "")) + (version or ""))
            elif python is None:
                if not (op and version) or op in ("<", ">", "!="):
                    raise EnvironmentSpecError(
                        f"{where}: python dependency {dep!r} must pin a version "
                        "(e.g. python=3.11.7)"
                    )
                python = version
    if python is None:
        python = _python_version()
        warnings.warn(
            f"{where} names no python version; assuming the running Python {python}",
            UserWarning,
            stacklevel=3,
        )
    return python, build, pip


def _load_yaml(path: Path, *, what: str, strings_only: bool = False) -> Any:
    """The YAML document in ``path``, or None when there is no such file. ``strings_only``
    keeps every scalar a string, so that ``python: 3.10`` does not become the float 3.1."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise EnvironmentSpecError(f"{what}: cannot read {str(path)!r}: {exc}") from None
    if strings_only:
        loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    else:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - base and safe loaders build no objects
    except yaml.YAMLError as exc:
        raise EnvironmentSpecError(
            f"{what}: {str(path)!r} is not valid YAML ({exc}); fix or rewrite the file"
        ) from None


def _inside(model_dir: str | os.PathLike[str], name: str) -> Path:
    """``model_dir/name``, refusing a name that escapes the model directory."""
    if os.path.isabs(name) or ".." in Path(name).parts:
        raise EnvironmentSpecError(
            f"environment file {name!r} must be a relative path inside the model directory"
        )
    return Path(model_dir) / name


def _string_list(value: Any, where: str) -> list[str]:
    if value is None or value == "":
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EnvironmentSpecError(f"{where} must be a list of strings, not {value!r}")
    return list(value)


# --------------------------------------------------------------------------------------------
# Checking an environment against requirements
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequirementMismatch:
    """A requirement the running environment does not meet."""

    name: str
    required: str
    installed: str | None
    reason: str


def check_installed(requirements: Sequence[str]) -> list[RequirementMismatch]:
    """The requirements the installed distributions do not satisfy. Lines naming no
    distribution (pip options, URLs, paths) and requirements whose environment marker does not
    apply here are skipped."""
    mismatches: list[RequirementMismatch] = []
    for index, text in enumerate(requirements):
        if re.match(_INCLUDE, text.strip()):
            continue
        line = _parse_line(text, f"requirements[{index}]")
        if not line.name or (line.marker and not _marker_applies(line.marker)):
            continue
        installed = _installed_version(line.name)
        if installed is None:
            mismatches.append(RequirementMismatch(line.name, line.text, None, "not installed"))
        elif line.specs and not _satisfies(installed, line.specs):
            reason = f"installed {installed} does not satisfy {','.join(line.specs)}"
            mismatches.append(RequirementMismatch(line.name, line.text, installed, reason))
    return mismatches


def _marker_applies(marker: str) -> bool:
    from packaging.markers import Marker, UndefinedComparison, UndefinedEnvironmentName

    try:
        return Marker(marker).evaluate()
    except (UndefinedComparison, UndefinedEnvironmentName):
        return True  # cannot tell: check the requirement rather than hide it
