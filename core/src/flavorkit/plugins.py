"""Finding flavor plugins: lazy, cached entry-point discovery with broken plugins isolated.

Plugins register under the entry-point group ``flavorkit.flavors``; the entry-point name is the
flavor name. Nothing is discovered at ``import flavorkit``. The registry is built on first use and:

* to **load** a model, imports only the entry points of the flavors its MLmodel names;
* to **detect** the flavor of a model object, imports the (light) plugin modules and matches the
  model's class hierarchy against the dotted type names they declare, so no framework is imported
  that the model does not already use;
* records a plugin that fails to import, warns, and keeps every other plugin working;
  ``FLAVORKIT_STRICT_PLUGINS=1`` makes it raise instead (CI, tests);
* refuses two distributions that claim the same flavor name, naming both.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pluggy

from flavorkit import hookspecs, installed
from flavorkit.errors import PluginError, PluginNotFoundError, install_hint
from flavorkit.flavor import Flavor, FlavorInfo
from flavorkit.installed import InstalledEntryPoint
from flavorkit.switches import env_flag

__all__ = [
    "ENTRY_POINT_GROUP",
    "STRICT_ENV",
    "PluginLoadError",
    "PluginRegistry",
    "get_registry",
    "reset_registry",
    "use_registry",
]

ENTRY_POINT_GROUP = "flavorkit.flavors"
STRICT_ENV = "FLAVORKIT_STRICT_PLUGINS"

#: Where to find the flavors the flavorkit project publishes, for "pip install ..." hints.
KNOWN_PACKAGES = {
    "sklearn": "flavorkit-sklearn",
    "pytorch": "flavorkit-pytorch",
    "onnx": "flavorkit-onnx",
    "python_model": "flavorkit-pythonmodel",
}
KNOWN_LOADER_MODULES = {
    "mlflow.sklearn": "flavorkit-sklearn",
    "mlflow.pytorch": "flavorkit-pytorch",
    "mlflow.onnx": "flavorkit-onnx",
    "mlflow.pyfunc.model": "flavorkit-pythonmodel",
    "mlflow.pyfunc.loaders.code_model": "flavorkit-pythonmodel",
}


@dataclass(frozen=True)
class PluginLoadError:
    """A plugin that could not be loaded, as ``flavorkit flavors`` reports it."""

    name: str
    entry_point: str
    distribution: str | None
    error: str


@dataclass(frozen=True)
class _Registered:
    info: FlavorInfo
    plugin_name: str
    distribution: str | None


def _strict() -> bool:
    return env_flag(STRICT_ENV, default=False)


class PluginRegistry:
    """The flavor plugins of this process: discovered lazily, each imported at most once."""

    def __init__(self, *, discover: bool = True):
        self.manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.manager.add_hookspecs(hookspecs)
        self._discover = discover
        self._entry_points: dict[str, InstalledEntryPoint] | None = None
        self._flavors: dict[str, _Registered] = {}
        self._tried: set[str] = set()
        self.load_errors: list[PluginLoadError] = []
        self._lock = threading.RLock()

    @property
    def hook(self) -> Any:
        return self.manager.hook

    # -- discovery -------------------------------------------------------------------------------

    def entry_points(self) -> dict[str, InstalledEntryPoint]:
        """Flavor name -> entry point, read once from installed distributions' metadata (through
        :mod:`flavorkit.installed`, which spares a fresh process ``importlib.metadata``)."""
        with self._lock:
            if self._entry_points is None:
                self._entry_points = {}
                if self._discover:
                    self._entry_points = self._collect_entry_points()
            return self._entry_points

    def _collect_entry_points(self) -> dict[str, InstalledEntryPoint]:
        """Entry points by flavor name; a name two distributions claim is an error for that name."""
        by_name: dict[str, list[InstalledEntryPoint]] = {}
        for ep in installed.entry_points(ENTRY_POINT_GROUP):
            claims = by_name.setdefault(ep.name, [])
            if all((e.value, e.dist) != (ep.value, ep.dist) for e in claims):
                claims.append(ep)  # the same distribution seen twice on sys.path is one claim
        found: dict[str, InstalledEntryPoint] = {}
        for name, claims in by_name.items():
            if len(claims) == 1:
                found[name] = claims[0]
                continue
            who = " and ".join(f"{e.dist} ({e.value})" for e in claims)
            self._fail(
                PluginLoadError(name, claims[0].value, claims[0].dist, ""),
                f"flavor {name!r} is claimed by two distributions: {who}; uninstall one of them",
                None,
            )
        return found

    def _fail(self, error: PluginLoadError, message: str, cause: BaseException | None) -> None:
        """Record a plugin failure; raise it in strict mode, else warn once."""
        error = PluginLoadError(error.name, error.entry_point, error.distribution, message)
        self._tried.add(error.name)
        self.load_errors.append(error)
        if _strict():
            raise PluginError(f"Flavor plugin {error.name!r}: {message}") from cause
        warnings.warn(
            f"flavorkit: flavor plugin {error.name!r} is skipped: {message}. "
            f"Set {STRICT_ENV}=1 to raise instead.",
            RuntimeWarning,
            stacklevel=4,
        )

    def _load_entry_point(self, name: str, ep: InstalledEntryPoint) -> None:
        """Import and register one entry point; record (or, strictly, raise) a failure."""
        self._tried.add(name)
        try:
            obj = ep.load()
            self.register(obj, name=f"{name}={ep.value}", distribution=ep.dist)
        except Exception as e:
            error = PluginLoadError(name, ep.value, ep.dist, "")
            where = f"{ep.value}, from {error.distribution}"
            self._fail(error, f"failed to load ({where}): {type(e).__name__}: {e}", e)

    def load_all(self) -> None:
        """Import every discovered plugin (they are light), isolating failures."""
        with self._lock:
            for name, ep in self.entry_points().items():
                if name not in self._tried and name not in self._flavors:
                    self._load_entry_point(name, ep)

    # -- registration ----------------------------------------------------------------------------

    def register(
        self, plugin: Any, *, name: str | None = None, distribution: str | None = None
    ) -> list[FlavorInfo]:
        """Register a plugin object (a module, a Flavor subclass or instance) in this process.

        Returns the flavors it declares. Raises :class:`PluginError` if one of them is already
        provided by another plugin, or if a hook implementation matches no specification.
        """
        with self._lock:
            if isinstance(plugin, type) and issubclass(plugin, Flavor):
                plugin = plugin()
            plugin_name = name or getattr(plugin, "__name__", None) or repr(plugin)
            if distribution:
                plugin_name = f"{plugin_name} (from {distribution})"
            try:
                self.manager.register(plugin, name=plugin_name)
            except pluggy.PluginValidationError as e:
                raise PluginError(f"Plugin {plugin_name} does not match the hook specs: {e}") from e
            try:
                try:
                    self.manager.check_pending()
                except pluggy.PluginValidationError as e:
                    raise PluginError(
                        f"Plugin {plugin_name} implements a hook flavorkit does not have "
                        f"(misspelled?): {e}"
                    ) from e
                infos = self._declared(plugin)
                for info in infos:
                    if info.name in self._flavors:
                        other = self._flavors[info.name].plugin_name
                        raise PluginError(
                            f"Flavor {info.name!r} is provided twice: by {other} and by "
                            f"{plugin_name}. Uninstall one of them."
                        )
            except Exception:
                self.manager.unregister(plugin)
                raise
            for info in infos:
                self._flavors[info.name] = _Registered(info, plugin_name, distribution)
            return infos

    def _declared(self, plugin: Any) -> list[FlavorInfo]:
        infos: list[FlavorInfo] = []
        for impl in self.manager.hook.flavorkit_flavors.get_hookimpls():
            if impl.plugin is plugin:
                declared: Any = impl.function()
                for info in declared or []:
                    if not isinstance(info, FlavorInfo):
                        raise PluginError(
                            f"flavorkit_flavors() of {impl.plugin_name} must return FlavorInfo "
                            f"objects, got {info!r}."
                        )
                    infos.append(info)
        return infos

    # -- lookup ----------------------------------------------------------------------------------

    def flavor(self, name: str) -> FlavorInfo:
        """The flavor ``name``, importing its plugin if needed; says what to install if missing."""
        with self._lock:
            if name not in self._flavors and name not in self._tried:
                ep = self.entry_points().get(name)
                if ep is not None:
                    self._load_entry_point(name, ep)
            if name in self._flavors:
                return self._flavors[name].info
            failed = [e for e in self.load_errors if e.name == name]
            if failed:
                raise PluginError(f"Flavor {name!r} is unavailable: {failed[0].error}.")
            package = KNOWN_PACKAGES.get(name)
            if package is None:
                raise PluginNotFoundError(
                    f"No plugin for flavor {name!r} is installed, and the flavorkit project "
                    "publishes none for it. Install a third-party plugin that provides it, or "
                    "write one (the repository's cookiecutter-flavor template generates one)."
                )
            raise PluginNotFoundError(
                f"No plugin for flavor {name!r} is installed; {install_hint(package)}."
            )

    def flavors(self) -> list[FlavorInfo]:
        """Every flavor of every plugin that loads (broken ones are in :attr:`load_errors`)."""
        self.load_all()
        return [r.info for r in self._flavors.values()]

    def distribution_of(self, name: str) -> str | None:
        """The distribution that provides flavor ``name`` (None for in-process plugins)."""
        return self._flavors[name].distribution

    def detect(self, model: Any) -> FlavorInfo:
        """The flavor for ``model``: the most specific declared type in its class hierarchy."""
        self.load_all()
        for cls in type(model).__mro__:
            dotted = f"{cls.__module__}.{cls.__qualname__}"
            matches = [r.info for r in self._flavors.values() if dotted in r.info.model_types]
            if len(matches) == 1:
                return matches[0]
            if matches:
                names = sorted(m.name for m in matches)
                raise PluginError(
                    f"{dotted} is claimed by several flavors {names}; pass flavor= to choose."
                )
        names = sorted(self._flavors) or ["none"]
        if isinstance(model, (str, bytes, os.PathLike)):
            raise PluginNotFoundError(
                f"{model!r} is a path: a flavor cannot be detected from a path. Pass flavor= "
                f"(e.g. flavor='onnx' for a .onnx file). Installed flavors: {', '.join(names)}."
            )
        raise PluginNotFoundError(
            f"No installed flavor saves a {type(model).__module__}.{type(model).__qualname__}. "
            f"Installed flavors: {', '.join(names)}. Pass flavor= to choose one, or "
            f"install the plugin for your framework (flavorkit publishes "
            f"{', '.join(sorted(set(KNOWN_PACKAGES.values())))}); e.g. "
            f"{install_hint('flavorkit-sklearn')}."
        )

    def claim_loader_module(self, loader_module: str) -> FlavorInfo:
        """The flavor that loads models known only by ``python_function.loader_module``."""
        self.load_all()
        for r in self._flavors.values():
            if loader_module in r.info.loader_modules:
                return r.info
        package = KNOWN_LOADER_MODULES.get(loader_module)
        hint = f" To load it, {install_hint(package)}." if package else ""
        raise PluginNotFoundError(
            f"No installed flavor loads models whose python_function.loader_module is "
            f"{loader_module!r}, and flavorkit never imports a module named by a model.{hint}"
        )


_registry: PluginRegistry | None = None
_registry_lock = threading.Lock()


def get_registry() -> PluginRegistry:
    """The process-wide registry, created on first use."""
    global _registry
    if _registry is None:
        with _registry_lock:
            if _registry is None:
                _registry = PluginRegistry()
    return _registry


def reset_registry(plugins: Iterable[Any] = (), *, discover: bool = True) -> PluginRegistry:
    """Replace the process-wide registry (tests): optionally without discovery, with ``plugins``."""
    global _registry
    with _registry_lock:
        _registry = PluginRegistry(discover=discover)
        for plugin in plugins:
            _registry.register(plugin)
        return _registry


@contextlib.contextmanager
def use_registry(registry: PluginRegistry) -> Iterator[PluginRegistry]:
    """Make ``registry`` the process-wide one inside a ``with`` block (tests, conformance kit)."""
    global _registry
    with _registry_lock:
        previous, _registry = _registry, registry
    try:
        yield registry
    finally:
        with _registry_lock:
            _registry = previous
