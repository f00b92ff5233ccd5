"""Built-in and custom metrics, per task, with the names and directions MLflow Recipes used.

MLflow computed these through ``mlflow.evaluate``; here they come straight from scikit-learn
(one process, no evaluator plugins). Custom metrics are ``steps/custom_metrics.py`` functions
``fn(eval_df, builtin_metrics) -> float`` where ``eval_df`` has columns ``prediction`` and
``target``, as MLflow called them; a custom name equal to a built-in one overrides it.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flavorkit.errors import RecipeError
from flavorkit.recipes.config import RecipeConfig

__all__ = [
    "BUILTIN_METRICS",
    "DEFAULT_PRIMARY_METRIC",
    "MetricDef",
    "compute_metrics",
    "metric_definitions",
    "task_of",
]

REGRESSION = "regression"
BINARY = "classification/binary"
MULTICLASS = "classification/multiclass"

# name -> greater_is_better
BUILTIN_METRICS: dict[str, dict[str, bool]] = {
    REGRESSION: {
        "mean_absolute_error": False,
        "mean_squared_error": False,
        "root_mean_squared_error": False,
        "max_error": False,
        "mean_absolute_percentage_error": False,
        "r2_score": True,
    },
    BINARY: {
        "true_negatives": True,
        "false_positives": False,
        "false_negatives": False,
        "true_positives": True,
        "recall_score": True,
        "precision_score": True,
        "f1_score": True,
        "accuracy_score": True,
        "roc_auc": True,
        "log_loss": False,
    },
    MULTICLASS: {
        "recall_score": True,
        "precision_score": True,
        "f1_score_macro": True,
        "f1_score_micro": True,
        "accuracy_score": True,
        "roc_auc": True,
        "log_loss": False,
    },
}
DEFAULT_PRIMARY_METRIC = {
    REGRESSION: "root_mean_squared_error",
    BINARY: "f1_score",
    MULTICLASS: "f1_score_macro",
}


@dataclass(frozen=True)
class MetricDef:
    name: str
    greater_is_better: bool
    function: str | None = None  # custom: the function name in steps/custom_metrics.py


def task_of(config: RecipeConfig, family: str) -> str:
    """Regression, ``classification/binary`` when ``positive_class`` is set, else multiclass."""
    if family == REGRESSION:
        return REGRESSION
    return BINARY if config.data.get("positive_class") is not None else MULTICLASS


def metric_definitions(config: RecipeConfig, task: str) -> dict[str, MetricDef]:
    """Built-in metrics of ``task`` plus ``custom_metrics`` from recipe.yaml, validated."""
    defs = {n: MetricDef(n, gib) for n, gib in BUILTIN_METRICS[task].items()}
    custom = config.data.get("custom_metrics") or []
    where = f"{config.root / 'recipe.yaml'}: key 'custom_metrics'"
    if not isinstance(custom, list):
        raise RecipeError(f"{where} must be a list of {{name, function, greater_is_better}}")
    for i, item in enumerate(custom):
        if not isinstance(item, Mapping):
            raise RecipeError(f"{where}[{i}] must be a mapping")
        missing = [k for k in ("name", "function", "greater_is_better") if k not in item]
        if missing:
            raise RecipeError(f"{where}[{i}] is missing {', '.join(missing)}")
        name = str(item["name"])
        if name in defs:
            warnings.warn(
                f"custom metric {name!r} overrides the built-in metric of that name", stacklevel=2
            )
        defs[name] = MetricDef(name, bool(item["greater_is_better"]), str(item["function"]))
    return defs


def primary_metric(config: RecipeConfig, task: str) -> str:
    return str(config.data.get("primary_metric") or DEFAULT_PRIMARY_METRIC[task])


def compute_metrics(
    task: str,
    y_true: Any,
    y_pred: Any,
    *,
    proba: Any = None,
    classes: Any = None,
    positive_class: Any = None,
    custom: Mapping[str, tuple[MetricDef, Callable[..., Any]]] | None = None,
) -> dict[str, float]:
    """Every built-in metric of ``task`` (those computable), then the custom ones."""
    import numpy as np
    import pandas as pd
    from sklearn import metrics as m

    out: dict[str, float] = {}
    if task == REGRESSION:
        yt = np.asarray(y_true, dtype=float)
        yp = np.asarray(y_pred, dtype=float)
        mse = m.mean_squared_error(yt, yp)
        out.update(
            example_count=float(len(yt)),
            mean_absolute_error=m.mean_absolute_error(yt, yp),
            mean_squared_error=mse,
            root_mean_squared_error=float(np.sqrt(mse)),
            max_error=m.max_error(yt, yp),
            mean_absolute_percentage_error=m.mean_absolute_percentage_error(yt, yp),
            r2_score=m.r2_score(yt, yp),
            sum_on_label=float(yt.sum()),
            mean_on_label=float(yt.mean()),
        )
    elif task == BINARY:
        labels = [c for c in classes if c != positive_class] + [positive_class]
        tn, fp, fn, tp = m.confusion_matrix(y_true, y_pred, labels=labels).ravel()
        out.update(
            example_count=float(len(y_true)),
            true_negatives=float(tn),
            false_positives=float(fp),
            false_negatives=float(fn),
            true_positives=float(tp),
            recall_score=m.recall_score(y_true, y_pred, pos_label=positive_class),
            precision_score=m.precision_score(
                y_true, y_pred, pos_label=positive_class, zero_division=0
            ),
            f1_score=m.f1_score(y_true, y_pred, pos_label=positive_class),
            accuracy_score=m.accuracy_score(y_true, y_pred),
        )
        if proba is not None:
            pos = list(classes).index(positive_class)
            truth = np.asarray(y_true) == positive_class
            if len(set(truth)) == 2:
                out["roc_auc"] = m.roc_auc_score(truth, proba[:, pos])
            out["log_loss"] = m.log_loss(y_true, proba, labels=list(classes))
    else:
        out.update(
            example_count=float(len(y_true)),
            recall_score=m.recall_score(y_true, y_pred, average="weighted", zero_division=0),
            precision_score=m.precision_score(y_true, y_pred, average="weighted", zero_division=0),
            f1_score_macro=m.f1_score(y_true, y_pred, average="macro"),
            f1_score_micro=m.f1_score(y_true, y_pred, average="micro"),
            accuracy_score=m.accuracy_score(y_true, y_pred),
        )
        if proba is not None:
            with contextlib.suppress(ValueError):  # a split without every class: no AUC
                out["roc_auc"] = m.roc_auc_score(
                    y_true, proba, multi_class="ovr", average="weighted", labels=list(classes)
                )
            out["log_loss"] = m.log_loss(y_true, proba, labels=list(classes))
    out = {k: float(v) for k, v in out.items()}
    if custom:
        eval_df = pd.DataFrame({"prediction": np.asarray(y_pred), "target": np.asarray(y_true)})
        for name, (definition, fn) in custom.items():
            value = fn(eval_df, dict(out))
            if isinstance(value, Mapping):  # MLflow 1.x custom metrics returned a dict
                value = value.get(name, next(iter(value.values()), None))
            try:
                out[name] = float(value)
            except (TypeError, ValueError):
                raise RecipeError(
                    f"custom metric {name!r} ({definition.function} in steps/custom_metrics.py) "
                    f"returned {type(value).__name__}, not a number"
                ) from None
    return out
