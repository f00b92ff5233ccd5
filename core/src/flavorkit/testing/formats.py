"""Conformance checks of formats: what a save writes, a load can read -- in every format.

A flavor's non-default formats often record *how to rebuild* a model rather than the model (a
class and its constructor arguments, a function's name), and then a save can succeed where no
load ever will: the user finds out at deployment, after the process that held the model is
gone. These checks save every case in every format the plugin declares; each save must either
refuse with a clear error (``ValueError``, ``TypeError`` or a ``FlavorkitError``) and leave
nothing behind, or write a model that loads back and predicts as the in-memory one. And the
plugin's :meth:`~FormatConformanceTests.unrebuildable_cases` -- models that a format cannot
rebuild -- must be refused at save.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from flavorkit.testing.case import Case
from flavorkit.testing.compare import assert_predictions_equal

__all__ = ["FormatConformanceTests", "SaveFormat"]

#: What a save that refuses a model may raise: an error that says why, not a crash.
_CLEAR_ERRORS = ("ValueError", "TypeError", "FlavorkitError")


@dataclass(frozen=True)
class SaveFormat:
    """One way a flavor can save a model: the save options that select it.

    ``options`` override the case's own save options (``{"serialization_format": "pickle"}``);
    ``trust=True`` marks a format whose load runs code; ``load_options`` are passed to the load
    (``{"model_class": Net}``).
    """

    id: str
    options: Mapping[str, Any] = field(default_factory=dict)
    trust: bool = False
    load_options: Mapping[str, Any] = field(default_factory=dict)


def _is_clear_refusal(error: BaseException) -> bool:
    from flavorkit.errors import FlavorkitError

    return isinstance(error, (ValueError, TypeError, FlavorkitError))


def _where(error: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(error), error)).strip()


def _save_or_refuse(state: Any, case: Case, path: Path, what: str, **options: Any) -> bool:
    """Save ``case`` into ``path``: True if saved, False if refused cleanly with nothing left.

    A refusal that is not a clear error, or that leaves files behind, fails the check.
    """
    try:
        state.save(case, path, **options)
    except Exception as e:
        if not _is_clear_refusal(e):
            pytest.fail(
                f"{what}: the save crashed instead of refusing with a clear error "
                f"({', '.join(_CLEAR_ERRORS)}): {_where(e)}"
            )
        left = sorted(p.name for p in path.parent.iterdir())
        if left:
            pytest.fail(f"{what}: the refused save ({_where(e)}) left {left} in {path.parent}")
        return False
    return True


def _parametrize(metafunc: pytest.Metafunc, name: str, values: list[Any], why_none: str) -> None:
    """Parametrize ``name`` over ``values`` by their ids, or one skipped test saying why none."""
    if values:
        metafunc.parametrize(name, values, ids=[v.id for v in values])
    else:
        skipped = pytest.param(None, marks=pytest.mark.skip(reason=why_none))
        metafunc.parametrize(name, [skipped], ids=["none-declared"])


class FormatConformanceTests:
    """Mixed into :class:`~flavorkit.testing.FlavorConformanceTests`; uses its fixtures.

    A plugin with several formats overrides :meth:`formats` (and, where a format can fail to
    rebuild a model, :meth:`unrebuildable_cases`); without them, these checks skip saying so.
    """

    # -- what a plugin author writes -------------------------------------------------------------

    def formats(self) -> Iterable[SaveFormat]:
        """Every format the flavor accepts at save.

        Default: none declared, and the format checks skip (the cases already check the formats
        their options choose). A flavor with more than one format lists them all.
        """
        return ()

    def unrebuildable_cases(self) -> Iterable[Case]:
        """Cases whose save must be refused: a model the format in ``options`` cannot rebuild.

        Default: none (a flavor whose formats record the model itself, not how to rebuild it).
        """
        return ()

    # -- pytest plumbing -------------------------------------------------------------------------

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "save_format" in metafunc.fixturenames:
            _parametrize(
                metafunc,
                "save_format",
                list(self.formats()),
                "no formats(): the cases check the formats their options choose (override "
                "formats() to save every case in every format the flavor accepts)",
            )
        if "unrebuildable" in metafunc.fixturenames:
            _parametrize(
                metafunc,
                "unrebuildable",
                list(self.unrebuildable_cases()),
                "no unrebuildable_cases(): every format of this flavor records the model itself "
                "(override unrebuildable_cases() to add models a format cannot rebuild)",
            )

    # -- the checks ------------------------------------------------------------------------------

    def test_every_format_loads_back(
        self, save_format: SaveFormat, case: Case, flavorkit_state: Any
    ) -> None:
        """Saved in ``save_format``, the case loads back and predicts as the in-memory model."""
        from flavorkit.api import load_model, load_native
        from flavorkit.mlmodel import PYFUNC_FLAVOR, Model

        path = flavorkit_state.tmp(f"{save_format.id}-{case.id}") / "model"
        what = f"case {case.id!r} in format {save_format.id!r}"
        if not _save_or_refuse(flavorkit_state, case, path, what, **save_format.options):
            return  # refused at save, before anything looked complete: the property holds
        saved = flavorkit_state.saved(case)
        trust = save_format.trust or case.trust
        pyfunc = PYFUNC_FLAVOR in Model.load(path).flavors
        load = load_model if pyfunc else load_native
        try:
            loaded = load(path, trust=trust, **save_format.load_options)
        except Exception as e:
            pytest.fail(
                f"case {case.id!r} saved in format {save_format.id!r} "
                f"(options {dict(save_format.options)}) without error, but cannot be loaded "
                f"back: {_where(e)}. A save must refuse what no load can rebuild."
            )
        for i, (data, params) in enumerate(case.all_inputs()):
            actual = (
                flavorkit_state.predict(loaded, data, params, case)
                if pyfunc
                else flavorkit_state.native(loaded, data, params, saved)
            )
            assert_predictions_equal(
                actual,
                flavorkit_state.native(saved.model, data, params, saved),
                rtol=case.rtol,
                atol=case.atol,
                names=(f"saved as {save_format.id}", "in-memory"),
                label=f"predictions on input {i}",
            )

    def test_every_format_saves_some_case(
        self, save_format: SaveFormat, flavorkit_state: Any
    ) -> None:
        """A declared format that refuses every case is a format the checks never exercised."""
        for case in flavorkit_state.cases:
            path = flavorkit_state.tmp(f"any-{save_format.id}-{case.id}") / "model"
            try:
                flavorkit_state.save(case, path, **save_format.options)
                return
            except Exception:  # noqa: S112 - the next case may fit the format
                continue
        pytest.fail(
            f"format {save_format.id!r} (options {dict(save_format.options)}) refused every "
            "case: add a case this format can save."
        )

    def test_unrebuildable_model_refused(self, unrebuildable: Case, flavorkit_state: Any) -> None:
        """A model its format cannot rebuild is refused at save, and nothing is left behind."""
        path = flavorkit_state.tmp(f"unrebuildable-{unrebuildable.id}") / "model"
        if not _save_or_refuse(flavorkit_state, unrebuildable, path, f"case {unrebuildable.id!r}"):
            return
        pytest.fail(
            f"case {unrebuildable.id!r} (options {dict(unrebuildable.options)}) was saved, but "
            "the plugin declares that its format cannot rebuild it: the save must refuse it "
            "before anything is written."
        )
