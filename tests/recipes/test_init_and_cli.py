"""`flavorkit recipes init` projects (with their own tests) and the `flavorkit recipes` commands."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from flavorkit.cli import main


@pytest.mark.parametrize("template", ["regression", "classification"])
def test_init_writes_a_project_whose_own_tests_pass(tmp_path, template, capsys):
    root = tmp_path / template
    assert main(["recipes", "init", str(root), "--template", template]) == 0
    assert "flavorkit recipes run" in capsys.readouterr().out
    for name in ("recipe.yaml", "profiles/local.yaml", "steps/train.py", "steps/transform.py",
                 "steps/custom_metrics.py", "tests/test_steps.py", ".gitignore"):  # fmt: skip
        assert (root / name).is_file(), name
    assert list((root / "data").glob("*.parquet"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_init_refuses_a_directory_in_use(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["recipes", "init", str(tmp_path)]) == 1
    assert "exists and is not empty" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_cli_run_inspect_get_artifact_clean(regression_copy, capsys):
    root = str(regression_copy)
    assert main(["recipes", "run", "--root", root, "--profile", "local"]) == 0
    out = capsys.readouterr().out
    assert "train: reused, inputs unchanged" in out
    assert main(["recipes", "inspect", "--root", root, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["step"]: r["status"] for r in rows}["register"] == "SUCCEEDED"
    assert main(["recipes", "inspect", "--root", root, "--step", "evaluate"]) == 0
    assert capsys.readouterr().out.strip().endswith("card.html")
    assert main(["recipes", "get-artifact", "--root", root, "--artifact", "training_data"]) == 0
    assert "rows x" in capsys.readouterr().out
    assert main(["recipes", "clean", "--root", root, "--step", "train"]) == 0
    assert main(["recipes", "get-artifact", "--root", root, "-a", "model"]) == 1
    assert "not produced yet" in capsys.readouterr().err
    assert main(["recipes", "run", "--root", root, "--step", "nope"]) == 1
    assert "unknown step 'nope'" in capsys.readouterr().err


def test_cli_prints_the_users_traceback_then_one_line(regression_copy, capsys):
    (regression_copy / "steps" / "split.py").write_text(
        "def create_dataset_filter(dataset):\n    return dataset['no_such_column'] > 0\n"
    )
    assert main(["recipes", "run", "--root", str(regression_copy)]) == 1
    err = capsys.readouterr().err
    assert "steps/split.py" in err and "return dataset['no_such_column'] > 0" in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("flavorkit: error: step 'split' failed: KeyError")
    assert "site-packages" not in err  # only the recipe's own frames
