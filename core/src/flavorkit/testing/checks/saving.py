"""Saving: without an example, onto an existing path, a failed save leaving nothing.

The checks of :class:`~flavorkit.testing.FlavorConformanceTests` are grouped by what they check,
one mixin per module; the suite class inherits them all.
"""

from __future__ import annotations

import pytest

from flavorkit.testing.case import (
    NEEDS_INPUT_EXAMPLE,
    NO_PYFUNC,
)
from flavorkit.testing.checks.base import ChecksBase
from flavorkit.testing.compare import assert_predictions_equal
from flavorkit.testing.state import (
    UNKNOWN_OPTION,
    SuiteState,
    fail,
    short_tb,
)

__all__ = ["SavingChecks"]


class SavingChecks(ChecksBase):
    """Saving: without an example, onto an existing path, a failed save leaving nothing."""

    def test_save_without_input_example(self, flavorkit_state: SuiteState) -> None:
        from flavorkit.api import load_model

        flavorkit_state.skip_if(NEEDS_INPUT_EXAMPLE, "the flavor cannot save without an example")
        cases = flavorkit_state.cases
        case = next((c for c in cases if c.all_inputs()[0][1] is None), cases[0])
        path = flavorkit_state.tmp(f"{case.id}-no-example") / "model"
        try:
            meta = flavorkit_state.save(case, path, with_example=False)
        except Exception as e:
            fail(
                f"saving case {case.id!r} without an input example failed (declare "
                f"{NEEDS_INPUT_EXAMPLE!r} if the flavor needs one):\n{short_tb(e)}"
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
            fail(f"loading the model saved without an example failed:\n{short_tb(e)}")
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

    def test_save_refuses_existing_path(self, flavorkit_state: SuiteState) -> None:
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

    def test_failed_save_leaves_nothing(self, flavorkit_state: SuiteState) -> None:
        case = flavorkit_state.cases[0]
        parent = flavorkit_state.tmp("failed")
        target = parent / "model"
        try:
            flavorkit_state.save(case, target, **{UNKNOWN_OPTION: True})
        except Exception as e:
            error: Exception | None = e
        else:
            error = None
        left = sorted(p.name for p in parent.iterdir())
        if error is None:
            fail(
                f"save_model accepted the unknown option {UNKNOWN_OPTION}=True: a flavor must "
                "reject options it does not know (a typo would otherwise be ignored silently)"
                + (f"; it left {left}" if left != ["model"] else "")
            )
        assert not left, (
            f"the failed save ({type(error).__name__}: {error}) left {left} in {parent}; a "
            "failed save must leave no target and no temporary directory"
        )
