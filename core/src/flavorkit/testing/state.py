"""What the conformance checks share: the saved cases, the per-class state, the failure helpers.

:class:`SuiteState` builds each case's model, saves and loads it once per test class and runs
the subprocess checks; the checks in :mod:`flavorkit.testing.checks` read from it. The helpers
fail a check with a message only (no suite frames) or skip it naming the capability.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import inspect
import json
import os
import pickle
import re
import subprocess
import sys
import traceback
import warnings
import weakref
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from flavorkit.installed import canonical_name as canonical  # the suite's long-standing name
from flavorkit.testing.case import (
    CAPABILITIES,
    IN_PROCESS_ONLY,
    Case,
)

if TYPE_CHECKING:
    from flavorkit.testing.suite import FlavorConformanceTests

__all__ = [
    "CHILD_SCRIPT",
    "NOT_PATH_KEYS",
    "PATH_KEYS",
    "SavedModel",
    "SuiteState",
    "UNKNOWN_OPTION",
    "canonical",
    "cases_of",
    "copy_value",
    "fail",
    "mlflow_module_usable",
    "path_values",
    "pinned_version",
    "short_tb",
    "skip",
    "takes_data",
]

#: MLmodel keys (in a flavor's section or ``python_function``) that hold a path inside the model
#: directory, as MLflow's built-in flavors write them. Keys ending in ``_path`` or ``_file`` are
#: checked too; ``model_code_path`` is not (MLflow records the original absolute path there).
PATH_KEYS = frozenset(
    {"data", "model_path", "pickled_model", "model_data", "model_file", "python_model", "code"}
)
NOT_PATH_KEYS = frozenset({"model_code_path"})
UNKNOWN_OPTION = "flavorkit_conformance_unknown_option"
CHILD_SCRIPT = Path(__file__).with_name("_child.py")


@dataclass(frozen=True)
class SavedModel:
    """A case saved once per test class: what the checks inspect.

    ``stray`` names what the save left beside the model directory (it should leave nothing);
    ``warnings`` are the messages ``save_model`` warned with, quoted in failure messages.
    """

    case: Case
    model: Any
    path: Path
    mlmodel: Any  # flavorkit.mlmodel.Model, read back from disk
    returned: Any  # the Model save_model returned
    stray: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def flavor_conf(self, flavor: str) -> dict[str, Any]:
        return dict(self.mlmodel.flavors.get(flavor) or {})

    @property
    def pyfunc_conf(self) -> dict[str, Any] | None:
        conf = self.mlmodel.flavors.get("python_function")
        return dict(conf) if conf is not None else None


# Cases per test class, computed once at collection and shared by every parametrized check.
_CASES: weakref.WeakKeyDictionary[type, list[Case]] = weakref.WeakKeyDictionary()


def cases_of(cls: type[FlavorConformanceTests]) -> list[Case]:
    if cls not in _CASES:
        if not isinstance(getattr(cls, "flavor", None), str) or not cls.flavor:
            fail(f"{cls.__name__} must set the class attribute flavor = '<name>'.")
        unknown = set(cls.capabilities) - CAPABILITIES
        if unknown:
            fail(
                f"{cls.__name__}.capabilities has unknown names {sorted(unknown)}; known: "
                f"{sorted(CAPABILITIES)}."
            )
        cases = list(cls().cases())
        if not cases:
            fail(f"{cls.__name__}.cases() yielded no Case.")
        bad = [c for c in cases if not isinstance(c, Case)]
        if bad:
            fail(f"{cls.__name__}.cases() must yield Case objects, got {bad[0]!r}.")
        ids = [c.id for c in cases]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            fail(f"{cls.__name__}.cases() yields duplicate ids {dupes}.")
        _CASES[cls] = cases
    return _CASES[cls]


def fail(message: str) -> NoReturn:
    """Fail the current check with ``message`` only: the suite's own frames are noise, and so is
    the exception being handled (the message quotes it)."""
    __tracebackhide__ = True
    raise pytest.fail.Exception(message, pytrace=False) from None


def skip(capability: str, why: str) -> NoReturn:
    pytest.skip(f"{capability}: {why}")


def short_tb(exc: BaseException) -> str:
    """The end of ``exc``'s traceback without the suite's own frames: the plugin's code."""
    here = str(Path(__file__).parent)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(here)]
    lines = traceback.format_list(frames[-5:]) + traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip()


