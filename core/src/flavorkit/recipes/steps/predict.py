"""``predict``: batch-score the ``ingest_scoring`` data, without Spark.

The model is ``model_uri`` when set (a path, ``runs:/``, ``models:/`` or any URI
:mod:`flavorkit.locations` resolves, against the recipe's tracking store), else the version this
recipe registered. Unlike MLflow, a set ``model_uri`` is never overridden by the recipe's
registered version, and the registered version is part of this step's
cache key, so registering a new version re-scores. Scoring runs the flavorkit model in this
process, streamed in record batches through :func:`flavorkit.batch.predict_batches` (pyfunc,
signature enforced), so memory is bounded by the batch, not the data.

``output``: ``using: parquet | csv`` and ``location``; ``save_mode``: ``overwrite`` (default) or
``default``/``error``/``errorifexists``, which refuse an existing output. ``result_type`` casts the
``prediction`` column (``double``, ``float``, ``int``, ``long``, ``string``, ``boolean``).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flavorkit.errors import RecipeError
from flavorkit.recipes.config import RecipeConfig
from flavorkit.recipes.types import Step, StepContext

__all__ = ["PredictStep"]

RESULT_TYPES = {  # Spark's result_type names -> pyarrow types
    "double": "float64",
    "float": "float32",
    "int": "int32",
    "integer": "int32",
    "long": "int64",
    "string": "string",
    "boolean": "bool",
}
BATCH_ROWS = 100_000
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
        import pyarrow.parquet as pq

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
        location = ctx.config.resolve(str(conf["location"]))
        mode = conf.get("save_mode", "overwrite")
        if location.exists() and mode in REFUSING_MODES:
            raise RecipeError(
                f"steps.predict.output.location: {location} exists and save_mode is {mode}: "
                "remove it or use save_mode: overwrite"
            )
        rtype = str(conf.get("result_type", "double")).lower()
        scored_path = ctx.output_dir / "scored.parquet"
        rows = _score(
            model, ctx.input("ingest_scoring", "scoring-dataset.parquet"), scored_path, rtype
        )

        location.parent.mkdir(parents=True, exist_ok=True)
        tmp = location.with_name(f".{location.name}.tmp")
        if conf.get("using", "parquet") == "csv":
            _parquet_to_csv(scored_path, tmp)
        else:
            shutil.copyfile(scored_path, tmp)
        os.replace(tmp, location)
        ctx.card.kv(
            "Batch scoring",
            {
                "rows scored": rows,
                "model": model_uri,
                "output": str(location),
                "engine": "flavorkit.batch",
            },
        )
        preview = next(pq.ParquetFile(scored_path).iter_batches(batch_size=10)).to_pandas()
        ctx.card.dataframe("Scored data preview", preview, max_rows=10)

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


def _score(model: Any, source: Path, target: Path, result_type: str) -> int:
    """Stream ``source`` through ``model`` with flavorkit.batch into ``target``; rows scored."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from flavorkit.batch import predict_batches

    reader = pq.ParquetFile(source)
    keep = reader.schema_arrow.names
    if "prediction" in keep:
        raise RecipeError(
            "the scoring data already has a column named 'prediction': rename it in "
            "steps.ingest_scoring's data"
        )
    wanted = pa.type_for_alias(RESULT_TYPES[result_type])
    rows = 0
    writer = None
    try:
        batches = reader.iter_batches(batch_size=BATCH_ROWS)
        for table in predict_batches(model, batches, keep_columns=keep):
            index = table.schema.get_field_index("prediction")
            if index >= 0:
                table = table.set_column(index, "prediction", table.column(index).cast(wanted))
            if writer is None:
                writer = pq.ParquetWriter(target, table.schema)
            writer.write_table(table)
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    return rows


def _parquet_to_csv(source: Path, target: Path) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    reader = pq.ParquetFile(source)
    with pcsv.CSVWriter(target, reader.schema_arrow) as writer:
        for batch in reader.iter_batches(batch_size=BATCH_ROWS):
            writer.write_batch(batch)
