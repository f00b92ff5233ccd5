"""save_model / load_model / load_native with a real (toy) flavor: files, atomicity, trust."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from toyflavor_pkg import ToyFlavor, ToyModel

import flavorkit
from flavorkit import plugins
from flavorkit.errors import (
    EnvironmentSpecError,
    FlavorkitError,
    ModelPathError,
    PluginNotFoundError,
    SchemaEnforcementError,
    TrackingServerError,
    UntrustedModelError,
)
from flavorkit.flavor import SavedFlavor
from flavorkit.mlflow_loader import _load_pyfunc
from flavorkit.mlmodel import Model
from flavorkit.schema import ColSpec, Schema

pytestmark = pytest.mark.usefixtures("registry")

X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, 0.0, -1.0]})
MODEL = ToyModel([2.0, -1.0], bias=0.5)


def test_save_writes_a_complete_mlflow_layout(tmp_path: Path) -> None:
    path = tmp_path / "m"
    meta = flavorkit.save_model(MODEL, path, input_example=X.head(2), metadata={"team": "x"})
    files = sorted(p.name for p in path.iterdir())
    assert files == [
        "MLmodel",
        "conda.yaml",
        "flavorkit_manifest.json",
        "input_example.json",
        "model.json",
        "python_env.yaml",
        "requirements.txt",
        "serving_input_example.json",
    ]
    mlmodel = yaml.safe_load((path / "MLmodel").read_text())
    assert mlmodel["flavors"]["toy"] == {"data": "model.json", "serialization_format": "json"}
    pyfunc = mlmodel["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "flavorkit.mlflow_loader"
    assert pyfunc["env"] == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    assert pyfunc["python_version"] == ".".join(map(str, sys.version_info[:3]))
    assert mlmodel["signature"]["inputs"] == (
        '[{"type": "double", "name": "a", "required": true}, '
        '{"type": "double", "name": "b", "required": true}]'
    )
    # a 1-D prediction for column input is one unnamed column, as MLflow records it
    assert mlmodel["signature"]["outputs"] == '[{"type": "double", "required": true}]'
    assert mlmodel["metadata"] == {"team": "x"}
    assert mlmodel["flavorkit_version"] == flavorkit.__version__
    expected_size = sum(
        (path / f).stat().st_size
        for f in ("model.json", "input_example.json", "serving_input_example.json")
    )
    assert mlmodel["model_size_bytes"] == expected_size
    assert meta.signature is not None
    reqs = (path / "requirements.txt").read_text().splitlines()
    assert reqs == [f"flavorkit=={flavorkit.__version__}"]  # the toy model's types own no dist


def test_round_trip_predicts_the_same(tmp_path: Path) -> None:
    flavorkit.save_model(MODEL, tmp_path / "m", input_example=X)
    loaded = flavorkit.load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict(X), MODEL.predict(X))
    assert loaded.flavor == "toy"
    assert isinstance(loaded.get_raw_model(), ToyModel)
    pd.testing.assert_frame_equal(loaded.input_example, X)
    assert "flavor='toy'" in repr(loaded)
    assert "'a': double (required)" in repr(loaded)
    native = flavorkit.load_native(tmp_path / "m")
    assert native.weights == MODEL.weights


def test_predict_enforces_the_signature(tmp_path: Path) -> None:
    flavorkit.save_model(MODEL, tmp_path / "m", input_example=X)
    loaded = flavorkit.load_model(tmp_path / "m")
    with pytest.raises(SchemaEnforcementError, match="b"):
        loaded.predict(X[["a"]])
    # columns are reordered to the signature's order before the model sees them
    np.testing.assert_allclose(loaded.predict(X[["b", "a"]]), MODEL.predict(X))


def test_params_are_validated_and_passed(tmp_path: Path) -> None:
    flavorkit.save_model(MODEL, tmp_path / "m", input_example=(X, {"scale": 1.0}))
    loaded = flavorkit.load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict(X, {"scale": 2}), MODEL.predict(X) * 2)
    np.testing.assert_allclose(loaded.predict(X), MODEL.predict(X))  # the default
    with pytest.raises(SchemaEnforcementError, match="scale"):
        loaded.predict(X, {"scale": "big"})


def test_explicit_signature_is_kept(tmp_path: Path) -> None:
    sig = flavorkit.ModelSignature(inputs=Schema([ColSpec("double", "a"), ColSpec("double", "b")]))
    meta = flavorkit.save_model(MODEL, tmp_path / "m", signature=sig, input_example=X)
    assert meta.signature == sig


def test_a_failing_example_warns_and_saves_without_signature(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="could not infer a signature"):
        meta = flavorkit.save_model(MODEL, tmp_path / "m", input_example=pd.DataFrame({"a": [1]}))
    assert meta.signature is None


def test_existing_target_is_refused_unless_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "m"
    flavorkit.save_model(MODEL, path)
    with pytest.raises(
        ModelPathError, match="already exists and is not empty; pass overwrite=True"
    ):
        flavorkit.save_model(ToyModel([1.0, 1.0]), path)
    flavorkit.save_model(ToyModel([1.0, 1.0]), path, overwrite=True)
    assert flavorkit.load_native(path).weights == [1.0, 1.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary left behind
    (tmp_path / "empty").mkdir()
    flavorkit.save_model(MODEL, tmp_path / "empty")  # an empty directory is fine


def test_a_failed_save_leaves_nothing_and_keeps_the_old_model(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown serialization_format"):
        flavorkit.save_model(MODEL, tmp_path / "new", serialization_format="xml")
    assert list(tmp_path.iterdir()) == []
    flavorkit.save_model(MODEL, tmp_path / "old")
    with pytest.raises(ValueError, match="unknown serialization_format"):
        flavorkit.save_model(
            ToyModel([9.0, 9.0]), tmp_path / "old", overwrite=True, serialization_format="x"
        )
    assert flavorkit.load_native(tmp_path / "old").weights == MODEL.weights
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]


def test_conflicting_requirement_options_fail_before_writing(tmp_path: Path) -> None:
    with pytest.raises(EnvironmentSpecError, match="pip_requirements"):
        flavorkit.save_model(
            MODEL, tmp_path / "m", pip_requirements=["a"], extra_pip_requirements=["b"]
        )
    assert list(tmp_path.iterdir()) == []


def test_requirement_options_and_code_paths(tmp_path: Path) -> None:
    helper = tmp_path / "helpers.py"
    helper.write_text("X = 1\n")
    flavorkit.save_model(
        MODEL, tmp_path / "m", extra_pip_requirements=["requests>=2"], code_paths=[helper]
    )
    reqs = (tmp_path / "m" / "requirements.txt").read_text().splitlines()
    assert reqs[-1] == "requests>=2"
    assert (tmp_path / "m" / "code" / "helpers.py").read_text() == "X = 1\n"
    assert Model.load(tmp_path / "m").flavors["python_function"]["code"] == "code"
    flavorkit.save_model(MODEL, tmp_path / "p", pip_requirements=["numpy==2.0.0"])
    assert (tmp_path / "p" / "requirements.txt").read_text() == "numpy==2.0.0"


def test_pickle_format_needs_trust(tmp_path: Path) -> None:
    flavorkit.save_model(MODEL, tmp_path / "m", serialization_format="pickle")
    with pytest.raises(UntrustedModelError, match=r"model\.pkl.*unpickling runs code.*trust=True"):
        flavorkit.load_model(tmp_path / "m")
    # nothing in the directory can grant trust, not even a key claiming it
    meta = Model.load(tmp_path / "m")
    meta.flavors["toy"]["trusted"] = True
    meta.extra["trust"] = True
    meta.save(tmp_path / "m")
    with pytest.raises(UntrustedModelError):
        flavorkit.load_native(tmp_path / "m")
    assert flavorkit.load_model(tmp_path / "m", trust=True).predict(X) is not None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("../outside.json", "climbs out"),
        ("/etc/passwd", "is absolute"),
        ("link.json", "a symlink leads out"),
    ],
    ids=["dotdot", "absolute", "symlink"],
)
def test_paths_in_mlmodel_must_stay_inside(tmp_path: Path, data: str, message: str) -> None:
    path = tmp_path / "m"
    flavorkit.save_model(MODEL, path)
    (tmp_path / "outside.json").write_text('{"weights": [0, 0], "bias": 0}')
    (path / "link.json").symlink_to(tmp_path / "outside.json")
    meta = Model.load(path)
    meta.flavors["toy"]["data"] = data
    meta.save(path)
    with pytest.raises(ModelPathError, match=message):
        flavorkit.load_native(path)


def test_file_uri_and_missing_model(tmp_path: Path) -> None:
    flavorkit.save_model(MODEL, tmp_path / "m")
    assert flavorkit.load_native((tmp_path / "m").as_uri()).weights == MODEL.weights
    with pytest.raises(FlavorkitError, match="nope: no such directory"):
        flavorkit.load_model(tmp_path / "nope")


def test_remote_uri_without_mlflow_names_the_extra() -> None:
    if importlib.util.find_spec("mlflow") is not None:
        pytest.skip("MLflow is installed here; tests/tracking covers remote URIs with it")
    with pytest.raises(TrackingServerError, match=r"--find-links \S+ 'flavorkit\[mlflow\]'"):
        flavorkit.load_model("s3://bucket/model")


def test_missing_plugin_names_the_package(tmp_path: Path) -> None:
    Model(flavors={"lightgbm": {"data": "m.txt"}}).add_flavor(
        "python_function", loader_module="mlflow.lightgbm"
    ).save(_mkdir(tmp_path / "m"))
    with pytest.raises(PluginNotFoundError, match="the flavorkit project publishes none for it"):
        flavorkit.load_model(tmp_path / "m")


def test_detection_failure_lists_installed_flavors(tmp_path: Path) -> None:
    with pytest.raises(
        PluginNotFoundError, match=r"No installed flavor saves a builtins\.dict.*toy"
    ):
        flavorkit.save_model({"not": "a model"}, tmp_path / "m")


def test_pyfunc_only_model_is_claimed_by_loader_module_text(tmp_path: Path) -> None:
    flavorkit.save_model(MODEL, tmp_path / "m")
    meta = Model.load(tmp_path / "m")
    toy_conf = meta.flavors.pop("toy")
    meta.flavors["python_function"].update(toy_conf, loader_module="toyflavor.legacy_loader")
    meta.save(tmp_path / "m")
    loaded = flavorkit.load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict(X), MODEL.predict(X))
    assert "toyflavor" not in sys.modules  # the named module does not exist and is never imported


def test_unknown_loader_module_is_never_imported(tmp_path: Path) -> None:
    Model().add_flavor("python_function", loader_module="os.evil_loader").save(
        _mkdir(tmp_path / "m")
    )
    with pytest.raises(PluginNotFoundError, match="never imports a module named by a model"):
        flavorkit.load_model(tmp_path / "m")


def test_model_without_pyfunc_flavor(tmp_path: Path) -> None:
    Model(flavors={"toy": {"data": "model.json"}}).save(_mkdir(tmp_path / "m"))
    (tmp_path / "m" / "model.json").write_text('{"weights": [1], "bias": 0}')
    with pytest.raises(FlavorkitError, match='does not have the "python_function" flavor'):
        flavorkit.load_model(tmp_path / "m")
    assert flavorkit.load_native(tmp_path / "m").weights == [1]


def test_model_config_overrides_only_declared_keys(tmp_path: Path) -> None:
    class ConfigFlavor(ToyFlavor):
        name = "toycfg"
        model_types = ()

        def save(self, model, path, **options):  # type: ignore[no-untyped-def]
            saved = super().save(model, path, **options)
            return SavedFlavor(saved.conf, {**(saved.pyfunc or {}), "config": {"device": "cpu"}})

    plugins.get_registry().register(ConfigFlavor)
    flavorkit.save_model(MODEL, tmp_path / "m", flavor="toycfg")
    with pytest.warns(UserWarning, match="'color' is not one the model declares"):
        loaded = flavorkit.load_model(tmp_path / "m", model_config={"device": "cuda", "color": 1})
    assert loaded.model_config == {"device": "cuda"}


def test_mlflow_loading_contract(tmp_path: Path) -> None:
    """What MLflow does with loader_module: _load_pyfunc(data_path[, config]) then predict."""
    flavorkit.save_model(MODEL, tmp_path / "m", input_example=X)
    for data_path in (tmp_path / "m", tmp_path / "m" / "model.json"):
        impl = _load_pyfunc(str(data_path))
        np.testing.assert_allclose(impl.predict(X, params=None), MODEL.predict(X))
        assert isinstance(impl.get_raw_model(), ToyModel)


def test_a_killed_save_leaves_nothing_at_the_target(
    tmp_path: Path, toy_site: Path, subprocess_env
) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        import flavorkit
        from flavorkit.plugins import get_registry
        from toyflavor_pkg import ToyModel, ToyFlavor

        class Slow(ToyFlavor):
            name = "slow"
            model_types = ()
            def save(self, model, path, **options):
                saved = super().save(model, path, **options)
                print("saving", flush=True)
                time.sleep(60)
                return saved

        get_registry().register(Slow)
        flavorkit.save_model(ToyModel([1.0]), sys.argv[1], flavor="slow")
        """
    )
    target = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(target)],
        env=subprocess_env(toy_site),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "saving"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    time.sleep(0.1)
    assert not target.exists()


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def test_serving_example_is_written_for_the_scoring_protocol(tmp_path: Path) -> None:
    flavorkit.save_model(MODEL, tmp_path / "m", input_example=X.head(1))
    body = json.loads((tmp_path / "m" / "serving_input_example.json").read_text())
    assert body == {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 0.5]]}}


