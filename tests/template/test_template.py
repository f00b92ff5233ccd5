"""cookiecutter-flavor bakes a complete plugin: exactly the expected files, every name substituted,
bad names refused before anything is written, and, the real proof, the generated project's own
tests green in a fresh virtualenv holding only the local core and the generated plugin.

The last test needs PyPI (or a pip cache) for the build backend and the core's dependencies.
"""

from __future__ import annotations

import ast
import datetime
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "cookiecutter-flavor"
CORE = ROOT / "core"

#: Answers that exercise normalisation, quoting and the non-default license.
CUSTOM = {
    "flavor_name": "My-Framework",
    "framework_import_name": "lightgbm",
    "framework_pypi_name": "lightgbm",
    "author_name": 'Ada "the" Dev',
    "author_email": "ada@example.org",
    "description": 'Boosters, "fast" & saved as C:\\models\\x.txt',
    "license": "MIT",
}

# Template syntax that must not survive baking, once GitHub Actions' own `${{ ... }}` is removed.
LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|cookiecutter\.")
GITHUB_EXPRESSION = re.compile(r"\$\{\{[^{}]*\}\}")


def bake(where: Path, **answers: str) -> Path:
    """Bake the template non-interactively into ``where/out``; cookiecutter's replay files and
    clones go to ``where/.cookiecutter``, not the home directory."""
    state = where / ".cookiecutter"
    state.mkdir(parents=True, exist_ok=True)
    config = state / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {"cookiecutters_dir": str(state / "templates"), "replay_dir": str(state / "replay")}
        )
    )
    out = where / "out"
    out.mkdir(exist_ok=True)
    project = cookiecutter(
        str(TEMPLATE),
        no_input=True,
        extra_context=answers,
        output_dir=str(out),
        config_file=str(config),
    )
    return Path(project)


def files_of(project: Path) -> set[str]:
    return {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}


def expected_files(package: str) -> set[str]:
    return {
        ".github/workflows/tests.yml",
        ".gitignore",
        "LICENSE",
        "README.md",
        "noxfile.py",
        "pyproject.toml",
        f"src/{package}/__init__.py",
        f"src/{package}/example_model.py",
        f"src/{package}/flavor.py",
        f"src/{package}/py.typed",
        "tests/test_conformance.py",
        "tests/test_entry_point.py",
        "tests/test_flavor.py",
    }


def read(project: Path, relative: str) -> str:
    return (project / relative).read_text(encoding="utf-8")


def load_toml(text: str) -> dict[str, Any]:
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from 3.11")
    data: dict[str, Any] = tomllib.loads(text)
    return data


@pytest.fixture(scope="module")
def default_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bake(tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="module")
def custom_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bake(tmp_path_factory.mktemp("custom"), **CUSTOM)


@pytest.fixture(params=["default", "custom"])
def project(request: pytest.FixtureRequest) -> Path:
    fixture: Path = request.getfixturevalue(f"{request.param}_project")
    return fixture


# -- the generated files ------------------------------------------------------------------------


def test_default_answers_bake_exactly_the_expected_files(default_project: Path) -> None:
    assert default_project.name == "flavorkit-myflavor"
    assert files_of(default_project) == expected_files("flavorkit_myflavor")


def test_names_are_normalised_into_slug_package_and_class(custom_project: Path) -> None:
    assert custom_project.name == "flavorkit-my-framework"
    assert files_of(custom_project) == expected_files("flavorkit_my_framework")
    pyproject = load_toml(read(custom_project, "pyproject.toml"))
    assert pyproject["project"]["entry-points"]["flavorkit.flavors"] == {
        "my_framework": "flavorkit_my_framework:MyFrameworkFlavor"
    }


def test_no_template_syntax_is_left(project: Path) -> None:
    for relative in sorted(files_of(project)):
        assert not LEFTOVER.search(relative), relative
        text = GITHUB_EXPRESSION.sub("", read(project, relative))
        found = [m.group() for m in LEFTOVER.finditer(text)]
        assert found == [], f"{relative}: unrendered template syntax {found}"


def test_raw_flavor_answer_never_appears_unnormalised(custom_project: Path) -> None:
    for relative in sorted(files_of(custom_project)):
        assert "My-Framework" not in read(custom_project, relative), relative


