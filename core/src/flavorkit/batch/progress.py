"""The progress bar of a bulk-scoring run: tqdm on a terminal, nothing anywhere else.

It shows rows done, rows/s, the ETA when the total is known (parquet metadata gives it for free)
and the file in hand. When stderr is not a terminal (a log, a pipe, CI) or ``quiet`` is set, the
bar is a no-op, so logs hold only the one summary line.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["Progress"]


class Progress:
    """A row counter that draws a tqdm bar on a terminal and does nothing otherwise."""

    def __init__(self, total: int | None, *, enabled: bool, stream: Any = None):
        stream = stream if stream is not None else sys.stderr
        self._bar: Any = None
        if enabled and _is_terminal(stream):
            try:
                from tqdm import tqdm
            except ImportError:  # progress is a nicety; scoring does not need it
                return
            self._bar = tqdm(
                total=total, unit=" rows", unit_scale=True, file=stream, dynamic_ncols=True
            )

    def file(self, name: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(name, refresh=False)

    def update(self, rows: int) -> None:
        if self._bar is not None:
            self._bar.update(rows)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _is_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