def test_a_signature_the_flavor_reads_from_the_model_is_recorded(tmp_path: Path) -> None:
    from flavorkit.signature import ModelSignature

    declared = ModelSignature(inputs=Schema([ColSpec("double", "a"), ColSpec("double", "b")]))

    class HintedFlavor(ToyFlavor):
        name = "hinted"
        model_types = ()

        def save(self, model, path, **options):  # type: ignore[no-untyped-def]
            saved = super().save(model, path, **options)
            return SavedFlavor(saved.conf, saved.pyfunc, declared, signature_from_type_hints=True)

    plugins.get_registry().register(HintedFlavor)
    meta = flavorkit.save_model(MODEL, tmp_path / "m", flavor="hinted", input_example=X)
    assert meta.signature == declared
    assert meta.is_signature_from_type_hint is True
    loaded = flavorkit.load_model(tmp_path / "m")
    # type-hint signatures are validated by the model's own hints, not by column enforcement
    np.testing.assert_allclose(loaded.predict(X[["b", "a"]]), MODEL.predict(X[["b", "a"]]))
    explicit = flavorkit.save_model(MODEL, tmp_path / "e", flavor="hinted", signature=declared)
    assert explicit.is_signature_from_type_hint is False


def test_flavor_signature_gains_the_example_params(tmp_path: Path) -> None:
    from flavorkit.signature import ModelSignature

    declared = ModelSignature(inputs=Schema([ColSpec("double", "a"), ColSpec("double", "b")]))

    class HintedFlavor(ToyFlavor):
        name = "hinted2"
        model_types = ()

        def save(self, model, path, **options):  # type: ignore[no-untyped-def]
            saved = super().save(model, path, **options)
            return SavedFlavor(saved.conf, saved.pyfunc, declared, signature_from_type_hints=True)

    plugins.get_registry().register(HintedFlavor)
    meta = flavorkit.save_model(
        MODEL, tmp_path / "m", flavor="hinted2", input_example=(X, {"scale": 1.0})
    )
    assert meta.signature is not None
    assert meta.signature.inputs == declared.inputs
    assert [p.name for p in meta.signature.params or []] == ["scale"]


