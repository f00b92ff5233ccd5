"""Running a recipe type's steps through the cache, and saying for each one what happened and why.

For every step in the plan (the target and its upstream steps, in order) the runner gathers the
key components (see :mod:`flavorkit.recipes.cache`), and either reuses the entry with that key or
runs the step into a temporary directory and commits it. Each step prints one line::

    split: reused, inputs unchanged
    train: ran in 2.1 s, steps/train.py changed

Upstream keys are known from upstream manifests, so a rerun with nothing changed reads no data
and imports neither pandas nor scikit-learn. A step that raises writes a FAILED state and a
failure card, nothing downstream runs, and no entry is written.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from flavorkit.errors import FlavorkitError, RecipeError, RecipeStepError
from flavorkit.recipes.cache import Entry, StepCache, canonical_digest, file_digest, tree_digest
from flavorkit.recipes.config import RecipeConfig
from flavorkit.recipes.types import RecipeType, Step, StepContext
from flavorkit.recipes.usercode import code_dependencies

__all__ = ["RunReport", "Runner", "StepOutcome"]

VERSIONED = ("pandas", "scikit-learn", "flavorkit")


@dataclass
class StepOutcome:
    """What happened to one step in a run: ``ran`` or ``reused``, and why."""

    step: str
    action: str
    reason: str
    seconds: float
    key: str

    def line(self) -> str:
        if self.action == "ran":
            return f"{self.step}: ran in {self.seconds:.1f} s, {self.reason}"
        return f"{self.step}: reused, {self.reason}"


@dataclass
class RunReport:
    """The outcome of every step a run considered, in order."""

    outcomes: list[StepOutcome] = field(default_factory=list)

    @property
    def ran(self) -> list[str]:
        return [o.step for o in self.outcomes if o.action == "ran"]

    @property
    def reused(self) -> list[str]:
        return [o.step for o in self.outcomes if o.action == "reused"]


class Runner:
    """Runs steps of one recipe type for one configuration, through one cache."""

    def __init__(
        self,
        config: RecipeConfig,
        recipe_type: RecipeType,
        cache: StepCache,
        echo: Callable[[str], None] = print,
    ):
        self.config = config
        self.recipe_type = recipe_type
        self.cache = cache
        self.echo = echo

    # ---- keys ----------------------------------------------------------------------------

    def components(
        self, step: Step, upstream: Mapping[str, Entry]
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """The named parts of ``step``'s key, and the resolved configuration they cover."""
        root = self.config.root
        resolved = step.resolved_config(self.config)
        parts: dict[str, str] = {
            "recipe type": f"{self.recipe_type.name} v{self.recipe_type.version}",
            "config": canonical_digest(resolved),
            "python": ".".join(map(str, sys.version_info[:3])),
        }
        for dist in VERSIONED:
            parts[dist] = _version(dist)
        for path in code_dependencies(root, [Path(f).stem for f in step.code(self.config)]):
            name = _relative(path, root)
            parts[f"code {name}"] = file_digest(path) if path.is_file() else "absent"
        for name in step.inputs:
            parts[f"input {name}"] = upstream[name].output_digest
        for path in step.data_files(self.config):
            parts[f"data {_relative(path, root)}"] = self.cache.data_digest(path, root)

        def cached(other: str) -> Path | None:
            entry = self.cache.current(other, self.config.profile)
            return entry.outputs if entry is not None else None

        extra = step.extra_key(self.config, cached)
        if extra:
            parts["extra"] = canonical_digest(extra)
        return parts, resolved

    # ---- running -------------------------------------------------------------------------

    def run(self, target: str | None = None) -> RunReport:
        plan = self.recipe_type.plan(target)
        self.recipe_type.validate(self.config, plan)
        report = RunReport()
        done: dict[str, Entry] = {}
        try:
            for name in plan:
                step = self.recipe_type.steps[name]
                parts, resolved = self.components(step, done)
                key = canonical_digest(parts)[:24]
                previous = self.cache.current(name, self.config.profile)
                entry = self.cache.entry(name, key)
                if entry is not None:
                    outcome = StepOutcome(name, "reused", _reuse_reason(entry, previous), 0.0, key)
                    self.cache.set_current(name, self.config.profile, key)
                else:
                    reason = _why(previous, parts, resolved, self.cache.read_state(name))
                    entry, seconds = self._execute(step, key, parts, resolved, done, reason)
                    outcome = StepOutcome(name, "ran", reason, seconds, key)
                done[name] = entry
                report.outcomes.append(outcome)
                self.echo(outcome.line())
        finally:
            self.cache.save_data_digests()
        return report

    def _execute(
        self,
        step: Step,
        key: str,
        parts: dict[str, str],
        resolved: dict[str, Any],
        upstream: Mapping[str, Entry],
        reason: str,
    ) -> tuple[Entry, float]:
        from flavorkit.recipes.cards import Card

        name = step.name
        work = self.cache.new_work_dir(name)
        card = Card(name, title=f"{name} step")
        ctx = StepContext(
            step=name,
            config=self.config,
            step_config=self.config.step(name),
            output_dir=work / "outputs",
            inputs={n: e.outputs for n, e in upstream.items()},
            card=card,
            recipe_type=self.recipe_type,
            log=self.echo,
            extras={"cache": self.cache},
        )
        started = time.time()
        self.cache.write_state(name, {"status": "RUNNING", "started": started, "key": key})
        try:
            step.run(ctx)
            seconds = time.time() - started
            card.summary(
                {
                    "status": "SUCCEEDED",
                    "duration (s)": round(seconds, 3),
                    "why it ran": reason,
                    "cache key": key,
                    "profile": self.config.profile,
                    "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                }
            )
            html, js = card.save(work)
            step.on_card(ctx, html, js)
            manifest = {
                "key": key,
                "step": name,
                "status": "SUCCEEDED",
                "components": parts,
                "config": resolved,
                "output_digest": tree_digest(work / "outputs"),
                "started": started,
                "seconds": seconds,
            }
            entry = self.cache.commit(name, key, work, manifest)
        except BaseException as e:
            seconds = time.time() - started
            self.cache.discard(work)
            tb = traceback.format_exc()
            self._record_failure(step, key, e, tb, seconds)
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            if isinstance(e, FlavorkitError) and not isinstance(e, RecipeStepError):
                message = str(e)
            else:
                message = f"{type(e).__name__}: {e}"
            user_tb = _user_traceback(e, self.config.root) or tb
            raise RecipeStepError(name, message, traceback_text=user_tb) from e
        self.cache.set_current(name, self.config.profile, key)
        self.cache.write_state(
            name, {"status": "SUCCEEDED", "finished": time.time(), "key": key, "seconds": seconds}
        )
        return entry, seconds

    def _record_failure(
        self, step: Step, key: str, error: BaseException, tb: str, seconds: float
    ) -> None:
        from flavorkit.recipes.cards import Card

        self.cache.write_state(
            step.name,
            {
                "status": "FAILED",
                "finished": time.time(),
                "key": key,
                "error": f"{type(error).__name__}: {error}",
                "stack_trace": tb,
            },
        )
        card = Card(step.name, title=f"{step.name} step (failed)")
        card.text("Error", f"{type(error).__name__}: {error}")
        card.pre("Stack trace", tb)
        card.summary({"status": "FAILED", "duration (s)": round(seconds, 3), "cache key": key})
        failed = self.cache.step_dir(step.name) / "failed"
        failed.mkdir(parents=True, exist_ok=True)
        card.save(failed)


def _user_traceback(error: BaseException, root: Path) -> str:
    """The frames of ``error``'s traceback that are in the recipe's own files, and the error."""
    frames = [
        f for f in traceback.extract_tb(error.__traceback__) if _inside(Path(f.filename), root)
    ]
    if not frames:
        return ""
    lines = ["Traceback (the recipe's own code, most recent call last):\n"]
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(error), error)
    return "".join(lines)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return False
    return True


