"""The end-to-end demo: ``python -m flavorkit.demo [OUTPUT_DIR]``.

For every installed flavor plugin that has a recipe here, train a small model on bundled data,
save it as an MLmodel directory, inspect it, load it back (as pyfunc and natively), predict, check
the predictions against the in-memory model, and print a short report. Nothing is downloaded.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["main"]


@dataclass
class Recipe:
    """A small model for one flavor: how to train it and what to feed it."""

    description: str
    train: Callable[[], tuple[Any, Any, dict[str, Any]]]  # -> (model, input example, save options)


def _sklearn() -> tuple[Any, Any, dict[str, Any]]:
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True, as_frame=True)
    X.columns = [c.replace(" (cm)", "").replace(" ", "_") for c in X.columns]
    scale = ColumnTransformer([("scale", StandardScaler(), list(X.columns))])
    model = make_pipeline(scale, LogisticRegression(max_iter=500)).fit(X, y)
    return model, X.head(3), {}


RECIPES: dict[str, Recipe] = {
    "sklearn": Recipe("scikit-learn pipeline (scaler + logistic regression) on iris", _sklearn),
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
    for name, recipe in RECIPES.items():
        if name not in installed:
            print(f"\n[{name}] plugin not installed, skipped (pip install flavorkit-{name})")
            continue
        ran += 1
        print(f"\n[{name}] {recipe.description}")
        model, example, options = recipe.train()
        path = out / name
        start = time.perf_counter()
        meta = flavorkit.save_model(model, path, input_example=example, overwrite=True, **options)
        saved_ms = (time.perf_counter() - start) * 1e3
        print(f"  saved      {path} in {saved_ms:.0f} ms ({meta.model_size_bytes:,} bytes)")
        sig = meta.signature
        if sig is not None and sig.inputs is not None:
            print(f"  inputs     {', '.join(map(repr, sig.inputs.inputs))}")
        if sig is not None and sig.outputs is not None:
            print(f"  outputs    {', '.join(map(repr, sig.outputs.inputs))}")
        reqs = (path / "requirements.txt").read_text().splitlines()
        print(f"  requires   {', '.join(reqs)}")
        start = time.perf_counter()
        loaded = flavorkit.load_model(path)
        load_ms = (time.perf_counter() - start) * 1e3
        data = example[0] if isinstance(example, tuple) else example
        predictions = loaded.predict(data)
        native = flavorkit.load_native(path)
        same = np.allclose(np.asarray(predictions), np.asarray(native.predict(data)))
        print(f"  loaded     in {load_ms:.1f} ms as {type(loaded.get_raw_model()).__name__}")
        print(f"  predicted  {np.asarray(predictions).tolist()} (matches native: {same})")
        checks = validate_model(path)
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


if __name__ == "__main__":
    raise SystemExit(main())