def test_strict_predictors_refuse_undeclared_params(tmp_path: Path) -> None:
    from flavorkit.flavor import MethodPredictor

    class StrictFlavor(ToyFlavor):
        name = "strict"
        model_types = ()

        def predictor(self, model, conf, pyfunc_conf):  # type: ignore[no-untyped-def]
            predictor = MethodPredictor(model)
            predictor.strict_params = True  # type: ignore[attr-defined]
            return predictor

    plugins.get_registry().register(StrictFlavor)
    flavorkit.save_model(MODEL, tmp_path / "m", flavor="strict", input_example=(X, {"scale": 1.0}))
    loaded = flavorkit.load_model(tmp_path / "m")
    with pytest.raises(SchemaEnforcementError, match=r"Undeclared params \['color'\]"):
        loaded.predict(X, {"color": 1})
    np.testing.assert_allclose(loaded.predict(X, {"scale": 3.0}), MODEL.predict(X) * 3)


def test_streaming_needs_a_streaming_predictor(tmp_path: Path) -> None:
    flavorkit.save_model(MODEL, tmp_path / "m")
    with pytest.raises(FlavorkitError, match="cannot stream predictions"):
        flavorkit.load_model(tmp_path / "m").predict_stream(X)


def test_a_flavors_conda_env_is_written_unless_the_caller_gives_one(tmp_path: Path) -> None:
    class CondaFlavor(ToyFlavor):
        name = "toyconda"
        model_types = ()

        def default_conda_env(self, **options):  # type: ignore[no-untyped-def]
            deps = ["python=3.11", "libtoy"]
            return {"name": "toy-env", "channels": ["conda-forge"], "dependencies": deps}

    plugins.get_registry().register(CondaFlavor)
    flavorkit.save_model(MODEL, tmp_path / "m", flavor="toyconda")
    conda = yaml.safe_load((tmp_path / "m" / "conda.yaml").read_text())
    reqs = (tmp_path / "m" / "requirements.txt").read_text().splitlines()
    assert conda["name"] == "toy-env"
    assert conda["dependencies"] == ["python=3.11", "libtoy", {"pip": reqs}]
    mine = {"name": "mine", "dependencies": ["python=3.11", {"pip": ["numpy"]}]}
    flavorkit.save_model(MODEL, tmp_path / "m2", flavor="toyconda", conda_env=mine)
    assert yaml.safe_load((tmp_path / "m2" / "conda.yaml").read_text())["name"] == "mine"


