"""The example model type: a nearest-centroid classifier small enough to ship inside the plugin.

REPLACE THIS: delete this module once the flavor saves your framework's models. It is here so
that the generated project passes its tests before you have written a line: ``flavor.py`` saves
and loads it the way a flavor handles a framework's model (its own safe file format, the
framework imported only inside methods).
"""

from __future__ import annotations

from typing import Any


class NearestCentroid:
    """Predicts, for each row, the label of the closest class centroid (Euclidean distance)."""

    def __init__(
        self,
        centroids: list[list[float]] | None = None,
        labels: list[Any] | None = None,
    ) -> None:
        self.centroids = [[float(v) for v in c] for c in centroids or []]
        self.labels = list(labels or [])
        if len(self.centroids) != len(self.labels):
            raise ValueError(
                f"NearestCentroid needs one label per centroid; got {len(self.centroids)} "
                f"centroids and {len(self.labels)} labels."
            )

    def fit(self, X: Any, y: Any) -> NearestCentroid:
        """Learn one centroid per distinct label of ``y`` from the rows of ``X``."""
        import numpy as np

        points, targets = np.asarray(X, dtype=float), np.asarray(y)
        if points.ndim != 2 or len(points) != len(targets):
            raise ValueError(
                f"fit needs a 2-D X and one label per row; got X of shape {points.shape} and "
                f"{len(targets)} labels."
            )
        labels = np.unique(targets)
        means = [points[targets == label].mean(axis=0) for label in labels]
        self.centroids = [mean.tolist() for mean in means]
        self.labels = labels.tolist()
        return self

    def predict(self, X: Any) -> Any:
        """The label of the nearest centroid for each row of ``X`` (a DataFrame or 2-D array)."""
        import numpy as np

        if not self.centroids:
            raise ValueError("NearestCentroid is not fitted: call fit(X, y) first.")
        points = np.asarray(X, dtype=float)
        centroids = np.asarray(self.centroids)
        if points.ndim != 2 or points.shape[1] != centroids.shape[1]:
            raise ValueError(
                f"predict needs rows of {centroids.shape[1]} features; got input of shape "
                f"{points.shape}."
            )
        distances = ((points[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=-1)
        return np.asarray(self.labels)[distances.argmin(axis=1)]
