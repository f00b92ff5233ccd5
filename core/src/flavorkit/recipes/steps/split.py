"""``split``: train / validation / test, deterministic by row content.

Rows whose target is missing are dropped (and counted). Each remaining row is hashed
(``pandas.util.hash_pandas_object``); for regression the hash picks one of 1000 buckets and the
ratios cut the bucket range, as MLflow did. For classification the split is stratified: within
each class rows are ordered by hash and cut by the ratios, so every split keeps the class mix.
The same data always splits the same way, wherever and whenever it runs.

``using: custom`` with ``split_method`` (``fn(df) -> Series of TRAINING|VALIDATION|TEST``),
``post_split_filter_method`` (``fn(df) -> bool Series``, training rows only) and
``post_split_method`` (``fn(train, val, test) -> (train, val, test)``) come from ``steps/split.py``.
"""

from __future__ import annotations

from typing import Any

from flavorkit.errors import RecipeError
from flavorkit.recipes.config import RecipeConfig
from flavorkit.recipes.types import Step, StepContext

__all__ = ["SplitStep"]

DEFAULT_RATIOS = [0.75, 0.125, 0.125]
BUCKETS = 1000
MIN_ROWS = 4
SPLITS = ("train", "validation", "test")
LABELS = {"TRAINING": "train", "VALIDATION": "validation", "TEST": "test"}
FUNCTION_KEYS = ("split_method", "post_split_filter_method", "post_split_method")


def split_ratios(config: RecipeConfig) -> list[float]:
    ratios = config.step("split").get("split_ratios", DEFAULT_RATIOS)
    ok = isinstance(ratios, list) and len(ratios) == 3 and all(_positive_number(r) for r in ratios)
    if not ok:
        raise RecipeError(
            f"{config.root / 'recipe.yaml'}: key 'steps.split.split_ratios' must be three "
            f"positive numbers (train, validation, test), e.g. [0.75, 0.125, 0.125]; got {ratios!r}"
        )
    total = float(sum(ratios))
    return [float(r) / total for r in ratios]


def _positive_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


