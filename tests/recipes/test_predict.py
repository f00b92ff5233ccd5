"""Batch scoring without Spark, from the version the recipe registered."""

from __future__ import annotations

import pandas as pd

from flavorkit.recipes import Recipe


def test_predict_scores_into_the_configured_output(built_regression):
    recipe = Recipe("local", root=built_regression)
    scored = recipe.get_artifact("scored_data")
    scoring = recipe.get_artifact("ingested_scoring_data")
    assert len(scored) == len(scoring) == 100
    assert scored["prediction"].dtype == "float64"
    written = pd.read_parquet(built_regression / "data" / "scored.parquet")
    pd.testing.assert_frame_equal(written, scored)


def test_a_new_registered_version_rescores(regression_copy, lines):
    recipe = Recipe("local", root=regression_copy, echo=lines)
    recipe.run("predict")
    assert lines.of("predict") == "predict: reused, inputs unchanged"
    recipe.clean("register")
    lines.clear()
    recipe.run()
    recipe.run("predict")
    assert lines.of("predict").startswith("predict: ran") and "its model changed" in lines.of(
        "predict"
    )


def test_model_uri_wins_over_the_registered_version(regression_copy, lines):
    model_dir = Recipe("local", root=regression_copy).cache.current("train", "local").outputs
    recipe_yaml = regression_copy / "recipe.yaml"
    recipe_yaml.write_text(
        recipe_yaml.read_text().replace(
            "    result_type: double",
            f"    result_type: float\n    model_uri: {model_dir / 'model'}",
        )
    )
    recipe = Recipe("local", root=regression_copy, echo=lines)
    recipe.run("predict")
    assert "config changed (model_uri, result_type)" in lines.of("predict")
    assert recipe.get_artifact("scored_data")["prediction"].dtype == "float32"
