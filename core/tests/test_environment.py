"""Environment files: requirement inference, resolution, MLflow's exact file forms, readers.

Everything runs against real files in tmp_path and the distributions installed in the test
environment (numpy, scikit-learn, scipy, pytest, PyYAML); fake distributions are real
``*.dist-info`` directories written to tmp_path.
"""

from __future__ import annotations

import collections
import datetime
import decimal
import fractions
import functools
import importlib
import importlib.metadata
import json
import re
import subprocess
import sys
import time
import warnings
import weakref
import zipfile
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest
import yaml

from flavorkit.environment import (
    PythonEnv,
    Requirements,
    check_installed,
    infer_requirements,
    pinned_requirement,
    read_python_env,
    read_requirements,
    resolve_requirements,
    write_environment_files,
)
from flavorkit.environment import inference as env
from flavorkit.errors import EnvironmentSpecError

NUMPY = f"numpy=={version('numpy')}"
SKLEARN = f"scikit-learn=={version('scikit-learn')}"
PYYAML = f"PyYAML=={version('PyYAML')}"
PY = "{}.{}.{}".format(*sys.version_info[:3])

# Verbatim samples from mlflow-format.md §6.
SAMPLE_CONDA = """\
channels:
- conda-forge
dependencies:
- python=3.11.7
- pip<=23.2.1
- pip:
  - mlflow==3.18.0
  - cloudpickle==3.1.2
  - numpy==2.4.6
  - pandas==3.1.1
name: mlflow-env
"""
SAMPLE_PYTHON_ENV = """\
python: 3.11.7
build_dependencies:
- pip==23.2.1
- setuptools==84.2.1
- wheel
dependencies:
- -r requirements.txt
"""
SAMPLE_REQUIREMENTS = (
    "mlflow==3.18.0\nnumpy==2.4.6\npandas==3.1.1\nscikit-learn==1.9.1\nscipy==1.17.1\n"
    "skops==0.16.0\ntorch==2.13.0"
)


def _installed(name: str) -> str | None:
    try:
        return version(name)
    except Exception:
        return None


@pytest.fixture
def fresh_caches(monkeypatch):
    """Nothing learnt about installed distributions, and a failure if the stdlib's slow
    ``packages_distributions()`` scan is used: the exact route must not need it."""

    def forbidden():
        raise AssertionError("packages_distributions() was called")

    env.clear_caches()
    monkeypatch.setattr(importlib.metadata, "packages_distributions", forbidden)
    yield
    env.clear_caches()


@pytest.fixture(scope="module")
def logreg():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    return LogisticRegression().fit(x, (x[:, 0] > 0).astype(int))


class LocalTransformer:
    """A transformer defined in this test module: no distribution owns it."""

    def __init__(self, dumper: type | None = None):
        self.dumper = dumper

    def fit(self, x, y=None):
        self.mean_ = np.asarray(x).mean(axis=0)
        return self

    def transform(self, x):
        return np.asarray(x) - self.mean_


class Node:
    def __init__(self, child: object = None):
        self.child = child


class Slotted:
    __slots__ = ("__hidden", "value")

    def __init__(self, value: object, hidden: object):
        self.value = value
        self.__hidden = hidden


# ------------------------------------------------------------------------------------------
# pinned_requirement
# ------------------------------------------------------------------------------------------


def test_pinned_requirement_uses_installed_version():
    assert pinned_requirement("pytest") == f"pytest=={version('pytest')}"
    assert pinned_requirement("scikit-learn") == SKLEARN


def test_pinned_requirement_of_missing_distribution_names_it():
    with pytest.raises(EnvironmentSpecError, match="no-such-dist-flavorkit"):
        pinned_requirement("no-such-dist-flavorkit")


def test_local_version_label_is_stripped_with_one_warning_per_process():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert env._public_version("localpkg", "2.13.0+cpu") == "2.13.0"
        assert env._public_version("localpkg", "2.13.0+cpu") == "2.13.0"  # no second warning
    assert len(seen) == 1
    assert re.search(r"localpkg.*2\.13\.0\+cpu.*localpkg==2\.13\.0", str(seen[0].message))


