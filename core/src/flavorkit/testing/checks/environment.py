"""Environment and example files: requirements pinned, files valid, examples predicting.

The checks of :class:`~flavorkit.testing.FlavorConformanceTests` are grouped by what they check,
one mixin per module; the suite class inherits them all.
"""

from __future__ import annotations

import json
import sys

import pytest

from flavorkit.testing.case import (
    NO_PYFUNC,
    Case,
)
from flavorkit.testing.checks.base import ChecksBase
from flavorkit.testing.compare import assert_predictions_equal
from flavorkit.testing.state import (
    SuiteState,
    canonical,
    fail,
    pinned_version,
)

__all__ = ["EnvironmentChecks"]


class EnvironmentChecks(ChecksBase):
    """Environment and example files: requirements pinned, files valid, examples predicting."""

    def test_requirements_pinned(self, case: Case, flavorkit_state: SuiteState) -> None:
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
            written[canonical(req.name)] = line
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
            have = written.get(canonical(req.name))
            if have is None:
                problems.append(
                    f"{line!r} is missing (default requirements of the plugin: {defaults})"
                )
            elif (
                req.specifier
                and pinned_version(have)
                and not req.specifier.contains(pinned_version(have))
            ):
                problems.append(f"{have!r} does not satisfy the default {line!r}")
        if problems:
            fail(f"requirements.txt {lines}:\n" + "\n".join(f"  {p}" for p in problems))

    def test_environment_files_valid(self, case: Case, flavorkit_state: SuiteState) -> None:
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

    def test_example_files_valid(self, case: Case, flavorkit_state: SuiteState) -> None:
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
                    fail(f"{info[key]} (saved_input_example_info.{key}) is not JSON: {e}")
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
