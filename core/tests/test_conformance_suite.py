"""The conformance suite tests itself: broken fake flavors must fail the right check, readably.

Each fake is the toy flavor with one property broken. One in-process pytester session runs the
suite against all of them (and against two correct flavors) and each class's failed checks are
compared with the one check its breakage should fail; every other check must pass or skip. The
comparison helpers and the bad-input derivation are tested directly.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# Imported before the pytester sessions, which drop the modules first imported during a session:
# a re-imported yaml would pair a fresh package with its already-loaded C extension.
import yaml  # noqa: F401

import flavorkit.api
import flavorkit.examples
import flavorkit.mlflow_loader  # noqa: F401
from flavorkit.enforce import enforce_schema
from flavorkit.errors import SchemaEnforcementError
from flavorkit.signature import infer_schema
from flavorkit.testing import (
    Case,
    assert_mlmodel_equal,
    assert_predictions_equal,
    bad_inputs,
    prediction_diff,
)

pytest_plugins = ["pytester"]

# -- the comparison helpers ----------------------------------------------------------------------


def test_equal_predictions_pass_within_tolerance() -> None:
    a = np.array([1.0, 2.0, np.nan])
    assert_predictions_equal(a, a + 1e-9, rtol=1e-6)
    assert_predictions_equal([1, 2], np.array([1.0, 2.0]))
    df = pd.DataFrame({"p": [0.1, 0.9], "label": ["a", "b"]})
    assert_predictions_equal(df, df.copy())
    assert_predictions_equal({"y": a, "z": [[1], [2, 3]]}, {"y": a.copy(), "z": [[1], [2, 3]]})


def test_array_mismatch_reports_shape_dtype_errors_and_first_index() -> None:
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    actual = expected.copy()
    actual[1, 0] = 3.5
    with pytest.raises(AssertionError) as info:
        assert_predictions_equal(actual, expected, names=("pyfunc", "native"))
    message = str(info.value)
    assert "pyfunc and native differ (rtol=1e-07, atol=0)" in message
    assert "1 of 4 elements differ (25%); shape (2, 2), dtype pyfunc float64 vs native float64" in (
        message
    )
    assert "max abs error: 0.5 at index (1, 0)" in message
    assert "max rel error: 0.166667 at index (1, 0)" in message
    assert "first mismatch at index (1, 0): pyfunc 3.5, native 3.0" in message


def test_structure_mismatches_are_named() -> None:
    assert prediction_diff(np.zeros(3), np.zeros(4)) == [
        "predictions: shape actual (3,) vs expected (4,); dtype actual float64 vs expected float64"
    ]
    frames = prediction_diff(pd.DataFrame({"a": [1]}), pd.DataFrame({"b": [1]}))
    assert frames == ["predictions: columns differ: actual ['a'], expected ['b']"]
    kinds = prediction_diff(pd.DataFrame({"a": [1]}), np.array([1]))
    assert kinds == ["predictions: actual is a pandas.DataFrame, expected is a numpy.ndarray"
                     " (shapes (1, 1) vs (1,))"]  # fmt: skip
    keys = prediction_diff({"y": [1], "extra": [2]}, {"y": [1], "z": [3]})
    assert keys == ["predictions: keys only in actual: ['extra']",
                    "predictions: keys only in expected: ['z']"]  # fmt: skip
    column = prediction_diff(pd.DataFrame({"p": [1.0, 2.0]}), pd.DataFrame({"p": [1.0, 2.5]}))
    assert column[0].startswith("predictions['p']: 1 of 2 elements differ")
    text = prediction_diff(np.array(["a", "b"]), np.array(["a", "c"]))
    assert "first mismatch at index (1,): actual 'b', expected 'c'" in text[0]
    assert "not comparable" in prediction_diff(np.array(["a"]), np.array([1.0]))[0]


def test_mlmodel_diff_lists_each_key() -> None:
    a = {"flavors": {"toy": {"data": "model.json"}}, "model_uuid": "x", "extra": 1}
    b = {"flavors": {"toy": {"data": "other.json"}}, "model_uuid": "x", "run_id": "r"}
    with pytest.raises(AssertionError) as info:
        assert_mlmodel_equal(a, b, names=("rewritten", "original"))
    assert str(info.value).splitlines() == [
        "MLmodel: rewritten and original differ in 3 key(s):",
        "  flavors.toy.data: rewritten 'model.json' != original 'other.json'",
        "  extra: only in rewritten: 1",
        "  run_id: only in original: 'r'",
    ]


# -- bad inputs and cases -----------------------------------------------------------------------

EXAMPLES = {
    "frame": pd.DataFrame(
        {"x": [1.0, 2.0], "n": [1, 2], "s": ["a", "b"], "t": pd.to_datetime(["2020", "2021"])}
    ),
    "frame-text-first": pd.DataFrame({"s": ["a", "b"], "x": [1.0, 2.0]}),
    "frame-unnamed": pd.DataFrame(np.ones((2, 3))),
    "array": np.ones((4, 3)),
    "array-1d": np.arange(3),
    "tensors": {"x": np.ones((2, 3)), "y": np.arange(2)},
    "records": [{"a": 1.0, "s": "x"}, {"a": 2.0, "s": "y"}],
    "dict": {"a": 1.0, "s": "x"},
    "series": pd.Series([1.0, 2.0]),
    "list": [1.0, 2.0],
    "arrays-column": pd.DataFrame({"v": [[1.0], [2.0, 3.0]]}),
}


@pytest.mark.parametrize("kind", list(EXAMPLES))
def test_derived_bad_inputs_are_rejected(kind: str) -> None:
    data = EXAMPLES[kind]
    schema = infer_schema(data)
    enforce_schema(data, schema)  # the good input passes
    derived = bad_inputs(data, schema)
    assert derived
    for bad in derived:
        with pytest.raises(SchemaEnforcementError) as info:
            enforce_schema(bad.data, schema)
        if bad.input_name is not None:
            assert str(bad.input_name) in str(info.value), bad.description


def test_a_factory_is_called_lazily_but_a_callable_model_is_not_a_factory() -> None:
    calls: list[int] = []

    def build() -> list[int]:
        calls.append(1)
        return calls

    case = Case("lazy", build, input_example=[1.0])
    assert calls == [] and case.is_lazy
    assert case.build_model() is calls and calls == [1]
    assert not Case("fn-model", lambda x: x, input_example=[1.0]).is_lazy  # takes the data
    assert not Case("obj", np.vectorize(abs), input_example=[1.0]).is_lazy  # a callable object
    assert Case("p", build, input_example=([1.0], {"k": 1})).all_inputs() == [([1.0], {"k": 1})]
    with pytest.raises(ValueError, match="no input_example and no inputs"):
        Case("empty", build)


# -- the suite against broken fake flavors ------------------------------------------------------

FAKES = '''
"""Fake flavors: the toy flavor with one property broken each."""
from toyflavor_pkg import ToyFlavor, ToyModel

from flavorkit.environment import pinned_requirement
from flavorkit.flavor import SavedFlavor


class Scaled:
    def __init__(self, model, factor):
        self.model, self.factor = model, factor

    def predict(self, data, params=None):
        return self.model.predict(data, params) * self.factor


class Good(ToyFlavor):
    name = "good"


class BadPredictor(ToyFlavor):
    name = "bad_predictor"

    def predictor(self, model, conf, pyfunc_conf):
        return Scaled(model, 2.0)


class ContextDependent(ToyFlavor):
    """Predicts differently when it is given the model directory: a predictor-context bug."""

    name = "context_dependent"

    def predictor(self, model, conf, pyfunc_conf, *, context):
        if context.path is not None:
            return Scaled(model, 2.0)
        return super().predictor(model, conf, pyfunc_conf)


class BadLoad(ToyFlavor):
    name = "bad_load"

    def load(self, path, conf, *, trust):
        m = super().load(path, conf, trust=trust)
        return ToyModel([w + 1.0 for w in m.weights], m.bias)


class WritesOutside(ToyFlavor):
    name = "writes_outside"

    def save(self, model, path, **options):
        saved = super().save(model, path, **options)
        (path.parent / "stray.json").write_text("{}")
        return saved


class ForgetsFile(ToyFlavor):
    name = "forgets_file"

    def save(self, model, path, **options):
        saved = super().save(model, path, **options)
        return SavedFlavor(saved.conf, {**saved.pyfunc, "model_path": "weights.bin"})


class UnpinnedDefaults(ToyFlavor):
    name = "unpinned_defaults"

    def default_pip_requirements(self, **options):
        return ["numpy>=1.0"]


class ChangingDefaults(ToyFlavor):
    """Its defaults come from state that changes, so the saved model misses later ones."""

    name = "changing_defaults"
    calls = 0

    def default_pip_requirements(self, **options):
        type(self).calls += 1
        return [pinned_requirement("numpy")] if type(self).calls > 1 else []


class PickleWithoutTrust(ToyFlavor):
    name = "pickle_without_trust"

    def load(self, path, conf, *, trust):
        return super().load(path, conf, trust=True)


class LenientOptions(ToyFlavor):
    name = "lenient_options"

    def save(self, model, path, **options):
        fmt = options.get("serialization_format", "json")
        return super().save(model, path, serialization_format=fmt)


class NoPyfunc(ToyFlavor):
    name = "no_pyfunc"
    capabilities = frozenset({"no_pyfunc"})

    def save(self, model, path, **options):
        return SavedFlavor(super().save(model, path, **options).conf, None)


class SilentNoPyfunc(NoPyfunc):
    name = "silent_no_pyfunc"
    capabilities = frozenset()


class UnsafeWithoutCase(ToyFlavor):
    name = "unsafe_without_case"
    capabilities = frozenset({"unsafe_formats"})


class OwnMLflowLoader(ToyFlavor):
    name = "own_mlflow_loader"

    def save(self, model, path, **options):
        saved = super().save(model, path, **options)
        return SavedFlavor(saved.conf, {**saved.pyfunc, "loader_module": __name__})


def _load_pyfunc(data_path):
    """The loader MLflow would call for OwnMLflowLoader: it ignores the saved weights."""
    return Scaled(ToyModel([0.0, 0.0]), 1.0)


class SavesWhatItCannotLoad(ToyFlavor):
    """Its "compact" format records only the bias: the save succeeds, no load can rebuild it."""

    name = "saves_what_it_cannot_load"

    def save(self, model, path, **options):
        if options.get("serialization_format") == "compact":
            (path / "model.json").write_text('{"bias": %r}' % model.bias)
            conf = {"data": "model.json", "serialization_format": "json"}
            return SavedFlavor(conf, {"loader_module": "toyflavor_pkg", "model_path": "model.json"})
        return super().save(model, path, **options)


class CrashingFormat(ToyFlavor):
    """Its "fast" format crashes with a bare RuntimeError instead of refusing clearly."""

    name = "crashing_format"

    def save(self, model, path, **options):
        if options.get("serialization_format") == "fast":
            raise RuntimeError("segfault-ish")
        return super().save(model, path, **options)
'''

EP_FAKES = '''
"""Flavors installed as distributions, with entry points."""
from toyflavor_pkg import ToyFlavor, ToyModel


class GoodModel(ToyModel):
    pass


class GoodEP(ToyFlavor):
    name = "ep_good"
    model_types = ("epfakes.GoodModel",)
    package = "epfakes-good"


class WrongModel(ToyModel):
    pass


class WrongNameEP(ToyFlavor):
    name = "ep_wrong"
    model_types = ("epfakes.WrongModel",)
'''

EP_HEAVY = '''
"""A plugin that imports its framework at module level."""
import heavyframework  # the mistake
from toyflavor_pkg import ToyFlavor, ToyModel


class HeavyModel(ToyModel):
    pass


class HeavyEP(ToyFlavor):
    name = "ep_heavy"
    model_types = ("epheavy.HeavyModel",)
    package = "epheavy"
'''

TESTS = """
import pandas as pd

