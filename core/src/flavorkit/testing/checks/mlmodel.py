"""The MLmodel file and the files it names: valid, round-tripping, inside the directory.

The checks of :class:`~flavorkit.testing.FlavorConformanceTests` are grouped by what they check,
one mixin per module; the suite class inherits them all.
"""

from __future__ import annotations

import sys

import pytest

from flavorkit.testing.case import (
    NO_PYFUNC,
    Case,
)
from flavorkit.testing.checks.base import ChecksBase
from flavorkit.testing.compare import assert_mlmodel_equal
from flavorkit.testing.state import (
    SuiteState,
    fail,
    path_values,
)

__all__ = ["MLmodelChecks"]


class MLmodelChecks(ChecksBase):
    """The MLmodel file and the files it names: valid, round-tripping, inside the directory."""

    def test_mlmodel_valid(self, case: Case, flavorkit_state: SuiteState) -> None:
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

    def test_mlmodel_round_trip(self, case: Case, flavorkit_state: SuiteState) -> None:
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

    def test_flavor_sections(self, case: Case, flavorkit_state: SuiteState) -> None:
        from flavorkit.mlmodel import PyFuncFlavor

        saved = flavorkit_state.saved(case)
        conf = saved.mlmodel.flavors.get(self.flavor)
        assert isinstance(conf, dict), f"flavors.{self.flavor} must be a mapping, got {conf!r}"
        if NO_PYFUNC in flavorkit_state.capabilities:
            return
        pyfunc = saved.pyfunc_conf
        if pyfunc is None:
            fail(
                "MLmodel has no python_function section: the flavor's save returned "
                "SavedFlavor(pyfunc=None). Return the pyfunc keys (loader_module...), or declare "
                f"the capability {NO_PYFUNC!r} if models of this flavor cannot predict."
            )
        try:
            parsed = PyFuncFlavor.from_dict(pyfunc)
        except Exception as e:
            fail(f"python_function section is invalid: {e}")
        assert parsed.loader_module, "python_function.loader_module is empty"
        assert parsed.python_version == ".".join(map(str, sys.version_info[:3])), (
            f"python_function.python_version is {parsed.python_version!r}"
        )
        assert set(parsed.env) >= {"conda", "virtualenv"}, (
            f"python_function.env must name conda and virtualenv files: {parsed.env}"
        )

    def test_saved_files_inside_model(self, case: Case, flavorkit_state: SuiteState) -> None:
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
            for key, rel in path_values(section, conf, self.path_keys):
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
            fail("\n".join(problems))

    def test_model_type_detected(self, case: Case, flavorkit_state: SuiteState) -> None:
        info = flavorkit_state.info
        if not info.model_types:
            pytest.skip("FlavorInfo.model_types is empty: save_model needs flavor= for it")
        model = flavorkit_state.model(case)
        try:
            detected = flavorkit_state.registry.detect(model)
        except Exception as e:
            fail(f"detecting the flavor of a {type(model).__qualname__} failed: {e}")
        assert detected.name == self.flavor, (
            f"save_model would pick flavor {detected.name!r} for a "
            f"{type(model).__module__}.{type(model).__qualname__}, not {self.flavor!r}; "
            f"{self.flavor!r} declares model_types {list(info.model_types)}"
        )