def test_public_version_without_label_does_not_warn(recwarn):
    assert env._public_version("numpy", "2.4.6") == "2.4.6"
    assert not recwarn.list


# ------------------------------------------------------------------------------------------
# infer_requirements
# ------------------------------------------------------------------------------------------


def test_logistic_regression_yields_exactly_numpy_and_sklearn(logreg, fresh_caches):
    # scipy, pandas, pytest, hypothesis... are installed (and imported), but no type of theirs
    # is reachable from a fitted LogisticRegression, so none is listed.
    assert "scipy" in sys.modules
    assert infer_requirements(logreg) == [NUMPY, SKLEARN]  # without packages_distributions()


def test_scipy_is_listed_only_when_a_scipy_type_is_reachable(logreg):
    import copy

    sparse = copy.deepcopy(logreg).sparsify()  # coef_ becomes a scipy.sparse matrix
    assert infer_requirements(sparse) == [NUMPY, SKLEARN, f"scipy=={version('scipy')}"]


def test_warm_inference_is_fast(logreg):
    infer_requirements(logreg)
    start = time.perf_counter()
    for _ in range(10):
        infer_requirements(logreg)
    assert (time.perf_counter() - start) / 10 < 0.01


def test_pipeline_with_local_transformer_finds_only_owned_packages(fresh_caches):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    pipe = make_pipeline(LocalTransformer(), StandardScaler(), FunctionTransformer(np.log1p))
    pipe.fit(np.abs(np.random.default_rng(1).normal(size=(10, 2))))
    assert infer_requirements(pipe) == [NUMPY, SKLEARN]  # an unowned module: no full scan either


def test_pipeline_step_referencing_another_package_finds_it():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # The custom step holds a class from PyYAML: the walk goes Pipeline -> steps -> step -> attr.
    pipe = make_pipeline(LocalTransformer(dumper=yaml.SafeDumper), StandardScaler())
    assert infer_requirements(pipe) == [PYYAML, SKLEARN]  # unfitted: no arrays yet


def test_function_values_partials_and_slots_are_followed():
    assert infer_requirements({"f": yaml.safe_dump}) == [PYYAML]
    assert infer_requirements([functools.partial(print, yaml.SafeLoader)]) == [PYYAML]
    assert infer_requirements(Slotted(value=1, hidden=np.float32(1))) == [NUMPY]


def test_stdlib_only_object_yields_nothing():
    obj = {
        "od": collections.OrderedDict(a=1),
        "when": datetime.date(2024, 1, 1),
        "amount": [decimal.Decimal("1.5"), fractions.Fraction(1, 3)],
        "node": Node(child=(1, 2.0, "x", None)),
        "fn": len,
    }
    assert infer_requirements(obj) == []
    assert infer_requirements(42) == []


def test_cyclic_object_graph_terminates():
    a = Node()
    b = Node(child=[a, {"again": a}, {a}.__len__])
    a.child = (b, a, np.zeros(3))
    assert infer_requirements(a) == [NUMPY]


def test_walk_is_bounded_by_depth():
    deep: object = np.zeros(2)
    for _ in range(6):
        deep = Node(child=deep)
    assert infer_requirements(deep, max_depth=3) == []
    assert infer_requirements(deep, max_depth=6) == [NUMPY]


def test_walk_is_bounded_by_object_count():
    assert infer_requirements([Node(), Node(), np.zeros(1)], max_objects=2) == []
    assert infer_requirements([Node(), Node(), np.zeros(1)]) == [NUMPY]


class Hostile:
    __slots__ = ("unset",)

    def __getattr__(self, name: str) -> object:
        raise RuntimeError(f"no {name} here")


def test_hostile_objects_are_skipped():
    class Referent:
        pass

    referent = Referent()
    dead = weakref.proxy(referent)
    del referent
    assert infer_requirements([Hostile(), dead, np.zeros(1)]) == [NUMPY]


def test_module_from_a_zip_archive_owned_by_nothing_is_not_listed(tmp_path, monkeypatch):
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("fkt_zipped.py", "class Z:\n    pass\n")
    monkeypatch.syspath_prepend(str(archive))
    try:
        module = importlib.import_module("fkt_zipped")
        assert infer_requirements([module.Z(), np.zeros(1)]) == [NUMPY]
    finally:
        sys.modules.pop("fkt_zipped", None)


