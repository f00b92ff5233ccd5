"""flavorkit recipes vs MLflow 2.22.5 Recipes on the same regression recipe and data, same run.

Three scenarios, each timed end to end (a fresh interpreter running the recipe, as a user's
command would), on two copies of one recipe root so the two caches never meet:

1. first full run (ingest → register) on a fresh copy      target: flavorkit <= 0.25x MLflow
2. rerun with nothing changed                               target: flavorkit <= 1 s
3. rerun after editing only steps/train.py                  target: <= 0.25x MLflow, and only
                                                            train, evaluate and register run

The script counts the steps each tool executed (flavorkit's "ran" lines; MLflow's step
execution_state.json files that changed). MLflow Recipes needs its own environment, since
MLflow 3 removed it: ``pip install "mlflow<3" "sqlalchemy<2.1"`` in a virtualenv (created here on
first use at ``$BENCH_MLFLOW_RECIPES_VENV``, default ``.nox/bench-mlflow-recipes``) and GNU make on
PATH; that environment's ``bin/`` goes first on PATH for MLflow's runs. flavorkit runs with the
interpreter running this script, which needs ``flavorkit[recipes]`` and ``flavorkit-sklearn``
(e.g. ``.nox/recipes/bin/python benchmarks/bench_recipes.py``).

    python benchmarks/bench_recipes.py [--rows 50000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("BENCH_MLFLOW_RECIPES_VENV", ROOT / ".nox" / "bench-mlflow-recipes"))
STEPS = ["ingest", "split", "transform", "train", "evaluate", "register"]

RECIPE_YAML = """\
recipe: "regression/v1"
target_col: "y"
primary_metric: "root_mean_squared_error"
steps:
  ingest: {{INGEST_CONFIG}}
  split:
    split_ratios: [0.75, 0.125, 0.125]
  transform:
    using: custom
    transformer_method: transformer_fn
  train:
    using: custom
    estimator_method: estimator_fn
  evaluate:
    validation_criteria:
      - metric: root_mean_squared_error
        threshold: 100
  register:
    allow_non_validated_model: true
"""
PROFILE = """\
experiment:
  name: "bench"
  tracking_uri: "sqlite:///metadata/mlflow/mlruns.db"
  artifact_location: "./metadata/mlflow/mlartifacts"
model_registry:
  model_name: "bench-regressor"
INGEST_CONFIG:
  using: parquet
  location: "./data/data.parquet"
"""
TRANSFORM = """\
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def transformer_fn():
    return ColumnTransformer(
        [
            ("num", StandardScaler(), [f"x{i}" for i in range(8)]),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["city"]),
        ]
    )
"""
TRAIN = """\
from sklearn.linear_model import Ridge


def estimator_fn(estimator_params=None):
    return Ridge(**(estimator_params or {}))
