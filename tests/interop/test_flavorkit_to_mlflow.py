"""flavorkit → MLflow: models saved by every flavorkit plugin load in MLflow and predict the same.

Each model is saved once by ``flavorkit.save_model`` in every format MLflow can read, then loaded
by MLflow's own flavor loader (``mlflow.sklearn``/``pytorch``/``onnx.load_model``) against
``flavorkit.load_native``, and by ``mlflow.pyfunc.load_model`` against ``flavorkit.load_model``.
Formats MLflow has no loader for point ``python_function.loader_module`` at
``flavorkit.mlflow_loader``; MLflow loads them through flavorkit, and formats that run code need
the process to say ``FLAVORKIT_TRUST=1`` (MLflow has no trust argument to pass on).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from interop_env import need_mlflow, need_pytorch

need_mlflow()

import mlflow.exceptions  # noqa: E402
import mlflow.models  # noqa: E402
import mlflow.onnx  # noqa: E402
import mlflow.pyfunc  # noqa: E402
import mlflow.sklearn  # noqa: E402
from interop_support import (  # noqa: E402
    assert_same_example,
    assert_same_metadata,
    assert_same_output,
)

import flavorkit  # noqa: E402
from flavorkit.errors import UntrustedModelError  # noqa: E402

HERE = Path(__file__).parent
CODE_MODELS = HERE / "code_models"


def check_pyfunc(path: Path, data: Any, *, trust: bool, params: Any = None) -> None:
    """MLflow's pyfunc predicts what flavorkit's does, on the saved example and on ``data``."""
    ours = flavorkit.load_model(path, trust=trust)
    theirs = mlflow.pyfunc.load_model(str(path))
    example = assert_same_example(path, ours, theirs)
    assert_same_output(ours.predict(example), theirs.predict(example), "predict(example)")
    assert_same_output(
        ours.predict(data, params=params), theirs.predict(data, params=params), "predict(data)"
    )
    assert_same_metadata(path)


def loader_module(path: Path) -> str:
    return str(flavorkit.Model.load(path).flavors["python_function"]["loader_module"])


# -- scikit-learn ---------------------------------------------------------------------------------

SKLEARN_CASES = [
    (fmt, fn) for fmt in ("skops", "cloudpickle", "pickle") for fn in ("predict", "predict_proba")
]


@pytest.fixture(scope="module", params=SKLEARN_CASES, ids=[f"{f}-{m}" for f, m in SKLEARN_CASES])
def sklearn_model(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, logreg: Any, iris: Any
) -> tuple[Path, str]:
    fmt, fn = request.param
    path = tmp_path_factory.mktemp("flavorkit-sklearn") / f"{fmt}-{fn}"
    flavorkit.save_model(
        logreg,
        path,
        serialization_format=fmt,
        pyfunc_predict_fn=fn,
        input_example=iris[0].head(3),
        metadata={"owner": "interop", "stage": 3},
    )
    return path, fmt


def test_sklearn_native(sklearn_model: tuple[Path, str], fresh_iris: Any) -> None:
    path, fmt = sklearn_model
    assert loader_module(path) == "mlflow.sklearn"
    theirs = mlflow.sklearn.load_model(str(path))
    ours = flavorkit.load_native(path, trust=fmt != "skops")
    assert type(theirs) is type(ours)
    assert_same_output(ours.predict_proba(fresh_iris), theirs.predict_proba(fresh_iris))


def test_sklearn_pyfunc(sklearn_model: tuple[Path, str], fresh_iris: Any) -> None:
    path, fmt = sklearn_model
    check_pyfunc(path, fresh_iris, trust=fmt != "skops")


def test_sklearn_skops_types_are_recorded_for_mlflow(
    tmp_path: Path, pipeline: Any, iris: Any, fresh_iris: Any
) -> None:
    """A skops file needing types beyond skops' defaults: flavorkit records them in MLmodel, so
    MLflow's loader (which trusts what the model lists) loads it with no help."""
    path = tmp_path / "forest"
    flavorkit.save_model(pipeline, path, input_example=iris[0].head(3))
    listed = flavorkit.Model.load(path).flavors["sklearn"]["skops_trusted_types"]
    assert "sklearn.tree._tree.Tree" in listed
    theirs = mlflow.sklearn.load_model(str(path))
    ours = flavorkit.load_native(path, trusted_types=listed)
    assert_same_output(ours.predict_proba(fresh_iris), theirs.predict_proba(fresh_iris))
    check_pyfunc(path, fresh_iris, trust=True)


# -- ONNX -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["inline", "external-data"])
def onnx_model(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    onnx_logreg: Any,
    iris32: Any,
) -> Path:
    path = tmp_path_factory.mktemp("flavorkit-onnx") / request.param
    options = {"external_data_size_threshold": 0} if request.param == "external-data" else {}
    flavorkit.save_model(onnx_logreg, path, input_example=iris32[:3], **options)
    return path


def test_onnx_native(onnx_model: Path) -> None:
    assert loader_module(onnx_model) == "mlflow.onnx"
    ours = flavorkit.load_native(onnx_model)
    theirs = mlflow.onnx.load_model(str(onnx_model))
    assert ours == theirs


def test_onnx_pyfunc(onnx_model: Path, fresh32: Any) -> None:
    check_pyfunc(onnx_model, fresh32, trust=False)


def test_onnx_pyfunc_on_a_dict_of_inputs(onnx_model: Path, fresh32: Any) -> None:
    feed = {"X": fresh32}
    ours = flavorkit.load_model(onnx_model).predict(feed)
    theirs = mlflow.pyfunc.load_model(str(onnx_model)).predict(feed)
    assert_same_output(ours, theirs)


