"""flavorkit next to MLflow, figure by figure, as ratios flavorkit / MLflow measured in one run.

Run (in an environment with MLflow, the core and the plugins: ``nox -s bench``):

    python benchmarks/bench_vs_mlflow.py            # ~400 MB PyTorch model
    python benchmarks/bench_vs_mlflow.py --quick    # ~50 MB, fewer repeats

Both sides of every pair are measured in the same process, interleaved round by round (so both
see the same machine). Saves and loads: each save starts after ``os.sync()`` (no write-back of an
earlier run lands in it) and the best round is kept, the least disturbed on a small shared
machine where other load slows single runs down several-fold. Predicts: the median over rounds
of each round's figure relative to the raw estimator. Where a fresh process is the point: import
time (median over fresh interpreters) and the large model's load (a fresh process per load,
imports warmed up on a tiny model first, with the helpers of ``bench_pytorch.py``).

* **import**: ``import flavorkit`` against ``import mlflow``.
* **sklearn save**: a LogisticRegression (iris, skops, ``input_example=`` 5 rows, so both infer a
  signature) with requirements inferred (flavorkit walks the model's types in-process; MLflow
  loads the model in a subprocess), then with ``pip_requirements=`` given. The inferred
  requirement lists are printed: MLflow's include torch when torch is installed.
* **pyfunc load**: ``flavorkit.load_model`` against ``mlflow.pyfunc.load_model``, of the same
  directory (saved by flavorkit, which both read).
* **predict**: pyfunc predict against the raw estimator's predict on the same DataFrame, the
  three back to back (in a rotating order) in each of 15 rounds, the median over rounds: the
  overhead on 1 row (µs; ratio of overheads) and the time on 100k rows as a multiple of raw
  (ratio of those).
* **large PyTorch model**: save in pt2 and pickle by both (``pip_requirements=`` given, the
  same ``input_example=``), flavorkit's safetensors state_dict against MLflow's pt2 (each side's
  pickle-free format), load time and peak RSS growth (× the weights) over the load, and over the
  load plus a first predict (memory-mapped weights are read when first used).
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import operator
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import timeit
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))  # the other bench scripts, for their helpers

#: MLflow 3.17.2 figures from issue 10, measured on this kind of machine (2 cores, Python 3.11).
ISSUE_REFERENCE = {
    "import": "1.21 s",
    "save_inferred": "4.87 s",
    "save_explicit": "10 ms",
    "load": "15 ms",
    "overhead_1": "1.34 ms",
    "slowdown_100k": "2.14x raw",
    "torch_save": "3.0 s (403 MB)",
}


@dataclass
class Figure:
    """One row of the table: a figure for each side, in the same unit, and the ratio."""

    label: str
    ours: float
    theirs: float
    unit: str
    reference: str = ""
    fmt: str = "{:.2f}"

    @property
    def ratio(self) -> float:
        return self.ours / self.theirs if self.theirs else float("nan")

    def cells(self) -> tuple[str, str, str, str, str]:
        show = self.fmt.format
        return (
            self.label,
            f"{show(self.ours)} {self.unit}",
            f"{show(self.theirs)} {self.unit}",
            f"{self.ratio:.3g}",
            self.reference,
        )


FIGURES: list[Figure] = []


def record(figure: Figure) -> None:
    FIGURES.append(figure)
    label, ours, theirs, ratio, ref = figure.cells()
    print(f"  {label:<54} {ours:>14} {theirs:>14}   ratio {ratio:>7}   {ref}")


def fresh_seconds(code: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def import_time(module: str) -> float:
    return fresh_seconds(
        f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    )


def interleaved_best(jobs: dict[str, Callable[[int], Any]], repeat: int) -> dict[str, float]:
    """Best wall time (s) of each job over ``repeat`` rounds, every job once per round, each
    started after ``os.sync()`` (``bench_pytorch.best_times``, with nothing to clean up)."""
    from bench_pytorch import best_times

    return best_times({name: (job, lambda i: None) for name, job in jobs.items()}, repeat)


def requirements(path: Path) -> list[str]:
    return (path / "requirements.txt").read_text().split()


# -- scikit-learn -----------------------------------------------------------------------------


def sklearn_figures(work: Path, repeat: int) -> None:
    import mlflow.pyfunc
    import mlflow.sklearn
    import numpy as np
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    import flavorkit
    from flavorkit.environment import pinned_requirement

    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    example = X.head(5)
    explicit = [pinned_requirement("scikit-learn"), pinned_requirement("skops")]

    def ours(tag: str, **kw: Any) -> Callable[[int], Any]:
        return lambda i: flavorkit.save_model(model, work / f"fk-{tag}-{i}", **kw)

    def theirs(tag: str, **kw: Any) -> Callable[[int], Any]:
        return lambda i: mlflow.sklearn.save_model(model, str(work / f"ml-{tag}-{i}"), **kw)

    ours("warm", input_example=example)(0)  # imports, caches: neither side pays them below
    theirs("warm", input_example=example)(0)
    t = interleaved_best(
        {
            "fk inferred": ours("inferred", input_example=example),
            "ml inferred": theirs("inferred", input_example=example),
            "fk explicit": ours("explicit", input_example=example, pip_requirements=explicit),
            "ml explicit": theirs("explicit", input_example=example, pip_requirements=explicit),
        },
        repeat,
    )
    ref = ISSUE_REFERENCE
    record(
        Figure("sklearn save, requirements inferred", t["fk inferred"] * 1e3,
               t["ml inferred"] * 1e3, "ms", ref["save_inferred"], "{:.1f}")
    )  # fmt: skip
    record(
        Figure("sklearn save, pip_requirements= given", t["fk explicit"] * 1e3,
               t["ml explicit"] * 1e3, "ms", ref["save_explicit"], "{:.1f}")
    )  # fmt: skip
    print(f"    inferred by flavorkit: {requirements(work / 'fk-inferred-0')}")
    print(f"    inferred by MLflow:    {requirements(work / 'ml-inferred-0')}")

    path = work / "fk-explicit-0"  # both loaders read the same directory
    flavorkit.load_model(path)
    mlflow.pyfunc.load_model(str(path))
    t = interleaved_best(
        {
            "fk": lambda i: flavorkit.load_model(path),
            "ml": lambda i: mlflow.pyfunc.load_model(str(path)),
        },
        max(repeat, 7),
    )
    record(Figure("pyfunc load (same directory)", t["fk"] * 1e3, t["ml"] * 1e3, "ms",
                  ref["load"], "{:.1f}"))  # fmt: skip

    fk = flavorkit.load_model(path)
    ml = mlflow.pyfunc.load_model(str(path))
    raw = fk.get_raw_model()
    one = X.head(1)
    big = X.sample(100_000, replace=True, random_state=0).reset_index(drop=True)
    assert np.array_equal(fk.predict(one), ml.predict(one))
    assert np.array_equal(fk.predict(big), ml.predict(big))
    rounds = 3 * repeat
    t = paired_rounds(
        {"raw": lambda: raw.predict(one), "fk": lambda: fk.predict(one),
         "ml": lambda: ml.predict(one)}, number=100, rounds=rounds
    )  # fmt: skip
    overhead = {k: vs_raw(t, k, operator.sub) for k in ("fk", "ml")}
    record(
        Figure("1-row predict, overhead over raw", overhead["fk"] * 1e6, overhead["ml"] * 1e6,
               "µs", ref["overhead_1"], "{:.0f}")
    )  # fmt: skip
    print(f"    raw estimator.predict, 1 row: {statistics.median(t['raw']) * 1e6:.0f} µs")
    t = paired_rounds(
        {"raw": lambda: raw.predict(big), "fk": lambda: fk.predict(big),
         "ml": lambda: ml.predict(big)}, number=3, rounds=rounds
    )  # fmt: skip
    slowdown = {k: vs_raw(t, k, operator.truediv) for k in ("fk", "ml")}
    record(Figure("100k-row predict, time / raw", slowdown["fk"], slowdown["ml"], "x raw",
                  ref["slowdown_100k"], "{:.2f}"))  # fmt: skip
    print(f"    raw estimator.predict, 100k rows: {statistics.median(t['raw']) * 1e3:.1f} ms")


def paired_rounds(
    fns: dict[str, Callable[[], Any]], number: int, rounds: int
) -> dict[str, list[float]]:
    """Seconds per call of each function, per round; within a round they run back to back,
    starting with a different one each round (the first after another's large allocations is
    slowed down).

    Predict figures are relative to the raw estimator's, so they are taken per round (each
    round's functions see the same machine) and the median over rounds is reported: robust to
    other load on a shared machine coming and going between rounds.
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:  # rotate: no order bias
            times[name].append(timeit.timeit(fns[name], number=number) / number)
    return times


