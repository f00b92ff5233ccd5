"""Saving and loading: MLflow's layout, paths to .onnx files, external data, clear errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
import yaml
from models import iris32, logreg_onnx, onnx_save, two_inputs, wide_data, wide_mlp
from onnx import numpy_helper

import flavorkit
from flavorkit.errors import FlavorkitError, IntegrityError, ModelPathError, PluginNotFoundError
from flavorkit.integrity import MANIFEST_FILE, write_manifest
from flavorkit_onnx import EXTERNAL_DATA_FILE, OnnxFlavor

pytestmark = pytest.mark.filterwarnings("ignore::flavorkit_onnx.ProviderUnavailableWarning")


def weights(model: Any) -> dict[str, np.ndarray]:
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def assert_same_weights(a: Any, b: Any) -> None:
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for name in wa:
        np.testing.assert_array_equal(wa[name], wb[name], err_msg=name)


# -- layout -------------------------------------------------------------------------------------


def test_layout_and_mlmodel_keys_are_mlflows(tmp_path: Path) -> None:
    flavorkit.save_model(logreg_onnx(), tmp_path / "m")
    raw = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    conf, pyfunc = raw["flavors"]["onnx"], raw["flavors"]["python_function"]
    assert conf == {
        "code": None,
        "data": "model.onnx",
        "onnx_session_options": None,
        "onnx_version": onnx.__version__,
        "providers": ["CUDAExecutionProvider", "CPUExecutionProvider"],
    }
    assert pyfunc["loader_module"] == "mlflow.onnx"
    assert pyfunc["data"] == "model.onnx"
    # 1.6 KB of weights, under the 1 KB-per-tensor threshold: no side file, as with MLflow
    assert not (tmp_path / "m" / EXTERNAL_DATA_FILE).exists()
    reqs = (tmp_path / "m" / "requirements.txt").read_text().splitlines()
    assert f"onnx=={onnx.__version__}" in reqs
    assert any(r.startswith("onnxruntime==") for r in reqs)


def test_signature_is_read_from_the_graph(tmp_path: Path) -> None:
    meta = flavorkit.save_model(two_inputs(), tmp_path / "m")
    assert meta.signature is not None
    assert meta.signature.to_dict() == {
        "inputs": '[{"name": "a", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": '
        '[-1, 3]}}, {"name": "b", "type": "tensor", "tensor-spec": {"dtype": "int64", '
        '"shape": [-1, 1]}}]',
        "outputs": '[{"name": "y", "type": "tensor", "tensor-spec": {"dtype": "float32", '
        '"shape": [-1, 2]}}, {"name": "total", "type": "tensor", "tensor-spec": {"dtype": '
        '"float32", "shape": [-1]}}]',
        "params": None,
    }


def test_a_given_signature_wins_over_the_graph(tmp_path: Path) -> None:
    import pandas as pd

    from flavorkit.signature import infer_signature

    frame = pd.DataFrame(iris32().astype(np.float64), columns=list("abcd"))
    sig = infer_signature(frame)
    meta = flavorkit.save_model(logreg_onnx(), tmp_path / "m", signature=sig)
    assert meta.signature == sig


def test_sequence_outputs_leave_the_outputs_out_of_the_signature(tmp_path: Path) -> None:
    """skl2onnx's default ZipMap output is a sequence of maps, which no TensorSpec describes."""
    with pytest.warns(UserWarning, match=r"'output_probability' is seq\(map\(int64,tensor"):
        meta = flavorkit.save_model(logreg_onnx(zipmap=True), tmp_path / "m")
    assert meta.signature is not None and meta.signature.outputs is None
    assert meta.signature.inputs is not None and len(meta.signature.inputs) == 1
    out = flavorkit.load_model(tmp_path / "m").predict({"X": iris32()[:2]})
    assert isinstance(out["output_probability"], list)
    assert set(out["output_probability"][0]) == {0, 1, 2}