# -- PyTorch --------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["pt2", "pickle", "state_dict"])
def torch_model(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mlp: Any, iris32: Any
) -> tuple[Path, str]:
    need_pytorch()
    fmt = request.param
    path = tmp_path_factory.mktemp("flavorkit-pytorch") / fmt
    options: dict[str, Any] = {"serialization_format": fmt}
    if fmt == "state_dict":
        options["init_kwargs"] = {"n_in": 4, "n_hidden": 8, "n_out": 3}
    flavorkit.save_model(mlp, path, input_example=iris32[:5], **options)
    return path, fmt


def test_pytorch_native(torch_model: tuple[Path, str], fresh32: Any) -> None:
    """pt2 and pickle load with ``mlflow.pytorch.load_model`` (MLflow unpickles by default); a
    safetensors state dict is a flavorkit format, which MLflow's pytorch loader cannot read (its
    pyfunc can, below)."""
    import mlflow.pytorch
    import torch

    path, fmt = torch_model
    ours = flavorkit.load_native(path, trust=fmt != "pt2")
    if fmt == "state_dict":
        assert loader_module(path) == "flavorkit.mlflow_loader"
        with pytest.raises(FileNotFoundError):  # it looks for data/model.pt2, then model.pth
            mlflow.pytorch.load_model(str(path))
        return
    assert loader_module(path) == "mlflow.pytorch"
    theirs = mlflow.pytorch.load_model(str(path))
    assert type(ours).__qualname__ == type(theirs).__qualname__
    x = torch.from_numpy(fresh32)
    with torch.no_grad():
        assert_same_output(ours(x), theirs(x))


def test_pytorch_pyfunc(
    torch_model: tuple[Path, str], fresh32: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, fmt = torch_model
    if fmt == "state_dict":  # through flavorkit.mlflow_loader: importing the class needs trust
        with pytest.raises(UntrustedModelError, match="interop_torch:MLP"):
            mlflow.pyfunc.load_model(str(path))
        monkeypatch.setenv("FLAVORKIT_TRUST", "1")
    check_pyfunc(path, fresh32, trust=fmt != "pt2")


# -- custom Python models -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    file = tmp_path_factory.mktemp("artifacts") / "weights.json"
    file.write_text(json.dumps({"factor": 2.5, "shift": -1.0}))
    return file


@pytest.fixture(scope="module", params=["reference", "cloudpickle"])
def python_model(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    weights_file: Path,
    iris: Any,
) -> tuple[Path, str]:
    from interop_models import FlavorkitAffine

    path = tmp_path_factory.mktemp("flavorkit-python-model") / request.param
    flavorkit.save_model(
        FlavorkitAffine(),
        path,
        serialization=request.param,
        artifacts={"weights": weights_file},
        model_config={"offset": 0.5},
        code_paths=[HERE / "interop_models.py"] if request.param == "reference" else None,
        input_example=(iris[0].head(3), {"scale": 2.0}),
    )
    return path, request.param


def test_python_model(
    python_model: tuple[Path, str], fresh_iris: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from interop_models import FlavorkitAffine

    path, serialization = python_model
    if serialization == "reference":  # MLflow has no such format: it loads through flavorkit
        assert loader_module(path) == "flavorkit.mlflow_loader"
        with pytest.raises(UntrustedModelError, match="interop_models:FlavorkitAffine"):
            mlflow.pyfunc.load_model(str(path))
        monkeypatch.setenv("FLAVORKIT_TRUST", "1")
    else:
        assert loader_module(path) == "mlflow.pyfunc.model"
    check_pyfunc(path, fresh_iris, trust=True, params={"scale": 3.0})
    ours = flavorkit.load_model(path, trust=True, model_config={"offset": -3.0})
    theirs = mlflow.pyfunc.load_model(str(path), model_config={"offset": -3.0})
    assert_same_output(ours.predict(fresh_iris), theirs.predict(fresh_iris))  # default scale 2.0
    # the model object: MLflow's unwrap_python_model() reads the python_model attribute of its
    # own wrapper; through flavorkit.mlflow_loader, get_raw_model() gives it
    if serialization == "reference":
        with pytest.raises(mlflow.exceptions.MlflowException, match="base model object"):
            theirs.unwrap_python_model()
    raw = theirs.unwrap_python_model() if serialization == "cloudpickle" else theirs.get_raw_model()
    assert type(raw) is FlavorkitAffine
    assert raw.offset == -3.0 and raw.weights == {"factor": 2.5, "shift": -1.0}


def test_model_from_code(tmp_path: Path, iris: Any, fresh_iris: Any) -> None:
    """A file ending with flavorkit_pythonmodel.set_model runs under MLflow's code loader."""
    path = tmp_path / "row-totals"
    flavorkit.save_model(
        CODE_MODELS / "flavorkit_row_totals.py",
        path,
        flavor="python_model",
        input_example=(iris[0].head(2), {"scale": 1.0}),
    )
    assert loader_module(path) == "mlflow.pyfunc.loaders.code_model"
    check_pyfunc(path, fresh_iris, trust=True, params={"scale": 10.0})
    assert type(mlflow.pyfunc.load_model(str(path)).unwrap_python_model()).__name__ == "RowTotals"


def test_refusal_inside_mlflow_says_how_to_trust_there(
    tmp_path: Path, weights_file: Path, iris: Any
) -> None:
    from interop_models import FlavorkitAffine

    path = tmp_path / "reference"
    flavorkit.save_model(
        FlavorkitAffine(), path, artifacts={"weights": weights_file}, input_example=iris[0].head(2)
    )
    with pytest.raises(UntrustedModelError, match="FLAVORKIT_TRUST=1"):
        mlflow.pyfunc.load_model(str(path))
