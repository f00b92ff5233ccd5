"""Safe loading: untrusted formats refused, MLflow's loader contract in a subprocess.

The checks of :class:`~flavorkit.testing.FlavorConformanceTests` are grouped by what they check,
one mixin per module; the suite class inherits them all.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from flavorkit.testing.case import (
    NO_PYFUNC,
    UNSAFE_FORMATS,
    Case,
)
from flavorkit.testing.checks.base import ChecksBase
from flavorkit.testing.compare import assert_predictions_equal
from flavorkit.testing.state import (
    SuiteState,
    fail,
    mlflow_module_usable,
    skip,
)

__all__ = ["SafetyChecks"]


class SafetyChecks(ChecksBase):
    """Safe loading: untrusted formats refused, MLflow's loader contract in a subprocess."""

    def test_untrusted_load_refused(self, case: Case, flavorkit_state: SuiteState) -> None:
        from flavorkit.api import load_model, load_native
        from flavorkit.errors import UntrustedModelError

        if not case.trust:
            if UNSAFE_FORMATS in flavorkit_state.capabilities and not any(
                c.trust for c in flavorkit_state.cases
            ):
                fail(
                    f"the flavor declares {UNSAFE_FORMATS!r} but no case sets trust=True: add a "
                    "case saved in each format that runs code on load"
                )
            skip(UNSAFE_FORMATS, f"case {case.id!r} is saved in a safe format (trust=False)")
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
                fail(f"{name}(trust=False) raised {type(e).__name__}: {e}, not UntrustedModelError")
            fail(
                f"{name}(path, trust=False) loaded a case marked trust=True: a format that runs "
                "code on load must call flavorkit.safety.require_trust(trust, file, why) first"
            )

    def test_mlflow_loader_contract(self, case: Case, flavorkit_state: SuiteState) -> None:
        flavorkit_state.skip_if(NO_PYFUNC, "MLflow loads models through python_function")
        saved = flavorkit_state.saved(case)
        conf = saved.pyfunc_conf
        if conf is None:
            fail("MLmodel has no python_function section for MLflow to load")
        loader = str(conf.get("loader_module", ""))
        if not mlflow_module_usable(loader):
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
            fail(
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
