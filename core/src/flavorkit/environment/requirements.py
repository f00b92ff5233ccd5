"""Requirement lists: parsing pip's lines, merging default, extra and explicit requirements.

:func:`resolve_requirements` builds a model's :class:`Requirements` as MLflow does (format §6):
the flavor's defaults, the caller's extra or explicit lines or files, or a conda environment's pip
section; conflicting pins are an error naming both. :func:`check_installed` compares a model's
requirements with what is installed here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeAlias

from flavorkit.environment.inference import installed_version
from flavorkit.errors import EnvironmentSpecError

__all__ = [
    "CondaEnvOption",
    "RequirementMismatch",
    "Requirements",
    "RequirementsOption",
    "check_installed",
    "load_yaml",
    "logical_lines",
    "resolve_requirements",
]


#: A requirements option: a list of requirement lines, or the path of a requirements file.
RequirementsOption: TypeAlias = "Sequence[str] | str | os.PathLike[str]"


#: A ``conda_env`` option: the environment as a dict, or the path of a conda YAML file.
CondaEnvOption: TypeAlias = "Mapping[str, Any] | str | os.PathLike[str]"


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


def logical_lines(text: str, where: str) -> Iterator[tuple[str, str]]:
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
        nested = logical_lines(text, str(path))
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
        yield from ((line, where) for line, _ in logical_lines(item, where))


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
        env = load_yaml(path, what="conda_env")
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


def load_yaml(path: Path, *, what: str, strings_only: bool = False) -> Any:
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
        installed = installed_version(line.name)
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
