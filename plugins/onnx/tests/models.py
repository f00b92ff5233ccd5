"""Small real ONNX models for the tests, built when first needed.

* ``logreg_onnx``: a scikit-learn LogisticRegression converted by skl2onnx (``zipmap=False``):
  input ``X`` float [N, 4], outputs ``label`` int64 [N] and ``probabilities`` float [N, 3].
* ``torch_mlp``: ``data/mlp_torch.onnx``, a PyTorch MLP exported by ``torch.onnx.export``
  (see ``data/make_mlp_torch.py``): ``x`` float [batch, 4] → ``probabilities`` [batch, 3].
* ``two_inputs``: built with ``onnx.helper``: ``a`` float [N, 3] and ``b`` int64 [N, 1] →
  ``y`` = a·W + b, float [N, 2], and ``total`` = Σ a, float [N].
* ``wide_mlp``: ``x`` float [N, 64] → Gemm(64 × 2048) → Relu → Gemm(2048 × 4) → ``y`` [N, 4],
  about 1 MB of initializers, for external data.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).parent / "data"
OPSET = 17
IR_VERSION = 8  # what every onnxruntime from 1.14 on reads


@cache
def iris32() -> np.ndarray:
    from sklearn.datasets import load_iris

    return load_iris().data.astype(np.float32)


@cache
def logreg_onnx(zipmap: bool = False) -> Any:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    clf = LogisticRegression(max_iter=1000).fit(X, y)
    return convert_sklearn(
        clf,
        initial_types=[("X", FloatTensorType([None, 4]))],
        options={"zipmap": zipmap},
        target_opset=OPSET,
    )


@cache
def torch_mlp() -> Any:
    import onnx

    return onnx.load(str(DATA / "mlp_torch.onnx"))


def _model(graph: Any) -> Any:
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    return model


@cache
def two_inputs() -> Any:
    from onnx import TensorProto, helper, numpy_helper

    w = np.array([[1.0, -1.0], [0.5, 2.0], [-2.0, 0.25]], dtype=np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["a", "w"], ["aw"]),
            helper.make_node("Cast", ["b"], ["bf"], to=TensorProto.FLOAT),
            helper.make_node("Add", ["aw", "bf"], ["y"]),
            helper.make_node("ReduceSum", ["a", "axes"], ["total"], keepdims=0),
        ],
        "two_inputs",
        [
            helper.make_tensor_value_info("a", TensorProto.FLOAT, ["N", 3]),
            helper.make_tensor_value_info("b", TensorProto.INT64, ["N", 1]),
        ],
        [
            helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2]),
            helper.make_tensor_value_info("total", TensorProto.FLOAT, ["N"]),
        ],
        initializer=[
            numpy_helper.from_array(w, "w"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "axes"),
        ],
    )
    return _model(graph)


def two_inputs_data(rows: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(rows)
    return {
        "a": rng.normal(size=(rows, 3)).astype(np.float32),
        "b": rng.integers(-5, 5, size=(rows, 1)).astype(np.int64),
    }


@cache
def wide_mlp(hidden: int = 2048) -> Any:
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(7)
    weights = {
        "w1": rng.normal(scale=0.1, size=(64, hidden)).astype(np.float32),
        "b1": rng.normal(size=hidden).astype(np.float32),
        "w2": rng.normal(scale=0.1, size=(hidden, 4)).astype(np.float32),
        "b2": np.zeros(4, dtype=np.float32),
    }
    graph = helper.make_graph(
        [
            helper.make_node("Gemm", ["x", "w1", "b1"], ["h"]),
            helper.make_node("Relu", ["h"], ["r"]),
            helper.make_node("Gemm", ["r", "w2", "b2"], ["y"]),
        ],
        "wide_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
        initializer=[numpy_helper.from_array(v, k) for k, v in weights.items()],
    )
    return _model(graph)


def onnx_save(model: Any, file: Path, **kwargs: Any) -> None:
    """``onnx.save_model`` on a copy: with external data it clears the weights of the model it
    is given, and the models here are shared."""
    import onnx

    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    onnx.save_model(copy, str(file), **kwargs)


def wide_data(rows: int = 3) -> np.ndarray:
    return np.random.default_rng(rows).normal(size=(rows, 64)).astype(np.float32)


@cache
def broken_graph() -> Any:
    """A graph whose Add reads a tensor nothing produces: no runtime can open it."""
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "ghost"], ["y"])],
        "broken",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
    )
    return _model(graph)
