"""The content-hash step cache: what re-runs, what is reused, and the reason printed for each."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flavorkit.errors import RecipeStepError
from flavorkit.recipes import Recipe

TRAINING = ["ingest", "split", "transform", "train", "evaluate", "register"]


def test_copied_recipe_reuses_everything_without_importing_pandas(regression_copy):
    # a fresh interpreter, like the CLI: no data is read, pandas and scikit-learn stay unloaded
    code = (
        "import sys; from flavorkit.recipes import Recipe\n"
        f"report = Recipe('local', root={str(regression_copy)!r}).run()\n"
        "print('RAN', report.ran)\n"
        "print('HEAVY', sorted(m for m in ('pandas', 'sklearn', 'mlflow') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    for step in TRAINING:
        assert f"{step}: reused, inputs unchanged" in out
    assert "RAN []" in out
    assert "HEAVY []" in out


def test_editing_train_reruns_only_train_evaluate_register(regression_copy, lines):
    train = regression_copy / "steps" / "train.py"
    train.write_text(train.read_text().replace("Ridge(**(", "Ridge(fit_intercept=True, **("))
    report = Recipe("local", root=regression_copy, echo=lines).run()
    assert report.ran == ["train", "evaluate", "register"]
    assert report.reused == ["ingest", "split", "transform"]
    assert "train: ran" in lines.of("train") and "steps/train.py changed" in lines.of("train")
    assert "train output changed" in lines.of("evaluate")
    # a second version was registered from the new run
    version = Recipe("local", root=regression_copy).get_artifact("registered_model_version")
    assert int(version.version) == 2


def test_reverting_an_edit_reuses_the_earlier_entry(regression_copy, lines):
    config = regression_copy / "recipe.yaml"
    original = config.read_text()
    config.write_text(original.replace("alpha: 1.0", "alpha: 2.0"))
    recipe = Recipe("local", root=regression_copy, echo=lines)
    recipe.run("train")
    assert "config changed (estimator_params.alpha)" in lines.of("train")
    config.write_text(original)
    lines.clear()
    recipe.run("train")
    assert lines.of("train") == "train: reused, matches an earlier run's inputs"


def test_changed_source_data_reruns_ingest_and_downstream(regression_copy, lines):
    import pandas as pd

    data = regression_copy / "data" / "diabetes.parquet"
    frame = pd.read_parquet(data)
    frame.iloc[:-5].to_parquet(data, index=False)
    report = Recipe("local", root=regression_copy, echo=lines).run("transform")
    assert report.ran == ["ingest", "split", "transform"]
    assert "data data/diabetes.parquet changed" in lines.of("ingest")
    assert "ingest output changed" in lines.of("split")


def test_an_edited_helper_module_is_seen_through_its_import(regression_copy, lines):
    steps = regression_copy / "steps"
    (steps / "defaults.py").write_text("ALPHA = 1.0\n")
    train = steps / "train.py"
    train.write_text("from steps.defaults import ALPHA  # noqa\n" + train.read_text())
    recipe = Recipe("local", root=regression_copy, echo=lines)
    recipe.run("train")
    assert "steps/defaults.py added" in lines.of("train")
    (steps / "defaults.py").write_text("ALPHA = 3.0\n")
    lines.clear()
    recipe.run("train")
    assert lines.of("train").endswith("steps/defaults.py changed")


def test_a_failing_step_writes_no_entry_and_runs_nothing_downstream(regression_copy, lines):
    train = regression_copy / "steps" / "train.py"
    good = train.read_text()
    train.write_text(good + "\n\ndef estimator_fn(estimator_params=None):\n"
                     "    raise ValueError('bad estimator config')\n")  # fmt: skip
    recipe = Recipe("local", root=regression_copy, echo=lines)
    with pytest.raises(RecipeStepError) as e:
        recipe.run()
    assert e.value.step == "train"
    assert "ValueError: bad estimator config" in str(e.value)
    assert "steps/train.py" in e.value.traceback_text  # the user's own frame
    assert "raise ValueError('bad estimator config')" in e.value.traceback_text
    assert not [line for line in lines if line.startswith(("evaluate", "register"))]
    entries = [p for p in recipe.cache.step_dir("train").iterdir() if p.is_dir()]
    assert {p.name for p in entries} <= {"failed", *_keys(recipe, "train")}
    state = {row["step"]: row for row in recipe.status()}
    assert state["train"]["status"] == "FAILED"
    assert Path(state["train"]["card"]).name == "card.html"
    train.write_text(good)
    lines.clear()
    recipe.run()
    assert lines.of("train").startswith("train: reused")  # the good entry is still there


def _keys(recipe: Recipe, step: str) -> set[str]:
    out = set()
    for pointer in recipe.cache.step_dir(step).glob("current-*.json"):
        out.add(json.loads(pointer.read_text())["key"])
    return out | {p.parent.name for p in recipe.cache.step_dir(step).glob("*/manifest.json")}


def test_a_step_killed_mid_way_leaves_nothing_trusted(fresh_regression, lines, tmp_path):
    marker = tmp_path / "started"
    (fresh_regression / "steps" / "ingest.py").write_text(
        "import os, time\nimport pandas as pd\n\n"
        "def load(location, file_format):\n"
        f"    if os.environ.get('HANG'):\n        open({str(marker)!r}, 'w').close()\n"
        "        time.sleep(120)\n"
        "    return pd.read_parquet(location)\n"
    )
    profile = fresh_regression / "profiles" / "local.yaml"
    profile.write_text(
        profile.read_text().replace(
            'using: parquet\n  location: "./data/diabetes.parquet"',
            'using: custom\n  loader_method: load\n  location: "./data/diabetes.parquet"',
        )
    )
    code = (
        "from flavorkit.recipes import Recipe; "
        f"Recipe('local', root={str(fresh_regression)!r}).run('ingest')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "HANG": "1"})
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the run never started"
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    recipe = Recipe("local", root=fresh_regression, echo=lines)
    assert not list(recipe.cache.step_dir("ingest").glob("*/manifest.json"))
    assert recipe.status()[0]["status"] == "RUNNING"  # what it was doing when it died
    recipe.run("ingest")
    assert lines.of("ingest").startswith("ingest: ran")


def test_clean_forgets_the_step_and_everything_downstream(regression_copy, lines):
    recipe = Recipe("local", root=regression_copy, echo=lines)
    recipe.clean("evaluate")
    assert recipe.get_artifact("training_data") is not None
    assert recipe.get_artifact("registered_model_version") is None
    report = recipe.run()
    assert report.ran == ["evaluate", "register"]
    assert lines.of("evaluate").endswith("no cached result")
