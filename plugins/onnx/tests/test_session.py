"""The inference session: providers (recorded, chosen, unavailable) and session options."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import onnxruntime as ort
import pytest
import yaml
from models import two_inputs, two_inputs_data

import flavorkit
from flavorkit.errors import MLmodelError
from flavorkit_onnx import ProviderUnavailableWarning, _session

CPU = "CPUExecutionProvider"
MISSING = "NoSuchExecutionProvider"


def session_of(model: Any) -> Any:
    return model.predictor.session


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    flavorkit.save_model(two_inputs(), tmp_path / "m")
    return tmp_path / "m"


# -- providers ----------------------------------------------------------------------------------


def test_unavailable_providers_warn_once_per_load_not_per_predict(tmp_path: Path) -> None:
    flavorkit.save_model(two_inputs(), tmp_path / "m", onnx_execution_providers=[MISSING, CPU])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = flavorkit.load_model(tmp_path / "m")
        for _ in range(3):
            model.predict(two_inputs_data(2))
    dropped = [w for w in caught if issubclass(w.category, ProviderUnavailableWarning)]
    assert len(dropped) == 1, [str(w.message) for w in caught]
    assert MISSING in str(dropped[0].message) and "model.onnx" in str(dropped[0].message)
    assert session_of(model).get_providers() == [CPU]


def test_mlflows_default_providers_are_recorded_and_filtered(saved: Path) -> None:
    conf = yaml.safe_load((saved / "MLmodel").read_text())["flavors"]["onnx"]
    assert conf["providers"] == ["CUDAExecutionProvider", CPU]
    expected = [p for p in conf["providers"] if p in ort.get_available_providers()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProviderUnavailableWarning)
        model = flavorkit.load_model(saved)
    assert session_of(model).get_providers() == expected


def test_the_callers_providers_replace_the_recorded_ones(tmp_path: Path) -> None:
    flavorkit.save_model(two_inputs(), tmp_path / "m", onnx_execution_providers=[MISSING])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing dropped, nothing warned
        model = flavorkit.load_model(tmp_path / "m", providers=[CPU])
    assert session_of(model).get_providers() == [CPU]


def test_no_usable_provider_falls_back_to_the_cpu(saved: Path) -> None:
    with pytest.warns(
        ProviderUnavailableWarning, match=rf"\['{MISSING}'\].*running on \['{CPU}'\]"
    ):
        model = flavorkit.load_model(saved, providers=[MISSING])
    assert session_of(model).get_providers() == [CPU]


@pytest.mark.parametrize("providers", ["CPUExecutionProvider", [], [None]])
def test_bad_providers_load_option_is_refused(saved: Path, providers: Any) -> None:
    with pytest.raises(TypeError, match="providers must"):
        flavorkit.load_model(saved, providers=providers)


def test_unknown_load_option_is_refused(saved: Path) -> None:
    with pytest.raises(TypeError, match=r"unknown load option.*session_options.*accepts providers"):
        flavorkit.load_model(saved, session_options={})


# -- session options ----------------------------------------------------------------------------

OPTIONS = {
    "inter_op_num_threads": 2,
    "intra_op_num_threads": 1,
    "execution_mode": "parallel",
    "graph_optimization_level": 1,
    "extra_session_config": {"session.intra_op.allow_spinning": "0"},
}


def test_session_options_are_recorded_and_applied(tmp_path: Path) -> None:
    flavorkit.save_model(
        two_inputs(), tmp_path / "m", onnx_session_options=OPTIONS, onnx_execution_providers=[CPU]
    )
    conf = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["flavors"]["onnx"]
    assert conf["onnx_session_options"] == OPTIONS
    applied = session_of(flavorkit.load_model(tmp_path / "m")).get_session_options()
    assert applied.inter_op_num_threads == 2
    assert applied.intra_op_num_threads == 1
    assert applied.execution_mode == ort.ExecutionMode.ORT_PARALLEL
    assert applied.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    assert applied.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_optimization_level_zero_is_applied_not_skipped(tmp_path: Path) -> None:
    """MLflow tests the level for truthiness, so 0 (disable all) is silently not applied."""
    flavorkit.save_model(
        two_inputs(),
        tmp_path / "m",
        onnx_session_options={"graph_optimization_level": 0, "execution_mode": "SEQUENTIAL"},
        onnx_execution_providers=[CPU],
    )
    applied = session_of(flavorkit.load_model(tmp_path / "m")).get_session_options()
    assert applied.graph_optimization_level == ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    assert applied.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"enable_profiling": True}, r"unknown key\(s\) \['enable_profiling'\].*ignored"),
        ({"intra_op_num_threads": -1}, "intra_op_num_threads must be a number of threads"),
        ({"intra_op_num_threads": True}, "intra_op_num_threads must be"),
        ({"execution_mode": "fast"}, "execution_mode must be 'sequential' or 'parallel'"),
        ({"graph_optimization_level": 5}, r"graph_optimization_level must be one of \[0, 1, 2"),
        ({"extra_session_config": {"k": 1}}, "extra_session_config must be a dict of str"),
    ],
)
def test_bad_session_options_are_refused_at_save(
    tmp_path: Path, options: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        flavorkit.save_model(two_inputs(), tmp_path / "m", onnx_session_options=options)
    assert not (tmp_path / "m").exists()


def test_session_options_must_be_a_dict(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="onnx_session_options must be a dict"):
        flavorkit.save_model(two_inputs(), tmp_path / "m", onnx_session_options=[1])


def _edit_options(model_dir: Path, options: Any) -> None:
    raw = yaml.safe_load((model_dir / "MLmodel").read_text())
    raw["flavors"]["onnx"]["onnx_session_options"] = options
    (model_dir / "MLmodel").write_text(yaml.safe_dump(raw))


def test_recorded_keys_mlflow_ignores_are_ignored_with_a_warning(saved: Path) -> None:
    """MLflow accepts any SessionOptions attribute at save and applies only its five at load."""
    _edit_options(saved, {"enable_profiling": True, "intra_op_num_threads": 1})
    with pytest.warns(UserWarning, match=r"\['enable_profiling'\] that are ignored"):
        model = flavorkit.load_model(saved, providers=[CPU])
    applied = session_of(model).get_session_options()
    assert applied.intra_op_num_threads == 1
    assert not applied.enable_profiling


def test_invalid_recorded_session_options_name_the_key(saved: Path) -> None:
    _edit_options(saved, {"execution_mode": 3})
    with pytest.raises(MLmodelError, match=r"key 'onnx\.onnx_session_options'.*execution_mode"):
        flavorkit.load_model(saved, providers=[CPU])


def test_invalid_recorded_providers_name_the_key(saved: Path) -> None:
    raw = yaml.safe_load((saved / "MLmodel").read_text())
    raw["flavors"]["onnx"]["providers"] = CPU  # a string, not a list
    (saved / "MLmodel").write_text(yaml.safe_dump(raw))
    with pytest.raises(MLmodelError, match=r"MLmodel: key 'onnx\.providers': .*non-empty list"):
        flavorkit.load_model(saved)


def test_default_requirements_are_onnx_and_onnxruntime_pinned() -> None:
    from importlib.metadata import version

    from flavorkit_onnx import OnnxFlavor

    onnx_req, runtime_req = OnnxFlavor().default_pip_requirements()
    assert onnx_req == f"onnx=={version('onnx')}"
    name, pinned = runtime_req.split("==")
    assert name.startswith("onnxruntime") and pinned == version(name)


# -- the native model on demand -----------------------------------------------------------------


def test_load_and_predict_import_onnxruntime_only_the_proto_loads_on_demand(saved: Path) -> None:
    """load_model opens the session from the file; onnx (ml_dtypes, protobuf's generated
    modules: most of a cold start) is imported only when get_raw_model() asks for the proto."""
    code = (
        "import sys, numpy as np, flavorkit\n"
        f"m = flavorkit.load_model({str(saved)!r})\n"
        "m.predict({'a': np.ones((2, 3), np.float32), 'b': np.ones((2, 1), np.int64)})\n"
        "print('onnx' in sys.modules, 'pandas' in sys.modules)\n"
        "raw = m.get_raw_model()\n"
        "print(type(raw).__name__, 'onnx' in sys.modules, raw is m.get_raw_model())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    # an onnxruntime before 1.24 does not check external data locations: the plugin reads the
    # graph (with onnx) to check them first
    onnx_at_load = str(not _session.checks_external_data())
    assert out.stdout.split() == [onnx_at_load, "False", "ModelProto", "True", "True"]