def test_numpy_array_contents_are_not_walked():
    arr = np.empty(2, dtype=object)
    arr[0] = yaml.SafeDumper  # inside an array: never looked at
    assert infer_requirements(arr) == [NUMPY]


def test_flavorkit_types_map_to_the_flavorkit_distribution():
    # flavorkit is installed editable in development (and from a wheel in nox sessions).
    reqs = Requirements(requirements=[])
    assert infer_requirements(reqs) == [f"flavorkit=={version('flavorkit')}"]


def _write_dist(site: Path, dir_name: str, name: str, ver: str, files: list[str], **extra: str):
    meta = site / dir_name
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\n\nbody")
    (meta / "RECORD").write_text("".join(f"{f},sha256=x,1\n" for f in files))
    for file_name, text in extra.items():
        (meta / file_name.replace("__", ".")).write_text(text)


@pytest.fixture
def fake_site(tmp_path, monkeypatch, fresh_caches):
    """A site directory with fake distributions whose names do not match their modules."""
    site = tmp_path / "site"
    (site / "fkt_widgets").mkdir(parents=True)
    (site / "fkt_widgets" / "__init__.py").write_text("class Widget:\n    pass\n")
    (site / "fktns" / "sub").mkdir(parents=True)  # fktns is a namespace package
    (site / "fktns" / "sub" / "__init__.py").write_text("class Thing:\n    pass\n")
    (site / "fktns" / "other").mkdir(parents=True)
    (site / "fktns" / "other" / "__init__.py").write_text("class Other:\n    pass\n")
    (site / "fkt_loose.py").write_text("class Loose:\n    pass\n")
    _write_dist(
        site,
        "Fancy_Widgets-2.0+local1.dist-info",
        "Fancy-Widgets",
        "2.0+local1",
        ["fkt_widgets/__init__.py"],
    )
    _write_dist(site, "fkt_sub-1.0.dist-info", "fkt-sub", "1.0", ["fktns/sub/__init__.py"])
    _write_dist(site, "fkt_other-3.0.dist-info", "fkt-other", "3.0", ["fktns/other/__init__.py"])
    monkeypatch.syspath_prepend(str(site))
    names = ["fkt_widgets", "fktns", "fktns.sub", "fktns.other", "fkt_loose"]
    yield {name: importlib.import_module(name) for name in names}
    for name in names:
        sys.modules.pop(name, None)


def test_fake_distributions_are_found_through_their_record(fake_site):
    obj = [fake_site["fkt_widgets"].Widget(), fake_site["fktns.sub"].Thing()]
    obj.append(fake_site["fkt_loose"].Loose())  # in the site dir, but no RECORD lists it
    with pytest.warns(UserWarning, match=r"Fancy-Widgets.*2\.0\+local1"):
        result = infer_requirements(obj)
    # the namespace package maps to the one distribution that installed fktns/sub, not fkt-other
    assert result == ["Fancy-Widgets==2.0", "fkt-sub==1.0"]