def test_pyproject_metadata(custom_project: Path, default_project: Path) -> None:
    meta = load_toml(read(custom_project, "pyproject.toml"))
    project = meta["project"]
    assert meta["build-system"]["requires"] == ["setuptools>=77"]
    assert project["name"] == "flavorkit-my-framework"
    assert project["description"] == CUSTOM["description"]  # quotes and backslashes survive
    assert project["authors"] == [{"name": 'Ada "the" Dev', "email": "ada@example.org"}]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert project["dependencies"] == ["flavorkit>=0.1", "lightgbm"]
    # The test requirements exist as an extra and as a PEP 735 group, identical.
    assert project["optional-dependencies"]["test"] == meta["dependency-groups"]["test"]
    assert "flavorkit[testing]>=0.1" in meta["dependency-groups"]["test"]
    assert meta["tool"]["setuptools"]["package-data"] == {"flavorkit_my_framework": ["py.typed"]}

    default = load_toml(read(default_project, "pyproject.toml"))["project"]
    assert default["license"] == "Apache-2.0"
    assert default["authors"] == [{"name": "Your Name"}]  # no e-mail answered, none written
    assert default["dependencies"] == ["flavorkit>=0.1", "numpy"]


def test_modules_name_the_flavor_package_and_framework(custom_project: Path) -> None:
    package = custom_project / "src" / "flavorkit_my_framework"
    flavor = (package / "flavor.py").read_text(encoding="utf-8")
    assert 'FLAVOR_NAME = "my_framework"' in flavor
    assert "class MyFrameworkFlavor(Flavor):" in flavor
    assert 'model_types = ("flavorkit_my_framework.example_model.NearestCentroid",)' in flavor
    assert 'package = "flavorkit-my-framework"' in flavor
    assert 'pinned_requirement("lightgbm")' in flavor
    init = (package / "__init__.py").read_text(encoding="utf-8")
    assert "from flavorkit_my_framework.flavor import MyFrameworkFlavor" in init
    conformance = read(custom_project, "tests/test_conformance.py")
    assert "class TestMyFrameworkFlavor(FlavorConformanceTests):" in conformance
    assert 'flavor = "my_framework"' in conformance
    assert 'framework_modules = ("lightgbm",)' in conformance
    entry_point = read(custom_project, "tests/test_entry_point.py")
    assert 'row["name"] == "my_framework"' in entry_point
    assert '== "flavorkit-my-framework"' in entry_point


def test_python_files_parse_and_plugin_modules_import_no_framework(project: Path) -> None:
    """Every module parses; the package imports only the standard library and flavorkit at
    module level (the framework, numpy for the example, only inside functions)."""
    stdlib = set(sys.stdlib_module_names)
    for relative in sorted(r for r in files_of(project) if r.endswith(".py")):
        tree = ast.parse(read(project, relative), filename=relative)
        if not relative.startswith("src/"):
            continue
        package = relative.split("/")[1]
        for node in tree.body:  # module level only
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                assert top in stdlib or top in ("flavorkit", package), f"{relative}: import {name}"


def test_ci_workflow_runs_the_tests_on_several_pythons(default_project: Path) -> None:
    text = read(default_project, ".github/workflows/tests.yml")
    assert "${{ matrix.python-version }}" in text  # GitHub's syntax, passed through Jinja raw
    workflow = yaml.safe_load(text)
    job = workflow["jobs"]["tests"]
    assert len(job["strategy"]["matrix"]["python-version"]) >= 3
    assert any("nox" in step.get("run", "") for step in job["steps"])


def test_license_file_matches_the_answer(default_project: Path, custom_project: Path) -> None:
    apache = read(default_project, "LICENSE")
    assert apache.startswith("\n                                 Apache License\n")
    assert "END OF TERMS AND CONDITIONS" in apache
    mit = read(custom_project, "LICENSE")
    year = datetime.datetime.now(datetime.timezone.utc).year
    assert mit.startswith(f'MIT License\n\nCopyright (c) {year} Ada "the" Dev\n\nPermission')
    assert mit.endswith("OTHER DEALINGS IN THE\nSOFTWARE.\n")


# -- the pre-generation hook --------------------------------------------------------------------

REJECTED = [
    ({"flavor_name": "9lives"}, "not a valid Python identifier"),
    ({"flavor_name": "c++"}, "not a valid Python identifier"),
    ({"flavor_name": "naïve"}, "not a valid Python identifier"),
    ({"flavor_name": ""}, "not a valid Python identifier"),
    ({"flavor_name": 'a"b\\c'}, "not a valid Python identifier"),
    ({"flavor_name": "sklearn"}, "taken by a built-in flavor (flavorkit-sklearn)"),
    ({"flavor_name": "PyTorch"}, "taken by a built-in flavor (flavorkit-pytorch)"),
    ({"flavor_name": "onnx"}, "taken by a built-in flavor (flavorkit-onnx)"),
    ({"flavor_name": "python-model"}, "taken by a built-in flavor (flavorkit-pythonmodel)"),
    ({"flavor_name": "python_function"}, "taken by a built-in flavor (MLflow's generic"),
    ({"framework_import_name": "my-lib"}, "is not an importable module name"),
    ({"framework_pypi_name": "-bad"}, "'-bad' is not a valid distribution name"),
    ({"project_slug": "flavorkit myflavor"}, "project_slug 'flavorkit myflavor' is not a valid"),
]