class SplitStep(Step):
    name = "split"
    inputs = ("ingest",)
    outputs = ("train.parquet", "validation.parquet", "test.parquet")

    def resolved_config(self, config: RecipeConfig) -> dict[str, Any]:
        conf = config.step(self.name)
        conf["target_col"] = config.data.get("target_col")
        conf["stratified"] = self.recipe_type.family != "regression"  # type: ignore[attr-defined]
        return conf

    def code(self, config: RecipeConfig) -> list[str]:
        conf = config.step(self.name)
        return ["split.py"] if any(conf.get(k) for k in FUNCTION_KEYS) else []

    def validate(self, config: RecipeConfig) -> None:
        split_ratios(config)
        conf = config.step(self.name)
        using = conf.get("using", "split_ratios")
        if using not in ("split_ratios", "custom"):
            raise RecipeError(
                f"key 'steps.split.using' must be split_ratios or custom, got {using!r}"
            )
        if using == "custom" and not conf.get("split_method"):
            raise RecipeError("key 'steps.split.split_method' is required with using: custom")

    def run(self, ctx: StepContext) -> None:
        import numpy as np
        import pandas as pd

        conf = ctx.step_config
        target = str(ctx.config.data["target_col"])
        data = pd.read_parquet(ctx.input("ingest", "dataset.parquet"))
        before = len(data)
        data = data[data[target].notna()].reset_index(drop=True)
        dropped = before - len(data)
        ratios = split_ratios(ctx.config)
        positive = ctx.config.data.get("positive_class")
        if self.recipe_type.family != "regression" and positive is not None:  # type: ignore[attr-defined]
            classes = sorted(map(str, data[target].unique()))
            if len(classes) != 2 or str(positive) not in classes:
                raise RecipeError(
                    f"positive_class {positive!r} makes this a binary task, but target_col "
                    f"{target!r} has the classes {', '.join(classes[:20])}: the target needs "
                    "exactly two classes, one of them positive_class (remove positive_class "
                    "for a multiclass task)"
                )

        if conf.get("using") == "custom":
            fn = ctx.user_function("split", str(conf["split_method"]))
            labels = pd.Series(fn(data)).reset_index(drop=True)
            unknown = set(labels.unique()) - set(LABELS)
            if unknown:
                raise RecipeError(
                    f"steps/split.py: {conf['split_method']} returned labels {sorted(unknown)}; "
                    "expected TRAINING, VALIDATION or TEST"
                )
            assign = labels.map(LABELS).to_numpy()
        else:
            hashes = pd.util.hash_pandas_object(data, index=False).to_numpy()
            if self.recipe_type.family == "regression":  # type: ignore[attr-defined]
                bucket = (hashes % BUCKETS).astype(float)
                cut1, cut2 = ratios[0] * BUCKETS, (ratios[0] + ratios[1]) * BUCKETS
                assign = np.where(
                    bucket < cut1, "train", np.where(bucket < cut2, "validation", "test")
                )
            else:
                assign = _stratified(data[target].to_numpy(), hashes, ratios)
        parts = {name: data[assign == name].reset_index(drop=True) for name in SPLITS}

        if conf.get("post_split_filter_method"):
            fn = ctx.user_function("split", str(conf["post_split_filter_method"]))
            keep = pd.Series(fn(parts["train"])).to_numpy(dtype=bool)
            parts["train"] = parts["train"][keep].reset_index(drop=True)
        if conf.get("post_split_method"):
            fn = ctx.user_function("split", str(conf["post_split_method"]))
            result = fn(parts["train"], parts["validation"], parts["test"])
            parts = dict(zip(SPLITS, result, strict=True))
        for name in SPLITS:
            if len(parts[name]) < MIN_ROWS:
                raise RecipeError(
                    f"the {name} split has {len(parts[name])} rows, fewer than {MIN_ROWS}: "
                    f"use more data or change steps.split.split_ratios"
                )
            parts[name].to_parquet(ctx.output_dir / f"{name}.parquet", index=False)
        self._card(ctx, parts, target, dropped)

    def _card(self, ctx: StepContext, parts: dict[str, Any], target: str, dropped: int) -> None:
        from flavorkit.recipes.plots import bar_svg, histogram_svg

        total = sum(len(p) for p in parts.values())
        ctx.card.table(
            "Split sizes",
            ["split", "rows", "share"],
            [[n, len(parts[n]), round(len(parts[n]) / total, 4)] for n in SPLITS],
        )
        ctx.card.kv("Rows dropped", {f"missing {target}": dropped})
        if self.recipe_type.family == "regression":  # type: ignore[attr-defined]
            rows = []
            for n in SPLITS:
                y = parts[n][target].astype(float)
                rows.append([n, y.mean(), y.std(), y.min(), y.median(), y.max()])
                ctx.card.plot(f"{target} in {n}", histogram_svg(y.to_numpy(), f"{target}: {n}"))
            ctx.card.table(
                "Target distribution", ["split", "mean", "std", "min", "median", "max"], rows
            )
        else:
            classes = sorted({str(v) for p in parts.values() for v in p[target].unique()})
            rows = []
            for n in SPLITS:
                counts = parts[n][target].astype(str).value_counts()
                rows.append([n, *[int(counts.get(c, 0)) for c in classes]])
            ctx.card.table("Target distribution", ["split", *classes], rows)
            share = parts["train"][target].astype(str).value_counts(normalize=True)
            ctx.card.plot(
                "Class shares (train)",
                bar_svg(classes, [float(share.get(c, 0)) for c in classes], "train"),
            )


def _stratified(y: Any, hashes: Any, ratios: list[float]) -> Any:
    import numpy as np
    import pandas as pd

    assign = np.empty(len(y), dtype=object)
    for cls in pd.unique(y):
        idx = np.flatnonzero(y == cls)
        order = idx[np.lexsort((idx, hashes[idx]))]  # by hash, ties by position
        n = len(order)
        n_train = round(n * ratios[0])
        n_val = round(n * ratios[1])
        assign[order[:n_train]] = "train"
        assign[order[n_train : n_train + n_val]] = "validation"
        assign[order[n_train + n_val :]] = "test"
    return assign.astype(str)
