"""The MLmodel file: exact round trips of what MLflow writes, legacy forms, precise errors."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flavorkit.errors import FlavorkitError, MLmodelError, MLmodelNotFoundError, ModelPathError
from flavorkit.mlmodel import Model, PyFuncFlavor
from flavorkit.schema import ColSpec, Schema
from flavorkit.signature import ModelSignature

# What MLflow 3.18 writes for an sklearn model logged with an example (mlflow-format.md §2, §3.1),
# plus an unknown top-level key and an unknown flavor key.
MLFLOW_SKLEARN = """\
artifact_path: /tmp/mlruns/1/models/m-24f16d34/artifacts
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.skops
    predict_fn: predict
    python_version: 3.11.7
  sklearn:
    code: null
    myfw_option: 3
    pickled_model: model.skops
    serialization_format: skops
    sklearn_version: 1.9.1
    skops_trusted_types: null
is_signature_from_type_hint: false
mlflow_version: 3.18.0
model_id: m-24f16d34aaaabbbbccccddddeeeeffff
model_size_bytes: 11574
model_uuid: m-24f16d34aaaabbbbccccddddeeeeffff
myfw_extra_key: hello
prompts: null
run_id: 0123456789abcdef0123456789abcdef
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  serving_input_path: serving_input_example.json
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "sepal_length", "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
type_hint_from_example: false
utc_time_created: '2026-11-21 22:52:15.021132'
"""

# MLflow 1.x: env as a plain path, `data` instead of `model_path`, tf-serving example, no uuid.
MLFLOW_1X = """\
flavors:
  python_function:
    data: model.pkl
    env: conda.yaml
    loader_module: mlflow.sklearn
    python_version: 3.7.6
  sklearn:
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 0.23.2
saved_input_example_info:
  artifact_path: input_example.json
  format: tf-serving
  type: ndarray