def test_native_load_returns_the_model_proto(tmp_path: Path) -> None:
    flavorkit.save_model(logreg_onnx(), tmp_path / "m")
    native = flavorkit.load_native(tmp_path / "m")
    assert isinstance(native, onnx.ModelProto)
    assert native.SerializeToString() == logreg_onnx().SerializeToString()


# -- a path to a .onnx file ---------------------------------------------------------------------


@pytest.mark.parametrize("as_type", [str, Path])
def test_a_path_to_an_onnx_file_is_saved_with_flavor_onnx(tmp_path: Path, as_type: type) -> None:
    src = tmp_path / "src"
    src.mkdir()
    onnx_save(wide_mlp(), src / "net.onnx", save_as_external_data=True, location="w.bin")
    assert (src / "w.bin").is_file()
    flavorkit.save_model(as_type(src / "net.onnx"), tmp_path / "m", flavor="onnx")
    assert_same_weights(flavorkit.load_native(tmp_path / "m"), wide_mlp())
    out = flavorkit.load_model(tmp_path / "m").predict({"x": wide_data(2)})
    assert out["y"].shape == (2, 4)


def test_a_path_cannot_be_detected(tmp_path: Path) -> None:
    onnx_save(two_inputs(), tmp_path / "net.onnx")
    with pytest.raises(PluginNotFoundError, match="Pass flavor="):
        flavorkit.save_model(str(tmp_path / "net.onnx"), tmp_path / "m")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda p: p / "missing.onnx", ModelPathError, "no such file"),
        (lambda p: p, ModelPathError, "a directory"),
        (lambda p: _write(p / "notes.onnx", b"\xff\xfe not protobuf"), FlavorkitError, "not a"),
        (lambda p: _write(p / "empty.onnx", b""), FlavorkitError, "not an ONNX model"),
    ],
    ids=["missing", "directory", "garbage", "empty"],
)
def test_bad_paths_are_refused_clearly(
    tmp_path: Path, make: Any, error: type[Exception], match: str
) -> None:
    src = make(tmp_path)
    with pytest.raises(error, match=match) as info:
        flavorkit.save_model(src, tmp_path / "out", flavor="onnx")
    assert str(src) in str(info.value)
    assert not (tmp_path / "out").exists()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_other_objects_are_refused_naming_the_type(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"builtins\.dict.*onnx\.ModelProto"):
        flavorkit.save_model({"not": "a model"}, tmp_path / "m", flavor="onnx")


def test_unknown_save_option_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"unknown save option.*providers.*accepts"):
        flavorkit.save_model(two_inputs(), tmp_path / "m", providers=["CPUExecutionProvider"])


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"onnx_execution_providers": "CPUExecutionProvider"}, "non-empty list"),
        ({"onnx_execution_providers": [1]}, "as strings"),
        ({"save_as_external_data": "yes"}, "True or False"),
        ({"external_data_size_threshold": -1}, "bytes >= 0"),
    ],
)
def test_bad_save_options_are_refused(tmp_path: Path, options: dict[str, Any], match: str) -> None:
    with pytest.raises(TypeError, match=match):
        flavorkit.save_model(two_inputs(), tmp_path / "m", **options)


# -- external data ------------------------------------------------------------------------------


def test_external_data_round_trip(tmp_path: Path) -> None:
    model = wide_mlp()
    before = model.SerializeToString()
    flavorkit.save_model(model, tmp_path / "m", external_data_size_threshold=4096)
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert EXTERNAL_DATA_FILE in files
    # w1 (512 KiB), b1 (8 KiB) and w2 (32 KiB) moved; b2 (16 bytes) stayed in the graph
    assert (tmp_path / "m" / EXTERNAL_DATA_FILE).stat().st_size == (64 * 2048 + 2048 + 2048 * 4) * 4
    assert (tmp_path / "m" / "model.onnx").stat().st_size < 2000
    stored = onnx.load(str(tmp_path / "m" / "model.onnx"), load_external_data=False)
    moved = [
        t.name for t in stored.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL
    ]
    assert moved == ["w1", "b1", "w2"]
    # the caller's model is untouched (onnx.save_model would have cleared its raw_data)
    assert model.SerializeToString() == before
    native = flavorkit.load_native(tmp_path / "m")
    assert all(t.data_location == onnx.TensorProto.DEFAULT for t in native.graph.initializer)
    assert_same_weights(native, model)
    x = wide_data(5)
    np.testing.assert_allclose(
        flavorkit.load_model(tmp_path / "m").predict({"x": x})["y"],
        flavorkit.load_model(tmp_path / "m").predictor.predict({"x": x})["y"],
    )


