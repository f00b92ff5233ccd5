"""Cold start: a fresh process from its first line to its first prediction, for every flavor.

Run:  python benchmarks/bench_cold_start.py  [--runs N]  [--only ROW]

What a serverless function, a Spark or Dask worker, a batch job, ``flavorkit predict`` or a new
server replica pays each time it starts. For each flavor and format the script saves one small
model, then times fresh interpreters (``python -c``, wall clock from spawn to exit) doing

* **flavorkit**: ``import flavorkit`` -> ``flavorkit.load_model`` -> one 2-row ``predict``;
* **floor**: the framework alone -- import it, load the same file with its own API, predict on
  the same input (``pickle.load`` + ``est.predict``, ``skops.io.load``, ``torch.export.load``,
  ``safetensors`` + ``load_state_dict``, ``onnxruntime.InferenceSession.run``, the class itself);
* **MLflow**: ``mlflow.pyfunc.load_model`` + ``predict`` on the same directory, when MLflow is
  importable here (``n/a`` where MLflow cannot load that format).

The runs of every cell are interleaved (round robin), so a busy stretch of the machine hits all
cells alike; each figure is the median of ``--runs`` (default 7). Targets (issue 23), measured
with torch installed in the same environment: skops <= 1.3x the pickle row; every flavorkit row
<= 1.2x its floor; every row <= 0.3x MLflow's.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

# The model classes the state_dict and pythonmodel rows rebuild: modules of the benchmark's own
# (one per framework, so the pythonmodel floor imports no torch), importable by the child
# processes through PYTHONPATH.
TORCH_CLASSES = """
import torch


class TinyNet(torch.nn.Module):
    def __init__(self, n_in: int = 4, n_out: int = 3):
        super().__init__()
        self.fc1 = torch.nn.Linear(n_in, 16)
        self.fc2 = torch.nn.Linear(16, n_out)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))
"""

PYTHON_CLASSES = """
from flavorkit_pythonmodel import PythonModel