def _version(dist: str) -> str:
    return _cached_version(dist)


@cache
def _cached_version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "absent"


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _reuse_reason(entry: Entry, previous: Entry | None) -> str:
    if previous is None or previous.key == entry.key:
        return "inputs unchanged"
    return "matches an earlier run's inputs"


def _why(
    previous: Entry | None,
    parts: Mapping[str, str],
    resolved: Mapping[str, Any],
    state: Mapping[str, Any] | None,
) -> str:
    """A short human reason for a cache miss, from the components that differ."""
    if previous is None:
        if state is not None and state.get("status") == "FAILED":
            return "it failed last time"
        return "no cached result"
    before = previous.components
    reasons: list[str] = []
    for name in sorted(set(before) | set(parts)):
        old, new = before.get(name), parts.get(name)
        if old == new:
            continue
        if name == "config":
            keys = _changed_keys(previous.manifest.get("config", {}), resolved)
            reasons.append(f"config changed ({', '.join(keys) or 'values'})")
        elif name.startswith("code "):
            file = name[len("code ") :]
            reasons.append(f"{file} {'added' if old is None else 'changed'}")
        elif name.startswith("input "):
            reasons.append(f"{name[len('input ') :]} output changed")
        elif name.startswith("data "):
            what = "added" if old is None else "removed" if new is None else "changed"
            reasons.append(f"data {name[len('data ') :]} {what}")
        elif name == "extra":
            reasons.append("its model changed")
        else:
            reasons.append(f"{name} {old} -> {new}")
    if not reasons:
        return "cache entry missing"
    if len(reasons) > 3:
        reasons = [*reasons[:3], f"{len(reasons) - 3} more"]
    return ", ".join(reasons)


def _changed_keys(old: Any, new: Any, prefix: str = "") -> list[str]:
    if not (isinstance(old, Mapping) and isinstance(new, Mapping)):
        return [prefix] if prefix and old != new else []
    out: list[str] = []
    for key in sorted(set(old) | set(new), key=str):
        if old.get(key) != new.get(key):
            name = f"{prefix}.{key}" if prefix else str(key)
            deeper = _changed_keys(old.get(key), new.get(key), name)
            out.extend(deeper or [name])
    return out


def no_step_error(name: str, recipe_type: RecipeType) -> RecipeError:
    return RecipeError(
        f"unknown step {name!r}: the {recipe_type.name} steps are {', '.join(recipe_type.steps)}"
    )
