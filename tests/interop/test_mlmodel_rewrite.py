"""MLmodel files written by one side and re-written by the other stay loadable by both.

``flavorkit.Model.load(d).save(d)`` on directories MLflow wrote, ``mlflow.models.Model.load(d)
.save(d/"MLmodel")`` on directories flavorkit wrote: the text comes back identical (keys, order,
quoting, unknown keys such as ``flavorkit_version`` or ``mlflow_version``), and both sides still
load the model and predict what the original predicted.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from interop_env import MLFLOW_REQUIREMENTS, need_mlflow, need_pytorch

need_mlflow()

import mlflow.models  # noqa: E402
import mlflow.onnx  # noqa: E402
import mlflow.pyfunc  # noqa: E402
import mlflow.sklearn  # noqa: E402
from interop_support import assert_same_output  # noqa: E402

import flavorkit  # noqa: E402

HERE = Path(__file__).parent

Producer = Callable[[Path, dict[str, Any]], None]


def weights(where: Path) -> Path:
    file = where / "weights.json"
    file.write_text(json.dumps({"factor": 2.5, "shift": -1.0}))
    return file


def mlflow_sklearn(path: Path, f: dict[str, Any]) -> None:
    mlflow.sklearn.save_model(
        f["logreg"],
        str(path),
        input_example=f["iris"][0].head(3),
        pyfunc_predict_fn="predict_proba",
        metadata={"source": "mlflow"},
        pip_requirements=MLFLOW_REQUIREMENTS,
    )


def mlflow_onnx(path: Path, f: dict[str, Any]) -> None:
    mlflow.onnx.save_model(
        f["onnx_logreg"], str(path), input_example=f["iris32"][:3],
        pip_requirements=MLFLOW_REQUIREMENTS,
    )  # fmt: skip


def mlflow_python_model(path: Path, f: dict[str, Any]) -> None:
    from interop_mlflow_models import MlflowAffine

    mlflow.pyfunc.save_model(
        str(path),
        python_model=MlflowAffine(),
        artifacts={"weights": str(weights(path.parent))},
        model_config={"offset": 0.5},
        input_example=(f["iris"][0].head(3), {"scale": 2.0}),
        pip_requirements=MLFLOW_REQUIREMENTS,
    )


def flavorkit_sklearn(path: Path, f: dict[str, Any]) -> None:
    flavorkit.save_model(
        f["logreg"],
        path,
        input_example=f["iris"][0].head(3),
        pyfunc_predict_fn="predict_proba",
        metadata={"source": "flavorkit"},
    )


def flavorkit_onnx(path: Path, f: dict[str, Any]) -> None:
    flavorkit.save_model(f["onnx_logreg"], path, input_example=f["iris32"][:3])


def flavorkit_python_model(path: Path, f: dict[str, Any]) -> None:
    from interop_models import FlavorkitAffine

    flavorkit.save_model(
        FlavorkitAffine(),
        path,
        artifacts={"weights": weights(path.parent)},
        model_config={"offset": 0.5},
        code_paths=[HERE / "interop_models.py"],
        input_example=(f["iris"][0].head(3), {"scale": 2.0}),
    )


def flavorkit_pytorch_state_dict(path: Path, f: dict[str, Any]) -> None:
    need_pytorch()
    flavorkit.save_model(
        f["mlp"](),
        path,
        serialization_format="state_dict",
        init_kwargs={"n_in": 4, "n_hidden": 8, "n_out": 3},
        input_example=f["iris32"][:3],
    )


CASES: dict[str, tuple[str, Producer]] = {
    "mlflow-sklearn": ("mlflow", mlflow_sklearn),
    "mlflow-onnx": ("mlflow", mlflow_onnx),
    "mlflow-python_model": ("mlflow", mlflow_python_model),
    "flavorkit-sklearn": ("flavorkit", flavorkit_sklearn),
    "flavorkit-onnx": ("flavorkit", flavorkit_onnx),
    "flavorkit-python_model": ("flavorkit", flavorkit_python_model),
    "flavorkit-pytorch-state_dict": ("flavorkit", flavorkit_pytorch_state_dict),
}


@pytest.fixture
def fixtures(request: pytest.FixtureRequest, iris: Any, iris32: Any) -> dict[str, Any]:
    """The models a producer may need, built only when it asks (``mlp`` needs PyTorch)."""
    return {
        "iris": iris,
        "iris32": iris32,
        "logreg": request.getfixturevalue("logreg"),
        "onnx_logreg": request.getfixturevalue("onnx_logreg"),
        "mlp": lambda: request.getfixturevalue("mlp"),
    }


@pytest.mark.parametrize("case", list(CASES))
def test_rewritten_by_the_other_side(
    case: str,
    fixtures: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writer, produce = CASES[case]
    original = tmp_path / "original"
    produce(original, fixtures)
    rewritten = tmp_path / "rewritten"
    shutil.copytree(original, rewritten)
    if writer == "mlflow":
        flavorkit.Model.load(rewritten).save(rewritten)
    else:
        mlflow.models.Model.load(str(rewritten)).save(str(rewritten / "MLmodel"))
    text = (original / "MLmodel").read_text()
    assert (rewritten / "MLmodel").read_text() == text
    assert ("flavorkit_version" in text) == (writer == "flavorkit")
    assert ("mlflow_version" in text) == (writer == "mlflow")

    monkeypatch.setenv("FLAVORKIT_TRUST", "1")  # the flavorkit.mlflow_loader cases run code
    expected = flavorkit.load_model(original, trust=True)
    example = expected.input_example
    data, params = example if isinstance(example, tuple) else (example, None)
    want = expected.predict(data, params=params)
    ours = flavorkit.load_model(rewritten, trust=True)
    theirs = mlflow.pyfunc.load_model(str(rewritten))
    assert_same_output(ours.predict(data, params=params), want, "flavorkit")
    assert_same_output(theirs.predict(data, params=params), want, "MLflow")