def test_editable_install_is_found_through_its_pth(tmp_path, monkeypatch, fresh_caches):
    project = tmp_path / "proj"
    (project / "src" / "fkt_editable").mkdir(parents=True)
    (project / "src" / "fkt_editable" / "__init__.py").write_text("class E:\n    pass\n")
    site = tmp_path / "site"
    _write_dist(
        site,
        "fkt_editable-0.3.dist-info",
        "fkt-editable",
        "0.3",
        ["__editable__.fkt_editable-0.3.pth"],
        direct_url__json=json.dumps({"dir_info": {"editable": True}, "url": project.as_uri()}),
        top_level__txt="fkt_editable\n",
    )
    (site / "__editable__.fkt_editable-0.3.pth").write_text(str(project / "src") + "\n")
    # A script beside the package is on the same path line, but the project does not declare it.
    (project / "src" / "fkt_script.py").write_text("class S:\n    pass\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(project / "src"))
    try:
        module = importlib.import_module("fkt_editable")
        assert infer_requirements(module.E()) == ["fkt-editable==0.3"]
        assert infer_requirements(importlib.import_module("fkt_script").S()) == []
    finally:
        sys.modules.pop("fkt_editable", None)
        sys.modules.pop("fkt_script", None)


def test_legacy_metadata_without_record_is_found_through_top_level(tmp_path, monkeypatch):
    # setup.py develop / Debian's dist-packages: an egg-info with no file list.
    site = tmp_path / "site"
    (site / "fkt_legacy").mkdir(parents=True)
    (site / "fkt_legacy" / "__init__.py").write_text("class L:\n    pass\n")
    (site / "fkt_legacy.egg-info").mkdir()
    (site / "fkt_legacy.egg-info" / "PKG-INFO").write_text("Name: fkt-legacy\nVersion: 0.9\n")
    (site / "fkt_legacy.egg-info" / "top_level.txt").write_text("fkt_legacy\n")
    monkeypatch.syspath_prepend(str(site))
    try:
        module = importlib.import_module("fkt_legacy")
        assert infer_requirements(module.L()) == ["fkt-legacy==0.9"]
    finally:
        sys.modules.pop("fkt_legacy", None)


def test_importing_the_module_imports_nothing_heavy():
    code = (
        "import sys, flavorkit.environment; "
        "print(sorted(m for m in ('numpy', 'pandas', 'packaging', 'yaml') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------------------------------
# resolve_requirements
# ------------------------------------------------------------------------------------------


def test_defaults_and_inferred_are_merged_and_sorted():
    reqs = resolve_requirements(
        ["scikit-learn", "cloudpickle==3.1.2", "PyYAML>=6"],
        inferred=["scikit-learn==1.9.1", "numpy==2.4.6", "pyyaml==6.0.3"],
    )
    assert reqs == Requirements(
        ["cloudpickle==3.1.2", "numpy==2.4.6", "pyyaml==6.0.3", "scikit-learn==1.9.1"], []
    )


def test_no_mlflow_pin_is_inserted():
    assert resolve_requirements(["numpy"]).requirements == ["numpy"]


@pytest.mark.parametrize(
    ("first", "second", "merged"),
    [
        ("numpy", "numpy==2.4.6", "numpy==2.4.6"),  # unpinned yields to the pin
        ("numpy==2.4.6", "numpy", "numpy==2.4.6"),
        ("numpy>=1.24", "numpy==2.4.6", "numpy==2.4.6"),  # the pin satisfies the range
        ("numpy==2.0", "numpy==2.0.0", "numpy==2.0"),  # one version written two ways
        ("numpy>=1.24", "numpy<3", "numpy>=1.24,<3"),  # ranges are combined
        ("pandas[pyarrow]", "Pandas==3.1.1", "pandas[pyarrow]==3.1.1"),  # extras united
        ("py_yaml", "Py.YAML==6.0", "Py.YAML==6.0"),  # PEP 503 names compare equal
    ],
)
def test_duplicates_are_merged(first, second, merged):
    assert resolve_requirements([], pip_requirements=[first, second]).requirements == [merged]


@pytest.mark.parametrize(
    ("first", "second"), [("numpy==2.4.6", "numpy==2.0"), ("numpy==1.0", "numpy>=1.24")]
)
def test_conflicting_duplicates_are_an_error_naming_both(first, second):
    with pytest.raises(EnvironmentSpecError, match="conflicting requirements for 'numpy'") as e:
        resolve_requirements([], pip_requirements=[first, second])
    assert (
        first in str(e.value) and second in str(e.value) and "pip_requirements[1]" in str(e.value)
    )


def test_requirements_with_different_markers_are_kept_apart():
    lines = ["foo>=1; python_version < '3.12'", "foo>=2; python_version >= '3.12'"]
    assert resolve_requirements([], pip_requirements=lines).requirements == lines


def test_pip_requirements_replace_defaults_and_inferred():
    reqs = resolve_requirements(
        ["scikit-learn"], inferred=["numpy==2.4.6"], pip_requirements=["torch==2.13.0", "numpy"]
    )
    assert reqs == Requirements(["torch==2.13.0", "numpy"], [])


def test_extra_requirements_are_added_to_defaults_and_inferred():
    reqs = resolve_requirements(
        ["scikit-learn"],
        inferred=["scikit-learn==1.9.1", "numpy==2.4.6"],
        extra_pip_requirements=["skops==0.16.0", "numpy>=2"],
    )
    assert reqs.requirements == ["numpy==2.4.6", "scikit-learn==1.9.1", "skops==0.16.0"]


def test_extra_requirements_from_a_file(tmp_path):
    (tmp_path / "extra.txt").write_text("# extras\nskops==0.16.0\n\n")
    reqs = resolve_requirements(["numpy"], extra_pip_requirements=tmp_path / "extra.txt")
    assert reqs.requirements == ["numpy", "skops==0.16.0"]


def test_requirements_file_with_includes_and_constraints(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "main.txt").write_text(
        "# the model's requirements\n"
        "numpy==2.4.6  # pinned\n"
        "-r sub/more.txt\n"
        "-c constraints-in.txt\n"
        "scikit-learn>=1.5,\\\n"
        "<2\n"
        "--extra-index-url https://example.org/simple\n"
        "numpy\n"
    )
    (tmp_path / "sub" / "more.txt").write_text("pandas\n--requirement=../base.txt\n")
    (tmp_path / "base.txt").write_text("scipy>=1.10\n")
    (tmp_path / "constraints-in.txt").write_text("urllib3<3\n-r nested-constraints.txt\n")
    (tmp_path / "nested-constraints.txt").write_text("idna>=3\n")
    reqs = resolve_requirements(["ignored"], pip_requirements=str(tmp_path / "main.txt"))
    assert reqs.requirements == [
        "numpy==2.4.6",
        "pandas",
        "scipy>=1.10",
        "scikit-learn>=1.5,<2",
        "--extra-index-url https://example.org/simple",
    ]
    assert reqs.constraints == ["urllib3<3", "idna>=3"]


def test_include_in_a_list_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "r.txt").write_text("pandas\n")
    monkeypatch.chdir(tmp_path)
    reqs = resolve_requirements([], extra_pip_requirements=["-r r.txt", "-c r.txt"])
    assert reqs == Requirements(["pandas"], ["pandas"])


def test_include_cycle_and_missing_include_are_errors(tmp_path):
    (tmp_path / "a.txt").write_text("-r b.txt\n")
    (tmp_path / "b.txt").write_text("-r a.txt\n")
    with pytest.raises(EnvironmentSpecError, match="include each other"):
        resolve_requirements([], pip_requirements=tmp_path / "a.txt")
    (tmp_path / "c.txt").write_text("numpy\n-r missing.txt\n")
    with pytest.raises(EnvironmentSpecError, match=r"c\.txt:2: .*missing\.txt.* does not exist"):
        resolve_requirements([], pip_requirements=tmp_path / "c.txt")


def test_conda_env_dict_pip_section_is_used_and_env_kept(tmp_path):
    conda = {
        "name": "mine",
        "channels": ["defaults"],
        "dependencies": ["python=3.11.7", "cudatoolkit=11.8", {"pip": ["numpy==2.4.6", "torch"]}],
    }
    reqs = resolve_requirements(["scikit-learn"], inferred=["scipy==1.0"], conda_env=conda)
    assert reqs.requirements == ["numpy==2.4.6", "torch"]
    assert reqs.conda_env == conda and reqs.conda_env is not conda
    write_environment_files(tmp_path, reqs)
    written = yaml.safe_load((tmp_path / "conda.yaml").read_text())
    assert written == conda
    assert (tmp_path / "requirements.txt").read_text() == "numpy==2.4.6\ntorch"


def test_conda_env_file_with_include_relative_to_it(tmp_path):
    (tmp_path / "envdir").mkdir()
    (tmp_path / "envdir" / "extra.txt").write_text("pandas\n")
    (tmp_path / "envdir" / "conda.yaml").write_text(
        "name: x\ndependencies:\n- python=3.10\n- pip:\n  - numpy\n  - -r extra.txt\n"
    )
    reqs = resolve_requirements([], conda_env=str(tmp_path / "envdir" / "conda.yaml"))
    assert reqs.requirements == ["numpy", "pandas"]
    assert reqs.conda_env is not None and reqs.conda_env["name"] == "x"


def test_malformed_conda_env_file_names_it(tmp_path):
    (tmp_path / "bad.yaml").write_text("dependencies: [unclosed\n")
    with pytest.raises(EnvironmentSpecError, match=r"bad\.yaml.*not valid YAML"):
        resolve_requirements([], conda_env=tmp_path / "bad.yaml")


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"pip_requirements": ["a"], "extra_pip_requirements": ["b"]}, "pip_requirements and "),
        ({"pip_requirements": ["a"], "conda_env": {}}, "pip_requirements and conda_env"),
        (
            {"pip_requirements": [], "extra_pip_requirements": [], "conda_env": {}},
            "pip_requirements and extra_pip_requirements and conda_env",
        ),
    ],
)
def test_options_are_mutually_exclusive(options, named):
    with pytest.raises(EnvironmentSpecError, match=f"{named}.*mutually exclusive"):
        resolve_requirements([], **options)