utc_time_created: '2020-10-01 10:00:00.123456'
"""


def test_mlflow_written_file_round_trips_to_identical_text(tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text(MLFLOW_SKLEARN)
    model = Model.load(tmp_path)
    assert model.to_yaml() == MLFLOW_SKLEARN
    assert model.extra == {"myfw_extra_key": "hello"}
    assert model.flavors["sklearn"]["myfw_option"] == 3
    assert model.signature is not None
    assert model.signature.inputs == Schema([ColSpec("double", "sepal_length")])
    assert model.model_size_bytes == 11574


def test_legacy_forms_are_read_and_kept(tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text(MLFLOW_1X)
    model = Model.load(tmp_path / "MLmodel")
    pyfunc = model.pyfunc_flavor()
    assert pyfunc == PyFuncFlavor(
        loader_module="mlflow.sklearn",
        python_version="3.7.6",
        data="model.pkl",
        env={"conda": "conda.yaml"},
    )
    assert model.saved_input_example_info == {
        "artifact_path": "input_example.json",
        "format": "tf-serving",
        "type": "ndarray",
    }
    assert model.model_uuid is None and model.signature is None
    # Written back as current MLflow writes it: the legacy sections untouched, new keys as null.
    reread = yaml.safe_load(model.to_yaml())
    assert reread["flavors"] == yaml.safe_load(MLFLOW_1X)["flavors"]
    assert reread["model_uuid"] is None and reread["model_id"] is None
    assert reread["prompts"] is None


def test_new_model_is_written_as_mlflow_writes_it(tmp_path: Path) -> None:
    model = Model().add_flavor("python_function", loader_module="mlflow.sklearn")
    model.signature = ModelSignature(inputs=Schema([ColSpec("double", "x")]))
    written = Model.load(model.save(tmp_path)).to_dict()
    assert re.fullmatch(r"[0-9a-f]{32}", written["model_uuid"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?", written["utc_time_created"])
    assert written["signature"] == {
        "inputs": '[{"type": "double", "name": "x", "required": true}]',
        "outputs": None,
        "params": None,
    }
    assert written["is_signature_from_type_hint"] is False
    assert "mlflow_version" not in written and "model_size_bytes" not in written
    text = (tmp_path / "MLmodel").read_text()
    assert text.startswith("flavors:\n") and "utc_time_created: '" in text
    assert list(tmp_path.iterdir()) == [tmp_path / "MLmodel"]  # no temporary file left


def test_unquoted_timestamp_and_numeric_versions_are_tolerated() -> None:
    model = Model.from_yaml(
        "flavors: {python_function: {loader_module: m, python_version: 3.10}}\n"
        "utc_time_created: 2024-01-02 03:04:05\nmlflow_version: 2.0\n"
    )
    assert model.utc_time_created == "2024-01-02 03:04:05"
    assert model.mlflow_version == "2.0"
    pyfunc = model.pyfunc_flavor()
    assert pyfunc is not None and pyfunc.python_version == "3.1"  # what YAML made of it


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(MLmodelNotFoundError, match="not an MLmodel directory: it has no MLmodel"):
        Model.load(tmp_path)
    assert issubclass(MLmodelNotFoundError, FileNotFoundError)


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("flavors: [a\n", None, "not valid YAML"),
        ("- a\n- b\n", None, "expected a YAML mapping at the top level, got a list"),
        ("model_uuid: abc\n", "flavors", "missing; every MLmodel file needs it"),
        ("flavors: [sklearn]\n", "flavors", "expected a mapping, got a list"),
        ("flavors: {sklearn: 3}\n", "flavors.sklearn", "each flavor must map a name to a mapping"),
        ("flavors: {}\nmodel_uuid: 5\n", "model_uuid", "expected a string, got int 5"),
        ("flavors: {}\nsignature: '[1]'\n", "signature", "expected a mapping"),
        ("flavors: {}\nsignature: {inputs: [1]}\n", "signature.inputs", "expected a JSON string"),
        ("flavors: {}\nsignature: {inputs: '[oops'}\n", "signature.inputs", "not valid JSON"),
        (
            'flavors: {}\nsignature: {outputs: \'[{"type": "wat"}]\'}\n',
            "signature.outputs",
            "Unsupported type 'wat'",
        ),
        ("flavors: {}\nmodel_size_bytes: -3\n", "model_size_bytes", "non-negative integer"),
        ("flavors: {}\nmodel_size_bytes: yes\n", "model_size_bytes", "integer, got True"),
        ("flavors: {}\nmetadata: [1]\n", "metadata", "expected a mapping"),
        ("flavors: {}\nprompts: [1]\n", "prompts", "list of strings"),
        ("flavors: {}\nsaved_input_example_info: x\n", "saved_input_example_info", "mapping"),
        ("flavors: {}\nis_signature_from_type_hint: 3\n", "is_signature_from_type_hint", "true"),
    ],
    ids=[
        "not-yaml",
        "top-level-list",
        "no-flavors",
        "flavors-list",
        "flavor-not-mapping",
        "uuid-int",
        "signature-string",
        "signature-part-list",
        "signature-bad-json",
        "signature-bad-type",
        "negative-size",
        "bool-size",
        "metadata-list",
        "prompts-ints",
        "example-info-string",
        "type-hint-int",
    ],
)
def test_invalid_files_name_the_file_and_key(
    tmp_path: Path, text: str, key: str | None, message: str
) -> None:
    file = tmp_path / "MLmodel"
    file.write_text(text.replace("flavors: {}\n", "flavors: {a: {}}\nutc_time_created: '2026'\n"))
    with pytest.raises(MLmodelError, match=message) as info:
        Model.load(tmp_path)
    assert info.value.path == str(file)
    assert info.value.key == key
    assert str(file) in str(info.value)
    if key is not None:
        assert f"key '{key}'" in str(info.value)


@pytest.mark.parametrize(
    ("conf", "key", "message"),
    [
        ({}, "loader_module", "missing"),
        ({"loader_module": ["a"]}, "loader_module", "expected a string"),
        ({"loader_module": "m", "env": 3}, "env", "mapping of file names"),
        ({"loader_module": "m", "config": [1]}, "config", "expected a mapping"),
        ({"loader_module": "m", "streamable": "yes"}, "streamable", "true or false"),
    ],
    ids=["no-loader", "loader-list", "env-int", "config-list", "streamable-str"],
)
def test_invalid_pyfunc_section_names_the_key(conf: dict, key: str, message: str) -> None:
    model = Model(flavors={"python_function": conf})
    with pytest.raises(MLmodelError, match=message) as info:
        model.pyfunc_flavor()
    assert info.value.key == f"python_function.{key}"


def test_pyfunc_flavor_keeps_flavor_specific_options() -> None:
    conf = {
        "loader_module": "mlflow.pytorch",
        "pickle_module_name": "mlflow.pytorch.pickle_module",
        "config": {"device": None},
        "data": "data",
    }
    pyfunc = PyFuncFlavor.from_dict(conf)
    assert pyfunc.options == {"pickle_module_name": "mlflow.pytorch.pickle_module"}
    assert pyfunc.config == {"device": None} and pyfunc.data == "data"
    assert Model().pyfunc_flavor() is None


# -- properties ---------------------------------------------------------------------------------

_scalars = (
    st.none() | st.booleans() | st.integers() | st.text(max_size=10) | st.floats(allow_nan=False)
)
_yaml_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
_top_keys = st.sampled_from(
    [
        "flavors",
        "signature",
        "model_uuid",
        "utc_time_created",
        "model_size_bytes",
        "metadata",
        "saved_input_example_info",
        "prompts",
        "other",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_flavorkit_errors(data: bytes) -> None:
    with contextlib.suppress(FlavorkitError):
        Model.from_yaml(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_top_keys, _yaml_values, max_size=6) | _yaml_values)
def test_arbitrary_yaml_raises_only_flavorkit_errors(doc: object) -> None:
    text = yaml.safe_dump(doc)
    try:
        model = Model.from_yaml(text)
    except FlavorkitError:
        return
    # What loads must write back and load again to an equal model.
    assert Model.from_yaml(model.to_yaml()) == model
    with contextlib.suppress(FlavorkitError):
        model.pyfunc_flavor()


_names = st.text(alphabet="abcdefghij_", min_size=1, max_size=8)


@settings(max_examples=100, deadline=None)
@given(
    flavors=st.dictionaries(
        _names, st.dictionaries(_names, _scalars, max_size=3), min_size=1, max_size=3
    ),
    extra=st.dictionaries(_names.map(lambda s: "x_" + s), _yaml_values, max_size=3),
    metadata=st.none() | st.dictionaries(_names, _scalars, max_size=3),
    size=st.none() | st.integers(1, 2**40),
)
def test_model_round_trips_through_yaml(
    flavors: dict, extra: dict, metadata: dict | None, size: int | None
) -> None:
    model = Model(flavors=flavors, extra=extra, metadata=metadata, model_size_bytes=size)
    assert Model.from_yaml(model.to_yaml()) == model


# -- paths that are not a model directory -------------------------------------------------------


def _hugging_face(d: Path) -> None:
    (d / "config.json").write_text("{}")
    (d / "model.safetensors").write_bytes(b"\0" * 8)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "no such directory. Pass the directory a model was saved to"),
        (
            lambda p: p.write_bytes(b"\x80\x04joblib"),
            "a file, not a model directory.*flavorkit.save_model",
        ),
        (lambda p: p.mkdir(), r"not an MLmodel directory: it has no MLmodel file \(it is empty\)"),
        (
            lambda p: (p.mkdir(), _hugging_face(p)),
            "not an MLmodel directory.*looks like a Hugging Face model folder.*save_model",
        ),
        (
            lambda p: (p.mkdir(), (p / "clf.joblib").write_bytes(b"x")),
            r"not an MLmodel directory.*clf.joblib.*pickled objects",
        ),
        (
            lambda p: (p.mkdir(), (p / "MLmodel").mkdir()),
            "not an MLmodel directory: it has no MLmodel file",
        ),
    ],
    ids=["missing", "a-file", "empty-dir", "hugging-face", "joblib-folder", "MLmodel-is-a-dir"],
)
def test_a_path_that_is_no_model_directory_says_what_it_is(
    tmp_path: Path, make: object, message: str
) -> None:
    path = tmp_path / "model.joblib"
    make(path)  # type: ignore[operator]
    with pytest.raises(MLmodelNotFoundError, match=message) as info:
        Model.load(path)
    assert str(info.value).startswith(f"{path}: ")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("a\x00b", "contains a NUL byte"),
        ("x" * 300, "longer than the file system allows"),
        ("/".join(["y" * 200] * 30), "longer than the file system allows"),
        (["model"], "expected a model path .*, got list"),
        (3, "expected a model path .*, got int"),
    ],
    ids=["nul", "long-name", "long-path", "list", "int"],
)
def test_a_path_the_os_refuses_is_a_flavorkit_error(path: object, message: str) -> None:
    with pytest.raises(ModelPathError, match=message):
        Model.load(path)  # type: ignore[arg-type]


# -- a damaged MLmodel that is still valid YAML -------------------------------------------------


def _written() -> str:
    model = Model(
        flavors={"toy": {"data": "m.json"}, "python_function": {"loader_module": "x"}},
        signature=ModelSignature.from_dict({"inputs": '[{"type": "double", "name": "a"}]'}),
        saved_input_example_info={"artifact_path": "input_example.json", "type": "dataframe"},
        model_size_bytes=10,
    )
    return model.to_yaml()


def test_every_cut_of_a_written_file_fails_loudly() -> None:
    """A file cut short at any line (a full disk, an interrupted copy) never loads as valid."""
    lines = _written().splitlines(keepends=True)
    assert Model.from_yaml("".join(lines)).signature is not None
    for n in range(len(lines)):
        with pytest.raises(MLmodelError):
            Model.from_yaml("".join(lines[:n]))


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("flavors: {}\n", "flavors", "empty: the file names no flavor"),
        ("flavors: {a: {}}\n", "utc_time_created", "probably cut short"),
        (
            "flavors: {a: {}}\nsaved_input_example_info: {artifact_path: e.json}\n"
            "utc_time_created: x\n",
            "saved_input_example_info.type",
            "always record it with an input example",
        ),
    ],
    ids=["no-flavors", "cut-short", "example-type-lost"],
)
def test_a_file_that_lost_its_required_parts_names_the_key(
    text: str, key: str, message: str
) -> None:
    with pytest.raises(MLmodelError, match=message) as info:
        Model.from_yaml(text)
    assert info.value.key == key
    assert "damaged" in str(info.value)


def test_a_signature_that_was_never_there_is_fine() -> None:
    assert Model.from_yaml("flavors: {a: {}}\nutc_time_created: x\n").signature is None


# Values that crashed loaders when they stood where MLmodel expects a path or a name.
_hostile_values = st.sampled_from(
    [["model.skops"], {"a": "b"}, "x\x00y", "a" * 5000, "a/" * 3000, "", 7, True, "/abs", "../up"]
)


@settings(max_examples=200, deadline=None)
@given(key=st.sampled_from(["data", "model_path", "code", "env"]), value=_hostile_values)
def test_hostile_paths_in_mlmodel_raise_only_flavorkit_errors(
    tmp_path_factory: pytest.TempPathFactory, key: str, value: object
) -> None:
    from flavorkit.safety import model_file

    root = tmp_path_factory.mktemp("m")
    with contextlib.suppress(FlavorkitError):
        pyfunc = PyFuncFlavor.from_dict({"loader_module": "m", key: value})
        for rel in (pyfunc.data, pyfunc.code, *pyfunc.env.values()):
            if rel is not None:
                model_file(root, rel, key=key).exists()