"""


def make_recipe(root: Path, rows: int) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 8))
    city = rng.choice(["amsterdam", "berlin", "lisbon", "oslo", "rome"], size=rows)
    y = x @ np.arange(1, 9) + (city == "oslo") * 3 + rng.normal(scale=0.5, size=rows)
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(8)])
    frame["city"] = city
    frame["y"] = y
    (root / "data").mkdir(parents=True)
    frame.to_parquet(root / "data" / "data.parquet", index=False)
    (root / "profiles").mkdir()
    (root / "steps").mkdir()
    (root / "recipe.yaml").write_text(RECIPE_YAML)
    (root / "profiles" / "local.yaml").write_text(PROFILE)
    (root / "steps" / "__init__.py").write_text("")
    (root / "steps" / "transform.py").write_text(TRANSFORM)
    (root / "steps" / "train.py").write_text(TRAIN)
    for name in ("ingest", "split", "custom_metrics"):
        (root / "steps" / f"{name}.py").write_text("")


def ensure_mlflow_env() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV} with mlflow<3 (MLflow Recipes) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "mlflow<3", "sqlalchemy<2.1"], check=True
        )
    if shutil.which("make") is None:
        sys.exit("GNU make is not on PATH: MLflow Recipes needs it (apt-get install make)")
    return python


def run_flavorkit(root: Path) -> tuple[float, list[str]]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "flavorkit.cli", "recipes", "run", "--root", str(root)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"flavorkit recipes run failed:\n{result.stdout}\n{result.stderr}")
    ran = [line.split(":")[0] for line in result.stdout.splitlines() if ": ran in " in line]
    return seconds, ran


def _mlflow_states(execution_dir: Path) -> dict[str, float]:
    """step -> recipe_step_execution_last_updated_timestamp of its execution_state.json."""
    states = {}
    for path in execution_dir.glob("steps/*/**/execution_state.json"):
        step = path.relative_to(execution_dir / "steps").parts[0]
        try:
            data = json.loads(path.read_text())
            states[step] = float(data.get("recipe_step_execution_last_updated_timestamp", -1))
        except ValueError:
            states[step] = path.stat().st_mtime
    return states


def run_mlflow(python: Path, root: Path) -> tuple[float, list[str]]:
    execution_dir = root / ".mlflow-recipes-execution"
    env = {
        **os.environ,
        "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "MLFLOW_RECIPES_EXECUTION_DIRECTORY": str(execution_dir),
        "PYTHONWARNINGS": "ignore",
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    before = _mlflow_states(execution_dir)
    code = "from mlflow.recipes import Recipe; Recipe(profile='local').run()"
    start = time.perf_counter()
    result = subprocess.run(
        [str(python), "-c", code], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"MLflow Recipes failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    after = _mlflow_states(execution_dir)
    ran = [s for s in STEPS if s in after and after[s] != before.get(s)]
    return seconds, ran


def main() -> None:
    try:
        import jinja2  # noqa: F401
        import optuna  # noqa: F401

        import flavorkit.recipes.steps.train  # noqa: F401  (the [recipes] extra)
        import flavorkit_sklearn  # noqa: F401
    except ImportError as e:
        print(
            f"bench_recipes: skipped, this interpreter lacks {e.name}: run it where "
            "flavorkit[recipes] and flavorkit-sklearn are installed, e.g. "
            "`python3 -m nox -s recipes --install-only && "
            ".nox/recipes/bin/python benchmarks/bench_recipes.py`"
        )
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    python = ensure_mlflow_env()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-recipes-"))
    base = work / "recipe"
    make_recipe(base, args.rows)
    ours, theirs = work / "flavorkit", work / "mlflow"
    shutil.copytree(base, ours)
    shutil.copytree(base, theirs)

    results = []
    f1, fr1 = run_flavorkit(ours)
    m1, mr1 = run_mlflow(python, theirs)
    results.append(("first full run", f1, m1, "<= 0.25x", fr1, mr1))
    f2, fr2 = run_flavorkit(ours)
    m2, mr2 = run_mlflow(python, theirs)
    results.append(("rerun, nothing changed", f2, m2, "<= 1 s", fr2, mr2))
    for root in (ours, theirs):
        train = root / "steps" / "train.py"
        train.write_text(TRAIN.replace("Ridge(**(", "Ridge(alpha=0.5, **("))
    f3, fr3 = run_flavorkit(ours)
    m3, mr3 = run_mlflow(python, theirs)
    results.append(("rerun after editing steps/train.py", f3, m3, "<= 0.25x", fr3, mr3))

    print(f"\nregression recipe, {args.rows} rows; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs (shared machine)")  # fmt: skip
    header = f"{'scenario':<36} {'flavorkit':>10} {'MLflow 2.22':>12} {'ratio':>7} {'target':>9}"
    print(header)
    print("-" * len(header))
    for name, f, m, target, fran, mran in results:
        print(f"{name:<36} {f:>9.2f}s {m:>11.2f}s {f / m:>6.2f}x {target:>9}")
        print(f"{'':<4}steps run: flavorkit {fran or 'none'}; MLflow {mran or 'none'}")
    ok = (
        f1 <= 0.25 * m1
        and f2 <= 1.0
        and f3 <= 0.25 * m3
        and fr3 == ["train", "evaluate", "register"]
    )
    print("targets met" if ok else "TARGETS NOT MET")
    print(f"work directory: {work}")


if __name__ == "__main__":
    main()
