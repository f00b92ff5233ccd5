"""The conformance suite: one test per property every flavor plugin must have.

A plugin's test module subclasses :class:`FlavorConformanceTests`, names its flavor and yields
its :class:`~flavorkit.testing.Case` objects; pytest then collects every check below once per
case, with readable ids (``test_pyfunc_matches_native[logreg-iris]``). The expensive work (building
the model, saving it, loading it as pyfunc, the subprocess checks) is done once per class and
case and shared by the checks, so ~20 checks per case stay about as fast as one save and load.

Why a base class rather than a pytest plugin with fixtures: the author writes one class and no
conftest, overrides a method where the framework differs (:meth:`native_predict`), and the suite
cannot leak fixtures, autouse or not, into the plugin's other tests.
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
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import pytest

from flavorkit.testing.case import (
    CAPABILITIES,
    IN_PROCESS_ONLY,
    NEEDS_INPUT_EXAMPLE,
    NO_PYFUNC,
    UNSAFE_FORMATS,
    Case,
)
from flavorkit.testing.compare import assert_mlmodel_equal, assert_predictions_equal
from flavorkit.testing.formats import FormatConformanceTests
from flavorkit.testing.integrity import IntegrityConformanceTests

__all__ = ["FlavorConformanceTests", "SavedModel"]

#: MLmodel keys (in a flavor's section or ``python_function``) that hold a path inside the model
#: directory, as MLflow's built-in flavors write them. Keys ending in ``_path`` or ``_file`` are
#: checked too; ``model_code_path`` is not (MLflow records the original absolute path there).
PATH_KEYS = frozenset(
    {"data", "model_path", "pickled_model", "model_data", "model_file", "python_model", "code"}
)
_NOT_PATH_KEYS = frozenset({"model_code_path"})
_UNKNOWN_OPTION = "flavorkit_conformance_unknown_option"
_CHILD = Path(__file__).with_name("_child.py")


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


def _cases_of(cls: type[FlavorConformanceTests]) -> list[Case]:
    if cls not in _CASES:
        if not isinstance(getattr(cls, "flavor", None), str) or not cls.flavor:
            _fail(f"{cls.__name__} must set the class attribute flavor = '<name>'.")
        unknown = set(cls.capabilities) - CAPABILITIES
        if unknown:
            _fail(
                f"{cls.__name__}.capabilities has unknown names {sorted(unknown)}; known: "
                f"{sorted(CAPABILITIES)}."
            )
        cases = list(cls().cases())
        if not cases:
            _fail(f"{cls.__name__}.cases() yielded no Case.")
        bad = [c for c in cases if not isinstance(c, Case)]
        if bad:
            _fail(f"{cls.__name__}.cases() must yield Case objects, got {bad[0]!r}.")
        ids = [c.id for c in cases]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            _fail(f"{cls.__name__}.cases() yields duplicate ids {dupes}.")
        _CASES[cls] = cases
    return _CASES[cls]


def _fail(message: str) -> NoReturn:
    """Fail the current check with ``message`` only: the suite's own frames are noise, and so is
    the exception being handled (the message quotes it)."""
    __tracebackhide__ = True
    raise pytest.fail.Exception(message, pytrace=False) from None


def _skip(capability: str, why: str) -> NoReturn:
    pytest.skip(f"{capability}: {why}")


def _short_tb(exc: BaseException) -> str:
    """The end of ``exc``'s traceback without the suite's own frames: the plugin's code."""
    here = str(Path(__file__).parent)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(here)]
    lines = traceback.format_list(frames[-5:]) + traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip()


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class _State:
    """Per-class cache: built models, saved directories, loaded pyfuncs, subprocess results."""

    def __init__(self, suite: type[FlavorConformanceTests], factory: pytest.TempPathFactory):
        self.suite = suite
        self.instance = suite()
        self.factory = factory
        self.cases = _cases_of(suite)
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
                _fail(f"flavor {self.suite.flavor!r} is not available: {type(e).__name__}: {e}")
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
            _skip(capability, why)

    def tmp(self, label: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{self.suite.flavor}-{label}")[:60]
        return self.factory.mktemp(safe, numbered=True)

    # -- models ----------------------------------------------------------------------------------

    def model(self, case: Case) -> Any:
        if case.id not in self._models:
            try:
                self._models[case.id] = case.build_model()
            except Exception as e:
                _fail(f"case {case.id!r}: building the model failed:\n{_short_tb(e)}")
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
            _fail(result)
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
                    f"**{dict(case.options)!r}) failed:\n{_short_tb(e)}"
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
                _fail(f"case {case.id!r}: load_model({saved.path}) failed:\n{_short_tb(e)}")
        return self._pyfuncs[case.id]

    def native(
        self, model: Any, data: Any, params: dict[str, Any] | None, saved: SavedModel
    ) -> Any:
        try:
            return self.instance.native_predict(model, _copy(data), _copy(params), saved)
        except Exception as e:
            _fail(
                f"case {saved.case.id!r}: native_predict() of the in-memory/native model failed "
                f"(override native_predict() if the framework predicts differently):\n"
                f"{_short_tb(e)}"
            )

    def predict(self, pyfunc: Any, data: Any, params: dict[str, Any] | None, case: Case) -> Any:
        try:
            return pyfunc.predict(_copy(data), _copy(params))
        except Exception as e:
            _fail(f"case {case.id!r}: pyfunc predict failed:\n{_short_tb(e)}")

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
        code = f"import runpy; runpy.run_path({str(_CHILD)!r}, run_name='__main__')"
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
            _fail(f"the {command} subprocess took over {self.suite.subprocess_timeout} s")
        if proc.returncode != 0 or not out_file.exists():
            hint = ""
            if self.plugin_ref() is not None:
                hint = (
                    f"\n(the subprocess imports the in-process plugin as {self.plugin_ref()!r}: "
                    "define it in an importable module, not in the test module)"
                )
            _fail(
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
                if not _mlflow_module_usable(str(conf.get("loader_module", ""))):
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


def _takes_data(fn: Any) -> bool:
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


def _mlflow_module_usable(loader_module: str) -> bool:
    """MLflow's own loader modules are checked only where mlflow is installed."""
    if loader_module == "mlflow" or loader_module.startswith("mlflow."):
        return importlib.util.find_spec("mlflow") is not None
    return True


def _path_values(
    section: str, conf: dict[str, Any], extra_keys: Collection[str]
) -> Iterator[tuple[str, str]]:
    """``(dotted key, relative path)`` for every path-valued key of one MLmodel section."""
    for key, value in conf.items():
        is_path = key in PATH_KEYS or key in extra_keys or key.endswith(("_path", "_file"))
        if key in _NOT_PATH_KEYS or not is_path:
            continue
        if isinstance(value, str):
            yield f"{section}.{key}", value
    artifacts = conf.get("artifacts")
    if isinstance(artifacts, dict):
        for name, art in artifacts.items():
            if isinstance(art, dict) and isinstance(art.get("path"), str):
                yield f"{section}.artifacts.{name}.path", art["path"]


class FlavorConformanceTests(IntegrityConformanceTests, FormatConformanceTests):
    """Subclass me to prove a flavor plugin. Set ``flavor``, yield cases, run pytest.

    Example (the whole test module of a plugin)::

        from flavorkit.testing import Case, FlavorConformanceTests

        class TestLightGBMFlavor(FlavorConformanceTests):
            flavor = "lightgbm"
            framework_modules = ("lightgbm",)

            def cases(self):
                yield Case("regressor", model=fit_regressor, input_example=X, rtol=1e-6)

    **Class attributes**

    ``flavor``
        The flavor name (the entry-point name and the MLmodel section).
    ``plugin``
        ``None`` (default): test the installed plugin found through its ``flavorkit.flavors``
        entry point, as users get it. Or a plugin object (a :class:`~flavorkit.flavor.Flavor`
        subclass, instance or module) to register in-process for this class only; the
        ``in_process_only`` capability is then implied. It must be importable by its module
        name, because the subprocess checks import it.
    ``capabilities``
        Capabilities (see :data:`~flavorkit.testing.CAPABILITIES`) added to those the plugin
        declares in ``FlavorInfo.capabilities``. A check a capability makes inapplicable is
        skipped with a reason starting with the capability's name.
    ``framework_modules``
        Top-level modules of the framework (``("sklearn",)``) that discovering the plugin must
        not import.
    ``path_keys``
        More MLmodel keys whose values are paths inside the model directory.

    **The checks** (names are stable; ``[case]`` marks one test per case)

    ``test_mlmodel_valid[case]``
        MLmodel exists, parses, names the flavor, and records model_uuid, utc_time_created and
        flavorkit_version.
    ``test_mlmodel_round_trip[case]``
        Reading and writing MLmodel keeps every key; ``save_model`` returned what it wrote.
    ``test_flavor_sections[case]``
        The flavor section is a mapping; ``python_function`` is present and valid, with
        loader_module, python_version and env (unless ``no_pyfunc``).
    ``test_saved_files_inside_model[case]``
        The save wrote nothing beside the model directory, no symlink leads out, and every
        path in MLmodel resolves to an existing file inside it.
    ``test_model_type_detected[case]``
        ``save_model`` without ``flavor=`` picks this flavor for the case's model.
    ``test_native_round_trip[case]``
        ``load_native`` gives a model predicting as the in-memory one on every input.
    ``test_pyfunc_matches_native[case]``
        ``load_model(...).predict`` equals the in-memory model's predictions (or ``expected``)
        on every input (``no_pyfunc`` skips).
    ``test_signature_inferred[case]``
        The signature's inputs (and params) are those inferred from the input example.
    ``test_signature_enforced[case]``
        Inputs derived from the example with a required input missing or of an incompatible
        type (and tensors of the wrong rank) raise ``SchemaEnforcementError`` naming the input.
    ``test_requirements_pinned[case]``
        Every requirement is pinned with ``==``; the plugin's defaults, flavorkit and the
        plugin's distribution are included.
    ``test_environment_files_valid[case]``
        requirements.txt, python_env.yaml and conda.yaml parse and agree with each other and
        with MLmodel.
    ``test_example_files_valid[case]``
        input_example.json and serving_input_example.json parse, load back, and predict as
        the original example does.
    ``test_untrusted_load_refused[case]``
        For ``trust=True`` cases, loading without trust raises ``UntrustedModelError``.
    ``test_mlflow_loader_contract[case]``
        In a subprocess, ``import_module(loader_module)._load_pyfunc(data_path)`` then
        ``predict(data, params=...)`` equals flavorkit's pyfunc (MLflow's own ``mlflow.*``
        loaders only where mlflow is installed).
    ``test_save_without_input_example``
        Saving without an example writes no signature and no example files and still
        predicts (``needs_input_example`` skips).
    ``test_save_refuses_existing_path``
        Saving onto a non-empty directory raises ``ModelPathError`` and leaves it untouched.
    ``test_every_format_loads_back[format-case]``
        Each case saved in each of :meth:`formats` is either refused at save with a clear error
        (nothing left behind) or loads back and predicts as the in-memory model.
    ``test_every_format_saves_some_case[format]``
        Each declared format saves at least one case (so the check above exercised it).
    ``test_unrebuildable_model_refused[case]``
        Each of :meth:`unrebuildable_cases` (a model its format cannot rebuild) is refused at
        save with a clear error, and nothing is left behind.
    ``test_failed_save_leaves_nothing``
        A save the plugin rejects (an unknown option) leaves no target and no temporary
        directory behind.
    ``test_entry_point_registered``
        One ``flavorkit.flavors`` entry point is named after the flavor, and a fresh registry
        discovers the flavor through it (``in_process_only`` skips).
    ``test_plugin_import_is_light``
        Discovering the plugin in a fresh interpreter imports none of ``framework_modules``.
    """

    flavor: ClassVar[str]
    plugin: ClassVar[Any] = None
    capabilities: ClassVar[Collection[str]] = frozenset()
    framework_modules: ClassVar[tuple[str, ...]] = ()
    path_keys: ClassVar[tuple[str, ...]] = ()
    #: Seconds a subprocess check may take before it fails.
    subprocess_timeout: ClassVar[float] = 300.0

    # -- what a plugin author writes -------------------------------------------------------------

    def cases(self) -> Iterable[Case]:
        """Yield the :class:`Case` objects to check. Called once, at collection."""
        raise NotImplementedError(f"{type(self).__name__} must implement cases().")

    def native_predict(
        self, model: Any, data: Any, params: dict[str, Any] | None, saved: SavedModel
    ) -> Any:
        """The reference prediction of a native model (in memory, or from ``load_native``).

        By default, the model's own ``python_function.predict_fn`` method (``predict``) when it
        takes the data as its one positional argument (``params=`` is passed if declared), so
        that a predictor that changes the results is caught; otherwise the flavor's predictor.
        Override it for frameworks that predict some other way.
        """
        from flavorkit.flavor import MethodPredictor

        pyfunc_conf = saved.pyfunc_conf or {}
        method = pyfunc_conf.get("predict_fn") or "predict"
        if _takes_data(getattr(model, method, None)):
            return MethodPredictor(model, method).predict(data, params)
        from flavorkit.contract import PredictorContext
        from flavorkit.plugins import get_registry

        predictor = get_registry().hook.flavorkit_pyfunc_predictor(
            flavor=self.flavor,
            model=model,
            conf=saved.flavor_conf(self.flavor),
            pyfunc_conf=pyfunc_conf,
            context=PredictorContext(),
        )
        if predictor is None:
            raise TypeError(
                f"{type(model).__name__} has no {method}() taking the data, and the flavor gives "
                "no predictor for it: override native_predict()."
            )
        return predictor.predict(data, params)

    # -- pytest plumbing -------------------------------------------------------------------------

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Parametrize every check taking ``case`` over :meth:`cases`, with the case ids."""
        if "case" in metafunc.fixturenames:
            cases = _cases_of(type(self))
            metafunc.parametrize("case", cases, ids=[c.id for c in cases])
        super().pytest_generate_tests(metafunc)  # the formats' own parameters

    @pytest.fixture(scope="class")
    @classmethod
    def flavorkit_registry(cls) -> Iterator[Any]:
        """A fresh process-wide plugin registry for this class, restored afterwards."""
        from flavorkit.plugins import PluginRegistry, use_registry

        registry = PluginRegistry(discover=cls.plugin is None)
        if cls.plugin is not None:
            registry.register(cls.plugin)
        with use_registry(registry):
            yield registry

    @pytest.fixture(scope="class")
    @classmethod
    def flavorkit_state(
        cls, flavorkit_registry: Any, tmp_path_factory: pytest.TempPathFactory
    ) -> _State:
        """The per-class cache the checks share."""
        return _State(cls, tmp_path_factory)

    # -- the checks: MLmodel -----------------------------------------------------------------------

    def test_mlmodel_valid(self, case: Case, flavorkit_state: _State) -> None:
        import yaml

        from flavorkit import __version__

        saved = flavorkit_state.saved(case)
        raw = yaml.safe_load((saved.path / "MLmodel").read_text(encoding="utf-8"))
        assert isinstance(raw, dict), f"MLmodel is not a YAML mapping: {raw!r}"
        assert self.flavor in saved.mlmodel.flavors, (
            f"MLmodel has no {self.flavor!r} flavor section; its flavors: "
            f"{sorted(saved.mlmodel.flavors)}"
        )
        missing = [
            k for k in ("model_uuid", "utc_time_created", "flavorkit_version") if not raw.get(k)
        ]
        assert not missing, f"MLmodel lacks {missing}"
        assert raw["flavorkit_version"] == __version__

    def test_mlmodel_round_trip(self, case: Case, flavorkit_state: _State) -> None:
        import yaml

        from flavorkit.mlmodel import Model

        saved = flavorkit_state.saved(case)
        raw = yaml.safe_load((saved.path / "MLmodel").read_text(encoding="utf-8"))
        assert_mlmodel_equal(
            saved.mlmodel.to_dict(), raw, names=("read back", "file"), label="MLmodel read"
        )
        copy_dir = flavorkit_state.tmp(f"{case.id}-mlmodel")
        saved.mlmodel.save(copy_dir)
        rewritten = Model.load(copy_dir).to_dict()
        assert_mlmodel_equal(rewritten, raw, names=("rewritten", "original"), label="MLmodel")
        assert_mlmodel_equal(
            saved.returned.to_dict(),
            raw,
            names=("returned", "file"),
            label="the Model save_model returned vs the MLmodel it wrote",
        )

    def test_flavor_sections(self, case: Case, flavorkit_state: _State) -> None:
        from flavorkit.mlmodel import PyFuncFlavor

        saved = flavorkit_state.saved(case)
        conf = saved.mlmodel.flavors.get(self.flavor)
        assert isinstance(conf, dict), f"flavors.{self.flavor} must be a mapping, got {conf!r}"
        if NO_PYFUNC in flavorkit_state.capabilities:
            return
        pyfunc = saved.pyfunc_conf
        if pyfunc is None:
            _fail(
                "MLmodel has no python_function section: the flavor's save returned "
                "SavedFlavor(pyfunc=None). Return the pyfunc keys (loader_module...), or declare "
                f"the capability {NO_PYFUNC!r} if models of this flavor cannot predict."
            )
        try:
            parsed = PyFuncFlavor.from_dict(pyfunc)
        except Exception as e:
            _fail(f"python_function section is invalid: {e}")
        assert parsed.loader_module, "python_function.loader_module is empty"
        assert parsed.python_version == ".".join(map(str, sys.version_info[:3])), (
            f"python_function.python_version is {parsed.python_version!r}"
        )
        assert set(parsed.env) >= {"conda", "virtualenv"}, (
            f"python_function.env must name conda and virtualenv files: {parsed.env}"
        )

    def test_saved_files_inside_model(self, case: Case, flavorkit_state: _State) -> None:
        from flavorkit.safety import model_file

        saved = flavorkit_state.saved(case)
        problems = []
        if saved.stray:
            problems.append(
                f"the save wrote {list(saved.stray)} beside the model directory "
                f"(in {saved.path.parent}); write only inside the directory save() receives"
            )
        root = saved.path.resolve()
        for p in saved.path.rglob("*"):
            if p.is_symlink() and root not in p.resolve().parents:
                problems.append(
                    f"{p.relative_to(saved.path)} is a symlink leading out to {p.resolve()}"
                )
        sections = [(self.flavor, saved.flavor_conf(self.flavor))]
        if saved.pyfunc_conf is not None:
            sections.append(("python_function", saved.pyfunc_conf))
        for section, conf in sections:
            for key, rel in _path_values(section, conf, self.path_keys):
                try:
                    target = model_file(saved.path, rel, key=key)
                except Exception as e:
                    problems.append(str(e))
                    continue
                if not target.exists():
                    listing = sorted(str(q.relative_to(saved.path)) for q in saved.path.iterdir())
                    problems.append(
                        f"MLmodel key {key!r} names {rel!r}, which the save did not write "
                        f"(the model directory holds {listing})"
                    )
        if problems:
            _fail("\n".join(problems))

    def test_model_type_detected(self, case: Case, flavorkit_state: _State) -> None:
        info = flavorkit_state.info
        if not info.model_types:
            pytest.skip("FlavorInfo.model_types is empty: save_model needs flavor= for it")
        model = flavorkit_state.model(case)
        try:
            detected = flavorkit_state.registry.detect(model)
        except Exception as e:
            _fail(f"detecting the flavor of a {type(model).__qualname__} failed: {e}")
        assert detected.name == self.flavor, (
            f"save_model would pick flavor {detected.name!r} for a "
            f"{type(model).__module__}.{type(model).__qualname__}, not {self.flavor!r}; "
            f"{self.flavor!r} declares model_types {list(info.model_types)}"
        )

    # -- the checks: predictions -------------------------------------------------------------------

    def test_native_round_trip(self, case: Case, flavorkit_state: _State) -> None:
        from flavorkit.api import load_native

        saved = flavorkit_state.saved(case)
        try:
            loaded = load_native(saved.path, trust=case.trust, flavor=self.flavor)
        except Exception as e:
            _fail(f"load_native({saved.path}) failed:\n{_short_tb(e)}")
        for i, (data, params) in enumerate(case.all_inputs()):
            assert_predictions_equal(
                flavorkit_state.native(loaded, data, params, saved),
                flavorkit_state.native(saved.model, data, params, saved),
                rtol=case.rtol,
                atol=case.atol,
                names=("reloaded", "in-memory"),
                label=f"native predictions on input {i}",
            )

    def test_pyfunc_matches_native(self, case: Case, flavorkit_state: _State) -> None:
        flavorkit_state.skip_if(NO_PYFUNC, "the flavor writes no python_function section")
        saved = flavorkit_state.saved(case)
        pyfunc = flavorkit_state.pyfunc(case)
        for i, (data, params) in enumerate(case.all_inputs()):
            actual = flavorkit_state.predict(pyfunc, data, params, case)
            if i == 0 and case.expected is not None:
                reference, name = case.expected, "expected"
            else:
                reference, name = flavorkit_state.native(saved.model, data, params, saved), "native"
            assert_predictions_equal(
                actual,
                reference,
                rtol=case.rtol,
                atol=case.atol,
                names=("pyfunc", name),
                label=f"predictions on input {i}",
            )

    def test_predictor_context(self, case: Case, flavorkit_state: _State) -> None:
        """The predictor ``load_model`` builds with the model directory and load options in its
        :class:`~flavorkit.contract.PredictorContext` predicts as one built from the native object
        alone (no directory: how save-time inference builds it)."""
        flavorkit_state.skip_if(NO_PYFUNC, "the flavor writes no python_function section")
        from flavorkit.api import load_native
        from flavorkit.contract import PredictorContext
        from flavorkit.plugins import get_registry
        from flavorkit.pyfunc import PyFuncModel

        saved = flavorkit_state.saved(case)
        loaded = flavorkit_state.pyfunc(case)
        try:
            native = load_native(saved.path, trust=case.trust, flavor=loaded.flavor)
        except Exception as e:
            _fail(f"load_native({saved.path}) failed:\n{_short_tb(e)}")
        pyfunc_conf = {**(saved.pyfunc_conf or {}), "config": loaded.model_config}
        hook = get_registry().hook.flavorkit_pyfunc_predictor
        calls = {
            "with its directory": PredictorContext(path=saved.path, trust=case.trust),
            "in memory": PredictorContext(),
        }
        outputs: dict[str, list[Any]] = {}
        for name, context in calls.items():
            try:
                predictor = hook(
                    flavor=loaded.flavor,
                    model=native,
                    conf=saved.flavor_conf(loaded.flavor),
                    pyfunc_conf=pyfunc_conf,
                    context=context,
                )
            except Exception as e:
                _fail(f"the predictor hook failed {name}:\n{_short_tb(e)}")
            if predictor is None:
                _fail(f"the plugin gave no predictor for flavor {loaded.flavor!r} ({name})")
            twin = PyFuncModel(
                loaded.metadata,
                predictor,
                flavor=loaded.flavor,
                raw_model=native,
                path=saved.path,
                model_config=loaded.model_config,
            )
            outputs[name] = [
                flavorkit_state.predict(twin, data, params, case)
                for data, params in case.all_inputs()
            ]
        with_dir_outputs, in_memory_outputs = outputs.values()
        for i, (with_dir, in_memory) in enumerate(
            zip(with_dir_outputs, in_memory_outputs, strict=True)
        ):
            assert_predictions_equal(
                with_dir,
                in_memory,
                rtol=case.rtol,
                atol=case.atol,
                names=("with its directory", "in memory"),
                label=f"predictor context: predictions on input {i}",
            )

    def test_signature_inferred(self, case: Case, flavorkit_state: _State) -> None:
        from flavorkit.signature import infer_param_schema, infer_schema

        flavorkit_state.skip_if(NO_PYFUNC, "signatures are inferred through the pyfunc predictor")
        if case.input_example is None:
            pytest.skip(f"case {case.id!r} has no input_example to infer a signature from")
        saved = flavorkit_state.saved(case)
        sig = saved.mlmodel.signature
        if sig is None or sig.inputs is None:
            why = "; ".join(saved.warnings) or "no warning was raised"
            _fail(
                "MLmodel has no signature although the case has an input_example: save_model "
                "infers it by running the flavor's predictor on the in-memory model with the "
                f"example. Save warnings: {why}"
            )
        data, params = case.all_inputs()[0]
        assert sig.inputs.to_dict() == infer_schema(data).to_dict(), (
            "signature inputs differ from those inferred from the example"
        )
        assert sig.outputs is not None, "the signature records no outputs"
        if params:
            assert sig.params is not None, "the example has params but the signature has none"
            assert sig.params.to_dict() == infer_param_schema(params).to_dict()

    def test_signature_enforced(self, case: Case, flavorkit_state: _State) -> None:
        from flavorkit.errors import SchemaEnforcementError
        from flavorkit.testing.badinputs import bad_inputs

        flavorkit_state.skip_if(NO_PYFUNC, "no pyfunc to enforce a signature")
        if case.input_example is None:
            pytest.skip(f"case {case.id!r} has no input_example, so no signature to enforce")
        saved = flavorkit_state.saved(case)
        sig = saved.mlmodel.signature
        if sig is None or sig.inputs is None:
            _fail("MLmodel has no input signature, so nothing is enforced")
        data, params = case.all_inputs()[0]
        bad = bad_inputs(data, sig.inputs)
        if not bad:
            pytest.skip(f"no rule derives bad inputs from a {type(data).__name__} example")
        pyfunc = flavorkit_state.pyfunc(case)
        problems = []
        for b in bad:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    pyfunc.predict(b.data, _copy(params))
            except SchemaEnforcementError as e:
                if b.input_name is not None and str(b.input_name) not in str(e):
                    problems.append(
                        f"{b.description}: the error does not name {b.input_name!r}: {e}"
                    )
            except Exception as e:
                problems.append(
                    f"{b.description}: raised {type(e).__name__}: {e} instead of "
                    "SchemaEnforcementError"
                )
            else:
                problems.append(f"{b.description}: accepted, no SchemaEnforcementError")
        if problems:
            _fail(f"signature {sig.inputs!r} is not enforced:\n" + "\n".join(problems))

    # -- the checks: environment and examples ------------------------------------------------------

    def test_requirements_pinned(self, case: Case, flavorkit_state: _State) -> None:
        from packaging.requirements import InvalidRequirement, Requirement

        from flavorkit.environment import pinned_requirement, read_requirements

        saved = flavorkit_state.saved(case)
        lines = [ln for ln in read_requirements(saved.path) if not ln.startswith("-")]
        written: dict[str, str] = {}
        problems = []
        for line in lines:
            try:
                req = Requirement(line)
            except InvalidRequirement as e:
                problems.append(f"{line!r} is not a valid requirement: {e}")
                continue
            written[_canonical(req.name)] = line
            specs = list(req.specifier)
            pinned = len(specs) == 1 and specs[0].operator in ("==", "===")
            if not pinned and req.url is None:  # a direct URL reference pins itself
                problems.append(f"{line!r} is not pinned with '=='")
        registry = flavorkit_state.registry
        defaults = list(
            registry.hook.flavorkit_default_pip_requirements(
                flavor=self.flavor, options=dict(case.options)
            )
            or []
        )
        expected = [*defaults, pinned_requirement("flavorkit")]
        dist = registry.distribution_of(self.flavor)
        if dist is not None:
            expected.append(pinned_requirement(dist))
        for line in expected:
            req = Requirement(line)
            have = written.get(_canonical(req.name))
            if have is None:
                problems.append(
                    f"{line!r} is missing (default requirements of the plugin: {defaults})"
                )
            elif req.specifier and _version(have) and not req.specifier.contains(_version(have)):
                problems.append(f"{have!r} does not satisfy the default {line!r}")
        if problems:
            _fail(f"requirements.txt {lines}:\n" + "\n".join(f"  {p}" for p in problems))

    def test_environment_files_valid(self, case: Case, flavorkit_state: _State) -> None:
        import yaml

        from flavorkit.environment import read_python_env, read_requirements

        saved = flavorkit_state.saved(case)
        reqs = read_requirements(saved.path)
        env_names = (saved.pyfunc_conf or {}).get("env") or {}
        for name in ("requirements.txt", "python_env.yaml", "conda.yaml"):
            assert (saved.path / name).is_file(), f"{name} was not written"
        python_env = read_python_env(saved.path, env_names)
        assert python_env is not None
        running = ".".join(map(str, sys.version_info[:3]))
        assert python_env.python == running, f"python_env.yaml: python {python_env.python!r}"
        assert python_env.dependencies == ["-r requirements.txt"], (
            f"python_env.yaml dependencies: {python_env.dependencies}"
        )
        conda = yaml.safe_load((saved.path / "conda.yaml").read_text(encoding="utf-8"))
        deps = conda.get("dependencies") if isinstance(conda, dict) else None
        assert isinstance(deps, list), f"conda.yaml has no dependencies list: {conda!r}"
        assert f"python={running}" in deps, f"conda.yaml does not pin python={running}: {deps}"
        pip = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
        conda_pip = pip[0] if pip else []
        assert conda_pip == reqs, (
            f"conda.yaml's pip list {conda_pip} differs from requirements.txt {reqs}"
        )
        for key, name in env_names.items():
            assert (saved.path / name).is_file(), (
                f"python_function.env.{key} names missing {name!r}"
            )

    def test_example_files_valid(self, case: Case, flavorkit_state: _State) -> None:
        from flavorkit.examples import load_input_example, parse_serving_payload

        if case.input_example is None:
            pytest.skip(f"case {case.id!r} has no input_example")
        saved = flavorkit_state.saved(case)
        info = saved.mlmodel.saved_input_example_info
        assert info is not None, "MLmodel has no saved_input_example_info"
        for key in ("artifact_path", "serving_input_path"):
            if info.get(key):
                try:
                    json.loads((saved.path / info[key]).read_text(encoding="utf-8"))
                except Exception as e:
                    _fail(f"{info[key]} (saved_input_example_info.{key}) is not JSON: {e}")
        if NO_PYFUNC in flavorkit_state.capabilities:
            return
        sig = saved.mlmodel.signature
        schema = sig.inputs if sig is not None else None
        loaded = load_input_example(saved.path, info, schema)
        data, params = case.all_inputs()[0]
        # load_input_example returns a (data, params) tuple exactly when params were saved
        ex_data, ex_params = loaded if isinstance(loaded, tuple) else (loaded, None)
        pyfunc = flavorkit_state.pyfunc(case)
        reference = flavorkit_state.predict(pyfunc, data, params, case)
        assert_predictions_equal(
            flavorkit_state.predict(pyfunc, ex_data, ex_params, case),
            reference,
            rtol=case.rtol,
            atol=case.atol,
            names=("from input_example.json", "from the example"),
            label="predictions",
        )
        if info.get("serving_input_path"):
            body = json.loads((saved.path / info["serving_input_path"]).read_text("utf-8"))
            sv_data, sv_params = parse_serving_payload(
                body, schema, param_schema=sig.params if sig is not None else None
            )
            assert_predictions_equal(
                flavorkit_state.predict(pyfunc, sv_data, sv_params, case),
                reference,
                rtol=case.rtol,
                atol=case.atol,
                names=("from serving_input_example.json", "from the example"),
                label="predictions",
            )

    # -- the checks: safety ------------------------------------------------------------------------

    def test_untrusted_load_refused(self, case: Case, flavorkit_state: _State) -> None:
        from flavorkit.api import load_model, load_native
        from flavorkit.errors import UntrustedModelError

        if not case.trust:
            if UNSAFE_FORMATS in flavorkit_state.capabilities and not any(
                c.trust for c in flavorkit_state.cases
            ):
                _fail(
                    f"the flavor declares {UNSAFE_FORMATS!r} but no case sets trust=True: add a "
                    "case saved in each format that runs code on load"
                )
            _skip(UNSAFE_FORMATS, f"case {case.id!r} is saved in a safe format (trust=False)")
        saved = flavorkit_state.saved(case)
        loaders: list[tuple[str, Any]] = [("load_native", load_native)]
        if saved.pyfunc_conf is not None:
            loaders.append(("load_model", load_model))
        for name, load in loaders:
            try:
                load(saved.path, trust=False)
            except UntrustedModelError:
                continue
            except Exception as e:
                _fail(
                    f"{name}(trust=False) raised {type(e).__name__}: {e}, not UntrustedModelError"
                )
            _fail(
                f"{name}(path, trust=False) loaded a case marked trust=True: a format that runs "
                "code on load must call flavorkit.safety.require_trust(trust, file, why) first"
            )

    def test_mlflow_loader_contract(self, case: Case, flavorkit_state: _State) -> None:
        flavorkit_state.skip_if(NO_PYFUNC, "MLflow loads models through python_function")
        saved = flavorkit_state.saved(case)
        conf = saved.pyfunc_conf
        if conf is None:
            _fail("MLmodel has no python_function section for MLflow to load")
        loader = str(conf.get("loader_module", ""))
        if not _mlflow_module_usable(loader):
            pytest.skip(
                f"loader_module {loader!r} is MLflow's own, and mlflow is not installed: "
                "`pip install mlflow` to run this check (flavorkit's `nox -s interop` does)"
            )
        for other in flavorkit_state.cases:  # one child process loads every case
            if other.id != case.id:
                with contextlib.suppress(BaseException):  # its own checks report a failure
                    flavorkit_state.saved(other)
        result = flavorkit_state.mlflow_results().get(case.id)
        assert result is not None
        if "error" in result:
            _fail(
                f"as MLflow does, import_module({loader!r})._load_pyfunc(...) and predict "
                f"failed in a fresh process:\n{result['error']}"
            )
        pyfunc = flavorkit_state.pyfunc(case)
        for i, ((data, params), out) in enumerate(
            zip(case.all_inputs(), result["outputs"], strict=True)
        ):
            assert_predictions_equal(
                out,
                flavorkit_state.predict(pyfunc, data, params, case),
                rtol=case.rtol,
                atol=case.atol,
                names=(f"{loader}._load_pyfunc", "pyfunc"),
                label=f"predictions on input {i}",
            )

    # -- the checks: saving ------------------------------------------------------------------------

    def test_save_without_input_example(self, flavorkit_state: _State) -> None:
        from flavorkit.api import load_model

        flavorkit_state.skip_if(NEEDS_INPUT_EXAMPLE, "the flavor cannot save without an example")
        cases = flavorkit_state.cases
        case = next((c for c in cases if c.all_inputs()[0][1] is None), cases[0])
        path = flavorkit_state.tmp(f"{case.id}-no-example") / "model"
        try:
            meta = flavorkit_state.save(case, path, with_example=False)
        except Exception as e:
            _fail(
                f"saving case {case.id!r} without an input example failed (declare "
                f"{NEEDS_INPUT_EXAMPLE!r} if the flavor needs one):\n{_short_tb(e)}"
            )
        # Without an example, only a signature the flavor reads from the model itself (an ONNX
        # graph, type hints) may be recorded; the prediction below then goes through it.
        assert meta.saved_input_example_info is None
        assert not (path / "input_example.json").exists()
        if NO_PYFUNC in flavorkit_state.capabilities:
            return
        try:
            pyfunc = load_model(path, trust=case.trust)
        except Exception as e:
            _fail(f"loading the model saved without an example failed:\n{_short_tb(e)}")
        data = case.all_inputs()[0][0]
        # Without a signature params are dropped, so both sides predict without params; the
        # reference is the predictor of the model saved with its example, given the raw data.
        reference = flavorkit_state.pyfunc(case).predictor
        assert_predictions_equal(
            flavorkit_state.predict(pyfunc, data, None, case),
            flavorkit_state.predict(reference, data, None, case),
            rtol=case.rtol,
            atol=case.atol,
            names=("saved without example", "with example"),
        )

    def test_save_refuses_existing_path(self, flavorkit_state: _State) -> None:
        from flavorkit.errors import ModelPathError

        case = flavorkit_state.cases[0]
        parent = flavorkit_state.tmp("existing")
        target = parent / "model"
        target.mkdir()
        (target / "keep.txt").write_text("keep")
        with pytest.raises(ModelPathError):
            flavorkit_state.save(case, target)
        assert sorted(p.name for p in target.iterdir()) == ["keep.txt"], (
            f"the existing directory was changed: {sorted(p.name for p in target.iterdir())}"
        )
        assert (target / "keep.txt").read_text() == "keep"
        assert sorted(p.name for p in parent.iterdir()) == ["model"]

    def test_failed_save_leaves_nothing(self, flavorkit_state: _State) -> None:
        case = flavorkit_state.cases[0]
        parent = flavorkit_state.tmp("failed")
        target = parent / "model"
        try:
            flavorkit_state.save(case, target, **{_UNKNOWN_OPTION: True})
        except Exception as e:
            error: Exception | None = e
        else:
            error = None
        left = sorted(p.name for p in parent.iterdir())
        if error is None:
            _fail(
                f"save_model accepted the unknown option {_UNKNOWN_OPTION}=True: a flavor must "
                "reject options it does not know (a typo would otherwise be ignored silently)"
                + (f"; it left {left}" if left != ["model"] else "")
            )
        assert not left, (
            f"the failed save ({type(error).__name__}: {error}) left {left} in {parent}; a "
            "failed save must leave no target and no temporary directory"
        )

    # -- the checks: packaging ---------------------------------------------------------------------

    def test_entry_point_registered(self, flavorkit_state: _State) -> None:
        from importlib.metadata import entry_points

        from flavorkit.plugins import ENTRY_POINT_GROUP, PluginRegistry

        flavorkit_state.skip_if(
            IN_PROCESS_ONLY, "the flavor is registered in-process, without an entry point"
        )
        group = list(entry_points(group=ENTRY_POINT_GROUP))
        named = {
            (ep.value, getattr(ep.dist, "name", None)) for ep in group if ep.name == self.flavor
        }
        if not named:
            found = sorted(f"{ep.name} = {ep.value}" for ep in group) or ["none"]
            _fail(
                f"no entry point named {self.flavor!r} in group {ENTRY_POINT_GROUP!r}; found: "
                f"{', '.join(found)}. Add to the plugin's pyproject.toml:\n"
                f'[project.entry-points."{ENTRY_POINT_GROUP}"]\n'
                f'{self.flavor} = "your_package:YourFlavor"'
            )
        assert len(named) == 1, f"several entry points claim {self.flavor!r}: {sorted(named)}"
        ((value, dist),) = named
        try:
            info = PluginRegistry().flavor(self.flavor)
        except Exception as e:
            _fail(f"a fresh registry cannot load entry point {value!r}: {e}")
        assert info.name == self.flavor, (
            f"entry point {self.flavor} = {value!r} declares flavor {info.name!r}"
        )
        if info.package is not None and dist is not None:
            assert _canonical(info.package) == _canonical(dist), (
                f"FlavorInfo.package is {info.package!r} but the entry point comes from the "
                f"distribution {dist!r}: 'pip install' hints would name the wrong package"
            )

    def test_plugin_import_is_light(self, flavorkit_state: _State) -> None:
        if not self.framework_modules:
            pytest.skip("framework_modules is empty: name the framework's top-level modules")
        report = flavorkit_state.import_report()
        already = report.get("already") or []
        imported = {m: s for m, s in report["imported"].items() if m not in already}
        if imported:
            lines = [
                f"discovering flavor {self.flavor!r} imported {sorted(imported)}; import the "
                "framework inside save()/load(), not at module level."
            ]
            for module, stack in sorted(imported.items()):
                lines.append(f"{module} was first imported from:")
                lines.extend(f"  {frame}" for frame in stack)
            _fail("\n".join(lines))


def _version(line: str) -> str:
    """The version a requirement line pins with ``==``, else ``""``."""
    from packaging.requirements import Requirement

    specs = list(Requirement(line).specifier)
    return specs[0].version if len(specs) == 1 and specs[0].operator in ("==", "===") else ""


def _copy(value: Any) -> Any:
    """A deep copy, so a model that mutates its input cannot change the case for later checks."""
    try:
        return copy.deepcopy(value)
    except Exception:
        return value
