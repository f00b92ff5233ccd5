"""MLflow → flavorkit: models saved by MLflow 3.x itself load in flavorkit and predict the same.

Each model is saved once by ``mlflow.<flavor>.save_model`` and then loaded by both sides:
natively (``flavorkit.load_native`` against ``mlflow.<flavor>.load_model``) and as pyfunc
(``flavorkit.load_model`` against ``mlflow.pyfunc.load_model``), predicting on the saved input
example (as each side reads it back) and on rows neither has seen. The MLmodel fields, the
signature and the input example read back equal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from interop_env import MLFLOW_REQUIREMENTS, need_mlflow, need_pytorch

need_mlflow()

import mlflow  # noqa: E402
import mlflow.models  # noqa: E402
import mlflow.onnx  # noqa: E402
import mlflow.pyfunc  # noqa: E402
import mlflow.sklearn  # noqa: E402
import numpy as np  # noqa: E402
from interop_support import (  # noqa: E402
    assert_same_example,
    assert_same_metadata,
    assert_same_output,
)

import flavorkit  # noqa: E402
from flavorkit.errors import UntrustedModelError  # noqa: E402

CODE_MODELS = Path(__file__).parent / "code_models"


def check_pyfunc(path: Path, fresh: Any, *, trust: bool, params: Any = None) -> None:
    """Both pyfunc loads agree on the saved example (read by each side) and on fresh data."""
    ours = flavorkit.load_model(path, trust=trust)
    theirs = mlflow.pyfunc.load_model(str(path))
    example = assert_same_example(path, ours, theirs)
    assert_same_output(ours.predict(example), theirs.predict(example), "predict(example)")
    assert_same_output(
        ours.predict(fresh, params=params), theirs.predict(fresh, params=params), "predict(fresh)"
    )
    assert_same_metadata(path)


# -- scikit-learn ---------------------------------------------------------------------------------

SKLEARN_CASES = [
    (fmt, fn) for fmt in ("skops", "cloudpickle", "pickle") for fn in ("predict", "predict_proba")
]


@pytest.fixture(scope="module", params=SKLEARN_CASES, ids=[f"{f}-{m}" for f, m in SKLEARN_CASES])
def sklearn_model(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, logreg: Any, iris: Any
) -> tuple[Path, str, str]:
    fmt, fn = request.param
    path = tmp_path_factory.mktemp("mlflow-sklearn") / f"{fmt}-{fn}"
    mlflow.sklearn.save_model(
        logreg,
        str(path),
        serialization_format=fmt,
        pyfunc_predict_fn=fn,
        input_example=iris[0].head(3),
        pip_requirements=MLFLOW_REQUIREMENTS,
        metadata={"owner": "interop", "stage": 3},
    )
    return path, fmt, fn


def test_sklearn_native(sklearn_model: tuple[Path, str, str], fresh_iris: Any) -> None:
    path, fmt, _ = sklearn_model
    theirs = mlflow.sklearn.load_model(str(path))
    if fmt != "skops":
        with pytest.raises(UntrustedModelError, match="trust=True"):
            flavorkit.load_native(path)
    ours = flavorkit.load_native(path, trust=fmt != "skops")
    assert type(ours) is type(theirs)
    assert_same_output(ours.predict(fresh_iris), theirs.predict(fresh_iris))
    assert_same_output(ours.predict_proba(fresh_iris), theirs.predict_proba(fresh_iris))


def test_sklearn_pyfunc(sklearn_model: tuple[Path, str, str], fresh_iris: Any) -> None:
    path, fmt, _ = sklearn_model
    check_pyfunc(path, fresh_iris, trust=fmt != "skops")


def test_sklearn_skops_types_the_model_lists_are_the_callers_to_trust(
    tmp_path: Path, pipeline: Any, iris: Any, fresh_iris: Any
) -> None:
    """MLflow records the types a skops file needs and its loader trusts them; flavorkit loads
    such a file only when the caller names them (or trusts the model)."""
    import skops.io

    needed = skops.io.get_untrusted_types(data=skops.io.dumps(pipeline))
    assert needed, "the case needs a model whose skops file lists types (a forest's Tree)"
    path = tmp_path / "forest"
    mlflow.sklearn.save_model(  # MLflow itself refuses to save without the list
        pipeline,
        str(path),
        input_example=iris[0].head(3),
        skops_trusted_types=needed,
        pip_requirements=MLFLOW_REQUIREMENTS,
    )
    listed = mlflow.models.Model.load(str(path)).flavors["sklearn"]["skops_trusted_types"]
    assert listed == needed
    theirs = mlflow.sklearn.load_model(str(path))
    with pytest.raises(UntrustedModelError, match=r"sklearn\.tree\._tree\.Tree"):
        flavorkit.load_native(path)
    ours = flavorkit.load_native(path, trusted_types=needed)
    assert_same_output(ours.predict_proba(fresh_iris), theirs.predict_proba(fresh_iris))


# -- ONNX -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def onnx_model(tmp_path_factory: pytest.TempPathFactory, onnx_logreg: Any, iris32: Any) -> Path:
    path = tmp_path_factory.mktemp("mlflow-onnx") / "logreg"
    mlflow.onnx.save_model(
        onnx_logreg, str(path), input_example=iris32[:3], pip_requirements=MLFLOW_REQUIREMENTS
    )
    return path


def test_onnx_native(onnx_model: Path) -> None:
    ours = flavorkit.load_native(onnx_model)
    theirs = mlflow.onnx.load_model(str(onnx_model))
    assert type(ours) is type(theirs)
    assert ours == theirs  # protobuf equality: graph, initializers (external data read), opsets


def test_onnx_pyfunc(onnx_model: Path, fresh32: Any) -> None:
    check_pyfunc(onnx_model, fresh32, trust=False)


def test_onnx_pyfunc_on_a_dataframe_with_outputs_of_two_shapes(
    onnx_model: Path, fresh_iris: Any, fresh32: Any
) -> None:
    """Deliberate difference: a label ``(n,)`` plus probabilities ``(n, 3)`` for DataFrame input.

    MLflow flattens every output into a column and fails; flavorkit returns a frame with a column
    of labels and a column of probability rows, the values MLflow gives for array input.
    """
    frame = fresh_iris.astype(np.float32)
    with pytest.raises(ValueError, match="All arrays must be of the same length"):
        mlflow.pyfunc.load_model(str(onnx_model)).predict(frame)
    ours = flavorkit.load_model(onnx_model).predict(frame)
    theirs = mlflow.pyfunc.load_model(str(onnx_model)).predict(fresh32)
    assert list(ours.columns) == list(theirs) == ["label", "probabilities"]
    np.testing.assert_array_equal(ours["label"].to_numpy(), theirs["label"])
    np.testing.assert_allclose(np.stack(ours["probabilities"]), theirs["probabilities"], rtol=1e-6)


# -- PyTorch --------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["pt2", "pickle"])
def torch_model(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mlp: Any, iris32: Any
) -> tuple[Path, str]:
    need_pytorch()
    import mlflow.pytorch
    from mlflow.models import infer_signature

    fmt = request.param
    path = tmp_path_factory.mktemp("mlflow-pytorch") / fmt
    example = iris32[:5]
    import torch

    with torch.no_grad():
        signature = infer_signature(example, mlp(torch.from_numpy(example)).numpy())
    mlflow.pytorch.save_model(
        mlp,
        str(path),
        serialization_format=fmt,
        input_example=example,
        signature=signature,
        pip_requirements=MLFLOW_REQUIREMENTS,
    )
    return path, fmt


def test_pytorch_native(torch_model: tuple[Path, str], fresh32: Any) -> None:
    import mlflow.pytorch
    import torch

    path, fmt = torch_model
    if fmt == "pickle":  # MLflow unpickles unless MLFLOW_ALLOW_PICKLE_DESERIALIZATION=false
        with pytest.raises(UntrustedModelError, match="trust=True"):
            flavorkit.load_native(path)
    theirs = mlflow.pytorch.load_model(str(path))
    ours = flavorkit.load_native(path, trust=fmt == "pickle")
    # pt2 loads as a GraphModule whose class is made per instance: compare the class by name
    assert type(ours).__qualname__ == type(theirs).__qualname__
    x = torch.from_numpy(fresh32)
    with torch.no_grad():
        assert_same_output(ours(x), theirs(x))


def test_pytorch_pyfunc(torch_model: tuple[Path, str], fresh32: Any) -> None:
    path, fmt = torch_model
    check_pyfunc(path, fresh32, trust=fmt == "pickle")


# -- custom Python models -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    file = tmp_path_factory.mktemp("artifacts") / "weights.json"
    file.write_text(json.dumps({"factor": 2.5, "shift": -1.0}))
    return file


@pytest.fixture(scope="module")
def python_model(tmp_path_factory: pytest.TempPathFactory, weights_file: Path, iris: Any) -> Path:
    from interop_mlflow_models import MlflowAffine

    path = tmp_path_factory.mktemp("mlflow-pyfunc") / "affine"
    mlflow.pyfunc.save_model(
        str(path),
        python_model=MlflowAffine(),
        artifacts={"weights": str(weights_file)},
        model_config={"offset": 0.5},
        input_example=(iris[0].head(3), {"scale": 2.0}),
        pip_requirements=MLFLOW_REQUIREMENTS,
    )
    return path


def test_python_model_native_and_pyfunc(python_model: Path, fresh_iris: Any) -> None:
    with pytest.raises(UntrustedModelError, match="trust=True"):
        flavorkit.load_model(python_model)
    native = flavorkit.load_native(python_model, trust=True)
    assert type(native).__name__ == "MlflowAffine"
    assert native.offset == 0.5 and native.weights == {"factor": 2.5, "shift": -1.0}
    check_pyfunc(python_model, fresh_iris, trust=True, params={"scale": 3.0})


def test_python_model_params_and_config(python_model: Path, fresh_iris: Any) -> None:
    """The params schema's default, the caller's params and a model_config override agree."""
    ours = flavorkit.load_model(python_model, trust=True)
    theirs = mlflow.pyfunc.load_model(str(python_model))
    assert ours.signature is not None and ours.signature.params is not None
    assert [(p.name, p.default) for p in ours.signature.params] == [("scale", 2.0)]
    assert_same_output(ours.predict(fresh_iris), theirs.predict(fresh_iris))  # default 2.0
    overridden = {"offset": -3.0}
    ours = flavorkit.load_model(python_model, trust=True, model_config=overridden)
    theirs = mlflow.pyfunc.load_model(str(python_model), model_config=overridden)
    assert_same_output(
        ours.predict(fresh_iris, params={"scale": 0.5}),
        theirs.predict(fresh_iris, params={"scale": 0.5}),
    )


@pytest.fixture(scope="module")
def code_model(tmp_path_factory: pytest.TempPathFactory, iris: Any) -> Path:
    path = tmp_path_factory.mktemp("mlflow-code") / "row-totals"
    mlflow.pyfunc.save_model(
        str(path),
        python_model=str(CODE_MODELS / "mlflow_row_totals.py"),
        input_example=(iris[0].head(2), {"scale": 1.0}),
        pip_requirements=MLFLOW_REQUIREMENTS,
    )
    return path


def test_model_from_code(code_model: Path, fresh_iris: Any) -> None:
    with pytest.raises(UntrustedModelError, match="trust=True"):
        flavorkit.load_model(code_model)
    native = flavorkit.load_native(code_model, trust=True)
    assert type(native).__name__ == "RowTotals"
    check_pyfunc(code_model, fresh_iris, trust=True, params={"scale": 10.0})