def test_a_string_option_is_a_path_and_a_missing_one_says_so():
    with pytest.raises(EnvironmentSpecError, match=r"pip_requirements='numpy'.*pass a list"):
        resolve_requirements([], pip_requirements="numpy")


@pytest.mark.parametrize(
    "line",
    [
        "numpy",
        "Foo.Bar_baz~=1.2",
        "foo[bar, baz]>=1,<2; python_version >= '3.10'",
        "foo (>=1.0)",
        "pkg @ https://example.org/pkg-1.0-py3-none-any.whl",
        "git+https://github.com/org/repo.git@v1#egg=repo",
        "./local/pkg",
        "dist/pkg-1.0-py3-none-any.whl",
        "numpy==2.4.6 --hash=sha256:abcd",
        "-e ./proj",
        "--extra-index-url=https://example.org/simple",
        "--pre",
        "torch===2.13.0+cpu",
    ],
)
def test_valid_requirement_lines_are_accepted(line):
    assert resolve_requirements([], pip_requirements=[line]).requirements == [line]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["numpy", ""], r"pip_requirements\[1\]: empty requirement"),
        (["numpy", "   "], r"pip_requirements\[1\]: empty requirement"),
        (["numpy=1.0"], r"'numpy=1\.0' is not a valid requirement \(a single '=' is conda"),
        (["pip install numpy"], r"pip_requirements\[0\]: 'pip install numpy' is not a valid"),
        (["numpy>="], "is not a valid requirement"),
        (["==1.0"], "is not a valid requirement nor a pip option|is not a valid requirement"),
        (["--bogus-flag"], "not a requirement nor a pip option"),
        (["--index-url"], "needs a value"),
        (["-r"], "-r needs a file name"),
        ([3], r"pip_requirements\[0\] must be a requirement string, not int"),
    ],
)
def test_invalid_requirement_lines_are_errors_naming_them(items, message):
    with pytest.raises(EnvironmentSpecError, match=message):
        resolve_requirements([], pip_requirements=items)


