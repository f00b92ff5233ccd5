"""MLflow tracking and registration against the real local sqlite store under the recipe root."""

from __future__ import annotations

import json

import pytest
from mlflow import MlflowClient

import flavorkit
import flavorkit.api
from flavorkit.errors import RecipeStepError
from flavorkit.recipes import Recipe


def client_for(root) -> MlflowClient:
    uri = f"sqlite:///{root / 'metadata' / 'mlflow' / 'mlruns.db'}"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def test_run_logs_params_metrics_cards_model_and_snapshot(built_regression):
    recipe = Recipe("local", root=built_regression)
    run = recipe.get_artifact("run")
    assert run.data.params["alpha"] == "1.0"
    metrics = run.data.metrics
    for prefix in ("training", "val", "test"):
        assert f"{prefix}_root_mean_squared_error" in metrics
        assert f"{prefix}_weighted_mean_squared_error" in metrics
    assert run.data.tags["mlflow.source.type"] == "RECIPE"
    assert run.data.tags["model_validation_status"] in ("VALIDATED", "REJECTED")
    client = client_for(built_regression)
    names = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert {"train", "evaluate", "recipe_snapshot"} <= names
    # the model is an MLflow 3 logged model, an output of the run (flavorkit.log_model)
    logged = json.loads(
        (recipe.cache.current("train", "local").outputs / "logged_model.json").read_text()
    )
    model = client.get_logged_model(logged["model_id"])
    assert model.source_run_id == run.info.run_id and str(model.status) in ("READY", "3")
    snapshot = {f.path for f in client.list_artifacts(run.info.run_id, "recipe_snapshot/steps")}
    assert "recipe_snapshot/steps/train.py" in snapshot
    assert client.get_experiment(run.info.experiment_id).name == "diabetes-regression"


def test_registered_version_loads_as_a_flavorkit_sklearn_model(built_regression, monkeypatch):
    recipe = Recipe("local", root=built_regression)
    version = recipe.get_artifact("registered_model_version")
    assert version.name == "diabetes-regressor" and version.status == "READY"
    uri = f"sqlite:///{built_regression / 'metadata' / 'mlflow' / 'mlruns.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("FLAVORKIT_CACHE_DIR", str(built_regression.parent / "downloads"))
    local = flavorkit.api.resolve_model_path("models:/diabetes-regressor/1")
    model = flavorkit.load_model(local, trust=True)
    assert model.metadata.flavors.keys() >= {"sklearn", "python_function"}
    assert model.metadata.flavors["sklearn"]["serialization_format"] == "skops"
    assert model.metadata.signature is not None
    data = recipe.get_artifact("test_data").drop(columns=["progression"])
    assert len(model.predict(data.head(7))) == 7
    native = flavorkit.load_native(local, trust=True)
    assert [name for name, _ in native.steps] == ["transformer", "estimator"]


def test_a_rejected_model_is_never_registered(regression_copy):
    recipe_yaml = regression_copy / "recipe.yaml"
    text = recipe_yaml.read_text().replace("threshold: 80", "threshold: 1")
    text = text.replace("allow_non_validated_model: false", "allow_non_validated_model: true")
    recipe_yaml.write_text(text)
    recipe = Recipe("local", root=regression_copy, echo=lambda _: None)
    with pytest.raises(RecipeStepError) as e:
        recipe.run()
    assert e.value.step == "register"
    assert "REJECTED" in str(e.value) and "root_mean_squared_error" in str(e.value)
    status = recipe.cache.current("evaluate", "local").outputs / "model_validation_status"
    assert status.read_text() == "REJECTED"
    versions = client_for(regression_copy).search_model_versions("name='diabetes-regressor'")
    assert len(versions) == 1  # only the one the built project registered


def test_unknown_status_registers_only_when_allowed(regression_copy):
    recipe_yaml = regression_copy / "recipe.yaml"
    text = recipe_yaml.read_text()
    start = text.index("    validation_criteria:")
    end = text.index("  register:")
    recipe_yaml.write_text(text[:start] + text[end:])
    recipe = Recipe("local", root=regression_copy, echo=lambda _: None)
    with pytest.raises(RecipeStepError, match=r"UNKNOWN.*allow_non_validated_model: true"):
        recipe.run()
    recipe_yaml.write_text(
        recipe_yaml.read_text().replace(
            "allow_non_validated_model: false", "allow_non_validated_model: true"
        )
    )
    recipe.run()
    version = recipe.get_artifact("registered_model_version")
    assert version.version == 2  # 1 is the built project's


def test_tuning_runs_an_optuna_study_on_the_primary_metric(regression_copy, lines):
    recipe_yaml = regression_copy / "recipe.yaml"
    recipe_yaml.write_text(
        recipe_yaml.read_text().replace(
            "    estimator_params:\n      alpha: 1.0\n",
            "    estimator_params:\n      alpha: 1.0\n"
            "    tuning:\n      enabled: true\n      max_trials: 4\n"
            "      algorithm: hyperopt.rand.suggest\n"
            "      parameters:\n"
            "        alpha:\n          distribution: loguniform\n"
            "          low: -3\n          high: 2\n"
            "        fit_intercept:\n          values: [true, false]\n",
        )
    )
    recipe = Recipe("local", root=regression_copy, echo=lines)
    recipe.run("train")
    best = recipe.get_artifact("best_parameters")
    assert set(best) == {"alpha", "fit_intercept"}
    assert 0.0497 < best["alpha"] < 7.39  # exp(-3), exp(2): hyperopt's log-space bounds
    card = json.loads((recipe.cache.current("train", "local").path / "card.json").read_text())
    trials = next(s for s in card["sections"] if s["title"] == "Tuning trials")
    assert len(trials["data"]["rows"]) == 4
    assert "val_root_mean_squared_error" in trials["data"]["columns"]
    assert recipe.get_artifact("run").data.params["alpha"] == str(best["alpha"])