def vs_raw(times: dict[str, list[float]], key: str, op: Callable[[float, float], float]) -> float:
    """The median over rounds of ``op(time of key, raw time)`` within each round."""
    return statistics.median(op(a, r) for a, r in zip(times[key], times["raw"], strict=True))


# -- PyTorch ----------------------------------------------------------------------------------


def torch_figures(work: Path, size_mb: float, repeat: int) -> None:
    import mlflow.pytorch
    import numpy as np
    import torch
    from bench_pytorch import MODEL_MODULE, best_times, load_figures

    import flavorkit
    from flavorkit.environment import pinned_requirement

    (work / "bench_pytorch_model.py").write_text(MODEL_MODULE)
    sys.path.insert(0, str(work))
    from bench_pytorch_model import Big  # type: ignore[import-not-found]

    torch.manual_seed(0)
    layers = 6
    width = max(64, int((size_mb * 1e6 / 4 / layers) ** 0.5) // 64 * 64)
    model = Big(width, layers).eval()
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    example = np.random.default_rng(0).normal(size=(4, width)).astype(np.float32)
    reqs = [pinned_requirement("torch")]
    print(f"  model: {layers} x Linear({width}, {width}), {weights / 1e6:.0f} MB float32")

    tiny_width = 64
    tiny = Big(tiny_width, 1).eval()
    tiny_x = example[:, :tiny_width].copy()

    def fk_save(m: Any, path: Path, fmt: str, x: Any, w: int, n: int) -> None:
        extra = {"init_kwargs": {"width": w, "layers": n}} if fmt == "state_dict" else {}
        flavorkit.save_model(
            m, path, serialization_format=fmt, input_example=x, pip_requirements=reqs, **extra
        )

    def ml_save(m: Any, path: Path, fmt: str, x: Any) -> None:
        mlflow.pytorch.save_model(
            m, str(path), serialization_format=fmt, input_example=x, pip_requirements=reqs
        )

    for fmt in ("pt2", "pickle", "state_dict"):  # warm up both sides (and tiny load targets)
        fk_save(tiny, work / f"tiny-fk-{fmt}", fmt, tiny_x, tiny_width, 1)
    for fmt in ("pt2", "pickle"):
        ml_save(tiny, work / f"tiny-ml-{fmt}", fmt, tiny_x)

    def keep_first(
        name: str, save: Callable[[Path], None]
    ) -> tuple[Callable[[int], None], Callable[[int], None]]:
        """A timed save into ``name-i`` and an untimed cleanup keeping round 0 for the loads."""

        def cleanup(i: int) -> None:
            if i:
                shutil.rmtree(work / f"{name}-{i}")

        return (lambda i: save(work / f"{name}-{i}")), cleanup

    jobs: dict[str, tuple[Callable[[int], None], Callable[[int], None]]] = {}
    for fmt in ("pt2", "pickle", "state_dict"):
        jobs[f"fk {fmt}"] = keep_first(
            f"fk-{fmt}", lambda p, f=fmt: fk_save(model, p, f, example, width, layers)
        )
    for fmt in ("pt2", "pickle"):
        jobs[f"ml {fmt}"] = keep_first(f"ml-{fmt}", lambda p, f=fmt: ml_save(model, p, f, example))
    t = best_times(jobs, repeat)  # os.sync() before each save, outside the timing
    ref = ISSUE_REFERENCE["torch_save"]
    record(Figure("torch save, pt2", t["fk pt2"], t["ml pt2"], "s", ref))
    record(Figure("torch save, pickle", t["fk pickle"], t["ml pickle"], "s"))
    record(Figure("torch save, state_dict (fk) / pt2 (MLflow)", t["fk state_dict"],
                  t["ml pt2"], "s", "each side's pickle-free format"))  # fmt: skip

    base = {"work": str(work), "width": width, "tiny_width": tiny_width}
    loads: dict[str, dict[str, float]] = {}
    for side, kind in (("fk", "flavorkit"), ("ml", "mlflow")):
        for fmt in ("pt2", "pickle", "state_dict"):
            if side == "ml" and fmt == "state_dict":
                continue
            loads[f"{side} {fmt}"] = load_figures(
                {
                    **base,
                    "kind": kind,
                    "path": str(work / f"{side}-{fmt}-0"),
                    "warmup": str(work / f"tiny-{side}-{fmt}"),
                },
                repeat,
            )
    pairs = (
        ("pt2", "fk pt2", "ml pt2"),
        ("pickle", "fk pickle", "ml pickle"),
        ("state_dict (fk) / pt2 (MLflow)", "fk state_dict", "ml pt2"),
    )
    for label, a, b in pairs:
        record(Figure(f"torch pyfunc load, {label}", loads[a]["seconds"] * 1e3,
                      loads[b]["seconds"] * 1e3, "ms", fmt="{:.0f}"))  # fmt: skip
    for label, a, b in pairs:
        record(Figure(f"torch load peak RSS growth, {label}", loads[a]["peak_load"] / weights,
                      loads[b]["peak_load"] / weights, "x weights"))  # fmt: skip
    # memory-mapped weights are read when first used: the peak after one predict counts them
    for label, a, b in pairs:
        record(Figure(f"  same, load + 1st predict, {label}", loads[a]["peak_predict"] / weights,
                      loads[b]["peak_predict"] / weights, "x weights"))  # fmt: skip


# -- the table --------------------------------------------------------------------------------


def markdown_table() -> str:
    head = ("figure", "flavorkit", "MLflow", "flavorkit / MLflow", "MLflow in issue 10")
    rows = [head, ("---",) * len(head)]
    rows += [(f.label.strip(), *f.cells()[1:]) for f in FIGURES]
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="~50 MB torch model, fewer repeats")
    parser.add_argument("--size-mb", type=float, help="torch weights in MB (default 400)")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch figures")
    args = parser.parse_args()
    size_mb = args.size_mb or (50.0 if args.quick else 400.0)
    repeat = 3 if args.quick else 5
    if importlib.util.find_spec("mlflow") is None:
        print("bench_vs_mlflow: skipped, MLflow is not installed in this environment.")
        return

    warnings.simplefilter("ignore")  # MLflow's and torch.export's notices
    logging.disable(logging.WARNING)
    # MLflow's default (it unpickles), in case the shell turned it off; flavorkit: trust=True
    os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "true"
    import mlflow

    import flavorkit

    print(
        f"flavorkit {flavorkit.__version__}, MLflow {mlflow.__version__}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; saves and loads: best of "
        f"{repeat} rounds; predicts: median of {3 * repeat}\n"
    )
    print(f"  {'figure':<54} {'flavorkit':>14} {'MLflow':>14}   {'':>13}   MLflow in issue 10")
    runs = 7 if args.quick else 11
    ours = statistics.median(import_time("flavorkit") for _ in range(runs))
    theirs = statistics.median(import_time("mlflow") for _ in range(runs))
    record(Figure(f"import (fresh interpreter, median of {runs})", ours * 1e3, theirs * 1e3,
                  "ms", ISSUE_REFERENCE["import"], "{:.1f}"))  # fmt: skip

    work = Path(tempfile.mkdtemp(prefix="bench-vs-mlflow-"))
    try:
        sklearn_figures(work, repeat)
        if args.no_torch:
            print("  (PyTorch figures skipped: --no-torch)")
        elif importlib.util.find_spec("flavorkit_pytorch") is None:
            print("  (PyTorch figures skipped: flavorkit-pytorch is not installed)")
        else:
            torch_figures(work, size_mb, repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n" + markdown_table())


if __name__ == "__main__":
    main()
