"""flavorkit-onnx: pyfunc predict overhead over a raw ``InferenceSession.run``, next to targets.

Run:  python benchmarks/bench_onnx.py  [--quick]

The model is a classifier-shaped MLP built with ``onnx.helper`` (so the script needs neither
torch nor skl2onnx): ``x`` float [N, 32] → Gemm 32×256 → Relu → Gemm 256×4 → Softmax →
``probabilities`` [N, 4], plus ``label`` = ArgMax [N], two outputs of different shapes.

* raw: ``onnxruntime.InferenceSession(model bytes, providers=[CPU]).run(None, {"x": x})``;
* flavorkit: ``flavorkit.load_model(dir).predict({"x": x})``, i.e. signature enforcement (the
  graph's named tensor) + the predictor's feed mapping, dtype check and dict output;
* for 1 row the overhead is the median of per-round differences, raw and wrapped timed
  alternately (target <= 50 µs); for 100 000 rows the ratio wrapped / raw (target <= 1.05);
* informative: a DataFrame of 32 float64 columns through a column signature (enforcement, stack,
  float64 → float32, a DataFrame out with one array per row for the probabilities);
* the same against ``mlflow.onnx`` when MLflow is importable (its overhead and ratio).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import timeit
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from timing import paired_overhead  # benchmarks/timing.py, beside this script

import flavorkit

QUICK = "--quick" in sys.argv
CPU = ["CPUExecutionProvider"]
FEATURES = 32


def line(label: str, value: str, target: str = "") -> None:
    print(f"  {label:<46} {value:>12}   {target}")


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


def build_model() -> Any:
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    init = {
        "w1": rng.normal(scale=0.2, size=(FEATURES, 256)).astype(np.float32),
        "b1": np.zeros(256, np.float32),
        "w2": rng.normal(scale=0.2, size=(256, 4)).astype(np.float32),
        "b2": np.zeros(4, np.float32),
    }
    graph = helper.make_graph(
        [
            helper.make_node("Gemm", ["x", "w1", "b1"], ["h"]),
            helper.make_node("Relu", ["h"], ["r"]),
            helper.make_node("Gemm", ["r", "w2", "b2"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
            helper.make_node("ArgMax", ["logits"], ["label"], axis=1, keepdims=0),
        ],
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", FEATURES])],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 4]),
        ],
        initializer=[numpy_helper.from_array(v, k) for k, v in init.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def main() -> None:
    import onnxruntime as ort
    import pandas as pd

    from flavorkit.signature import infer_signature

    model = build_model()
    rng = np.random.default_rng(1)
    row = rng.normal(size=(1, FEATURES)).astype(np.float32)
    big = rng.normal(size=(100_000, FEATURES)).astype(np.float32)
    work = Path(tempfile.mkdtemp(prefix="bench-onnx-"))
    repeat = 7 if QUICK else 25
    number = 200 if QUICK else 1000
    big_repeat = 5 if QUICK else 15

    print(
        f"flavorkit {flavorkit.__version__}, onnxruntime {ort.__version__}, Python "
        f"{sys.version.split()[0]}"
    )
    print("flavorkit-onnx (overhead over a raw InferenceSession.run on the same model)")
    session = ort.InferenceSession(model.SerializeToString(), providers=CPU)
    flavorkit.save_model(model, work / "fk", onnx_execution_providers=CPU)
    fk = flavorkit.load_model(work / "fk")

    t_raw1, t_fk1, over = paired_overhead(
        lambda: session.run(None, {"x": row}),
        lambda: fk.predict({"x": row}),
        repeat=repeat,
        number=number,
    )
    line("1-row session.run", f"{t_raw1 * 1e6:.1f} µs")
    line("1-row load_model(...).predict", f"{t_fk1 * 1e6:.1f} µs")
    line("1-row overhead", f"{over * 1e6:.1f} µs", f"(target <= 50 µs: {verdict(over <= 50e-6)})")

    t_rawb, t_fkb, _ = paired_overhead(
        lambda: session.run(None, {"x": big}),
        lambda: fk.predict({"x": big}),
        repeat=big_repeat,
        number=1,
    )
    ratio = t_fkb / t_rawb
    line("100k-row session.run", f"{t_rawb * 1e3:.2f} ms")
    line("100k-row load_model(...).predict", f"{t_fkb * 1e3:.2f} ms")
    line(
        "100k-row ratio (flavorkit / raw)",
        f"{ratio:.3f}x",
        f"(target <= 1.05x: {verdict(ratio <= 1.05)})",
    )

    frame = pd.DataFrame(big.astype(np.float64), columns=[f"f{i}" for i in range(FEATURES)])
    flavorkit.save_model(
        model, work / "cols", signature=infer_signature(frame.head()), onnx_execution_providers=CPU
    )
    cols = flavorkit.load_model(work / "cols")
    t_df = statistics.median(
        timeit.repeat(lambda: cols.predict(frame), repeat=big_repeat, number=1)
    )
    line(
        "100k-row DataFrame in/out, column signature",
        f"{t_df * 1e3:.2f} ms",
        f"({t_df / t_rawb:.2f}x raw; informative, no target)",
    )

    try:
        import mlflow.onnx
        import mlflow.pyfunc
    except ImportError:
        print("mlflow.onnx: mlflow is not importable here; MLflow comparison skipped.")
        return

    print(f"mlflow.onnx {mlflow.__version__} (ratios: mlflow / flavorkit)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlflow.onnx.save_model(_copy(model), str(work / "ml"), onnx_execution_providers=CPU)
        ml = mlflow.pyfunc.load_model(str(work / "ml"), suppress_warnings=True)
    _, _, m_over = paired_overhead(
        lambda: session.run(None, {"x": row}),
        lambda: ml.predict({"x": row}),
        repeat=repeat,
        number=number,
    )
    line("1-row overhead", f"{m_over * 1e6:.1f} µs", f"{m_over / max(over, 1e-9):.1f}x flavorkit")
    t_rawm, t_mlb, _ = paired_overhead(
        lambda: session.run(None, {"x": big}),
        lambda: ml.predict({"x": big}),
        repeat=big_repeat,
        number=1,
    )
    line(
        "100k-row ratio (mlflow / raw)",
        f"{t_mlb / t_rawm:.3f}x",
        f"{(t_mlb / t_rawm) / ratio:.2f}x flavorkit's",
    )


def _copy(model: Any) -> Any:
    """mlflow.onnx.save_model clears the weights of the model it is given (external data)."""
    import onnx

    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    return copy


if __name__ == "__main__":
    main()
