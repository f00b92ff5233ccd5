"""Schema enforcement overhead, printed next to its target and reference.

Run with ``python benchmarks/bench_enforce.py``. Each figure is the median of several ``timeit``
repeats; no assertions, so a slow machine prints slow numbers rather than failing. References:
a scikit-learn ``LogisticRegression.predict`` on the same frame (measured in the same run), and
the ~175 ms MLflow users measured for a 600-column row (mlflow#7948).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import timeit
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from flavorkit.enforce import enforce_schema
from flavorkit.schema import ColSpec, DataType, Schema

REPEATS = 9


def median_seconds(fn: Callable[[], Any], min_time: float = 0.2) -> float:
    """Median time of one call over REPEATS repeats, each long enough to be measurable."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    number = max(1, int(number * min_time / 0.2))
    return statistics.median(t / number for t in timer.repeat(REPEATS, number))


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} µs"
    return f"{seconds * 1e3:8.2f} ms"


def row(label: str, seconds: float, target: str, verdict: bool, note: str = "") -> None:
    mark = "ok  " if verdict else "MISS"
    print(f"  {mark} {label:<44} {fmt(seconds)}   target {target}{note}")


def frame(rows: int, cols: int, dtype: str, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    if dtype.startswith("int"):
        data = rng.integers(0, 100, size=(rows, cols)).astype(dtype)
    else:
        data = rng.normal(size=(rows, cols)).astype(dtype)
    return pd.DataFrame(data, columns=[f"f{i}" for i in range(cols)])


def schema(cols: int, t: DataType) -> Schema:
    return Schema([ColSpec(t, f"f{i}") for i in range(cols)])


def enforcement_cases() -> None:
    print(f"Enforcement overhead (median of {REPEATS} repeats)")
    for rows, cols, target_s, target in [(1, 10, 50e-6, "≤ 50 µs"), (1, 600, 1e-3, "≤ 1 ms")]:
        matching = frame(rows, cols, "float64")
        s_double = schema(cols, DataType.double)
        assert enforce_schema(matching, s_double) is matching
        t = median_seconds(lambda df=matching, s=s_double: enforce_schema(df, s))
        ref = "  (MLflow: ~175 ms, mlflow#7948)" if cols == 600 else ""
        row(f"{rows} row × {cols} cols, already matching (no copy)", t, target, t <= target_s, ref)

        ints = frame(rows, cols, "int32")
        s_long = schema(cols, DataType.long)
        assert (enforce_schema(ints, s_long).dtypes == "int64").all()
        t = median_seconds(lambda df=ints, s=s_long: enforce_schema(df, s))
        row(f"{rows} row × {cols} cols, int32 → long (converted)", t, target, t <= target_s)

        mixed = pd.DataFrame(
            {
                c: matching[c].astype("float32" if i % 2 else "float64")
                for i, c in enumerate(matching)
            }
        )
        t = median_seconds(lambda df=mixed, s=s_double: enforce_schema(df, s))
        row(f"{rows} row × {cols} cols, half float32 → double", t, target, t <= target_s)

        # not a target of the brief: a reorder needs a new frame, and pandas' own take is most
        # of the cost, so print that next to it
        shuffled = matching[list(reversed(matching.columns))].assign(extra=1.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = median_seconds(lambda df=shuffled, s=s_double: enforce_schema(df, s))
        order = list(range(cols - 1, -1, -1))
        t_take = median_seconds(lambda df=shuffled, o=order: df.take(o, axis=1))
        print(
            f"  info {f'{rows} row × {cols} cols, reordered + 1 extra column':<44} {fmt(t)}   "
            f"(pandas df.take alone: {fmt(t_take).strip()})"
        )


def predict_ratio_cases() -> None:
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    # one BLAS thread: on a small shared machine threaded BLAS makes predict swing 1.5-12 ms
    # between runs; single-threaded it is steady and at its fastest, the strictest reference
    threadpool_limits(1)
    rows, cols = 100_000, 10
    print(
        f"\nRelative to LogisticRegression.predict on the same {rows:,} × {cols} frame (1 thread)"
    )
    x = frame(rows, cols, "float64")
    y = (x["f0"] > 0).astype("int64")
    model = LogisticRegression().fit(x, y)
    t_predict = median_seconds(lambda: model.predict(x))
    print(f"       {'predict (reference)':<44} {fmt(t_predict)}")
    s_double = schema(cols, DataType.double)
    cases = [
        ("float64 → double, already matching", x, s_double),
        ("int32 → double (converted, 8 MB copy)", frame(rows, cols, "int32"), s_double),
        ("float32 → double (converted, 8 MB copy)", frame(rows, cols, "float32"), s_double),
    ]
    for label, df, s in cases:
        t = median_seconds(lambda df=df, s=s: enforce_schema(df, s))
        ratio = t / t_predict
        row(label, t, "≤ 5 % of predict", ratio <= 0.05, f"   ratio {ratio:6.1%}")
    # a conversion is one copy of the data, which the model would otherwise make itself
    ints = frame(rows, cols, "int32")
    t_raw = median_seconds(lambda: model.predict(ints))
    t_both = median_seconds(lambda: model.predict(enforce_schema(ints, s_double)))
    print(f"       {'int32 frame: predict alone':<44} {fmt(t_raw)}")
    print(
        f"       {'int32 frame: enforce + predict':<44} {fmt(t_both)}   "
        f"end-to-end ratio {t_both / t_raw:6.1%}"
    )


def import_cost() -> None:
    print("\nImport cost (fresh interpreter, median of 11 runs)")

    # measure an installed package: bytecode cached (a warm-up run writes the .pyc files even
    # where PYTHONDONTWRITEBYTECODE is set in the calling shell)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", "import flavorkit.enforce"], check=True, env=env)

    def run(code: str) -> float:
        times = []
        for _ in range(11):
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    f"import time; t=time.perf_counter(); {code}; print(time.perf_counter() - t)",
                ],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            )
            times.append(float(out.stdout.strip().splitlines()[-1]))
        return statistics.median(times)

    def whole(code: str) -> float:
        times = []
        for _ in range(11):
            start = timeit.default_timer()
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
            times.append(timeit.default_timer() - start)
        return statistics.median(times)

    t_import = run("import flavorkit")
    t_enforce = run("import flavorkit.enforce")
    t_total = whole("import flavorkit") - whole("pass")
    row("import flavorkit (in-process timer)", t_import, "≤ 50 ms", t_import <= 0.05)
    row("import flavorkit.enforce (in-process timer)", t_enforce, "≤ 50 ms", t_enforce <= 0.05)
    row("python -c 'import flavorkit' minus -c pass", t_total, "≤ 50 ms", t_total <= 0.05)
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, flavorkit, flavorkit.enforce; "
            "print('numpy' in sys.modules, 'pandas' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    print(
        f"       after `import flavorkit, flavorkit.enforce`: numpy in sys.modules = {check[0]}, "
        f"pandas in sys.modules = {check[1]}"
    )


def main() -> None:
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}\n")
    enforcement_cases()
    predict_ratio_cases()
    import_cost()


if __name__ == "__main__":
    main()