import epfakes
import epheavy
import fakes
from flavorkit.testing import Case, FlavorConformanceTests, SaveFormat

X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, 0.0, -1.0]})


class Fake(FlavorConformanceTests):
    framework_modules = ("numpy",)
    case_options = {}
    trust = False
    model_class = fakes.ToyModel

    def cases(self):
        model = self.model_class([2.0, -1.0], bias=0.5)
        yield Case("c", model, X, options=self.case_options, trust=self.trust)


def fake(name, plugin, **attrs):
    return type(name, (Fake,), {"flavor": plugin.name, "plugin": plugin, **attrs})


TestGood = fake("TestGood", fakes.Good)
TestBadPredictor = fake("TestBadPredictor", fakes.BadPredictor)
TestBadLoad = fake("TestBadLoad", fakes.BadLoad)
TestContextDependent = fake("TestContextDependent", fakes.ContextDependent)
TestWritesOutside = fake("TestWritesOutside", fakes.WritesOutside)
TestForgetsFile = fake("TestForgetsFile", fakes.ForgetsFile)
TestUnpinnedDefaults = fake("TestUnpinnedDefaults", fakes.UnpinnedDefaults)
TestChangingDefaults = fake("TestChangingDefaults", fakes.ChangingDefaults)
TestPickleWithoutTrust = fake(
    "TestPickleWithoutTrust", fakes.PickleWithoutTrust,
    case_options={"serialization_format": "pickle"}, trust=True,
)
TestLenientOptions = fake("TestLenientOptions", fakes.LenientOptions)
TestNoPyfunc = fake("TestNoPyfunc", fakes.NoPyfunc)
TestSilentNoPyfunc = fake("TestSilentNoPyfunc", fakes.SilentNoPyfunc)
TestUnsafeWithoutCase = fake("TestUnsafeWithoutCase", fakes.UnsafeWithoutCase)
TestOwnMLflowLoader = fake("TestOwnMLflowLoader", fakes.OwnMLflowLoader)
TestSavesWhatItCannotLoad = fake(
    "TestSavesWhatItCannotLoad", fakes.SavesWhatItCannotLoad,
    formats=lambda self: [
        SaveFormat("json"),
        SaveFormat("compact", {"serialization_format": "compact"}),
    ],
)
TestCrashingFormat = fake(
    "TestCrashingFormat", fakes.CrashingFormat,
    formats=lambda self: [SaveFormat("fast", {"serialization_format": "fast"})],
)
TestAcceptsUnrebuildable = fake(
    "TestAcceptsUnrebuildable", fakes.Good,
    unrebuildable_cases=lambda self: [Case("saved-anyway", fakes.ToyModel([1.0, 1.0]), X)],
)
TestRefusesUnrebuildable = fake(
    "TestRefusesUnrebuildable", fakes.Good,
    unrebuildable_cases=lambda self: [
        Case("bad-format", fakes.ToyModel([1.0, 1.0]), X, options={"serialization_format": "x"})
    ],
)


