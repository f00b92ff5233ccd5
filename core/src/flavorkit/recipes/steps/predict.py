"""``predict``: batch-score the ``ingest_scoring`` data, without Spark.

The model is ``model_uri`` when set (a path, ``runs:/``, ``models:/`` or any URI
:mod:`flavorkit.locations` resolves, against the recipe's tracking store), else the version this
recipe registered. Unlike MLflow, a set ``model_uri`` is never overridden by the recipe's
registered version, and the registered version is part of this step's
cache key, so registering a new version re-scores. Scoring runs the flavorkit model in this
process (pyfunc, signature enforced); ``flavorkit.batch`` will take over streaming once it lands.

``output``: ``using: parquet | csv`` and ``location``; ``save_mode``: ``overwrite`` (default) or
``default``/``error``/``errorifexists``, which refuse an existing output. ``result_type`` casts the
``prediction`` column (``double``, ``float``, ``int``, ``long``, ``string``, ``boolean``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flavorkit.errors import RecipeError
from flavorkit.recipes.config import RecipeConfig
from flavorkit.recipes.types import Step, StepContext

__all__ = ["PredictStep"]

RESULT_TYPES = {
    "double": "float64",
    "float": "float32",
    "int": "int32",
    "integer": "int32",
    "long": "int64",
    "string": "string",
    "boolean": "bool",
}
REFUSING_MODES = ("default", "error", "errorifexists")


def _flat(conf: dict[str, Any]) -> dict[str, Any]:
    # MLflow flattened the output mapping into the step config
    out = dict(conf)
    output = out.pop("output", None) or {}
    if isinstance(output, dict):
        for key, value in output.items():
            out.setdefault(key, value)
    return out


class PredictStep(Step):
    name = "predict"
    inputs = ("ingest_scoring",)
    outputs = ("scored.parquet",)

    def validate(self, config: RecipeConfig) -> None:
        conf = _flat(config.step(self.name))
        if not config.step(self.name):
            return  # only checked when predict is configured
        using = conf.get("using", "parquet")
        if using in ("delta", "table"):
            raise RecipeError(
                f"key 'steps.predict.output.using': {using!r} needs Spark and a metastore; "
                "write parquet (using: parquet) and load it with your engine"
            )
        if using not in ("parquet", "csv"):
            raise RecipeError(
                f"key 'steps.predict.output.using' must be parquet or csv, got {using!r}"
            )
        if not conf.get("location"):
            raise RecipeError("key 'steps.predict.output.location' is required")
        rtype = str(conf.get("result_type", "double")).lower()
        if rtype not in RESULT_TYPES:
            raise RecipeError(
                f"key 'steps.predict.result_type': {rtype!r} is not one of "
                f"{', '.join(RESULT_TYPES)}"
            )
        mode = conf.get("save_mode", "overwrite")
        if mode not in ("overwrite", *REFUSING_MODES):
            raise RecipeError(
                f"key 'steps.predict.save_mode' must be overwrite, default, error or "
                f"errorifexists, got {mode!r}"
            )

    def extra_key(self, config: RecipeConfig, cached: Callable[[str], Path | None]) -> str:
        conf = config.step(self.name)
        if conf.get("model_uri"):
            return f"model_uri={conf['model_uri']}"
        registered = cached("register")
        if registered is None:
            return "no registered model"
        return (registered / "registered_model_version.json").read_text("utf-8")

    def run(self, ctx: StepContext) -> None:
        import pandas as pd

        from flavorkit.recipes import tracking

        conf = _flat(ctx.step_config)
        if not ctx.step_config:
            raise RecipeError(
                "steps.predict is not configured: add steps.predict.output {using, location} "
                "to recipe.yaml"
            )
        trust = False
        if conf.get("model_uri"):
            model_uri = str(conf["model_uri"])
        else:
            current = self._registered(ctx)
            version = json.loads(current.read_text("utf-8"))
            model_uri = str(version["model_uri"])  # models:/<name>/<version>
            trust = True  # the recipe's own model
        model = tracking.load_model(ctx.config, model_uri, trust=trust)
        data = pd.read_parquet(ctx.input("ingest_scoring", "scoring-dataset.parquet"))
        target = ctx.config.data.get("target_col")
        features = data.drop(columns=[target]) if target in data.columns else data
        prediction = model.predict(features)
        if isinstance(prediction, pd.DataFrame):
            prediction = prediction.iloc[:, 0]
        rtype = RESULT_TYPES[str(conf.get("result_type", "double")).lower()]
        scored = data.copy()
        scored["prediction"] = pd.Series(prediction).to_numpy()
        scored["prediction"] = scored["prediction"].astype(rtype)
        scored.to_parquet(ctx.output_dir / "scored.parquet", index=False)

        location = ctx.config.resolve(str(conf["location"]))
        mode = conf.get("save_mode", "overwrite")
        if location.exists() and mode in REFUSING_MODES:
            raise RecipeError(
                f"steps.predict.output.location: {location} exists and save_mode is {mode}: "
                "remove it or use save_mode: overwrite"
            )
        location.parent.mkdir(parents=True, exist_ok=True)
        tmp = location.with_name(f".{location.name}.tmp")
        if conf.get("using", "parquet") == "csv":
            scored.to_csv(tmp, index=False)
        else:
            scored.to_parquet(tmp, index=False)
        os.replace(tmp, location)
        ctx.card.kv(
            "Batch scoring",
            {"rows scored": len(scored), "model": model_uri, "output": str(location)},
        )
        ctx.card.dataframe("Scored data preview", scored, max_rows=10)

    def _registered(self, ctx: StepContext) -> Path:
        from flavorkit.recipes.cache import StepCache

        cache: StepCache = ctx.extras["cache"]
        entry = cache.current("register", ctx.config.profile)
        if entry is None:
            raise RecipeError(
                "no registered model to score with: run the training steps first "
                "(flavorkit recipes run), or set steps.predict.model_uri"
            )
        return entry.outputs / "registered_model_version.json"
