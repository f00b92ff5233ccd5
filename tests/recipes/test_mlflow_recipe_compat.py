"""A recipe laid out exactly as MLflow 2.x's regression template (FIXMEs filled in) runs unchanged.

The files follow the template's shape: the old ``template:`` key, dotted ``steps.x.fn`` method
names, ``using: estimator_spec``, an ``evaluate`` section holding only comments, the scoring
sections commented out, ``steps/__init__.py`` and empty step files.
"""

from __future__ import annotations

import warnings

from sklearn.datasets import load_diabetes

from flavorkit.recipes import Recipe

RECIPE = """\
# recipe.yaml in the shape of mlflow/recipes-regression-template
template: "regression/v1"
target_col: "progression"
primary_metric: "root_mean_squared_error"
steps:
  ingest: {{INGEST_CONFIG}}
  split:
    split_ratios: [0.75, 0.125, 0.125]
    post_split_filter_method: steps.split.create_dataset_filter
  transform:
    transformer_method: steps.transform.transformer_fn
  train:
    using: estimator_spec
    estimator_method: steps.train.estimator_fn
  evaluate:
    # validation_criteria:
    #   - metric: root_mean_squared_error
    #     threshold: 10
  register:
    allow_non_validated_model: true
  # ingest_scoring: {{INGEST_SCORING_CONFIG}}
  # predict:
  #   output: {{PREDICT_OUTPUT_CONFIG}}
# custom_metrics:
#   - name: ""
"""
PROFILE = """\
experiment:
  name: "template-compat"
  tracking_uri: "sqlite:///metadata/mlflow/mlruns.db"
  artifact_location: "./metadata/mlflow/mlartifacts"
model_registry:
#   uri: "sqlite:///metadata/mlflow/registry.db"
  model_name: "template-compat"
INGEST_CONFIG:
  using: parquet
  location: "./data/diabetes.parquet"
# INGEST_SCORING_CONFIG:
#   using: ""
"""
SPLIT = """\
from pandas import DataFrame, Series


def create_dataset_filter(dataset: DataFrame) -> Series(bool):
    return dataset["bmi"].notna()
"""
TRANSFORM = """\
def transformer_fn():
    from sklearn.preprocessing import StandardScaler

    return StandardScaler()
"""
TRAIN = """\
from typing import Any, Dict


def estimator_fn(estimator_params: Dict[str, Any] = None):
    from sklearn.linear_model import SGDRegressor

    return SGDRegressor(random_state=42, **(estimator_params or {}))
"""


def test_a_filled_in_mlflow_template_runs_unchanged(tmp_path, lines):
    root = tmp_path / "recipes-regression-template"
    for sub in ("profiles", "steps", "data"):
        (root / sub).mkdir(parents=True)
    (root / "recipe.yaml").write_text(RECIPE)
    (root / "profiles" / "local.yaml").write_text(PROFILE)
    (root / "steps" / "__init__.py").write_text("")
    (root / "steps" / "ingest.py").write_text("")
    (root / "steps" / "custom_metrics.py").write_text("")
    (root / "steps" / "split.py").write_text(SPLIT)
    (root / "steps" / "transform.py").write_text(TRANSFORM)
    (root / "steps" / "train.py").write_text(TRAIN)
    frame = load_diabetes(as_frame=True, scaled=False).frame.rename(
        columns={"target": "progression"}
    )
    frame.to_parquet(root / "data" / "diabetes.parquet", index=False)

    recipe = Recipe("local", root=root / "steps", echo=lines)  # found by walking up
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = recipe.run()
    assert report.ran == ["ingest", "split", "transform", "train", "evaluate", "register"]
    status = recipe.cache.current("evaluate", "local").outputs / "model_validation_status"
    assert status.read_text() == "UNKNOWN"
    assert recipe.get_artifact("registered_model_version").name == "template-compat"
    assert recipe.get_artifact("model").predict(
        frame.drop(columns=["progression"]).head(3)
    ).shape == (3,)