class Doubler(PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input * 2
"""

DF = (
    "import pandas as pd\n"
    "x = pd.DataFrame([[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3]], columns="
    "['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'])\n"
)
ARRAY = (
    "import numpy as np\nx = np.array([[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3]], "
    "dtype=np.float32)\n"
)


@dataclass
class Row:
    name: str
    model: Path
    flavorkit: str
    floor: str
    mlflow: str | None


def _flavorkit(model: Path, data: str, load: str = "") -> str:
    return (
        f"import flavorkit\nm = flavorkit.load_model({str(model)!r}{load})\n"
        f"{data}print(m.predict(x))\n"
    )


def _mlflow(model: Path, data: str) -> str:
    return (
        "import mlflow.pyfunc\n"
        f"m = mlflow.pyfunc.load_model({str(model)!r})\n{data}print(m.predict(x))\n"
    )


def build_rows(root: Path) -> list[Row]:
    """Save one model per flavor and format under ``root``; the scripts that time each."""
    import numpy as np
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    import flavorkit

    X, y = load_iris(return_X_y=True, as_frame=True)
    clf = LogisticRegression(max_iter=300).fit(X, y)
    rows: list[Row] = []
    sys.path.insert(0, str(root))

    skops_dir, pickle_dir = root / "sklearn-skops", root / "sklearn-pickle"
    flavorkit.save_model(clf, skops_dir, input_example=X.head(3))
    flavorkit.save_model(clf, pickle_dir, input_example=X.head(3), serialization_format="pickle")
    rows.append(
        Row(
            "sklearn, skops (default)",
            skops_dir,
            _flavorkit(skops_dir, DF),
            "import skops.io\n"
            f"m = skops.io.load({str(skops_dir / 'model.skops')!r}, "
            "trusted=skops.io.get_untrusted_types("
            f"file={str(skops_dir / 'model.skops')!r}))\n{DF}print(m.predict(x))\n",
            _mlflow(skops_dir, DF),
        )
    )
    rows.append(
        Row(
            "sklearn, pickle (trust=True)",
            pickle_dir,
            _flavorkit(pickle_dir, DF, ", trust=True"),
            "import pickle\n"
            f"with open({str(pickle_dir / 'model.pkl')!r}, 'rb') as f:\n    m = pickle.load(f)\n"
            f"{DF}print(m.predict(x))\n",
            _mlflow(pickle_dir, DF),
        )
    )

    if importlib.util.find_spec("torch") and importlib.util.find_spec("flavorkit_pytorch"):
        (root / "cold_start_torch.py").write_text(TORCH_CLASSES)
        import torch
        from cold_start_torch import TinyNet  # type: ignore[import-not-found]

        net = TinyNet().eval()
        example = np.asarray(X.head(8), dtype=np.float32)
        pt2_dir, sd_dir = root / "pytorch-pt2", root / "pytorch-state_dict"
        flavorkit.save_model(net, pt2_dir, input_example=example)
        flavorkit.save_model(net, sd_dir, input_example=example, serialization_format="state_dict")
        rows.append(
            Row(
                "pytorch, pt2 (default)",
                pt2_dir,
                _flavorkit(pt2_dir, ARRAY),
                "import torch\n"
                f"m = torch.export.load({str(pt2_dir / 'data' / 'model.pt2')!r}).module()\n"
                f"{ARRAY}with torch.no_grad():\n    print(m(torch.from_numpy(x)).numpy())\n",
                _mlflow(pt2_dir, ARRAY),
            )
        )
        rows.append(
            Row(
                "pytorch, state_dict (model_class=)",
                sd_dir,
                "import flavorkit\nfrom cold_start_torch import TinyNet\n"
                f"m = flavorkit.load_model({str(sd_dir)!r}, model_class=TinyNet)\n"
                f"{ARRAY}print(m.predict(x))\n",
                "import torch\nfrom safetensors.torch import load_file\n"
                "from cold_start_torch import TinyNet\n"
                "m = TinyNet()\n"
                f"m.load_state_dict(load_file({str(sd_dir / 'data' / 'model.safetensors')!r}))\n"
                f"m.eval()\n{ARRAY}with torch.no_grad():\n"
                "    print(m(torch.from_numpy(x)).numpy())\n",
                None,  # flavorkit's own format: MLflow has no loader for it
            )
        )
        del torch

    if importlib.util.find_spec("skl2onnx") and importlib.util.find_spec("flavorkit_onnx"):
        from skl2onnx import to_onnx

        onx = to_onnx(clf, np.asarray(X.head(2), dtype=np.float32), options={"zipmap": False})
        onnx_dir = root / "onnx"
        flavorkit.save_model(
            onx,
            onnx_dir,
            input_example=np.asarray(X.head(3), dtype=np.float32),
            onnx_execution_providers=["CPUExecutionProvider"],
        )
        rows.append(
            Row(
                "onnx",
                onnx_dir,
                _flavorkit(onnx_dir, ARRAY),
                "import onnxruntime as ort\n"
                f"s = ort.InferenceSession({str(onnx_dir / 'model.onnx')!r}, "
                "providers=['CPUExecutionProvider'])\n"
                f"{ARRAY}print(s.run(None, {{s.get_inputs()[0].name: x}}))\n",
                _mlflow(onnx_dir, ARRAY),
            )
        )

    if importlib.util.find_spec("flavorkit_pythonmodel"):
        (root / "cold_start_python.py").write_text(PYTHON_CLASSES)
        from cold_start_python import Doubler  # type: ignore[import-not-found]

        py_dir = root / "pythonmodel"
        flavorkit.save_model(Doubler(), py_dir, input_example=X.head(3))
        rows.append(
            Row(
                "pythonmodel, reference (trust=True)",
                py_dir,
                _flavorkit(py_dir, DF, ", trust=True"),
                "from cold_start_python import Doubler\nm = Doubler()\n"
                f"{DF}print(m.predict(None, x))\n",
                None,  # flavorkit's reference form has no MLflow loader
            )
        )
    return rows


def time_script(code: str, root: Path) -> float:
    env_path = str(root)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**_base_env(), "PYTHONPATH": env_path},
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed")
    return elapsed


def _base_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONWARNINGS"] = "ignore"
    env.pop("PYTHONPATH", None)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", help="rows whose name contains this text")
    args = parser.parse_args()
    has_mlflow = importlib.util.find_spec("mlflow") is not None
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = [r for r in build_rows(root) if not args.only or args.only in r.name]
        cells: dict[tuple[str, str], list[float]] = {}
        failed: dict[tuple[str, str], str] = {}
        plan = []
        for r in rows:
            plan += [(r.name, "flavorkit", r.flavorkit), (r.name, "floor", r.floor)]
            if has_mlflow and r.mlflow:
                plan.append((r.name, "mlflow", r.mlflow))
        for _ in range(args.runs):
            for name, side, code in plan:
                if (name, side) in failed:
                    continue
                try:
                    cells.setdefault((name, side), []).append(time_script(code, root))
                except RuntimeError as e:
                    failed[(name, side)] = str(e)
        report(rows, cells, failed, args.runs)


def report(
    rows: list[Row],
    cells: dict[tuple[str, str], list[float]],
    failed: dict[tuple[str, str], str],
    runs: int,
) -> None:
    def med(name: str, side: str) -> float | None:
        v = cells.get((name, side))
        return statistics.median(v) if v and (name, side) not in failed else None

    def fmt(v: float | None) -> str:
        return f"{v:.2f} s" if v is not None else "n/a"

    print(f"Cold start, fresh process -> first 2-row prediction, median of {runs} runs")
    print(f"python {sys.version.split()[0]}; torch installed: {_installed('torch')}")
    header = (
        f"{'row':<38} {'flavorkit':>10} {'floor':>10} {'fk/floor':>9} "
        f"{'MLflow':>10} {'fk/MLflow':>10}"
    )
    print(header)
    print("-" * len(header))
    verdicts = []
    for r in rows:
        fk, fl, ml = med(r.name, "flavorkit"), med(r.name, "floor"), med(r.name, "mlflow")
        ratio_floor = fk / fl if fk and fl else None
        ratio_ml = fk / ml if fk and ml else None
        print(
            f"{r.name:<38} {fmt(fk):>10} {fmt(fl):>10} "
            f"{(f'{ratio_floor:.2f}x' if ratio_floor else 'n/a'):>9} {fmt(ml):>10} "
            f"{(f'{ratio_ml:.2f}x' if ratio_ml else 'n/a'):>10}"
        )
        if ratio_floor:
            verdicts.append((f"{r.name}: <= 1.2x floor", ratio_floor <= 1.2))
        if ratio_ml:
            verdicts.append((f"{r.name}: <= 0.3x MLflow", ratio_ml <= 0.3))
    by_name = {r.name: r for r in rows}
    skops_row, pickle_row = "sklearn, skops (default)", "sklearn, pickle (trust=True)"
    skops = med(skops_row, "flavorkit") if skops_row in by_name else None
    pkl = med(pickle_row, "flavorkit") if pickle_row in by_name else None
    if skops and pkl:
        print(f"\nskops / pickle (flavorkit): {skops / pkl:.2f}x   target <= 1.3x")
        verdicts.append(("skops <= 1.3x pickle", skops / pkl <= 1.3))
    for key, why in failed.items():
        print(f"  {key[0]} / {key[1]}: failed: {why}")
    print("\nTargets:")
    for label, ok in verdicts:
        print(f"  {'ok  ' if ok else 'OVER'}  {label}")


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


if __name__ == "__main__":
    main()