def test_invalid_line_in_a_file_names_file_and_line(tmp_path):
    (tmp_path / "req.txt").write_text("numpy\n\n# comment\nscikit learn\n")
    with pytest.raises(EnvironmentSpecError, match=r"req\.txt:4: 'scikit learn'"):
        resolve_requirements([], pip_requirements=tmp_path / "req.txt")


def test_invalid_default_requirement_names_its_option():
    with pytest.raises(EnvironmentSpecError, match=r"default_requirements\[0\]"):
        resolve_requirements(["not a requirement"])
    with pytest.raises(EnvironmentSpecError, match="default_requirements must be a list"):
        resolve_requirements("numpy")


# ------------------------------------------------------------------------------------------
# write_environment_files: MLflow's exact bytes
# ------------------------------------------------------------------------------------------


def test_written_files_match_mlflow_samples_byte_for_byte(tmp_path):
    pip, setuptools, wheel = (_installed(n) for n in ("pip", "setuptools", "wheel"))
    conda_pins = ["mlflow==3.18.0", "cloudpickle==3.1.2", "numpy==2.4.6", "pandas==3.1.1"]
    result = write_environment_files(tmp_path / "", Requirements(conda_pins), python_version=None)
    assert result == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}

    expected_conda = SAMPLE_CONDA.replace("3.11.7", PY).replace(
        "pip<=23.2.1", f"pip<={pip}" if pip else "pip"
    )
    assert (tmp_path / "conda.yaml").read_bytes() == expected_conda.encode()

    expected_env = SAMPLE_PYTHON_ENV.replace("3.11.7", PY)
    expected_env = expected_env.replace("pip==23.2.1", f"pip=={pip}" if pip else "pip")
    expected_env = expected_env.replace(
        "setuptools==84.2.1", f"setuptools=={setuptools}" if setuptools else "setuptools"
    )
    expected_env = expected_env.replace(
        "- wheel\n", f"- wheel=={wheel}\n" if wheel else "- wheel\n"
    )
    assert (tmp_path / "python_env.yaml").read_bytes() == expected_env.encode()

    write_environment_files(tmp_path, Requirements(SAMPLE_REQUIREMENTS.split("\n")))
    assert (tmp_path / "requirements.txt").read_bytes() == SAMPLE_REQUIREMENTS.encode()
    assert not (tmp_path / "constraints.txt").exists()