@pytest.mark.parametrize(
    ("answers", "message"),
    REJECTED,
    ids=[f"{k}={v!r}" for (a, _) in REJECTED for k, v in a.items()],
)
def test_hook_rejects_bad_answers_and_generates_nothing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], answers: dict[str, str], message: str
) -> None:
    with pytest.raises(FailedHookException):
        bake(tmp_path, **answers)
    err = capfd.readouterr().err
    assert f"ERROR: {next(iter(answers))} " in err
    assert message in err
    assert "nothing was generated" in err
    assert list((tmp_path / "out").iterdir()) == []


def test_hook_accepts_a_dotted_framework_module(tmp_path: Path) -> None:
    project = bake(tmp_path, flavor_name="keras3", framework_import_name="keras.src")
    assert 'framework_modules = ("keras",)' in read(project, "tests/test_conformance.py")


# -- the generated project works ----------------------------------------------------------------


def ruff() -> str:
    pytest.importorskip("ruff", reason="ruff is not installed (the nox template session has it)")
    from ruff.__main__ import find_ruff_bin

    return str(find_ruff_bin())


def test_generated_project_is_ruff_clean_with_default_settings(project: Path) -> None:
    # --isolated: ruff's defaults, whatever configuration lies above the directory.
    check = subprocess.run(
        [ruff(), "check", "--isolated", "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_generated_project_is_ruff_formatted(default_project: Path) -> None:
    fmt = subprocess.run(
        [ruff(), "format", "--isolated", "--no-cache", "--check", "--diff", "."],
        cwd=default_project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what would leak our interpreter into another one."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTHONSAFEPATH"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return {**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}


def run(command: list[str], what: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    output = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"{what} failed (exit {result.returncode}):\n{output}"
    return result


def test_generated_project_passes_its_own_tests_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    """Bake, install the local core and the plugin (non-editable) into a new venv, and run the
    generated tests from inside the generated directory, as its author will."""
    project = bake(tmp_path / "bake")
    # A private copy of the core: building writes build/ and *.egg-info beside the sources.
    core = tmp_path / "core"
    shutil.copytree(
        CORE, core, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests")
    )
    venv = tmp_path / "venv"
    # No pip inside the venv: this interpreter's pip installs into it (--python, pip >= 22.3),
    # which saves bootstrapping one. --no-compile: byte-compiling all of numpy and pandas costs
    # more than running the tests.
    run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        "python -m venv",
        env=clean_env(),
        timeout=120,
    )
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    pip = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "--quiet",
        "--no-compile",
    ]
    run(
        [*pip, str(core), f"{project}[test]"],
        "pip install ./core and the generated plugin",
        env=clean_env(),
        timeout=900,
    )
    report = tmp_path / "junit.xml"
    run(
        [str(python), "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={report}"],
        "the generated project's tests",
        cwd=project,
        env=clean_env(FLAVORKIT_STRICT_PLUGINS="1"),
        timeout=600,
    )
    outcomes: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[case.get("name", "")] = kinds[0] if kinds else "passed"
    for must_pass in (
        "test_flavors_command_lists_the_plugin",
        "test_damaged_model_file_is_named",
        "test_entry_point_registered",
        "test_plugin_import_is_light",
        "test_pyfunc_matches_native[centroid-frame]",
        "test_signature_enforced[centroid-array]",
        "test_mlflow_loader_contract[centroid-frame]",
        "test_mlflow_loader_contract[centroid-array]",
        "test_every_format_loads_back[centroid-frame-default]",
        "test_every_format_saves_some_case[default]",
    ):
        assert outcomes.get(must_pass) == "passed", (must_pass, outcomes)
    # The example saves a safe format only, so the untrusted-load check skips; and its one format
    # records the model itself, so it declares no model that format cannot rebuild.
    not_passed = {n: o for n, o in outcomes.items() if o != "passed"}
    expected_skips = ("test_untrusted_load_refused[", "test_unrebuildable_model_refused[none-")
    assert all(n.startswith(expected_skips) for n in not_passed), not_passed
    assert len(outcomes) >= 30, outcomes
