"""The plots on step cards, drawn by matplotlib as inline SVG strings (no files, no network).

Text stays text in the SVG (``svg.fonttype: none``), which keeps each plot a few kilobytes and
lets the browser use its own fonts.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

__all__ = [
    "bar_svg",
    "confusion_svg",
    "curve_svg",
    "histogram_svg",
    "scatter_svg",
]


def _figure(width: float = 4.2, height: float = 2.8) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"
    plt.rcParams["svg.hashsalt"] = "flavorkit"  # stable ids: the same data draws the same file
    fig, ax = plt.subplots(figsize=(width, height), dpi=72)
    return fig, ax


def _svg(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.tight_layout()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE for inline use


def histogram_svg(values: Any, title: str, bins: int = 30) -> str:
    fig, ax = _figure(3.6, 2.4)
    ax.hist(values, bins=bins, color="#3b6fb6")
    ax.set_title(title, fontsize=10)
    ax.tick_params(labelsize=8)
    return _svg(fig)


def bar_svg(labels: Sequence[str], values: Sequence[float], title: str) -> str:
    fig, ax = _figure(4.8, max(2.0, 0.28 * len(labels) + 0.8))
    positions = list(range(len(labels)))
    ax.barh(positions, values, color="#3b6fb6")
    ax.set_yticks(positions, [str(label)[:30] for label in labels], fontsize=8)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=10)
    ax.tick_params(axis="x", labelsize=8)
    return _svg(fig)


SCATTER_POINTS = 2000  # each point is an SVG element: sample, so big splits stay light


def scatter_svg(x: Any, y: Any, title: str, xlabel: str, ylabel: str, *, zero: bool = False) -> str:
    import numpy as np

    x, y = np.asarray(x), np.asarray(y)
    if len(x) > SCATTER_POINTS:
        pick = np.random.default_rng(42).choice(len(x), SCATTER_POINTS, replace=False)
        x, y = x[pick], y[pick]
    fig, ax = _figure()
    ax.scatter(x, y, s=4, alpha=0.4, color="#3b6fb6", rasterized=False)
    if zero:
        ax.axhline(0, color="#b42318", linewidth=1)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.tick_params(labelsize=8)
    return _svg(fig)


def curve_svg(
    curves: Sequence[tuple[str, Any, Any]], title: str, xlabel: str, ylabel: str, *, diagonal: bool
) -> str:
    fig, ax = _figure()
    for label, x, y in curves:
        ax.plot(x, y, linewidth=1.5, label=label)
    if diagonal:
        ax.plot([0, 1], [0, 1], linestyle="--", color="#999", linewidth=1)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.tick_params(labelsize=8)
    if len(curves) > 1 or curves[0][0]:
        ax.legend(fontsize=7)
    return _svg(fig)


def confusion_svg(matrix: Any, labels: Sequence[str], title: str) -> str:
    fig, ax = _figure(3.6, 3.2)
    ax.pcolormesh(matrix, cmap="Blues")  # vector cells (imshow would embed a raster)
    ax.invert_yaxis()
    ticks = list(range(len(labels)))
    centers = [t + 0.5 for t in ticks]
    ax.set_xticks(centers, [str(v) for v in labels], fontsize=8)
    ax.set_yticks(centers, [str(v) for v in labels], fontsize=8)
    ax.set_xlabel("predicted", fontsize=9)
    ax.set_ylabel("true", fontsize=9)
    top = matrix.max() if matrix.size else 0
    for i in ticks:
        for j in ticks:
            value = matrix[i, j]
            color = "white" if top and value > top / 2 else "black"
            ax.text(j + 0.5, i + 0.5, str(value), ha="center", va="center", fontsize=8, color=color)
    ax.set_title(title, fontsize=10)
    return _svg(fig)