def test_constraints_are_written_and_referenced(tmp_path):
    write_environment_files(tmp_path, Requirements(["numpy==2.4.6"], ["urllib3<3", "idna>=3"]))
    assert (tmp_path / "requirements.txt").read_text() == "numpy==2.4.6\n-c constraints.txt"
    assert (tmp_path / "constraints.txt").read_text() == "urllib3<3\nidna>=3"
    conda = yaml.safe_load((tmp_path / "conda.yaml").read_text())
    assert conda["dependencies"][-1] == {"pip": ["numpy==2.4.6", "-c constraints.txt"]}


def test_python_version_option_is_written(tmp_path):
    write_environment_files(tmp_path, Requirements(["numpy"]), python_version="3.10.14")
    assert (tmp_path / "python_env.yaml").read_text().startswith("python: 3.10.14\n")
    assert "- python=3.10.14\n" in (tmp_path / "conda.yaml").read_text()


@pytest.mark.parametrize(
    ("reqs", "kwargs", "message"),
    [
        (Requirements(["a\nb"]), {}, r"Requirements.requirements\[0\] must be one non-empty line"),
        (Requirements(["a"], [""]), {}, r"Requirements.constraints\[0\]"),
        (Requirements(["a"]), {"python_version": "three"}, "python_version='three'"),
    ],
)
def test_write_rejects_bad_input(tmp_path, reqs, kwargs, message):
    with pytest.raises(EnvironmentSpecError, match=message):
        write_environment_files(tmp_path, reqs, **kwargs)


def test_write_into_missing_directory_is_an_error(tmp_path):
    with pytest.raises(EnvironmentSpecError, match="does not exist"):
        write_environment_files(tmp_path / "nope", Requirements(["numpy"]))


# ------------------------------------------------------------------------------------------
# Readers
# ------------------------------------------------------------------------------------------


def test_round_trip_write_then_read(tmp_path, logreg):
    reqs = resolve_requirements(
        ["scikit-learn", "cloudpickle"],
        inferred=infer_requirements(logreg),
        extra_pip_requirements=["-c " + str(_constraints_file(tmp_path))],
    )
    model = tmp_path / "model"
    model.mkdir()
    write_environment_files(model, reqs)
    assert read_requirements(model) == [*reqs.requirements, "-c constraints.txt"]
    python_env = read_python_env(model)
    assert python_env is not None
    assert python_env.python == PY
    assert python_env.dependencies == ["-r requirements.txt"]
    assert python_env.build_dependencies[0] == f"pip=={version('pip')}"
    assert check_installed(read_requirements(model)) == []


def _constraints_file(tmp_path: Path) -> Path:
    path = tmp_path / "c.txt"
    path.write_text("urllib3<3\n")
    return path


