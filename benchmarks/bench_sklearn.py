"""flavorkit-sklearn: save, load and predict overhead, next to their targets.

Run:  python benchmarks/bench_sklearn.py  [--quick]

* save: a small LogisticRegression (iris, named columns) with an input example, so the
  signature is inferred and the requirements are inferred from the model object (default skops);
* load: ``flavorkit.load_model`` of that directory (skops, no trust needed);
* predict overhead: ``load_model(...).predict`` (signature enforcement + the predictor) minus the
  raw estimator's ``predict``, on 1 row, and as a ratio on 100 000 rows;
* the same against ``mlflow.sklearn`` when MLflow is importable (as ratios).

Every figure is the median of repeated runs (time.perf_counter / timeit), after a warm-up, so
one-time imports (scikit-learn, skops) are not counted.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import timeit
import warnings
from collections.abc import Callable
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np
import pandas as pd
from timing import paired_overhead  # benchmarks/timing.py, beside this script

import flavorkit

QUICK = "--quick" in sys.argv


def median_seconds(fn: Callable[[], Any], *, repeat: int, number: int = 1) -> float:
    fn()  # warm-up
    return statistics.median(timeit.repeat(fn, repeat=repeat, number=number)) / number


def median_of_calls(fn: Callable[[int], Any], *, repeat: int) -> float:
    """Median of ``fn(i)`` timings, for calls that need a fresh argument each time."""
    fn(-1)
    times = []
    for i in range(repeat):
        start = perf_counter()
        fn(i)
        times.append(perf_counter() - start)
    return statistics.median(times)


def line(label: str, value: str, target: str = "") -> None:
    print(f"  {label:<44} {value:>14}   {target}")


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


def main() -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True, as_frame=True)
    est = LogisticRegression(max_iter=1000).fit(X, y)
    example = X.head(5)
    row = X.iloc[[0]].copy()  # a fresh 1-row frame, as a caller would build it
    big = pd.DataFrame(
        np.random.default_rng(0).normal(size=(100_000, 4)) + X.mean().to_numpy(),
        columns=X.columns,
    )
    work = Path(tempfile.mkdtemp(prefix="bench-sklearn-"))
    repeat = 7 if QUICK else 25

    print(f"flavorkit {flavorkit.__version__}, Python {sys.version.split()[0]}")
    print("flavorkit-sklearn")

    def save(i: int) -> None:
        flavorkit.save_model(est, work / f"fk-{i}", input_example=example)

    t_save = median_of_calls(save, repeat=repeat)
    line("save (skops, inferred reqs + signature)", f"{t_save * 1e3:.1f} ms", _t(t_save, 0.050))

    model_dir = work / "fk-0"
    t_load = median_seconds(lambda: flavorkit.load_model(model_dir), repeat=repeat)
    line("load_model", f"{t_load * 1e3:.2f} ms", _t(t_load, 0.005))

    model = flavorkit.load_model(model_dir)
    number = 50 if QUICK else 200
    t_raw1, t_fk1, over = paired_overhead(
        lambda: est.predict(row), lambda: model.predict(row), repeat=repeat, number=number
    )
    line("1-row predict, raw estimator", f"{t_raw1 * 1e6:.1f} µs")
    line("1-row predict, load_model(...).predict", f"{t_fk1 * 1e6:.1f} µs")
    line("1-row overhead", f"{over * 1e6:.1f} µs", _t(over, 50e-6, unit="µs", scale=1e6))

    big_repeat = 5 if QUICK else 15
    t_rawb, t_fkb, _ = paired_overhead(
        lambda: est.predict(big), lambda: model.predict(big), repeat=big_repeat, number=1
    )
    line("100k-row predict, raw estimator", f"{t_rawb * 1e3:.2f} ms")
    line("100k-row predict, load_model(...).predict", f"{t_fkb * 1e3:.2f} ms")
    line("100k-row ratio (flavorkit / raw)", f"{t_fkb / t_rawb:.2f}x", "(target: close to 1x)")

    try:
        import mlflow.pyfunc
        import mlflow.sklearn
    except ImportError:
        print("mlflow.sklearn: mlflow is not importable here; MLflow comparison skipped.")
        return

    print(f"mlflow.sklearn {mlflow.__version__} (ratios: mlflow / flavorkit)")

    def mlflow_save(i: int) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mlflow.sklearn.save_model(est, str(work / f"ml-{i}"), input_example=example)

    ml_repeat = 3 if QUICK else 5  # each save runs requirement inference in a subprocess
    t_msave = median_of_calls(mlflow_save, repeat=ml_repeat)
    line("save", f"{t_msave * 1e3:.0f} ms", f"{t_msave / t_save:.1f}x flavorkit")
    ml_dir = str(work / "ml-0")
    t_mload = median_seconds(
        lambda: mlflow.pyfunc.load_model(ml_dir, suppress_warnings=True), repeat=ml_repeat
    )
    line("pyfunc.load_model", f"{t_mload * 1e3:.1f} ms", f"{t_mload / t_load:.1f}x flavorkit")
    ml_model = mlflow.pyfunc.load_model(ml_dir, suppress_warnings=True)
    _, _, m_over = paired_overhead(
        lambda: est.predict(row), lambda: ml_model.predict(row), repeat=repeat, number=number
    )
    line("1-row overhead", f"{m_over * 1e6:.1f} µs", f"{m_over / max(over, 1e-9):.1f}x flavorkit")
    t_mb = median_seconds(lambda: ml_model.predict(big), repeat=big_repeat)
    line("100k-row ratio (mlflow / raw)", f"{t_mb / t_rawb:.2f}x", f"{t_mb / t_fkb:.2f}x flavorkit")


def _t(value: float, target: float, *, unit: str = "ms", scale: float = 1e3) -> str:
    return f"(target <= {target * scale:g} {unit}: {verdict(value <= target)})"


if __name__ == "__main__":
    main()
