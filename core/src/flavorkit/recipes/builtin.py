"""The built-in recipe types ``regression/v1`` and ``classification/v1``.

They are registered under the ``flavorkit.recipes`` entry-point group by the flavorkit
distribution itself, exactly as a third-party type would be. Both run the same steps; the task
(regression, binary or multiclass classification) decides the metrics, the stratified split and
the evaluation plots.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from flavorkit.recipes.config import RecipeConfig
from flavorkit.recipes.metrics import task_of
from flavorkit.recipes.steps.evaluate import EvaluateStep
from flavorkit.recipes.steps.ingest import IngestScoringStep, IngestStep
from flavorkit.recipes.steps.predict import PredictStep
from flavorkit.recipes.steps.register import RegisterStep
from flavorkit.recipes.steps.split import SplitStep
from flavorkit.recipes.steps.train import TrainStep
from flavorkit.recipes.steps.transform import TransformStep
from flavorkit.recipes.types import Artifact, RecipeType

__all__ = ["ClassificationRecipe", "RegressionRecipe"]


def _parquet(name: str) -> Any:
    def load(outputs: Path, config: RecipeConfig) -> Any:
        import pandas as pd

        return pd.read_parquet(outputs / name)

    return load


def _transformer(outputs: Path, config: RecipeConfig) -> Any:
    from flavorkit.recipes.steps.transform import TRANSFORMER_FILE, load_skops

    return load_skops(outputs / TRANSFORMER_FILE)


def _model(outputs: Path, config: RecipeConfig) -> Any:
    from flavorkit.api import load_model

    return load_model(outputs / "model", trust=True)  # the recipe's own output


def _run(outputs: Path, config: RecipeConfig) -> Any:
    from flavorkit.recipes import tracking

    return tracking.client_from_config(config).get_run((outputs / "run_id").read_text().strip())


def _registered(outputs: Path, config: RecipeConfig) -> Any:
    from flavorkit.recipes import tracking

    version = json.loads((outputs / "registered_model_version.json").read_text())
    client = tracking.client_from_config(config)
    return client.get_model_version(version["name"], version["version"])


def _json(name: str) -> Any:
    def load(outputs: Path, config: RecipeConfig) -> Any:
        return json.loads((outputs / name).read_text())

    return load


_STEPS = (
    IngestStep,
    SplitStep,
    TransformStep,
    TrainStep,
    EvaluateStep,
    RegisterStep,
    IngestScoringStep,
    PredictStep,
)

_ARTIFACTS = {
    "ingested_data": Artifact("ingest", _parquet("dataset.parquet")),
    "training_data": Artifact("split", _parquet("train.parquet")),
    "validation_data": Artifact("split", _parquet("validation.parquet")),
    "test_data": Artifact("split", _parquet("test.parquet")),
    "transformed_training_data": Artifact(
        "transform", _parquet("transformed_training_data.parquet")
    ),
    "transformed_validation_data": Artifact(
        "transform", _parquet("transformed_validation_data.parquet")
    ),
    "transformer": Artifact("transform", _transformer),
    "model": Artifact("train", _model),
    "run": Artifact("train", _run),
    "best_parameters": Artifact("train", _json("best_parameters.json")),
    "registered_model_version": Artifact("register", _registered),
    "ingested_scoring_data": Artifact("ingest_scoring", _parquet("scoring-dataset.parquet")),
    "scored_data": Artifact("predict", _parquet("scored.parquet")),
}


class RegressionRecipe(RecipeType):
    """``regression/v1``: a scikit-learn regressor, RMSE by default."""

    name = "regression/v1"
    version = "1"
    family: ClassVar[str] = "regression"
    step_classes = _STEPS
    default_target = "register"
    artifacts = _ARTIFACTS

    def task(self, config: RecipeConfig) -> str:
        return task_of(config, self.family)


class ClassificationRecipe(RegressionRecipe):
    """``classification/v1``: binary when ``positive_class`` is set, else multiclass."""

    name = "classification/v1"
    family: ClassVar[str] = "classification"