def test_moved_data_survives_moving_the_directory(tmp_path: Path) -> None:
    flavorkit.save_model(wide_mlp(), tmp_path / "m")
    shutil.move(tmp_path / "m", tmp_path / "elsewhere")
    assert_same_weights(flavorkit.load_native(tmp_path / "elsewhere"), wide_mlp())


def test_without_external_data_everything_is_in_model_onnx(tmp_path: Path) -> None:
    flavorkit.save_model(wide_mlp(), tmp_path / "m", save_as_external_data=False)
    assert not (tmp_path / "m" / EXTERNAL_DATA_FILE).exists()
    stored = onnx.load(str(tmp_path / "m" / "model.onnx"), load_external_data=False)
    assert_same_weights(stored, wide_mlp())


def test_a_low_threshold_moves_small_tensors_too(tmp_path: Path) -> None:
    flavorkit.save_model(two_inputs(), tmp_path / "m", external_data_size_threshold=16)
    stored = onnx.load(str(tmp_path / "m" / "model.onnx"), load_external_data=False)
    moved = [
        t.name for t in stored.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL
    ]
    assert moved == ["w"]  # 24 bytes; "axes" (8 bytes) stays
    out = flavorkit.load_model(tmp_path / "m").predict(
        {"a": np.ones((1, 3), np.float32), "b": np.zeros((1, 1), np.int64)}
    )
    np.testing.assert_allclose(out["y"], [[-0.5, 1.25]])


def test_a_model_onnxruntime_cannot_open_fails_clearly(tmp_path: Path) -> None:
    """With threshold 0, ReduceSum's axes move out too, and onnxruntime needs them in the graph
    to infer shapes while loading (a limit of onnxruntime; onnx's 1 KB default avoids it)."""
    flavorkit.save_model(two_inputs(), tmp_path / "m", external_data_size_threshold=0)
    with pytest.raises(FlavorkitError, match=r"model\.onnx: onnxruntime cannot open the model"):
        flavorkit.load_model(tmp_path / "m")
    assert_same_weights(flavorkit.load_native(tmp_path / "m"), two_inputs())


def test_unloaded_external_data_is_refused_at_save(tmp_path: Path) -> None:
    onnx_save(wide_mlp(), tmp_path / "net.onnx", save_as_external_data=True)
    hollow = onnx.load(str(tmp_path / "net.onnx"), load_external_data=False)
    with pytest.raises(FlavorkitError, match=r"'w1'.*was not loaded.*onnx\.load"):
        flavorkit.save_model(hollow, tmp_path / "m")
    assert not (tmp_path / "m").exists()


def _with_location(model_dir: Path, location: str) -> None:
    """Point tensor w1 of a saved model at ``location``, as a hostile model file might."""
    file = model_dir / "model.onnx"
    stored = onnx.load(str(file), load_external_data=False)
    w1 = next(t for t in stored.graph.initializer if t.name == "w1")
    next(e for e in w1.external_data if e.key == "location").value = location
    file.write_bytes(stored.SerializeToString())
    write_manifest(model_dir)  # a hostile model ships a manifest that matches its files


