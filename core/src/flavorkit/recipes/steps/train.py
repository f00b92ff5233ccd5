"""``train``: fit the user's estimator, optionally tuned with Optuna, and log the model to MLflow.

``estimator_method`` in ``steps/train.py`` gets ``estimator_params`` and returns an unfitted
estimator (MLflow's contract; a function taking no argument is called without). The estimator is
fitted on the transformed training split; the fitted transformer and estimator become one
scikit-learn ``Pipeline``, saved as a flavorkit sklearn model (skops, signature and input example
from the raw training features, environment files) and logged to a new MLflow run with the
parameters, training and validation metrics, the recipe's code snapshot and this step's card.

``tuning`` (``enabled``, ``max_trials``, ``parameters``, optional ``sample_fraction`` and
``algorithm``) runs an Optuna study on the validation split's primary metric. Parameters are
``{values: [...]}`` (categorical) or ``{distribution: uniform|loguniform|quniform|qloguniform|
randint|choice, ...}`` with hyperopt's argument names, so MLflow recipes keep their YAML.
"""

from __future__ import annotations

import inspect
import json
import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flavorkit.errors import RecipeError
from flavorkit.recipes.config import RecipeConfig
from flavorkit.recipes.metrics import compute_metrics, metric_definitions, primary_metric
from flavorkit.recipes.types import Step, StepContext

__all__ = ["TrainStep", "custom_metric_functions", "predict_with"]

MODEL_DIR = "model"
DISTRIBUTIONS = ("uniform", "loguniform", "quniform", "qloguniform", "randint", "choice")


def custom_metric_functions(ctx: StepContext, task: str) -> dict[str, tuple[Any, Any]]:
    defs = metric_definitions(ctx.config, task)
    return {
        name: (d, ctx.user_function("custom_metrics", d.function))
        for name, d in defs.items()
        if d.function is not None
    }


def predict_with(model: Any, features: Any) -> tuple[Any, Any]:
    """(predictions, class probabilities or None) of a fitted estimator or pipeline."""
    pred = model.predict(features)
    proba = model.predict_proba(features) if hasattr(model, "predict_proba") else None
    return pred, proba


def score(ctx: StepContext, task: str, model: Any, features: Any, target: Any) -> dict[str, float]:
    pred, proba = predict_with(model, features)
    return compute_metrics(
        task,
        target,
        pred,
        proba=proba,
        classes=getattr(model, "classes_", None),
        positive_class=ctx.config.data.get("positive_class"),
        custom=custom_metric_functions(ctx, task),
    )