class TestGoodEP(Fake):
    flavor = "ep_good"
    model_class = epfakes.GoodModel


class TestWrongNameEP(Fake):
    flavor = "ep_wrong"
    model_class = epfakes.WrongModel


class TestHeavyEP(Fake):
    flavor = "ep_heavy"
    framework_modules = ("heavyframework",)
    model_class = epheavy.HeavyModel
"""

#: The checks each fake must fail; every other check passes or skips. None: not asserted.
EXPECTED_FAILURES: dict[str, set[str] | None] = {
    "TestGood": set(),
    "TestBadPredictor": {"test_pyfunc_matches_native"},
    "TestBadLoad": {"test_native_round_trip", "test_pyfunc_matches_native"},
    "TestContextDependent": {"test_pyfunc_matches_native", "test_predictor_context"},
    "TestWritesOutside": {"test_saved_files_inside_model"},
    "TestForgetsFile": {"test_saved_files_inside_model"},
    "TestUnpinnedDefaults": {"test_requirements_pinned"},
    "TestChangingDefaults": {"test_requirements_pinned"},
    "TestPickleWithoutTrust": {"test_untrusted_load_refused"},
    "TestLenientOptions": {"test_failed_save_leaves_nothing"},
    "TestNoPyfunc": set(),
    "TestSilentNoPyfunc": None,  # no pyfunc breaks every pyfunc check; the message matters
    "TestUnsafeWithoutCase": {"test_untrusted_load_refused"},
    "TestOwnMLflowLoader": {"test_mlflow_loader_contract"},
    "TestGoodEP": set(),
    "TestWrongNameEP": None,  # nothing can find the flavor; the entry-point message matters
    "TestHeavyEP": {"test_plugin_import_is_light"},
    "TestSavesWhatItCannotLoad": {"test_every_format_loads_back"},
    "TestCrashingFormat": {"test_every_format_loads_back", "test_every_format_saves_some_case"},
    "TestAcceptsUnrebuildable": {"test_unrebuildable_model_refused"},
    "TestRefusesUnrebuildable": set(),
}

#: Checks skipped for every in-process fake, and what each capability skips.
IN_PROCESS_SKIPS = {"test_entry_point_registered"}
SAFE_FORMAT_SKIPS = {"test_untrusted_load_refused"}
NO_FORMATS_SKIPS = {
    "test_every_format_loads_back",
    "test_every_format_saves_some_case",
    "test_unrebuildable_model_refused",
}
NO_PYFUNC_SKIPS = {
    "test_pyfunc_matches_native",
    "test_predictor_context",
    "test_signature_inferred",
    "test_signature_enforced",
    "test_mlflow_loader_contract",
}


def _write_distribution(site: Path, name: str, entry_points: dict[str, str]) -> None:
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = "".join(f"{k} = {v}\n" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(f"[flavorkit.flavors]\n{lines}")
    (info / "RECORD").write_text("")


def _outcomes(result: pytest.RunResult) -> dict[str, dict[str, str]]:
    by_class: dict[str, dict[str, str]] = defaultdict(dict)
    passed, skipped, failed = result.reprec.listoutcomes()  # type: ignore[attr-defined]
    for outcome, reports in (("passed", passed), ("skipped", skipped), ("failed", failed)):
        for report in reports:
            _, cls, test = report.nodeid.split("::")
            by_class[cls][test.partition("[")[0]] = outcome
    return by_class


def test_each_broken_fake_fails_its_check(pytester: pytest.Pytester) -> None:
    site = pytester.mkdir("site")
    (site / "epfakes").mkdir()
    (site / "epfakes" / "__init__.py").write_text(textwrap.dedent(EP_FAKES))
    (site / "epheavy").mkdir()
    (site / "epheavy" / "__init__.py").write_text(textwrap.dedent(EP_HEAVY))
    (site / "heavyframework.py").write_text('"""Stands in for a slow-to-import framework."""\n')
    _write_distribution(
        site, "epfakes-good", {"ep_good": "epfakes:GoodEP", "wrongname": "epfakes:WrongNameEP"}
    )
    _write_distribution(site, "epheavy", {"ep_heavy": "epheavy:HeavyEP"})
    pytester.syspathinsert(site)
    pytester.makepyfile(fakes=FAKES)
    pytester.makepyfile(test_fakes=TESTS)
    pytester.syspathinsert()

    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rs", "-q")
    outcomes = _outcomes(result)

    assert set(outcomes) == set(EXPECTED_FAILURES)
    for cls, expected in EXPECTED_FAILURES.items():
        failed = {t for t, o in outcomes[cls].items() if o == "failed"}
        if expected is not None:
            assert failed == expected, f"{cls}: failed {sorted(failed)}"
    for cls in ("TestGood", "TestBadPredictor", "TestNoPyfunc"):
        skipped = {t for t, o in outcomes[cls].items() if o == "skipped"}
        extra = NO_PYFUNC_SKIPS if cls == "TestNoPyfunc" else set()
        assert skipped == IN_PROCESS_SKIPS | SAFE_FORMAT_SKIPS | NO_FORMATS_SKIPS | extra, cls
    assert outcomes["TestGoodEP"]["test_entry_point_registered"] == "passed"
    assert outcomes["TestGoodEP"]["test_plugin_import_is_light"] == "passed"
    assert outcomes["TestSilentNoPyfunc"]["test_flavor_sections"] == "failed"
    assert outcomes["TestWrongNameEP"]["test_entry_point_registered"] == "failed"

    result.stdout.fnmatch_lines_random(
        [
            # TestBadPredictor: the array diff
            "*predictions on input 0: pyfunc and native differ (rtol=1e-07, atol=0)",
            "*3 of 3 elements differ (100%); shape (3,), dtype pyfunc float64 vs native float64",
            "*max abs error: 7.5 at index (2,)",
            "*first mismatch at index (0,): pyfunc 4.0, native 2.0",
            # TestBadLoad
            "*native predictions on input 0: reloaded and in-memory differ*",
            # TestContextDependent
            "*predictor context: predictions on input 0: with its directory and in memory differ*",
            # TestWritesOutside / TestForgetsFile
            "*the save wrote [[]'stray.json'] beside the model directory*",
            "*MLmodel key 'python_function.model_path' names 'weights.bin', which the save did "
            "not write (the model directory holds [[]'MLmodel', *",
            # TestUnpinnedDefaults / TestChangingDefaults
            "*'numpy>=1.0' is not pinned with '=='",
            "*'numpy==*' is missing (default requirements of the plugin: [[]'numpy==*'])",
            # TestPickleWithoutTrust / TestUnsafeWithoutCase
            "*load_native(path, trust=False) loaded a case marked trust=True*require_trust*",
            "*the flavor declares 'unsafe_formats' but no case sets trust=True*",
            # TestLenientOptions
            "*save_model accepted the unknown option flavorkit_conformance_unknown_option=True*",
            # TestNoPyfunc / TestSilentNoPyfunc
            "SKIPPED*no_pyfunc: the flavor writes no python_function section",
            "*MLmodel has no python_function section*declare the capability 'no_pyfunc'*",
            # TestOwnMLflowLoader
            "*predictions on input 0: fakes._load_pyfunc and pyfunc differ*",
            # TestWrongNameEP
            "*no entry point named 'ep_wrong' in group 'flavorkit.flavors'; found: *"
            "wrongname = epfakes:WrongNameEP*",
            # TestHeavyEP: what was imported, and from where
            "*discovering flavor 'ep_heavy' imported [[]'heavyframework']*",
            "*epheavy*__init__.py:3 (<module>): import heavyframework  # the mistake",
            # TestSavesWhatItCannotLoad / TestCrashingFormat / TestAcceptsUnrebuildable
            "*case 'c' saved in format 'compact' *without error, but cannot be loaded back*",
            "*case 'c' in format 'fast': the save crashed instead of refusing with a clear error*",
            "*format 'fast' (options {'serialization_format': 'fast'}) refused every case*",
            "*case 'saved-anyway' (options {}) was saved, but the plugin declares that its format "
            "cannot rebuild it*",
        ]
    )


def test_configuration_mistakes_fail_collection(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="""
        from flavorkit.testing import Case, FlavorConformanceTests

        class TestTypo(FlavorConformanceTests):
            flavor = "toy"
            capabilities = {"no_pyfnuc"}

            def cases(self):
                yield Case("c", object(), [1.0])
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*TestTypo.capabilities has unknown names [[]'no_pyfnuc']; known: *"]
    )
