"""Reading directories laid out as MLflow 3.x writes custom PythonModels (mlflow-format.md §3.4).

The directories are written by hand, file by file, as ``mlflow.pyfunc.save_model`` writes them;
a pickle MLflow writes references MLflow's own classes, so the one here does too. Loading those
needs mlflow, which the plugin's tests do not install: the tests that need it say so and skip.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pytest
from pythonmodel_helpers import CODE_MODEL, DATA, models

import flavorkit
from flavorkit import FlavorkitError, MLmodelError, UntrustedModelError

HAS_MLFLOW = importlib.util.find_spec("mlflow") is not None
needs_mlflow = pytest.mark.skipif(
    not HAS_MLFLOW,
    reason="loading it needs mlflow installed: `python3 -m nox -s interop` runs it",
)
without_mlflow = pytest.mark.skipif(
    HAS_MLFLOW,
    reason="checks the error raised without mlflow: `python3 -m nox -s "
    "'conformance(pythonmodel)'` runs it",
)

MLMODEL = """flavors:
  python_function:
    artifacts:
      weights:
        path: artifacts/0/weights.json
        uri: /home/user/project/weights.json
    cloudpickle_version: {cloudpickle}
    code: null
    config:
      greeting: hello
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: {loader}
{model_keys}    python_version: 3.11.7
    streamable: false
is_signature_from_type_hint: false
mlflow_version: 3.18.0
model_id: null
model_size_bytes: 2215
model_uuid: 408bbebd7c6c4d4787aa86518a5491b6
prompts: null
type_hint_from_example: false
utc_time_created: '2026-11-21 22:52:15.021132'
"""

# What cloudpickle writes for an instance of a class derived from mlflow.pyfunc.PythonModel
# reduces, for the loader, to this: MLflow's class named by module and name (protocol 2 GLOBAL).
MLFLOW_PICKLE = b"\x80\x02cmlflow.pyfunc.model\nPythonModel\nq\x00)\x81q\x01}q\x02b."


def write_layout(root: Path, loader: str, model_keys: str) -> Path:
    (root / "artifacts" / "0").mkdir(parents=True)
    (root / "artifacts" / "0" / "weights.json").write_text((DATA / "weights.json").read_text())
    text = MLMODEL.format(cloudpickle=cloudpickle.__version__, loader=loader, model_keys=model_keys)
    (root / "MLmodel").write_text(text)
    (root / "conda.yaml").write_text("name: mlflow-env\ndependencies:\n- python=3.11.7\n")
    return root


def test_model_from_code_layout(tmp_path: Path) -> None:
    """MLflow's layout: the file at the root, model_code_path its original absolute path."""
    root = write_layout(
        tmp_path / "m",
        "mlflow.pyfunc.loaders.code_model",
        "    model_code_path: /home/user/project/code_model.py\n",
    )
    (root / "code_model.py").write_text(CODE_MODEL.read_text())
    with pytest.raises(UntrustedModelError, match=r"code_model\.py"):
        flavorkit.load_model(root)
    model = flavorkit.load_model(root, trust=True)
    frame = models.frame()
    np.testing.assert_allclose(model.predict(frame)["total"], frame["a"] + frame["b"])
    context = model.predictor.context  # type: ignore[attr-defined]
    assert context.model_config == {"greeting": "hello"}
    assert context.artifacts == {"weights": str((root / "artifacts/0/weights.json").resolve())}


@pytest.mark.parametrize(
    ("compression", "suffix"), [("gzip", ".gz"), ("bzip2", ".bz2"), ("lzma", ".xz")]
)
def test_compressed_pickle_layout(tmp_path: Path, compression: str, suffix: str) -> None:
    """MLFLOW_LOG_MODEL_COMPRESSION: python_model.pkl.<ext> and python_model_compression."""
    import bz2
    import gzip
    import lzma

    opener = {"gzip": gzip.open, "bzip2": bz2.open, "lzma": lzma.open}[compression]
    keys = (
        f"    python_model: python_model.pkl{suffix}\n    python_model_compression: {compression}\n"
    )
    root = write_layout(tmp_path / "m", "mlflow.pyfunc.model", keys)
    with opener(root / f"python_model.pkl{suffix}", "wb") as f:
        cloudpickle.dump(models.Lookup().fit({"a": 7}), f)
    model = flavorkit.load_model(root, trust=True)
    np.testing.assert_array_equal(model.predict(pd.DataFrame({"word": ["a", "b"]})), [7, -1])


def test_layout_without_a_model_is_refused(tmp_path: Path) -> None:
    root = write_layout(tmp_path / "m", "mlflow.pyfunc.model", "")
    with pytest.raises(MLmodelError, match=r"neither python_model .* nor model_code_path"):
        flavorkit.load_model(root, trust=True)


@without_mlflow
def test_mlflow_pickle_needs_mlflow(tmp_path: Path) -> None:
    root = write_layout(
        tmp_path / "m", "mlflow.pyfunc.model", "    python_model: python_model.pkl\n"
    )
    (root / "python_model.pkl").write_bytes(MLFLOW_PICKLE)
    with pytest.raises(UntrustedModelError):  # the trust check comes first
        flavorkit.load_model(root)
    with pytest.raises(
        FlavorkitError, match=r"MLflow's own classes \(module 'mlflow'\).*pip install mlflow"
    ):
        flavorkit.load_model(root, trust=True)


@without_mlflow
def test_mlflow_code_file_needs_mlflow(tmp_path: Path) -> None:
    root = write_layout(
        tmp_path / "m", "mlflow.pyfunc.loaders.code_model", "    model_code_path: /x/model.py\n"
    )
    (root / "model.py").write_text(
        "import mlflow\n"
        "from mlflow.models import set_model\n"
        "class Echo(mlflow.pyfunc.PythonModel):\n"
        "    def predict(self, context, model_input, params=None):\n"
        "        return model_input\n"
        "set_model(Echo())\n"
    )
    with pytest.raises(
        FlavorkitError, match=r"model.py needs MLflow's own classes.*pip install mlflow"
    ):
        flavorkit.load_model(root, trust=True)


@needs_mlflow
def test_models_mlflow_saved_load(tmp_path: Path) -> None:
    import mlflow.pyfunc

    class Plus(mlflow.pyfunc.PythonModel):
        def load_context(self, context):
            self.n = float(Path(context.artifacts["n"]).read_text())

        def predict(self, context, model_input, params=None):
            return model_input["a"] + self.n + (params or {}).get("k", 0.0)

    (tmp_path / "n.txt").write_text("10")
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    mlflow.pyfunc.save_model(
        tmp_path / "pkl",
        python_model=Plus(),
        artifacts={"n": str(tmp_path / "n.txt")},
        input_example=(frame, {"k": 1.0}),
    )
    model = flavorkit.load_model(tmp_path / "pkl", trust=True)
    np.testing.assert_allclose(model.predict(frame, {"k": 2.0}), [13.0, 14.0])
    script = tmp_path / "code.py"
    script.write_text(
        "import mlflow\n"
        "class Up(mlflow.pyfunc.PythonModel):\n"
        "    def predict(self, context, model_input: list[str], params=None) -> list[str]:\n"
        "        return [s.upper() for s in model_input]\n"
        "mlflow.models.set_model(Up())\n"
    )
    mlflow.pyfunc.save_model(tmp_path / "code", python_model=str(script), input_example=["a"])
    assert flavorkit.load_model(tmp_path / "code", trust=True).predict(["x"]) == ["X"]
