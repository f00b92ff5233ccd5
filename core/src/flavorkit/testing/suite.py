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

from collections.abc import Collection, Iterable, Iterator
from typing import Any, ClassVar

import pytest

from flavorkit.testing.case import Case
from flavorkit.testing.checks import (
    EnvironmentChecks,
    MLmodelChecks,
    PackagingChecks,
    PredictionChecks,
    SafetyChecks,
    SavingChecks,
)
from flavorkit.testing.formats import FormatConformanceTests
from flavorkit.testing.integrity import IntegrityConformanceTests
from flavorkit.testing.state import SavedModel, SuiteState, cases_of, takes_data

__all__ = ["FlavorConformanceTests", "SavedModel"]


# pytest collects inherited tests in reverse MRO order: listing the groups last-first keeps the
# checks in their order (formats, integrity, MLmodel, ..., packaging), which some checks rely on.
class FlavorConformanceTests(
    PackagingChecks,
    SavingChecks,
    SafetyChecks,
    EnvironmentChecks,
    PredictionChecks,
    MLmodelChecks,
    IntegrityConformanceTests,
    FormatConformanceTests,
):
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
    ``test_predictor_context[case]``
        The predictor built with the model directory and load options in its
        :class:`~flavorkit.contract.PredictorContext` (as ``load_model`` builds it) predicts as
        one built from the native object alone (``no_pyfunc`` skips). A ``native_on_demand``
        flavor gets ``model=None`` with its directory, as ``load_model`` calls it.
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
        if takes_data(getattr(model, method, None)):
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
            cases = cases_of(type(self))
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
    ) -> SuiteState:
        """The per-class cache the checks share."""
        return SuiteState(cls, tmp_path_factory)