class TrainStep(Step):
    name = "train"
    inputs = ("split", "transform")
    outputs = (MODEL_DIR, "run_id", "logged_model.json", "best_parameters.json", "metrics.json")

    def resolved_config(self, config: RecipeConfig) -> dict[str, Any]:
        conf = config.step(self.name)
        for key in ("target_col", "primary_metric", "custom_metrics", "positive_class"):
            conf[key] = config.data.get(key)
        conf["experiment"] = config.section("experiment")
        return conf

    def code(self, config: RecipeConfig) -> list[str]:
        files = ["train.py"] if config.step(self.name).get("estimator_method") else []
        if config.data.get("custom_metrics"):
            files.append("custom_metrics.py")
        return files

    def validate(self, config: RecipeConfig) -> None:
        conf = config.step(self.name)
        using = conf.get("using", "custom")
        if using not in ("custom", "estimator_spec"):
            raise RecipeError(
                f"key 'steps.train.using': {using!r} is not supported (custom, or its old name "
                "estimator_spec); automl/flaml is not available in flavorkit recipes"
            )
        if not conf.get("estimator_method"):
            raise RecipeError(
                "key 'steps.train.estimator_method' is required "
                "(a function in steps/train.py returning an unfitted estimator)"
            )
        task = self.recipe_type.task(config)  # type: ignore[attr-defined]
        defs = metric_definitions(config, task)
        primary = primary_metric(config, task)
        if primary not in defs:
            raise RecipeError(
                f"primary_metric {primary!r} is neither built in nor in custom_metrics; "
                f"built-in metrics for {task}: {', '.join(defs)}"
            )
        tuning = conf.get("tuning") or {}
        if tuning.get("enabled"):
            if not isinstance(tuning.get("max_trials"), int) or tuning["max_trials"] < 1:
                raise RecipeError("key 'steps.train.tuning.max_trials' must be a positive integer")
            params = tuning.get("parameters")
            if not isinstance(params, Mapping) or not params:
                raise RecipeError("key 'steps.train.tuning.parameters' must be a non-empty mapping")
            for pname, spec in params.items():
                _check_param(str(pname), spec)

    def run(self, ctx: StepContext) -> None:
        import pandas as pd
        from sklearn.pipeline import Pipeline

        from flavorkit.api import save_model
        from flavorkit.recipes import tracking
        from flavorkit.recipes.steps.transform import (
            TRANSFORMER_FILE,
            features_and_target,
            load_skops,
        )

        conf = ctx.step_config
        task = self.recipe_type.task(ctx.config)  # type: ignore[attr-defined]
        target = str(ctx.config.data["target_col"])
        t_train = pd.read_parquet(ctx.input("transform", "transformed_training_data.parquet"))
        t_val = pd.read_parquet(ctx.input("transform", "transformed_validation_data.parquet"))
        xt_train, y_train = features_and_target(t_train, target)
        xt_val, y_val = features_and_target(t_val, target)
        params = dict(conf.get("estimator_params") or {})
        make = ctx.user_function("train", str(conf["estimator_method"]))

        trials: list[dict[str, Any]] = []
        best: dict[str, Any] = {}
        tuning = conf.get("tuning") or {}
        if tuning.get("enabled"):
            best, trials = self._tune(
                ctx, task, make, params, tuning, xt_train, y_train, xt_val, y_val
            )
            params.update(best)
        estimator = _make_estimator(make, params, conf["estimator_method"])
        # arrays, not frames: inside the pipeline the estimator sees the transformer's arrays
        estimator.fit(xt_train.to_numpy(), y_train)

        transformer = load_skops(ctx.input("transform", TRANSFORMER_FILE))
        model = Pipeline([("transformer", transformer), ("estimator", estimator)])
        raw_train = pd.read_parquet(ctx.input("split", "train.parquet"))
        raw_val = pd.read_parquet(ctx.input("split", "validation.parquet"))
        x_train, _ = features_and_target(raw_train, target)
        x_val, _ = features_and_target(raw_val, target)
        metrics = {
            "training": score(ctx, task, model, x_train, y_train),
            "validation": score(ctx, task, model, x_val, y_val),
        }
        model_dir = ctx.output_dir / MODEL_DIR
        save_model(
            model,
            model_dir,
            flavor="sklearn",
            input_example=x_train.head(5),
            metadata={"recipe": ctx.recipe_type.name, "recipe_profile": ctx.config.profile},
        )
        (ctx.output_dir / "best_parameters.json").write_text(json.dumps(best, default=str))
        (ctx.output_dir / "metrics.json").write_text(json.dumps(metrics))

        client, run_id, _ = tracking.start_run(ctx.config, self.name, ctx.recipe_type.name)
        try:
            self._log_run(client, run_id, ctx, params, metrics)
            logged = tracking.log_recipe_model(
                ctx.config, run_id, model, flavor="sklearn", input_example=x_train.head(5),
                metadata={"recipe": ctx.recipe_type.name, "recipe_profile": ctx.config.profile},
            )  # fmt: skip
        except BaseException:
            client.set_terminated(run_id, status="FAILED")
            raise
        (ctx.output_dir / "run_id").write_text(run_id)
        (ctx.output_dir / "logged_model.json").write_text(json.dumps(logged))
        ctx.extras["run"] = (client, run_id)
        self._card(ctx, task, metrics, model, estimator, xt_train, params, trials, run_id)

    def on_card(self, ctx: StepContext, html: Path, json_file: Path) -> None:
        client, run_id = ctx.extras["run"]
        client.log_artifact(run_id, str(html), self.name)
        client.log_artifact(run_id, str(json_file), self.name)

    def _log_run(
        self,
        client: Any,
        run_id: str,
        ctx: StepContext,
        params: Mapping[str, Any],
        metrics: Mapping[str, Mapping[str, float]],
    ) -> None:
        from mlflow.entities import Metric, Param

        now = int(time.time() * 1000)
        logged = [
            Metric(f"{prefix}_{name}", value, now, 0)
            for split, prefix in (("training", "training"), ("validation", "val"))
            for name, value in metrics[split].items()
            if math.isfinite(value)
        ]
        plist = [Param(str(k), str(v)[:6000]) for k, v in params.items()]
        client.log_batch(run_id, metrics=logged, params=plist)
        root = ctx.root
        snapshot = [root / "recipe.yaml", root / "requirements.txt"]
        snapshot += sorted((root / "profiles").glob("*.yaml")) + sorted(
            (root / "steps").glob("*.py")
        )
        for path in snapshot:
            if path.is_file():
                sub = path.parent.relative_to(root).as_posix()
                dest = "recipe_snapshot" if sub == "." else f"recipe_snapshot/{sub}"
                client.log_artifact(run_id, str(path), dest)

    def _tune(
        self,
        ctx: StepContext,
        task: str,
        make: Any,
        params: Mapping[str, Any],
        tuning: Mapping[str, Any],
        xt_train: Any,
        y_train: Any,
        xt_val: Any,
        y_val: Any,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        defs = metric_definitions(ctx.config, task)
        primary = primary_metric(ctx.config, task)
        direction = "maximize" if defs[primary].greater_is_better else "minimize"
        fraction = float(tuning.get("sample_fraction", 1.0))
        if not 0 < fraction <= 1:
            raise RecipeError("key 'steps.train.tuning.sample_fraction' must be in (0, 1]")
        if fraction < 1:
            xt_train = xt_train.sample(frac=fraction, random_state=42)
            y_train = y_train.loc[xt_train.index]
        algorithm = str(tuning.get("algorithm", ""))
        sampler = (
            optuna.samplers.RandomSampler(seed=42)
            if "rand" in algorithm
            else optuna.samplers.TPESampler(seed=42)
        )
        spaces = dict(tuning["parameters"])
        trials: list[dict[str, Any]] = []

        def objective(trial: Any) -> float:
            chosen = {name: _suggest(trial, name, spec) for name, spec in spaces.items()}
            est = _make_estimator(make, {**params, **chosen}, "estimator_method")
            est.fit(xt_train.to_numpy(), y_train)
            value = score(ctx, task, est, xt_val.to_numpy(), y_val)[primary]
            trials.append({"trial": trial.number, **chosen, f"val_{primary}": value})
            return value

        study = optuna.create_study(direction=direction, sampler=sampler)
        study.optimize(objective, n_trials=int(tuning["max_trials"]))
        return dict(study.best_params), trials

    def _card(
        self,
        ctx: StepContext,
        task: str,
        metrics: Mapping[str, Mapping[str, float]],
        model: Any,
        estimator: Any,
        xt_train: Any,
        params: Mapping[str, Any],
        trials: list[dict[str, Any]],
        run_id: str,
    ) -> None:
        import numpy as np

        from flavorkit.recipes.plots import bar_svg

        names = sorted(set(metrics["training"]) | set(metrics["validation"]))
        ctx.card.table(
            "Model performance (training and validation)",
            ["metric", "training", "validation"],
            [[n, metrics["training"].get(n), metrics["validation"].get(n)] for n in names],
            css_class="metrics",
        )
        weights = None
        label = ""
        if hasattr(estimator, "feature_importances_"):
            weights, label = np.asarray(estimator.feature_importances_), "Feature importances"
        elif hasattr(estimator, "coef_"):
            coef = np.asarray(estimator.coef_)
            weights = coef if coef.ndim == 1 else np.abs(coef).mean(axis=0)
            label = "Coefficients" if coef.ndim == 1 else "Coefficients (mean |value| over classes)"
        if weights is not None and len(weights) == xt_train.shape[1]:
            order = np.argsort(-np.abs(weights))[:25]
            cols = [str(xt_train.columns[i]) for i in order]
            vals = [float(weights[i]) for i in order]
            ctx.card.table(
                label, ["feature", "value"], [[c, v] for c, v in zip(cols, vals, strict=True)]
            )
            ctx.card.plot(label, bar_svg(cols, vals, label))
        if trials:
            columns = list(trials[0])
            ctx.card.table("Tuning trials", columns, [[t.get(c) for c in columns] for t in trials])
        ctx.card.kv(
            "Estimator parameters", {k: str(v) for k, v in params.items()} or {"(defaults)": ""}
        )
        ctx.card.pre("Model architecture", repr(model))
        ctx.card.kv("MLflow run", {"run_id": run_id, "task": task})


def _make_estimator(make: Any, params: Mapping[str, Any], method: Any) -> Any:
    try:
        accepts = bool(inspect.signature(make).parameters)
    except (TypeError, ValueError):
        accepts = True
    estimator = make(dict(params)) if accepts else make()
    if not hasattr(estimator, "fit"):
        raise RecipeError(
            f"steps/train.py: {method} returned {type(estimator).__name__}, which has no fit(): "
            "return an unfitted scikit-learn estimator"
        )
    return estimator


def _check_param(name: str, spec: Any) -> None:
    where = f"key 'steps.train.tuning.parameters.{name}'"
    if not isinstance(spec, Mapping):
        raise RecipeError(f"{where} must be a mapping ({{values: [...]}} or {{distribution: ...}})")
    if "values" in spec:
        if not isinstance(spec["values"], list) or not spec["values"]:
            raise RecipeError(f"{where}.values must be a non-empty list")
        return
    dist = spec.get("distribution")
    if dist not in DISTRIBUTIONS:
        raise RecipeError(
            f"{where}.distribution: {dist!r} is not supported; use one of "
            f"{', '.join(DISTRIBUTIONS)} or values: [...]"
        )


def _suggest(trial: Any, name: str, spec: Mapping[str, Any]) -> Any:
    if "values" in spec:
        return trial.suggest_categorical(name, list(spec["values"]))
    dist = spec["distribution"]
    if dist == "choice":
        return trial.suggest_categorical(name, list(spec.get("options", spec.get("values", []))))
    if dist == "randint":
        low = int(spec.get("low", 0))
        high = int(spec.get("high", spec.get("upper", low + 1))) - 1  # hyperopt: high exclusive
        return trial.suggest_int(name, low, max(low, high))
    lo, hi = float(spec["low"]), float(spec["high"])
    if dist in ("loguniform", "qloguniform"):
        # hyperopt's loguniform takes log-space bounds
        q = spec.get("q")
        value = trial.suggest_float(name, math.exp(lo), math.exp(hi), log=True)
        return round(value / float(q)) * float(q) if q else value
    if dist == "quniform":
        return trial.suggest_float(name, lo, hi, step=float(spec["q"]))
    return trial.suggest_float(name, lo, hi)
