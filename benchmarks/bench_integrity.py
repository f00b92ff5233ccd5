"""Integrity figures: verifying a 400 MB model against sha256sum/b2sum, and the load-time checks.

    python benchmarks/bench_integrity.py [--mb 400]

1. Digest verification (``flavorkit.integrity.verify_directory``) of a 400 MB model, in two
   layouts (one weights file; eight 50 MB shards), next to ``sha256sum`` and ``b2sum`` of the same
   files in the same run, with the files in the page cache for every contender (best of 5,
   alternating). Target: flavorkit <= 1.2x the faster of the two.
2. What the size check adds to a small model's load: ``load_model(path)`` against
   ``load_model(path, verify=None)`` (no manifest check), paired medians; and the check alone.
   Target: <= 0.2 ms. The version check is timed alongside (no target; it reads requirements.txt).

Needs flavorkit-sklearn and scikit-learn for the small model, and coreutils' sha256sum/b2sum.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from timing import paired_overhead

import flavorkit
from flavorkit.integrity import check_sizes, verify_directory, write_manifest

CHUNK = 8 << 20


def row(label: str, value: str, target: str = "") -> None:
    print(f"  {label:<58} {value:>14}  {target}")


def write_random(file: Path, size: int) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    block = os.urandom(CHUNK)
    with open(file, "wb") as f:
        left = size
        while left > 0:
            n = min(left, CHUNK)
            f.write(block[:n])
            left -= n
            block = bytes(reversed(block[:64])) + block[64:]  # no two chunks alike


def big_model(root: Path, base: Path, layout: dict[str, int]) -> Path:
    """The small saved model plus large weight files, the manifest recorded over all of them."""
    shutil.copytree(base, root)
    for name, size in layout.items():
        write_random(root / name, size)
    write_manifest(root)
    return root


def best(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def command(tool: str, files: list[Path]) -> Callable[[], object]:
    args = [tool, *map(str, files)]
    return lambda: subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def digest_figures(tmp: Path, base: Path, total_mb: int) -> bool:
    total = total_mb << 20
    layouts = {
        f"one {total_mb} MB weights file": {"data/model.safetensors": total},
        f"eight {total_mb // 8} MB shards": {
            f"data/model-{i:05d}-of-00008.safetensors": total // 8 for i in range(8)
        },
    }
    ok = True
    for label, layout in layouts.items():
        root = big_model(tmp / label.replace(" ", "_"), base, layout)
        files = sorted(p for p in root.rglob("*") if p.is_file())
        verify_directory(root)  # warms the page cache for every contender
        contenders = {
            "flavorkit verify_directory (sha256, threads)": lambda r=root: verify_directory(r),
            "sha256sum of the same files": command("sha256sum", files),
            "b2sum of the same files": command("b2sum", files),
        }
        times = dict.fromkeys(contenders, float("inf"))
        for _ in range(5):  # alternate, so that a busy stretch of the machine hits all three
            for name, fn in contenders.items():
                times[name] = min(times[name], best(fn, repeat=1))
        print(f"\n{label} ({len(files)} files, {total_mb} MB):")
        for name, seconds in times.items():
            row(name, f"{seconds * 1e3:8.0f} ms", f"{total_mb / seconds:6.0f} MB/s")
        ours = times["flavorkit verify_directory (sha256, threads)"]
        faster = min(times["sha256sum of the same files"], times["b2sum of the same files"])
        ratio = ours / faster
        ok &= ratio <= 1.2
        row("flavorkit / the faster tool", f"{ratio:8.2f}x", "target <= 1.2x")
        shutil.rmtree(root)
    return ok


def load_figures(base: Path) -> bool:
    from flavorkit.api import version_mismatches

    print(f"\nsmall model load ({sum(1 for _ in base.iterdir())} files, sklearn, skops):")
    raw, wrapped, diff = paired_overhead(
        lambda: flavorkit.load_model(base, verify=None),
        lambda: flavorkit.load_model(base),
        repeat=31,
        number=20,
    )
    row("load_model without the manifest check", f"{raw * 1e3:8.3f} ms")
    row("load_model (sizes checked)", f"{wrapped * 1e3:8.3f} ms")
    row("added by the size check (paired median)", f"{diff * 1e3:8.3f} ms", "target <= 0.2 ms")
    alone = best(lambda: [check_sizes(base) for _ in range(1000)], repeat=7) / 1000
    row("check_sizes alone", f"{alone * 1e3:8.3f} ms", "target <= 0.2 ms")
    versions = best(lambda: [version_mismatches(base) for _ in range(200)], repeat=5) / 200
    row("the version check (version_mismatches), for reference", f"{versions * 1e3:8.3f} ms")
    return max(diff, alone) <= 0.2e-3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=400, help="model size in MB (default 400)")
    args = parser.parse_args()
    for tool in ("sha256sum", "b2sum"):
        if shutil.which(tool) is None:
            sys.exit(f"bench_integrity: {tool} is not on PATH (coreutils)")
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True, as_frame=True)
    print(f"bench_integrity: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-integrity-", dir=os.environ.get("TMPDIR")) as d:
        tmp = Path(d)
        base = tmp / "small"
        flavorkit.save_model(LogisticRegression(max_iter=300).fit(X, y), base, input_example=X[:3])
        ok = load_figures(base)
        ok &= digest_figures(tmp, base, args.mb)
    print("\nall targets met" if ok else "\nsome targets missed (see above; the machine is shared)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