def test_an_example_that_does_not_fit_the_flavors_signature_wins(tmp_path: Path) -> None:
    from flavorkit.schema import TensorSpec
    from flavorkit.signature import ModelSignature

    graph = ModelSignature(inputs=Schema([TensorSpec("float32", (-1, 2), "X")]))

    class GraphFlavor(ToyFlavor):
        name = "graph"
        model_types = ()

        def save(self, model, path, **options):  # type: ignore[no-untyped-def]
            saved = super().save(model, path, **options)
            return SavedFlavor(saved.conf, saved.pyfunc, graph)

    plugins.get_registry().register(GraphFlavor)
    with pytest.warns(UserWarning, match="does not fit the signature read from the model"):
        meta = flavorkit.save_model(MODEL, tmp_path / "m", flavor="graph", input_example=X)
    assert meta.signature is not None
    assert meta.signature.inputs == Schema([ColSpec("double", "a"), ColSpec("double", "b")])
    np.testing.assert_allclose(flavorkit.load_model(tmp_path / "m").predict(X), MODEL.predict(X))
    fits = {"X": X.to_numpy(dtype="float32")}
    assert flavorkit.save_model(MODEL, tmp_path / "g", flavor="graph").signature == graph
    with pytest.warns(UserWarning, match="does not fit"):
        flavorkit.save_model(MODEL, tmp_path / "h", flavor="graph", input_example=X.to_numpy())
    assert _example_fits_graph(graph, fits)


