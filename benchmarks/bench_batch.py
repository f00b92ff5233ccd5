"""`flavorkit predict` on a large parquet file against the floor measured in the same run.

The data: N rows x 10 float64 columns in parquet (row groups of 1M rows, pyarrow's default), a
scikit-learn LogisticRegression. The floor is what a hand-written script must do at least: start
Python, unpickle the estimator, read the file with pyarrow, call ``model.predict``, write the
predictions with pyarrow. flavorkit's figure is the whole CLI command (start-up, imports, skops
load, signature enforcement, streaming scan, parquet writer, rename). Both run as fresh
processes, alternately, and the best of ``--repeat`` rounds is kept.

Targets: CLI wall time <= 1.15x the floor on 10M rows; CLI peak RSS the same within 10 % for 1M
and 10M rows, and under 1 GB.

    python benchmarks/bench_batch.py            # 10M rows (needs ~1 GB of disk in $TMPDIR)
    python benchmarks/bench_batch.py --rows 2000000 --repeat 1
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

FLOOR = textwrap.dedent(
    """
    import pickle, sys
    import pyarrow as pa, pyarrow.parquet as pq
    model = pickle.load(open(sys.argv[1], "rb"))
    table = pq.read_table(sys.argv[2])
    pq.write_table(pa.table({"prediction": model.predict(table.to_pandas())}), sys.argv[3])
    """
)

# Runs a command as a child and prints its wall time and peak RSS (a fresh parent per
# measurement, so RUSAGE_CHILDREN holds this one command only).
MEASURE = textwrap.dedent(
    """
    import resource, subprocess, sys, time
    t = time.perf_counter()
    subprocess.run(sys.argv[1:], check=True)
    wall = time.perf_counter() - t
    print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
    """
)


def measure(cmd: list[str]) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[0]), int(out[1])


def make_data(path: Path, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    writer = None
    for start in range(0, rows, 1_000_000):
        n = min(1_000_000, rows - start)
        table = pa.table({f"x{j}": rng.standard_normal(n) for j in range(10)})
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def make_model(work: Path) -> tuple[Path, Path]:
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    import flavorkit

    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.standard_normal((20_000, 10)), columns=[f"x{j}" for j in range(10)])
    y = (X["x0"] + X["x1"] - X["x2"] > 0).astype("int64")
    model = LogisticRegression().fit(X, y)
    flavorkit.save_model(model, work / "model", input_example=X.head(5))
    (work / "model.pkl").write_bytes(pickle.dumps(model))
    return work / "model", work / "model.pkl"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--small-rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        work = Path(tmp)
        model_dir, pickled = make_model(work)
        sizes = sorted({args.small_rows, args.rows})
        for n in sizes:
            make_data(work / f"{n}.parquet", n)
        results: dict[int, dict[str, tuple[float, int]]] = {}
        for n in sizes:
            data, out = work / f"{n}.parquet", work / "out.parquet"
            floor = [sys.executable, "-c", FLOOR, str(pickled), str(data), str(out)]
            cli = [sys.executable, "-m", "flavorkit.cli", "predict", "-m", str(model_dir)]
            cli += ["-i", str(data), "-o", str(out), "--quiet"]
            best: dict[str, tuple[float, int]] = {}
            for _ in range(args.repeat):
                for name, cmd in (("floor", floor), ("flavorkit", cli)):
                    wall, rss = measure(cmd)
                    prev = best.get(name)
                    best[name] = (
                        min(wall, prev[0]) if prev else wall,
                        max(rss, prev[1] if prev else 0),
                    )
            results[n] = best
            (fw, frss), (kw, krss) = best["floor"], best["flavorkit"]
            print(
                f"{n:>11,} rows  floor {fw:6.2f} s {frss / 2**20:6.0f} MB   "
                f"flavorkit predict {kw:6.2f} s {krss / 2**20:6.0f} MB   "
                f"time ratio {kw / fw:.3f}x"
            )
        big, small = results[max(sizes)], results[min(sizes)]
        ratio = big["flavorkit"][0] / big["floor"][0]
        rss_big, rss_small = big["flavorkit"][1], small["flavorkit"][1]
        print()
        print(f"CLI / floor wall time at {max(sizes):,} rows: {ratio:.3f}x (target <= 1.15x)")
        print(
            f"CLI peak RSS {min(sizes):,} rows {rss_small / 2**20:.0f} MB, "
            f"{max(sizes):,} rows {rss_big / 2**20:.0f} MB: "
            f"{abs(rss_big / rss_small - 1) * 100:.1f} % apart (target <= 10 %, < 1024 MB); "
            f"the floor, which reads the whole file, peaks at {big['floor'][1] / 2**20:.0f} MB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
