"""``transform``: fit the user's feature transformer on the training split only.

``transformer_method`` in ``steps/transform.py`` returns an *unfitted* scikit-learn-compatible
transformer; when it is absent or returns None the transform is the identity. The fitted
transformer is stored with skops (no pickle), and the transformed training and validation data as
parquet with the transformer's output feature names.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from flavorkit.errors import RecipeError
from flavorkit.recipes.config import RecipeConfig
from flavorkit.recipes.types import Step, StepContext

__all__ = ["TransformStep", "features_and_target", "load_skops", "transformed_frame"]

TRANSFORMER_FILE = "transformer.skops"


def features_and_target(frame: Any, target: str) -> tuple[Any, Any]:
    return frame.drop(columns=[target]), frame[target]


def transformed_frame(transformer: Any, features: Any) -> Any:
    """``transformer.transform(features)`` as a dense DataFrame with named columns."""
    import numpy as np
    import pandas as pd

    out = transformer.transform(features)
    if hasattr(out, "toarray"):
        out = out.toarray()
    if isinstance(out, pd.DataFrame):
        frame = out.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        return frame
    out = np.asarray(out)
    if out.ndim == 1:
        out = out.reshape(-1, 1)
    try:
        names = [str(n) for n in transformer.get_feature_names_out()]
    except Exception:
        names = []
    if len(names) != out.shape[1]:
        names = [f"feature_{i}" for i in range(out.shape[1])]
    return pd.DataFrame(out, columns=names)


def save_skops(obj: Any, path: Path) -> None:
    import skops.io as sio

    sio.dump(obj, path)


def load_skops(path: Path) -> Any:
    """Load a skops file this recipe's cache wrote (the recipe's own output, so its types are
    trusted: they are the types the user's own ``steps/`` code built)."""
    import skops.io as sio

    return sio.load(path, trusted=sio.get_untrusted_types(file=path))


class TransformStep(Step):
    name = "transform"
    inputs = ("split",)
    outputs = (
        TRANSFORMER_FILE,
        "transformed_training_data.parquet",
        "transformed_validation_data.parquet",
    )

    def resolved_config(self, config: RecipeConfig) -> dict[str, Any]:
        conf = config.step(self.name)
        conf["target_col"] = config.data.get("target_col")
        return conf

    def code(self, config: RecipeConfig) -> list[str]:
        return ["transform.py"] if config.step(self.name).get("transformer_method") else []

    def validate(self, config: RecipeConfig) -> None:
        using = config.step(self.name).get("using", "custom")
        if using != "custom":
            raise RecipeError(f"key 'steps.transform.using' must be custom, got {using!r}")

    def run(self, ctx: StepContext) -> None:
        import pandas as pd
        from sklearn.base import clone
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import FunctionTransformer

        target = str(ctx.config.data["target_col"])
        train = pd.read_parquet(ctx.input("split", "train.parquet"))
        validation = pd.read_parquet(ctx.input("split", "validation.parquet"))
        method = ctx.step_config.get("transformer_method")
        transformer = None
        if method:
            transformer = ctx.user_function("transform", str(method))()
        if transformer is None:
            transformer = Pipeline([("identity", FunctionTransformer())])
        if not (hasattr(transformer, "fit") and hasattr(transformer, "transform")):
            raise RecipeError(
                f"steps/transform.py: {method} returned {type(transformer).__name__}, which has "
                "no fit/transform: return an unfitted scikit-learn transformer"
            )
        with contextlib.suppress(TypeError):  # not clonable: use it as returned
            transformer = clone(transformer)  # unfitted, as MLflow required
        x_train, y_train = features_and_target(train, target)
        transformer.fit(x_train, y_train)
        t_train = transformed_frame(transformer, x_train)
        x_val, y_val = features_and_target(validation, target)
        t_val = transformed_frame(transformer, x_val)
        t_train[target] = y_train.to_numpy()
        t_val[target] = y_val.to_numpy()
        save_skops(transformer, ctx.output_dir / TRANSFORMER_FILE)
        t_train.to_parquet(ctx.output_dir / "transformed_training_data.parquet", index=False)
        t_val.to_parquet(ctx.output_dir / "transformed_validation_data.parquet", index=False)

        ctx.card.pre("Transformer", repr(transformer))
        ctx.card.table(
            "Input schema", ["column", "type"], [[c, str(t)] for c, t in x_train.dtypes.items()]
        )
        ctx.card.table(
            "Output schema",
            ["column", "type"],
            [[c, str(t)] for c, t in t_train.drop(columns=[target]).dtypes.items()],
        )
        ctx.card.dataframe("Transformed data preview", t_train, max_rows=10)