def _example_fits_graph(signature, example) -> bool:  # type: ignore[no-untyped-def]
    from flavorkit.enforce import enforce_schema

    enforce_schema(example, signature.inputs)
    return True


def test_a_path_cannot_be_detected(tmp_path: Path) -> None:
    with pytest.raises(PluginNotFoundError, match="a flavor cannot be detected from a path"):
        flavorkit.save_model(str(tmp_path / "model.onnx"), tmp_path / "m")


def test_an_output_without_a_signature_type_keeps_the_inputs(tmp_path: Path) -> None:
    class TupleModel(ToyModel):
        def predict(self, X, params=None):  # type: ignore[no-untyped-def]
            return ("not", "a", object())

    with pytest.warns(UserWarning, match="the output as Any, as MLflow does"):
        meta = flavorkit.save_model(TupleModel([1.0, 1.0]), tmp_path / "m", input_example=X)
    assert meta.signature is not None
    assert meta.signature.inputs == Schema([ColSpec("double", "a"), ColSpec("double", "b")])
    # MLflow 3.17.2 records '[{"type": "any", "required": true}]' for an untypeable prediction
    assert meta.signature.to_dict()["outputs"] == '[{"type": "any", "required": true}]'


# -- a saved model whose MLmodel was tampered with: only flavorkit errors -----------------------