def test_read_requirements_tolerates_newline_comments_and_blanks(tmp_path):
    (tmp_path / "requirements.txt").write_text("# header\nnumpy==2.4.6\n\n  pandas  # why\n")
    assert read_requirements(tmp_path) == ["numpy==2.4.6", "pandas"]
    assert read_requirements(tmp_path / "missing") == []


def test_python_env_falls_back_to_conda_yaml(tmp_path):
    write_environment_files(tmp_path, Requirements(["numpy==2.4.6"]), python_version="3.10.4")
    (tmp_path / "python_env.yaml").unlink()
    pip = version("pip")
    assert read_python_env(tmp_path) == PythonEnv(
        "3.10.4", [f"pip<={pip}"], ["-r requirements.txt"]
    )
    (tmp_path / "requirements.txt").unlink()
    assert read_python_env(tmp_path) == PythonEnv("3.10.4", [f"pip<={pip}"], ["numpy==2.4.6"])
    (tmp_path / "conda.yaml").unlink()
    assert read_python_env(tmp_path) is None


def test_python_version_is_read_as_a_string(tmp_path):
    (tmp_path / "python_env.yaml").write_text(
        "python: 3.10\ndependencies:\n- -r requirements.txt\n"
    )
    assert read_python_env(tmp_path) == PythonEnv("3.10", [], ["-r requirements.txt"])


def test_conda_yaml_without_python_warns_and_assumes_current(tmp_path):
    (tmp_path / "conda.yaml").write_text("dependencies:\n- pip=23.1\n- pip: [numpy]\n")
    with pytest.warns(UserWarning, match="names no python version"):
        assert read_python_env(tmp_path) == PythonEnv(PY, ["pip==23.1"], ["numpy"])


def test_read_python_env_with_mlmodel_env_names(tmp_path):
    (tmp_path / "my_env.yaml").write_text("python: 3.12.1\n")
    assert read_python_env(tmp_path, {"virtualenv": "my_env.yaml"}) == PythonEnv("3.12.1")
    (tmp_path / "legacy.yaml").write_text("dependencies:\n- python=3.8.10\n")
    assert read_python_env(tmp_path, "legacy.yaml") == PythonEnv("3.8.10")
    with pytest.raises(EnvironmentSpecError, match="inside the model directory"):
        read_python_env(tmp_path, {"virtualenv": "../outside.yaml"})


@pytest.mark.parametrize(
    ("file_name", "text", "message"),
    [
        ("python_env.yaml", "python: [3.11\n", r"python_env\.yaml.*not valid YAML"),
        ("python_env.yaml", "- a list\n", "top level must be a mapping"),
        ("python_env.yaml", "build_dependencies: [pip]\n", "key 'python'"),
        ("python_env.yaml", "python: '3.11'\ndependencies: {a: b}\n", "'dependencies' must be"),
        ("conda.yaml", "dependencies: [python=3.11, {pip: [a}\n", r"conda\.yaml.*not valid YAML"),
        ("conda.yaml", "dependencies: [python]\n", "must pin a version"),
    ],
)
def test_malformed_environment_files_name_the_file(tmp_path, file_name, text, message):
    (tmp_path / file_name).write_text(text)
    with pytest.raises(EnvironmentSpecError, match=message):
        read_python_env(tmp_path)


# ------------------------------------------------------------------------------------------
# check_installed
# ------------------------------------------------------------------------------------------


def test_check_installed_reports_only_unmet_requirements():
    numpy_version = version("numpy")
    mismatches = check_installed(
        [
            f"numpy=={numpy_version}",
            "numpy>=1.0,!=0.1",
            "numpy<1",
            "flavorkit-no-such-dist==1.0",
            "pytest; python_version < '3'",  # marker does not apply
            "-c constraints.txt",
            "--extra-index-url https://example.org/simple",
            "git+https://github.com/org/repo.git",
        ]
    )
    assert [(m.name, m.installed) for m in mismatches] == [
        ("numpy", numpy_version),
        ("flavorkit-no-such-dist", None),
    ]
    assert mismatches[0].required == "numpy<1"
    assert f"installed {numpy_version} does not satisfy <1" in mismatches[0].reason