@pytest.mark.parametrize("location", ["../secret.bin", "/etc/hostname", "link.bin"])
def test_external_data_outside_the_directory_is_refused(tmp_path: Path, location: str) -> None:
    flavorkit.save_model(wide_mlp(), tmp_path / "m")
    (tmp_path / "secret.bin").write_bytes(b"\0" * 600_000)
    os.symlink(tmp_path / "secret.bin", tmp_path / "m" / "link.bin")
    _with_location(tmp_path / "m", location)
    with pytest.raises(ModelPathError, match=r"tensor 'w1'.*beside the model"):
        flavorkit.load_native(tmp_path / "m")
    # load_model opens the session from the file: onnxruntime >= 1.24 refuses the location
    # itself, older ones get the plugin's own check first
    with pytest.raises(ModelPathError, match=r"refusing to read the external data.*beside the"):
        flavorkit.load_model(tmp_path / "m")


def test_missing_external_data_names_the_file(tmp_path: Path) -> None:
    flavorkit.save_model(wide_mlp(), tmp_path / "m")
    (tmp_path / "m" / EXTERNAL_DATA_FILE).unlink()
    with pytest.raises(IntegrityError, match=r"model\.onnx\.data is missing; the manifest"):
        flavorkit.load_native(tmp_path / "m")  # the core's manifest check comes first
    (tmp_path / "m" / MANIFEST_FILE).unlink()  # a model without one (MLflow's): the plugin's
    with pytest.raises(FlavorkitError, match=r"'w1'.*'model\.onnx\.data', which is missing"):
        flavorkit.load_native(tmp_path / "m")


@pytest.mark.skipif(
    os.environ.get("FLAVORKIT_ONNX_BIG") != "1",
    reason="builds a 2.25 GiB model (about 8 GB of memory, a minute); set FLAVORKIT_ONNX_BIG=1",
)
def test_a_model_past_protobufs_2gb_limit(tmp_path: Path) -> None:  # pragma: no cover - opt-in
    """Three 768 MiB initializers. Built with add(): upb cannot copy (nor even size) a message
    past 2 GiB through extend() or ByteSize(), and no single tensor may pass 2 GiB."""
    from onnx import TensorProto, helper

    n = 3 * 2**26
    chunk = np.full((n,), 0.5, dtype=np.float32).tobytes()
    model = helper.make_model(
        helper.make_graph(
            [helper.make_node("ReduceMax", ["w2"], ["s"], keepdims=0)],
            "big",
            [],
            [helper.make_tensor_value_info("s", TensorProto.FLOAT, [])],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
    )
    model.ir_version = 8
    for i in range(3):
        tensor = model.graph.initializer.add()
        tensor.name, tensor.data_type, tensor.raw_data = f"w{i}", TensorProto.FLOAT, chunk
        tensor.dims.append(n)
    del chunk
    flavorkit.save_model(model, tmp_path / "m")
    assert (tmp_path / "m" / "model.onnx").stat().st_size < 1000
    assert (tmp_path / "m" / EXTERNAL_DATA_FILE).stat().st_size == 3 * 4 * n
    del model
    native = flavorkit.load_native(tmp_path / "m")
    assert [list(t.dims) for t in native.graph.initializer] == [[n]] * 3
    assert native.graph.initializer[2].raw_data[-4:] == np.float32(0.5).tobytes()
    # the in-memory model cannot be serialized for onnxruntime: it goes through a temporary file
    in_memory = OnnxFlavor().predictor(native, {"providers": ["CPUExecutionProvider"]}, {})
    assert in_memory.predict({})["s"] == 0.5
    del native, in_memory
    assert flavorkit.load_model(tmp_path / "m").predict({})["s"] == 0.5


def test_tensors_in_node_attributes_stay_in_the_graph(tmp_path: Path) -> None:
    """As with onnx's default, only initializers move (a Constant's 4 KB value stays)."""
    from onnx import TensorProto, helper

    bias = np.arange(1024, dtype=np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(bias, "c")),
            helper.make_node("Add", ["x", "c"], ["y"]),
        ],
        "constant",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1024])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1024])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    flavorkit.save_model(model, tmp_path / "m")
    assert not (tmp_path / "m" / EXTERNAL_DATA_FILE).exists()
    out = flavorkit.load_model(tmp_path / "m").predict({"x": np.ones((2, 1024), np.float32)})
    np.testing.assert_array_equal(out["y"][1], bias + 1)
