"""``evaluate``: metrics on the validation and test splits, and the validation gate.

``validation_criteria`` (``[{metric, threshold}]``) are checked against the **test** metrics, as
MLflow did: ``>=`` when the metric is greater-is-better, else ``<=``. All pass → ``VALIDATED``, any
fails → ``REJECTED``, no criteria → ``UNKNOWN``; the status is written to
``model_validation_status`` (plain text, for CI) and ``validation.json``. Test metrics are logged
to the train step's MLflow run, with this card.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from flavorkit.errors import RecipeError
from flavorkit.recipes.config import RecipeConfig
from flavorkit.recipes.metrics import BINARY, REGRESSION, metric_definitions, primary_metric
from flavorkit.recipes.types import Step, StepContext

__all__ = ["EvaluateStep", "load_recipe_model"]

WORST = 10


def load_recipe_model(model_dir: Path) -> Any:
    """The fitted pipeline from a model directory this recipe wrote (trusted: its own output)."""
    from flavorkit.api import load_native

    return load_native(model_dir, trust=True)


class EvaluateStep(Step):
    name = "evaluate"
    inputs = ("split", "train")
    outputs = ("model_validation_status", "validation.json", "metrics.json")

    def resolved_config(self, config: RecipeConfig) -> dict[str, Any]:
        conf = config.step(self.name)
        for key in ("target_col", "primary_metric", "custom_metrics", "positive_class"):
            conf[key] = config.data.get(key)
        return conf

    def code(self, config: RecipeConfig) -> list[str]:
        return ["custom_metrics.py"] if config.data.get("custom_metrics") else []

    def validate(self, config: RecipeConfig) -> None:
        criteria = config.step(self.name).get("validation_criteria") or []
        where = f"{config.root / 'recipe.yaml'}: key 'steps.evaluate.validation_criteria'"
        if not isinstance(criteria, list):
            raise RecipeError(f"{where} must be a list of {{metric, threshold}}")
        task = self.recipe_type.task(config)  # type: ignore[attr-defined]
        defs = metric_definitions(config, task)
        undefined = []
        for i, item in enumerate(criteria):
            if not isinstance(item, dict) or "metric" not in item or "threshold" not in item:
                raise RecipeError(f"{where}[{i}] must have keys metric and threshold")
            if item["metric"] not in defs:
                undefined.append(str(item["metric"]))
        if undefined:
            raise RecipeError(
                f"{where}: validation criteria contain undefined metrics: {', '.join(undefined)}; "
                f"define them under custom_metrics, or use a built-in metric: {', '.join(defs)}"
            )

    def run(self, ctx: StepContext) -> None:
        import pandas as pd

        from flavorkit.recipes import tracking
        from flavorkit.recipes.steps.train import score
        from flavorkit.recipes.steps.transform import features_and_target

        task = self.recipe_type.task(ctx.config)  # type: ignore[attr-defined]
        target = str(ctx.config.data["target_col"])
        model = load_recipe_model(ctx.input("train", "model"))
        metrics: dict[str, dict[str, float]] = {}
        frames = {}
        for split in ("validation", "test"):
            frame = pd.read_parquet(ctx.input("split", f"{split}.parquet"))
            features, y = features_and_target(frame, target)
            frames[split] = (features, y)
            metrics[split] = score(ctx, task, model, features, y)
        defs = metric_definitions(ctx.config, task)
        criteria = ctx.step_config.get("validation_criteria") or []
        results = []
        for item in criteria:
            name, threshold = str(item["metric"]), float(item["threshold"])
            value = metrics["test"].get(name, math.nan)
            gib = defs[name].greater_is_better
            passed = value >= threshold if gib else value <= threshold
            results.append(
                {
                    "metric": name,
                    "greater_is_better": gib,
                    "value": value,
                    "threshold": threshold,
                    "passed": bool(passed),
                }
            )
        if not results:
            status = "UNKNOWN"
        else:
            status = "VALIDATED" if all(r["passed"] for r in results) else "REJECTED"
        (ctx.output_dir / "model_validation_status").write_text(status)
        (ctx.output_dir / "validation.json").write_text(
            json.dumps({"status": status, "criteria": results}, indent=1)
        )
        (ctx.output_dir / "metrics.json").write_text(json.dumps(metrics))

        run_id = ctx.input("train", "run_id").read_text().strip()
        client = tracking.client_from_config(ctx.config)
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        logged = [
            Metric(f"{prefix}_{name}", value, now, 0)
            for split, prefix in (("validation", "val"), ("test", "test"))
            for name, value in metrics[split].items()
            if math.isfinite(value)
        ]
        client.log_batch(run_id, metrics=logged)
        client.set_tag(run_id, "model_validation_status", status)
        client.set_experiment_tag(
            client.get_run(run_id).info.experiment_id,
            "mlflow.primaryMetric",
            f"test_{primary_metric(ctx.config, task)}",
        )
        ctx.extras["run"] = (client, run_id)
        self._card(ctx, task, model, metrics, results, status, frames["test"], target)

    def on_card(self, ctx: StepContext, html: Path, json_file: Path) -> None:
        client, run_id = ctx.extras["run"]
        client.log_artifact(run_id, str(html), self.name)
        client.log_artifact(run_id, str(json_file), self.name)

    def _card(
        self,
        ctx: StepContext,
        task: str,
        model: Any,
        metrics: dict[str, dict[str, float]],
        results: list[dict[str, Any]],
        status: str,
        test: tuple[Any, Any],
        target: str,
    ) -> None:
        import numpy as np
        import pandas as pd

        from flavorkit.recipes import plots

        gates = {r["metric"]: r for r in results}
        rows = []
        for name in sorted(set(metrics["validation"]) | set(metrics["test"])):
            gate = gates.get(name)
            rows.append(
                [
                    name,
                    metrics["validation"].get(name),
                    metrics["test"].get(name),
                    gate["threshold"] if gate else None,
                    ("PASS" if gate["passed"] else "FAIL") if gate else "",
                ]
            )
        ctx.card.kv("Model validation", {"status": status, "criteria": len(results)})
        ctx.card.table(
            "Model performance (validation and test) with thresholds",
            ["metric", "validation", "test", "threshold", "result"],
            rows,
            css_class="metrics",
        )
        ctx.card.text(
            "Note",
            "Validation criteria are checked on the test split; tune on validation, not test.",
        )
        features, y = test
        pred = model.predict(features)
        if task == REGRESSION:
            y_arr = np.asarray(y, dtype=float)
            p_arr = np.asarray(pred, dtype=float)
            residual = y_arr - p_arr
            ctx.card.plot(
                "Residuals (test)",
                plots.scatter_svg(
                    p_arr, residual, "residuals", "predicted", "true - predicted", zero=True
                ),
            )
            ctx.card.plot(
                "Predicted vs true (test)",
                plots.scatter_svg(y_arr, p_arr, "predicted vs true", "true", "predicted"),
            )
            error = np.abs(residual)
            worst = np.argsort(-error)[:WORST]
            table = features.iloc[worst].copy()
            table.insert(0, "absolute_error", error[worst])
            table.insert(1, "prediction", p_arr[worst])
            table.insert(2, target, y_arr[worst])
        else:
            from sklearn import metrics as m

            classes = list(model.classes_)
            matrix = m.confusion_matrix(y, pred, labels=classes)
            ctx.card.plot(
                "Confusion matrix (test)",
                plots.confusion_svg(matrix, [str(c) for c in classes], "confusion matrix"),
            )
            proba = model.predict_proba(features) if hasattr(model, "predict_proba") else None
            if proba is not None:
                if task == BINARY:
                    positive = ctx.config.data.get("positive_class")
                    shown = [positive]
                else:
                    shown = classes
                roc, pr = [], []
                for cls in shown:
                    col = classes.index(cls)
                    truth = np.asarray(y) == cls
                    if truth.all() or not truth.any():
                        continue
                    fpr, tpr, _ = m.roc_curve(truth, proba[:, col])
                    prec, rec, _ = m.precision_recall_curve(truth, proba[:, col])
                    roc.append((str(cls), fpr, tpr))
                    pr.append((str(cls), rec, prec))
                if roc:
                    ctx.card.plot(
                        "ROC curve (test)",
                        plots.curve_svg(roc, "ROC", "false positive rate", "true positive rate",
                                        diagonal=True),
                    )  # fmt: skip
                    ctx.card.plot(
                        "Precision-recall curve (test)",
                        plots.curve_svg(pr, "precision-recall", "recall", "precision",
                                        diagonal=False),
                    )  # fmt: skip
                index = [classes.index(v) if v in classes else -1 for v in np.asarray(y)]
                p_true = np.array(
                    [proba[i, j] if j >= 0 else 0.0 for i, j in enumerate(index)], dtype=float
                )
                worst = np.argsort(p_true)[:WORST]
                table = features.iloc[worst].copy()
                table.insert(0, "probability_of_true_class", p_true[worst])
            else:
                wrong = np.flatnonzero(np.asarray(pred) != np.asarray(y))[:WORST]
                worst = wrong
                table = features.iloc[worst].copy()
            table.insert(1, "prediction", np.asarray(pred)[worst])
            table.insert(2, target, np.asarray(y)[worst])
        ctx.card.dataframe(
            f"The {WORST} worst predictions (test)", pd.DataFrame(table), max_rows=WORST
        )
