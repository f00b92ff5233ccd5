"""The end-to-end demo: ``python -m flavorkit.demo [OUTPUT_DIR]``.

For every installed flavor plugin that has a recipe here, train a small model on bundled data,
save it as an MLmodel directory, inspect it, load it back, predict, check the predictions against
the in-memory model, validate the directory, and print a short report. Nothing is downloaded.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["main"]


@dataclass
class Trained:
    """A recipe's result: the model, its input example, and how to save, load and check it."""

    model: Any
    example: Any
    reference: Callable[[Any], Any]  # the in-memory model's own prediction on the example
    save_options: dict[str, Any] = field(default_factory=dict)
    load_options: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def _iris() -> tuple[Any, Any]:
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True, as_frame=True)
    X.columns = [c.replace(" (cm)", "").replace(" ", "_") for c in X.columns]
    return X, y


def _sklearn() -> Trained:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _iris()
    scale = ColumnTransformer([("scale", StandardScaler(), list(X.columns))])
    model = make_pipeline(scale, LogisticRegression(max_iter=500)).fit(X, y)
    return Trained(model, X.head(3), model.predict)


def _pytorch() -> Trained:
    import numpy as np
    import torch

    torch.manual_seed(0)
    X, y = _iris()
    features = torch.tensor(X.to_numpy(dtype=np.float32))
    target = torch.tensor(y.to_numpy())
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(100):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(features), target)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
    model.eval()
    example = X.head(3).to_numpy(dtype=np.float32)

    def reference(data: Any) -> Any:
        with torch.no_grad():
            return model(torch.tensor(data)).numpy()

    return Trained(model, example, reference, note="torch.export (pt2): no pickle, no code")


def _onnx() -> Trained:
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    X, y = _iris()
    # A least-squares linear scorer, written as an ONNX graph: scores = X @ W + b
    features = X.to_numpy(dtype=np.float64)
    onehot = np.eye(3)[y.to_numpy()]
    design = np.hstack([features, np.ones((len(features), 1))])
    solution = np.linalg.lstsq(design, onehot, rcond=None)[0].astype(np.float32)
    weights, bias = solution[:4], solution[4]
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["X", "W"], ["XW"]),
            helper.make_node("Add", ["XW", "b"], ["scores"]),
        ],
        "iris_linear",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", 3])],
        [numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
    example = {"X": X.head(3).to_numpy(dtype=np.float32)}
    return Trained(
        model,
        example,
        lambda data: {"scores": data["X"] @ weights + bias},
        save_options={"onnx_execution_providers": ["CPUExecutionProvider"]},
        note="signature read from the graph",
    )


def _python_model() -> Trained:
    # Imported by name, not taken from this module's globals: under `python -m flavorkit.demo`
    # this module is __main__, and a model recorded by reference must name an importable module.
    from flavorkit.demo import IrisThresholds

    X, _ = _iris()
    model = IrisThresholds()
    return Trained(
        model,
        X.head(3),
        lambda data: model.predict(None, data),
        load_options={"python_model_class": IrisThresholds},
        note="recorded by reference; the caller passed the class, so nothing was imported",
    )


try:  # the python_model recipe runs only where flavorkit-pythonmodel is installed
    from flavorkit_pythonmodel import PythonModel as _PythonModel
except ImportError:  # pragma: no cover - the demo then skips that flavor
    _PythonModel = object  # type: ignore[assignment,misc]


class IrisThresholds(_PythonModel):
    """A rule-based iris classifier: the kind of model no framework flavor covers."""

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        petal_length = (model_input["petal_length"] > 2.5).astype(int)
        return petal_length + (model_input["petal_width"] > 1.7).astype(int)


RECIPES: dict[str, tuple[str, Callable[[], Trained]]] = {
    "sklearn": ("scikit-learn pipeline (scaler + logistic regression) on iris", _sklearn),
    "pytorch": ("PyTorch MLP on iris", _pytorch),
    "onnx": ("ONNX linear scorer on iris", _onnx),
    "python_model": ("custom Python model (thresholds) on iris", _python_model),
}


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    import flavorkit
    from flavorkit.validate import validate_model

    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path(tempfile.mkdtemp(prefix="flavorkit-demo-"))
    installed = {info.name for info in flavorkit.list_flavors()}
    print(f"flavorkit {flavorkit.__version__}: installed flavors: {sorted(installed) or 'none'}")
    ran = 0
    for name, (description, recipe) in RECIPES.items():
        if name not in installed:
            print(f"\n[{name}] plugin not installed, skipped")
            continue
        ran += 1
        print(f"\n[{name}] {description}")
        trained = recipe()
        path = out / name
        start = time.perf_counter()
        meta = flavorkit.save_model(
            trained.model, path, input_example=trained.example, overwrite=True,
            **trained.save_options,
        )  # fmt: skip
        saved_ms = (time.perf_counter() - start) * 1e3
        print(f"  saved      {path} in {saved_ms:.0f} ms ({meta.model_size_bytes:,} bytes)")
        sig = meta.signature
        if sig is not None and sig.inputs is not None:
            print(f"  inputs     {', '.join(map(repr, sig.inputs.inputs))}")
            names = sig.inputs.input_names() if not sig.inputs.is_tensor_spec() else []
            if names and all(isinstance(n, str) for n in names):
                # the header a CSV for `flavorkit predict` needs: exactly the model's columns
                print(f"  csv header {','.join(map(str, names))}")
                print(f"  try        flavorkit predict -m {path} -i rows.csv")
        if sig is not None and sig.outputs is not None:
            print(f"  outputs    {', '.join(map(repr, sig.outputs.inputs))}")
        reqs = (path / "requirements.txt").read_text().splitlines()
        print(f"  requires   {', '.join(reqs)}")
        start = time.perf_counter()
        loaded = flavorkit.load_model(path, **trained.load_options)
        load_ms = (time.perf_counter() - start) * 1e3
        predictions = loaded.predict(trained.example)
        same = _same(predictions, trained.reference(trained.example), np)
        print(f"  loaded     in {load_ms:.1f} ms ({trained.note or 'safe format'})")
        print(f"  predicted  {_short(predictions, np)} (matches the trained model: {same})")
        checks = validate_model(path, **trained.load_options)
        failed = [c for c in checks if c.status == "fail"]
        print(f"  validate   {len(checks) - len(failed)}/{len(checks)} checks passed")
        if failed or not same:
            for check in failed:
                print(f"    {check.symbol} {check.name}: {check.detail}")
            return 1
    if ran == 0:
        print("\nNo flavor plugin with a demo recipe is installed; nothing to show.")
        return 1
    print(f"\nDone: {ran} model(s) under {out}")
    return 0


def _same(a: Any, b: Any, np: Any) -> bool:
    if isinstance(a, dict):
        return all(np.allclose(np.asarray(a[k]), np.asarray(b[k]), atol=1e-5) for k in b)
    return bool(np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), atol=1e-5))


def _short(predictions: Any, np: Any) -> str:
    def rounded(values: Any) -> Any:
        array = np.asarray(values)
        return (array.astype(float).round(2) if array.dtype.kind == "f" else array).tolist()

    if isinstance(predictions, dict):
        return "{" + ", ".join(f"{k}: {rounded(v)}" for k, v in predictions.items()) + "}"
    return str(rounded(predictions))


if __name__ == "__main__":
    raise SystemExit(main())
