"""recipe.yaml + profiles as MLflow Recipes rendered them, and one clear error per bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from flavorkit.errors import RecipeError, RecipeStepError
from flavorkit.recipes import Recipe, installed_recipe_types
from flavorkit.recipes.config import load_recipe_config


def write(root: Path, recipe: str, profile: str = "", name: str = "local") -> Path:
    (root / "profiles").mkdir(parents=True, exist_ok=True)
    (root / "recipe.yaml").write_text(recipe)
    (root / "profiles" / f"{name}.yaml").write_text(profile)
    return root


def test_profile_fills_variables_including_whole_mappings(tmp_path):
    write(
        tmp_path,
        "recipe: regression/v1\ntarget_col: y\nsteps:\n  ingest: {{INGEST_CONFIG}}\n"
        "  split:\n    split_ratios: {{RATIOS|default([0.8, 0.1, 0.1])}}\n"
        "  # ingest_scoring: {{UNDEFINED_BUT_COMMENTED}}\n",
        "experiment:\n  name: e\nINGEST_CONFIG:\n  using: csv\n  location: ./data/x.csv\n"
        "  skip_data_profiling: true\n  note: null\n",
    )
    config = load_recipe_config(tmp_path, "local")
    assert config.step("ingest") == {
        "using": "csv",
        "location": "./data/x.csv",
        "skip_data_profiling": True,
        "note": None,
    }
    assert config.step("split") == {"split_ratios": [0.8, 0.1, 0.1]}
    assert config.section("experiment") == {"name": "e"}
    assert config.recipe_type == "regression/v1"


def test_profile_overlays_keys_recipe_yaml_sets(tmp_path):
    # MLflow refused duplicate keys; here the profile wins, mappings merge key by key
    write(
        tmp_path,
        "recipe: regression/v1\ntarget_col: y\nexperiment:\n  name: base\n  run_name_prefix: r\n",
        "experiment:\n  name: from-profile\n",
    )
    config = load_recipe_config(tmp_path, "local")
    assert config.section("experiment") == {"name": "from-profile", "run_name_prefix": "r"}


def test_mlflow_pipelines_template_key_is_accepted(tmp_path):
    write(tmp_path, 'template: "regression/v1"\ntarget_col: y\n')
    assert load_recipe_config(tmp_path, "local").recipe_type == "regression/v1"


def test_undefined_variable_names_variable_and_profile(tmp_path):
    write(tmp_path, "recipe: regression/v1\nsteps:\n  ingest: {{INGEST_CONFIG}}\n", "x: 1\n")
    with pytest.raises(RecipeError) as e:
        load_recipe_config(tmp_path, "local")
    message = str(e.value)
    assert "'INGEST_CONFIG' is undefined" in message
    assert str(tmp_path / "profiles" / "local.yaml") in message


def test_missing_profile_lists_the_profiles_found(tmp_path):
    write(tmp_path, "recipe: regression/v1\n", name="databricks")
    with pytest.raises(RecipeError, match=r"profile 'local' not found.*databricks"):
        load_recipe_config(tmp_path, "local")


def test_unknown_recipe_type_lists_installed_ones(tmp_path):
    write(tmp_path, "recipe: forecasting/v9\ntarget_col: y\n")
    with pytest.raises(RecipeError) as e:
        Recipe("local", root=tmp_path).run()
    assert "unknown recipe type 'forecasting/v9'" in str(e.value)
    assert "classification/v1, regression/v1" in str(e.value)
    assert {"regression/v1", "classification/v1"} <= set(installed_recipe_types())


def test_no_recipe_yaml_says_where_it_looked(tmp_path):
    with pytest.raises(RecipeError, match=r"no recipe\.yaml in"):
        Recipe("local", root=tmp_path)


def edit(root: Path, old: str, new: str, file: str = "recipe.yaml") -> None:
    path = root / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize(
    "ratios", ["[0.8, 0.2]", "[0.8, 0.2, 0]", "[0.8, -0.1, 0.3]", "[a, b, c]", "0.5"]
)
def test_split_ratios_must_be_three_positive_numbers(fresh_regression, ratios):
    edit(fresh_regression, "{{SPLIT_RATIOS|default([0.75, 0.125, 0.125])}}", ratios)
    with pytest.raises(RecipeError, match="split_ratios' must be three positive numbers"):
        Recipe("local", root=fresh_regression).run()


def test_validation_criteria_with_an_undefined_metric(fresh_regression):
    edit(fresh_regression, "metric: weighted_mean_squared_error", "metric: not_a_metric")
    with pytest.raises(RecipeError) as e:
        Recipe("local", root=fresh_regression).run()
    assert "undefined metrics: not_a_metric" in str(e.value)
    assert "root_mean_squared_error" in str(e.value)  # lists what is defined


def test_missing_target_col_names_the_columns_found(fresh_regression, lines):
    edit(fresh_regression, 'target_col: "progression"', 'target_col: "severity"')
    with pytest.raises(RecipeStepError) as e:
        Recipe("local", root=fresh_regression, echo=lines).run("ingest")
    message = str(e.value)
    assert e.value.step == "ingest"
    assert "target_col 'severity' is not a column" in message
    assert "age, sex, bmi" in message


def test_missing_steps_function_names_file_and_function(fresh_regression):
    edit(fresh_regression, "post_split_filter_method: create_dataset_filter",
         "post_split_filter_method: steps.split.no_such_filter")  # fmt: skip
    with pytest.raises(RecipeStepError) as e:
        Recipe("local", root=fresh_regression, echo=lambda _: None).run("split")
    message = str(e.value)
    assert "steps/split.py" in message and "no function 'no_such_filter'" in message
    assert "create_dataset_filter" in message  # what is defined there


def test_spark_only_sources_say_what_to_do(fresh_regression):
    edit(fresh_regression, "using: parquet\n  location: \"./data/diabetes.parquet\"",
         "using: delta\n  location: \"./data/table\"", "profiles/local.yaml")  # fmt: skip
    with pytest.raises(RecipeError, match=r"'delta' needs a Spark session.*using: parquet"):
        Recipe("local", root=fresh_regression).run()