_HOSTILE = [["model.json"], {"a": "b"}, "x\x00y", "a" * 5000, "a/" * 3000, "", 7, None, "/abs"]


def _leaf_keys(d: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    keys = [prefix] if prefix else []
    if isinstance(d, dict):
        for k, v in d.items():
            keys += _leaf_keys(v, (*prefix, k))
    return keys


def test_every_key_of_a_saved_model_replaced_by_a_hostile_value_gives_a_flavorkit_error(
    tmp_path: Path,
) -> None:
    """Each key of a real MLmodel, replaced by a list, a mapping, a NUL byte, an over-long path
    and so on: loading, native loading and validation end in a FlavorkitError or succeed."""
    from flavorkit.validate import validate_model

    base = tmp_path / "base"
    flavorkit.save_model(MODEL, base, input_example=X.head(2))
    doc = yaml.safe_load((base / "MLmodel").read_text())
    tried = 0
    for key in _leaf_keys(doc):
        for value in _HOSTILE:
            tampered = yaml.safe_load((base / "MLmodel").read_text())
            node = tampered
            for part in key[:-1]:
                node = node[part]
            node[key[-1]] = value
            (base / "MLmodel").write_text(yaml.safe_dump(tampered))
            for attempt in (
                lambda: flavorkit.load_model(base).predict(X),
                lambda: flavorkit.load_native(base),
                lambda: validate_model(base),
            ):
                with contextlib.suppress(FlavorkitError):
                    attempt()
                tried += 1
        (base / "MLmodel").write_text(yaml.safe_dump(doc))
    assert tried > 300


class OnDemandFlavor(ToyFlavor):
    """The toy flavor whose predictor reads the weights file itself (as ONNX's opens a session
    from model.onnx), declaring native_on_demand; it counts its native loads."""

    name = "ondemand"
    model_types = ()
    native_on_demand = True
    loads = 0

    def load(self, path: Path, conf: dict[str, Any], *, trust: bool, **options: Any) -> ToyModel:
        type(self).loads += 1
        return super().load(path, conf, trust=trust, **options)

    def predictor(self, model: Any, conf: dict[str, Any], pyfunc_conf: dict[str, Any], *,
                  context: Any = None) -> Any:  # fmt: skip
        if model is None:
            assert context is not None and context.path is not None
            if context.options:
                raise TypeError(f"unknown ondemand load options: {sorted(context.options)}")
            raw = json.loads((context.path / conf["data"]).read_text())
            model = ToyModel(raw["weights"], raw["bias"])
        return super().predictor(model, conf, pyfunc_conf)


def test_a_native_on_demand_flavor_loads_the_native_model_only_when_asked(tmp_path: Path) -> None:
    plugins.get_registry().register(OnDemandFlavor)
    assert plugins.get_registry().flavor("ondemand").native_on_demand
    model = ToyModel([1.0, 2.0], 0.5)
    flavorkit.save_model(model, tmp_path / "m", flavor="ondemand")
    OnDemandFlavor.loads = 0
    loaded = flavorkit.load_model(tmp_path / "m")
    df = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    assert list(loaded.predict(df)) == list(model.predict(df))
    assert OnDemandFlavor.loads == 0  # predicting needed only the files
    raw = loaded.get_raw_model()
    assert isinstance(raw, ToyModel) and raw.weights == [1.0, 2.0]
    assert loaded.get_raw_model() is raw and OnDemandFlavor.loads == 1  # loaded once
    with pytest.raises(TypeError, match="unknown ondemand load options"):
        flavorkit.load_model(tmp_path / "m", threads=2)  # refused up front, not on demand
    # MLflow's loader hands MLflow the same lazily loaded object
    assert isinstance(_load_pyfunc(str(tmp_path / "m")).get_raw_model(), ToyModel)