class SuiteState:
    """Per-class cache: built models, saved directories, loaded pyfuncs, subprocess results."""

    def __init__(self, suite: type[FlavorConformanceTests], factory: pytest.TempPathFactory):
        self.suite = suite
        self.instance = suite()
        self.factory = factory
        self.cases = cases_of(suite)
        self._models: dict[str, Any] = {}
        self._saved: dict[str, SavedModel | str] = {}
        self._pyfuncs: dict[str, Any] = {}
        self._mlflow: dict[str, Any] | None = None
        self._import_report: dict[str, Any] | None = None
        self._info: Any = None

    # -- the flavor ------------------------------------------------------------------------------

    @property
    def registry(self) -> Any:
        from flavorkit.plugins import get_registry

        return get_registry()

    @property
    def info(self) -> Any:
        """The flavor's FlavorInfo, looked up as save_model does (failing the check if absent)."""
        if self._info is None:
            try:
                self._info = self.registry.flavor(self.suite.flavor)
            except Exception as e:
                fail(f"flavor {self.suite.flavor!r} is not available: {type(e).__name__}: {e}")
        return self._info

    @property
    def capabilities(self) -> frozenset[str]:
        """The class's capabilities and the plugin's (if the flavor can be found at all)."""
        caps = set(self.suite.capabilities)
        if self.suite.plugin is not None:
            caps.add(IN_PROCESS_ONLY)
        with contextlib.suppress(Exception):
            caps |= set(self.registry.flavor(self.suite.flavor).capabilities)
        return frozenset(caps)

    def skip_if(self, capability: str, why: str) -> None:
        if capability in self.capabilities:
            skip(capability, why)

    def tmp(self, label: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{self.suite.flavor}-{label}")[:60]
        return self.factory.mktemp(safe, numbered=True)

    # -- models ----------------------------------------------------------------------------------

    def model(self, case: Case) -> Any:
        if case.id not in self._models:
            try:
                self._models[case.id] = case.build_model()
            except Exception as e:
                fail(f"case {case.id!r}: building the model failed:\n{short_tb(e)}")
        return self._models[case.id]

    def save(self, case: Case, path: Path, *, with_example: bool = True, **extra: Any) -> Any:
        """``save_model`` as a user calls it, with the case's example and options."""
        from flavorkit.api import save_model

        self.info  # noqa: B018 - fails the check readably if the flavor cannot be found
        example = case.input_example if with_example else None
        return save_model(
            self.model(case),
            path,
            flavor=self.suite.flavor,
            input_example=example,
            **{**case.options, **extra},
        )

    def saved(self, case: Case) -> SavedModel:
        """The case saved once into its own directory (a failed save fails every check)."""
        if case.id not in self._saved:
            self._saved[case.id] = self._save_once(case)
        result = self._saved[case.id]
        if isinstance(result, str):
            fail(result)
        assert isinstance(result, SavedModel)
        return result

    def _save_once(self, case: Case) -> SavedModel | str:
        from flavorkit.mlmodel import Model

        model = self.model(case)
        parent = self.tmp(case.id)
        path = parent / "model"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                returned = self.save(case, path)
            except Exception as e:
                return (
                    f"case {case.id!r}: save_model(..., flavor={self.suite.flavor!r}, "
                    f"**{dict(case.options)!r}) failed:\n{short_tb(e)}"
                )
        for w in caught:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        try:
            mlmodel = Model.load(path)
        except Exception as e:
            return f"case {case.id!r}: the saved MLmodel cannot be read: {type(e).__name__}: {e}"
        stray = tuple(sorted(p.name for p in parent.iterdir() if p.name != "model"))
        return SavedModel(
            case=case,
            model=model,
            path=path,
            mlmodel=mlmodel,
            returned=returned,
            stray=stray,
            warnings=tuple(f"{w.category.__name__}: {w.message}" for w in caught),
        )

    def pyfunc(self, case: Case) -> Any:
        """The saved case loaded through ``flavorkit.load_model``, once."""
        from flavorkit.api import load_model

        saved = self.saved(case)
        if case.id not in self._pyfuncs:
            try:
                self._pyfuncs[case.id] = load_model(saved.path, trust=case.trust)
            except Exception as e:
                fail(f"case {case.id!r}: load_model({saved.path}) failed:\n{short_tb(e)}")
        return self._pyfuncs[case.id]

    def native(
        self, model: Any, data: Any, params: dict[str, Any] | None, saved: SavedModel
    ) -> Any:
        try:
            return self.instance.native_predict(model, copy_value(data), copy_value(params), saved)
        except Exception as e:
            fail(
                f"case {saved.case.id!r}: native_predict() of the in-memory/native model failed "
                f"(override native_predict() if the framework predicts differently):\n"
                f"{short_tb(e)}"
            )

    def predict(self, pyfunc: Any, data: Any, params: dict[str, Any] | None, case: Case) -> Any:
        try:
            return pyfunc.predict(copy_value(data), copy_value(params))
        except Exception as e:
            fail(f"case {case.id!r}: pyfunc predict failed:\n{short_tb(e)}")

    # -- subprocesses ----------------------------------------------------------------------------

    def plugin_ref(self) -> str | None:
        """``module:qualname`` of an in-process plugin, for a child process to import it."""
        plugin = self.suite.plugin
        if plugin is None:
            return None
        if inspect.ismodule(plugin):
            return plugin.__name__
        cls = plugin if isinstance(plugin, type) else type(plugin)
        return f"{cls.__module__}:{cls.__qualname__}"

    def run_child(self, command: str, spec: dict[str, Any], out_name: str) -> Path:
        work = self.tmp(command)
        spec_file, out_file = work / "spec.json", work / out_name
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLAVORKIT_")}
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
        env["FLAVORKIT_STRICT_PLUGINS"] = "1"
        code = f"import runpy; runpy.run_path({str(CHILD_SCRIPT)!r}, run_name='__main__')"
        try:
            proc = subprocess.run(  # noqa: S603 - our own interpreter running our own script
                [sys.executable, "-c", code, command, str(spec_file), str(out_file)],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=self.suite.subprocess_timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            fail(f"the {command} subprocess took over {self.suite.subprocess_timeout} s")
        if proc.returncode != 0 or not out_file.exists():
            hint = ""
            if self.plugin_ref() is not None:
                hint = (
                    f"\n(the subprocess imports the in-process plugin as {self.plugin_ref()!r}: "
                    "define it in an importable module, not in the test module)"
                )
            fail(
                f"the {command} subprocess failed (exit {proc.returncode}):\n"
                f"{proc.stderr.strip()[-3000:]}{hint}"
            )
        return out_file

    def mlflow_results(self) -> dict[str, Any]:
        """Every eligible case loaded through its loader module in one child process."""
        if self._mlflow is None:
            cases: list[dict[str, Any]] = []
            inputs: dict[str, Any] = {}
            for case in self.cases:
                saved = self._saved.get(case.id)
                if not isinstance(saved, SavedModel) or saved.pyfunc_conf is None:
                    continue
                conf = saved.pyfunc_conf
                if not mlflow_module_usable(str(conf.get("loader_module", ""))):
                    continue
                data = conf.get("data")
                cases.append(
                    {
                        "id": case.id,
                        "root": str(saved.path),
                        "loader_module": conf.get("loader_module"),
                        "data_path": str(saved.path / data) if data else str(saved.path),
                        "config": conf.get("config") or None,
                        "predict_fn": conf.get("predict_fn") or "predict",
                        "code": str(saved.path / conf["code"]) if conf.get("code") else None,
                        "trust": case.trust,
                    }
                )
                inputs[case.id] = case.all_inputs()
            work = self.tmp("mlflow-inputs")
            (work / "inputs.pkl").write_bytes(pickle.dumps(inputs))
            spec = {"plugin": self.plugin_ref(), "cases": cases, "inputs": str(work / "inputs.pkl")}
            try:
                out = self.run_child("mlflow-contract", spec, "results.pkl")
            except pytest.fail.Exception as e:
                self._mlflow = {c["id"]: {"error": str(e)} for c in cases}
            else:
                self._mlflow = pickle.loads(out.read_bytes())  # noqa: S301 - our child's output
        return self._mlflow

    def import_report(self) -> dict[str, Any]:
        if self._import_report is None:
            spec = {
                "flavor": self.suite.flavor,
                "plugin": self.plugin_ref(),
                "modules": list(self.suite.framework_modules),
            }
            out = self.run_child("import-light", spec, "report.json")
            self._import_report = json.loads(out.read_text(encoding="utf-8"))
        return self._import_report


def takes_data(fn: Any) -> bool:
    """Whether ``fn`` can be called with the data as its only positional argument."""
    if not callable(fn):
        return False
    try:
        inspect.signature(fn).bind(None)
    except TypeError:
        return False
    except ValueError:  # no signature to inspect (a builtin): assume it does
        return True
    return True


def mlflow_module_usable(loader_module: str) -> bool:
    """MLflow's own loader modules are checked only where mlflow is installed."""
    if loader_module == "mlflow" or loader_module.startswith("mlflow."):
        return importlib.util.find_spec("mlflow") is not None
    return True


def path_values(
    section: str, conf: dict[str, Any], extra_keys: Collection[str]
) -> Iterator[tuple[str, str]]:
    """``(dotted key, relative path)`` for every path-valued key of one MLmodel section."""
    for key, value in conf.items():
        is_path = key in PATH_KEYS or key in extra_keys or key.endswith(("_path", "_file"))
        if key in NOT_PATH_KEYS or not is_path:
            continue
        if isinstance(value, str):
            yield f"{section}.{key}", value
    artifacts = conf.get("artifacts")
    if isinstance(artifacts, dict):
        for name, art in artifacts.items():
            if isinstance(art, dict) and isinstance(art.get("path"), str):
                yield f"{section}.artifacts.{name}.path", art["path"]


def pinned_version(line: str) -> str:
    """The version a requirement line pins with ``==``, else ``""``."""
    from packaging.requirements import Requirement

    specs = list(Requirement(line).specifier)
    return specs[0].version if len(specs) == 1 and specs[0].operator in ("==", "===") else ""


def copy_value(value: Any) -> Any:
    """A deep copy, so a model that mutates its input cannot change the case for later checks."""
    try:
        return copy.deepcopy(value)
    except Exception:
        return value
