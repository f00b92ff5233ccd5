"""One bulk-scoring run: inputs in, one output file out, a summary back.

:func:`predict_files` checks everything it can before the model loads (the output type, that the
inputs exist, the options), then streams every input file through the model batch by batch. With
``on_error="fail"`` the first failure stops the run with an error naming the file and rows; with
``"skip"`` the failing batch (or an unreadable file) goes to the errors file with its reason and
the run carries on.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from flavorkit.api import load_model
from flavorkit.batch.inputs import Scan, count_rows, find_inputs
from flavorkit.batch.outputs import ErrorLog, OutputWriter, output_format
from flavorkit.batch.progress import Progress
from flavorkit.batch.scoring import check_keep_columns, declared_names, score_batch
from flavorkit.errors import BatchScoringError, FlavorkitError, MissingExtraError
from flavorkit.pyfunc import PyFuncModel

__all__ = ["DEFAULT_BATCH_SIZE", "BatchSummary", "predict_files"]

#: Rows per batch: large enough that per-batch overhead vanishes, small enough that a batch of
#: a few hundred columns stays in the tens of megabytes.
DEFAULT_BATCH_SIZE = 65_536

OnError = Literal["fail", "skip"]


@dataclass(frozen=True)
class BatchSummary:
    """What a run did. ``str()`` is the one summary line the CLI prints."""

    rows: int
    files: int
    seconds: float
    output: Path | None
    failed_rows: int = 0
    errors: int = 0
    errors_path: Path | None = None

    def __str__(self) -> str:
        files = f"{self.files} file{'s' if self.files != 1 else ''}"
        rate = f", {self.rows / self.seconds:,.0f} rows/s" if self.seconds > 0 and self.rows else ""
        where = f"to {self.output}" if self.output is not None else "(no output written)"
        line = f"wrote {self.rows:,} predictions for {self.rows + self.failed_rows:,} rows of "
        line += f"{files} {where} in {self.seconds:.1f} s{rate}"
        if self.errors:
            line += (
                f"; {self.errors} failed batch(es)/file(s), {self.failed_rows:,} rows skipped, "
                f"reasons in {self.errors_path}"
            )
        return line


def predict_files(
    model_uri: str | os.PathLike[str] | PyFuncModel,
    inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    keep_columns: Sequence[str] = (),
    on_error: OnError = "fail",
    errors_path: str | os.PathLike[str] | None = None,
    params: Mapping[str, Any] | None = None,
    trust: bool = False,
    load_options: Mapping[str, Any] | None = None,
    progress: bool = False,
) -> BatchSummary:
    """Score CSV / parquet / JSON Lines ``inputs`` (files, directories, globs) into ``output``.

    The output type follows its suffix (``.parquet``, ``.csv``, ``.jsonl``); it appears only
    when the run completes. ``keep_columns`` carries input columns (ids, features) into the
    output. ``on_error="skip"`` writes each failing batch or file to ``errors_path`` (default
    ``<output>.errors.jsonl``) and carries on. ``progress=True`` draws a bar when stderr is a
    terminal. ``model_uri`` is anything :func:`flavorkit.load_model` takes, or a loaded model.
    """
    MissingExtraError.check(("pyarrow",), extra="batch", feature="Bulk scoring (flavorkit.batch)")
    started = time.perf_counter()
    target = Path(output).absolute()
    output_format(target)
    if on_error not in ("fail", "skip"):
        raise BatchScoringError(f"on_error must be 'fail' or 'skip', got {on_error!r}.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise BatchScoringError(f"batch_size must be a positive integer, got {batch_size!r}.")
    errors_target = (
        Path(errors_path).absolute()
        if errors_path is not None
        else target.with_name(target.name + ".errors.jsonl")
    )
    files = find_inputs(inputs, exclude=(target, errors_target))
    if not files:
        raise BatchScoringError("The inputs name only the output file itself.")
    writer = OutputWriter(target)  # refuses a missing output directory before the model loads

    model = (
        model_uri
        if isinstance(model_uri, PyFuncModel)
        else load_model(model_uri, trust=trust, **dict(load_options or {}))
    )
    schema = model.signature.inputs if model.signature is not None else None
    keep = tuple(keep_columns)
    totals = [count_rows(f) for f in files]
    total = sum(t for t in totals if t is not None) if all(t is not None for t in totals) else None
    bar = Progress(total, enabled=progress)
    errors = ErrorLog(errors_target)
    rows = failed = 0
    noted: set[str] = set()
    declared = declared_names(model)
    wanted = None if declared is None else [*keep, *sorted(declared - set(keep))]
    try:
        for source in files:
            bar.file(source.path.name)
            offset = 0
            try:
                scan = Scan(source, schema=schema)
                check_keep_columns(keep, scan.columns)
                _note_undeclared(model, scan.columns, keep, noted)
                for batch in scan.batches(batch_size=batch_size, columns=wanted):
                    n = batch.num_rows
                    span = (offset, offset + n - 1)
                    try:
                        writer.write(score_batch(model, batch, params, keep))
                        rows += n
                    except Exception as e:
                        if on_error == "fail":
                            raise BatchScoringError(
                                _reason(e), file=str(source.path), rows=span
                            ) from e
                        errors.record(str(source.path), span, _reason(e))
                        failed += n
                    offset += n
                    bar.update(n)
            except BatchScoringError:
                raise
            except Exception as e:  # the file itself cannot be read (any further)
                where = f" after row {offset:,}" if offset else ""
                if on_error == "fail":
                    raise BatchScoringError(
                        f"cannot be read{where}: {_reason(e)}", file=str(source.path)
                    ) from e
                errors.record(str(source.path), None, f"cannot be read{where}: {_reason(e)}")
    except BaseException:
        bar.close()
        writer.abort()
        errors.abort()
        raise
    bar.close()
    written = writer.commit()
    has_errors = errors.commit()
    return BatchSummary(
        rows=rows,
        files=len(files),
        seconds=time.perf_counter() - started,
        output=target if written else None,
        failed_rows=failed,
        errors=errors.count,
        errors_path=errors_target if has_errors else None,
    )


def _note_undeclared(
    model: PyFuncModel, columns: Sequence[str], keep: Sequence[str], noted: set[str]
) -> None:
    """Warn once per run (not per batch) about input columns the signature does not declare."""
    declared = declared_names(model)
    if declared is None:
        return
    new = [c for c in columns if c not in declared and c not in keep and c not in noted]
    if new:
        noted.update(new)
        warnings.warn(
            f"Input column(s) {new} are not in the model's signature, so the model does not "
            "see them; --keep-columns carries them into the output.",
            UserWarning,
            stacklevel=3,
        )


def _reason(e: BaseException) -> str:
    text = " ".join(line.strip() for line in str(e).splitlines() if line.strip())
    if isinstance(e, FlavorkitError):
        return text
    return f"{type(e).__name__}: {text}" if text else type(e).__name__
