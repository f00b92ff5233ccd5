"""Predictions: round trips, the predictor context, the signature inferred and enforced.

The checks of :class:`~flavorkit.testing.FlavorConformanceTests` are grouped by what they check,
one mixin per module; the suite class inherits them all.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from flavorkit.testing.case import (
    NO_PYFUNC,
    Case,
)
from flavorkit.testing.checks.base import ChecksBase
from flavorkit.testing.compare import assert_predictions_equal
from flavorkit.testing.state import (
    SuiteState,
    copy_value,
    fail,
    short_tb,
)

__all__ = ["PredictionChecks"]


class PredictionChecks(ChecksBase):
    """Predictions: round trips, the predictor context, the signature inferred and enforced."""

    def test_native_round_trip(self, case: Case, flavorkit_state: SuiteState) -> None:
        from flavorkit.api import load_native

        saved = flavorkit_state.saved(case)
        try:
            loaded = load_native(saved.path, trust=case.trust, flavor=self.flavor)
        except Exception as e:
            fail(f"load_native({saved.path}) failed:\n{short_tb(e)}")
        for i, (data, params) in enumerate(case.all_inputs()):
            assert_predictions_equal(
                flavorkit_state.native(loaded, data, params, saved),
                flavorkit_state.native(saved.model, data, params, saved),
                rtol=case.rtol,
                atol=case.atol,
                names=("reloaded", "in-memory"),
                label=f"native predictions on input {i}",
            )

    def test_pyfunc_matches_native(self, case: Case, flavorkit_state: SuiteState) -> None:
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

    def test_predictor_context(self, case: Case, flavorkit_state: SuiteState) -> None:
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
            fail(f"load_native({saved.path}) failed:\n{short_tb(e)}")
        pyfunc_conf = {**(saved.pyfunc_conf or {}), "config": loaded.model_config}
        registry = get_registry()
        hook = registry.hook.flavorkit_pyfunc_predictor
        # a native_on_demand flavor gets no native object with its directory, as from load_model
        on_demand = registry.flavor(loaded.flavor).native_on_demand
        calls = {
            "with its directory": (
                None if on_demand else native,
                PredictorContext(path=saved.path, trust=case.trust),
            ),
            "in memory": (native, PredictorContext()),
        }
        outputs: dict[str, list[Any]] = {}
        for name, (model, context) in calls.items():
            try:
                predictor = hook(
                    flavor=loaded.flavor,
                    model=model,
                    conf=saved.flavor_conf(loaded.flavor),
                    pyfunc_conf=pyfunc_conf,
                    context=context,
                )
            except Exception as e:
                fail(f"the predictor hook failed {name}:\n{short_tb(e)}")
            if predictor is None:
                fail(f"the plugin gave no predictor for flavor {loaded.flavor!r} ({name})")
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

    def test_signature_inferred(self, case: Case, flavorkit_state: SuiteState) -> None:
        from flavorkit.signature import infer_param_schema, infer_schema

        flavorkit_state.skip_if(NO_PYFUNC, "signatures are inferred through the pyfunc predictor")
        if case.input_example is None:
            pytest.skip(f"case {case.id!r} has no input_example to infer a signature from")
        saved = flavorkit_state.saved(case)
        sig = saved.mlmodel.signature
        if sig is None or sig.inputs is None:
            why = "; ".join(saved.warnings) or "no warning was raised"
            fail(
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

    def test_signature_enforced(self, case: Case, flavorkit_state: SuiteState) -> None:
        from flavorkit.errors import SchemaEnforcementError
        from flavorkit.testing.badinputs import bad_inputs

        flavorkit_state.skip_if(NO_PYFUNC, "no pyfunc to enforce a signature")
        if case.input_example is None:
            pytest.skip(f"case {case.id!r} has no input_example, so no signature to enforce")
        saved = flavorkit_state.saved(case)
        sig = saved.mlmodel.signature
        if sig is None or sig.inputs is None:
            fail("MLmodel has no input signature, so nothing is enforced")
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
                    pyfunc.predict(b.data, copy_value(params))
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
            fail(f"signature {sig.inputs!r} is not enforced:\n" + "\n".join(problems))
