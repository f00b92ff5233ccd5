"""Which distributions a model needs, inferred in process from the model object.

The modules of the types reachable from the model are mapped to the distributions that installed
those very files (dist-info ``RECORD``, editable installs, zip imports), then pinned to the
installed version (:func:`pinned_requirement`). ``importlib.metadata`` lookups are cached per
process; :func:`clear_caches` forgets them after an install.
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
from collections.abc import Iterable, Mapping
from typing import Any

from flavorkit.errors import EnvironmentSpecError

__all__ = ["clear_caches", "infer_requirements", "installed_version", "pinned_requirement"]


@functools.cache
def installed_version(name: str) -> str | None:
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
    installed = installed_version(dist_name)
    if installed is None:
        raise EnvironmentSpecError(
            f"cannot pin {dist_name!r}: no distribution of that name is installed; install it, "
            "or list the requirement explicitly with pip_requirements / extra_pip_requirements"
        )
    return f"{dist_name}=={_public_version(dist_name, installed)}"


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


def clear_caches() -> None:
    """Forget what was learnt about installed distributions (after installing something)."""
    caches = (
        _file_owner,
        _metadata_dirs,
        _editable_installs,
        _packages_distributions,
        installed_version,
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
    version = installed_version(name := names.pop()) if len(names) == 1 else None
    return None if version is None else (name, version)
