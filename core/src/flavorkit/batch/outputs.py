"""Writing scored batches: parquet, CSV or JSON Lines, appended batch by batch, renamed when done.

A writer opens ``.<name>.<random>.tmp`` beside the target and appends each table to it; only
:meth:`OutputWriter.commit` renames it to the target, so an interrupted or failed run leaves no
file that looks complete (:meth:`OutputWriter.abort` removes the temporary one). The first batch
fixes the output schema; later batches are cast to it, and one that cannot be is an error naming
the column.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

from flavorkit.errors import BatchScoringError

__all__ = ["OUTPUT_FORMATS", "ErrorLog", "OutputWriter", "output_format", "temporary_path"]

OUTPUT_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl"}


def output_format(path: Path) -> str:
    """The output format of ``path`` from its suffix; an unknown one is refused before scoring."""
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BatchScoringError(
            f"unknown output type {path.suffix or '(none)'!r}; use .parquet, .csv or .jsonl.",
            file=str(path),
        )
    return fmt


def temporary_path(target: Path) -> Path:
    """A hidden name beside ``target`` (same filesystem, so the final rename is atomic)."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")


class OutputWriter:
    """Appends pyarrow tables to one output file under a temporary name."""

    def __init__(self, target: Path):
        self.target = target
        self.format = output_format(target)
        if not target.parent.is_dir():
            raise BatchScoringError(
                f"the output's directory {target.parent} does not exist.", file=str(target)
            )
        self.tmp = temporary_path(target)
        self.schema: Any = None
        self.rows = 0
        self._writer: Any = None
        self._file: Any = None

    def write(self, table: Any) -> None:
        import pyarrow as pa

        if self.schema is None:
            self._open(table)
        elif not table.schema.equals(self.schema):
            table = self._conform(table, pa)
        if self.format == "jsonl":
            self._file.write(_jsonl(table))
        else:
            self._writer.write_table(table if self.format == "parquet" else _flat(table))
        self.rows += table.num_rows

    def _open(self, table: Any) -> None:
        self.schema = table.schema
        if self.format == "parquet":
            import pyarrow.parquet as pq

            self._writer = pq.ParquetWriter(str(self.tmp), self.schema)
        elif self.format == "csv":
            import pyarrow.csv as pacsv

            self._writer = pacsv.CSVWriter(str(self.tmp), _flat(table).schema)
        else:
            self._file = open(self.tmp, "w", encoding="utf-8")  # noqa: SIM115 - closed in commit

    def _conform(self, table: Any, pa: Any) -> Any:
        if table.schema.names != self.schema.names:
            raise BatchScoringError(
                f"this batch's output columns {table.schema.names} differ from the first "
                f"batch's {self.schema.names}; a model must return the same columns every time."
            )
        try:
            return table.cast(self.schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            bad = [
                f"{f.name!r} ({f.type} vs {self.schema.field(f.name).type})"
                for f in table.schema
                if f.type != self.schema.field(f.name).type
            ]
            raise BatchScoringError(
                f"output column(s) {', '.join(bad)} changed type from the first batch: {e}"
            ) from None

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def commit(self) -> bool:
        """Rename the finished file onto the target; ``False`` when nothing was written."""
        self._close()
        if self.schema is None:
            return False
        os.replace(self.tmp, self.target)
        return True

    def abort(self) -> None:
        """Close and remove the temporary file: nothing is left that looks like output."""
        try:
            self._close()
        finally:
            self.tmp.unlink(missing_ok=True)


def _flat(table: Any) -> Any:
    """Nested columns (a vector per row) as JSON text, which is what a CSV cell can hold."""
    import pyarrow as pa

    nested = [i for i, f in enumerate(table.schema) if pa.types.is_nested(f.type)]
    for i in nested:
        texts = [None if v is None else json.dumps(v) for v in table.column(i).to_pylist()]
        table = table.set_column(i, table.schema.field(i).name, pa.array(texts, pa.string()))
    return table


def _jsonl(table: Any) -> str:
    text: str = table.to_pandas().to_json(orient="records", lines=True, date_format="iso")
    return text if text.endswith("\n") or not text else text + "\n"


class ErrorLog:
    """The errors file of an ``on_error="skip"`` run: one JSON object per failed batch or file."""

    def __init__(self, target: Path):
        self.target = target
        self.tmp = temporary_path(target)
        self.count = 0
        self._file: Any = None

    def record(self, file: str, rows: tuple[int, int] | None, error: str) -> None:
        if self._file is None:
            self._file = open(self.tmp, "w", encoding="utf-8")  # noqa: SIM115 - closed below
        entry = {"file": file, "rows": list(rows) if rows else None, "error": error}
        self._file.write(json.dumps(entry) + "\n")
        self._file.flush()
        self.count += 1

    def commit(self) -> bool:
        """Rename the errors file into place; a stale one from an earlier run is removed."""
        if self._file is None:
            self.target.unlink(missing_ok=True)
            return False
        self._file.close()
        os.replace(self.tmp, self.target)
        return True

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self.tmp.unlink(missing_ok=True)
