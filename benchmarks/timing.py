"""Timing helpers shared by the benchmark scripts (run from this directory, so importable)."""

from __future__ import annotations

import statistics
import timeit
from collections.abc import Callable
from typing import Any


def paired_overhead(
    raw: Callable[[], Any], wrapped: Callable[[], Any], *, repeat: int, number: int
) -> tuple[float, float, float]:
    """Medians of raw, wrapped and of their per-round difference, timed alternately so that a
    slow stretch of the machine hits both."""
    raw(), wrapped()
    raws, wraps, diffs = [], [], []
    for _ in range(repeat):
        r = timeit.timeit(raw, number=number) / number
        w = timeit.timeit(wrapped, number=number) / number
        raws.append(r)
        wraps.append(w)
        diffs.append(w - r)
    return statistics.median(raws), statistics.median(wraps), statistics.median(diffs)
