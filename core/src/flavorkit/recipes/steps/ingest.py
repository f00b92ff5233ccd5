"""``ingest`` and ``ingest_scoring``: read the source data into one parquet file, and profile it.

``using``: ``parquet``, ``csv`` or any other name with a ``loader_method`` in ``steps/ingest.py``
(``fn(location, format) -> DataFrame``, called per file, as MLflow did). ``location`` is a file, a
directory (its ``*.<using>`` files, every file for ``custom``), a glob, or a list of those,
relative to the recipe root. The source files' contents join the cache key, so edited data re-runs
ingest (MLflow's make rules never noticed). ``spark_sql`` and ``delta`` need Spark and are refused
with what to do instead.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

from flavorkit.errors import RecipeError
from flavorkit.recipes.config import RecipeConfig
from flavorkit.recipes.types import Step, StepContext

__all__ = ["IngestScoringStep", "IngestStep", "profile_card"]

NATIVE = ("parquet", "csv")
SPARK_ONLY = ("spark_sql", "delta")
PROFILE_ROWS = 100_000
PROFILE_PLOTS = 12


class IngestStep(Step):
    name = "ingest"
    outputs = ("dataset.parquet",)
    output_file = "dataset.parquet"
    check_target = True

    def resolved_config(self, config: RecipeConfig) -> dict[str, Any]:
        conf = config.step(self.name)
        if self.check_target:
            conf["target_col"] = config.data.get("target_col")
        return conf

    def code(self, config: RecipeConfig) -> list[str]:
        return ["ingest.py"] if config.step(self.name).get("loader_method") else []

    def validate(self, config: RecipeConfig) -> None:
        conf = config.step(self.name)
        key = f"{config.root / 'recipe.yaml'}: key 'steps.{self.name}"
        using = conf.get("using")
        if not using:
            raise RecipeError(
                f"{key}.using' is required (parquet, csv, or custom with loader_method)"
            )
        if using in SPARK_ONLY:
            raise RecipeError(
                f"{key}.using': {using!r} needs a Spark session and Delta Lake, which flavorkit "
                "recipes do not start: export the table to parquet and use `using: parquet`, or "
                "install pyspark (pip install 'flavorkit[spark]') and read it in a loader_method "
                "of steps/ingest.py"
            )
        if not conf.get("location"):
            raise RecipeError(f"{key}.location' is required")
        if using not in NATIVE and not conf.get("loader_method"):
            raise RecipeError(
                f"{key}.loader_method' is required for using: {using!r} "
                "(a function in steps/ingest.py: fn(location, format) -> pandas.DataFrame)"
            )
        if self.check_target and not config.data.get("target_col"):
            raise RecipeError(f"{config.root / 'recipe.yaml'}: key 'target_col' is required")

    def data_files(self, config: RecipeConfig) -> list[Path]:
        conf = config.step(self.name)
        locations = conf.get("location")
        using = str(conf.get("using"))
        if isinstance(locations, (str, Path)):
            locations = [locations]
        files: list[Path] = []
        for loc in locations or []:
            text = str(loc)
            if "://" in text and not text.startswith("file://"):
                raise RecipeError(
                    f"steps.{self.name}.location: {text} is not a local path; download it into "
                    "the recipe's data/ directory first"
                )
            path = config.resolve(text)
            if any(c in str(path) for c in "*?["):
                matched = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
                matched = [p for p in matched if p.is_file()]
            elif path.is_dir():
                pattern = "*" if using == "custom" else f"*.{using}"
                matched = sorted(p for p in path.glob(pattern) if p.is_file())
            elif path.is_file():
                matched = [path]
            else:
                raise RecipeError(
                    f"steps.{self.name}.location: {path} does not exist "
                    f"(from profile {config.profile!r})"
                )
            if not matched:
                raise RecipeError(f"steps.{self.name}.location: no {using} files in {path}")
            files.extend(matched)
        return files

    def run(self, ctx: StepContext) -> None:
        import pandas as pd

        conf = ctx.step_config
        using = str(conf["using"])
        files = self.data_files(ctx.config)
        loader = None
        if conf.get("loader_method"):
            loader = ctx.user_function("ingest", str(conf["loader_method"]))
        frames = []
        for path in files:
            if loader is not None:
                try:
                    frame = loader(str(path), using)
                except NotImplementedError:
                    raise RecipeError(
                        f"steps/ingest.py: {conf['loader_method']} does not support format "
                        f"{using!r} ({path})"
                    ) from None
                if not isinstance(frame, pd.DataFrame):
                    raise RecipeError(
                        f"steps/ingest.py: {conf['loader_method']} returned "
                        f"{type(frame).__name__}, not a pandas.DataFrame"
                    )
            elif using == "parquet":
                frame = pd.read_parquet(path)
            else:
                frame = pd.read_csv(path)
            frames.append(frame)
        data = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        data.columns = [str(c) for c in data.columns]
        target = ctx.config.data.get("target_col")
        if self.check_target and target not in data.columns:
            raise RecipeError(
                f"target_col {target!r} is not a column of the ingested data "
                f"({len(files)} file(s) from steps.ingest.location); columns found: "
                f"{', '.join(map(str, data.columns))}"
            )
        data = data.reset_index(drop=True)
        data.to_parquet(ctx.output_dir / self.output_file, index=False)
        ctx.card.kv(
            "Dataset",
            {
                "rows": len(data),
                "columns": data.shape[1],
                "source files": ", ".join(_rel(p, ctx.root) for p in files),
                "format": using,
            },
        )
        if not conf.get("skip_data_profiling"):
            profile_card(ctx.card, data, "Data profile")
        ctx.card.dataframe("Data preview", data, max_rows=10)


class IngestScoringStep(IngestStep):
    name = "ingest_scoring"
    outputs = ("scoring-dataset.parquet",)
    output_file = "scoring-dataset.parquet"
    check_target = False


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def profile_card(card: Any, data: Any, title: str) -> None:
    """Schema and per-column profile (with histograms of numeric columns) of a frame."""
    import pandas as pd

    from flavorkit.recipes.plots import bar_svg, histogram_svg

    sample = data.sample(PROFILE_ROWS, random_state=42) if len(data) > PROFILE_ROWS else data
    rows = []
    for col in sample.columns:
        s = sample[col]
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        rows.append(
            [
                col,
                str(data[col].dtype),
                int(s.notna().sum()),
                int(s.isna().sum()),
                int(s.nunique(dropna=True)),
                float(s.mean()) if numeric else None,
                float(s.std()) if numeric else None,
                float(s.min()) if numeric else None,
                float(s.max()) if numeric else None,
            ]
        )
    card.table(
        f"{title}: columns",
        ["column", "type", "non-null", "missing", "distinct", "mean", "std", "min", "max"],
        rows,
    )
    for col in list(sample.columns)[:PROFILE_PLOTS]:
        s = sample[col].dropna()
        if s.empty:
            continue
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            card.plot(f"{col}: histogram", histogram_svg(s.to_numpy(dtype=float), str(col)))
        else:
            top = s.astype(str).value_counts().head(10)
            card.plot(
                f"{col}: top values",
                bar_svg(list(top.index), [float(v) for v in top.to_numpy()], str(col)),
            )
