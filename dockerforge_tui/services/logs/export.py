"""Write container log lines to a stream as plain text, JSON Lines or CSV, secrets redacted.

``text`` looks like ``docker logs -t`` (the engine's timestamp with nanoseconds, a
space, the line); ``jsonl`` is one object per line (``time``, ``stream``,
``container``, ``text``); ``csv`` has a header row and the same four columns. Every
line's text passes through the :class:`~dockerforge_tui.core.redaction.Redactor` when
one is given.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from typing import Callable, Iterable, Protocol, TextIO

from dockerforge_tui.core.redaction import Redactor

EXPORT_FORMATS: tuple[str, ...] = ("text", "jsonl", "csv")
CSV_COLUMNS = ("time", "stream", "container", "text")
_NANOS = 1_000_000_000

__all__ = ["CSV_COLUMNS", "EXPORT_FORMATS", "ExportedLine", "engine_timestamp", "write_export"]


class ExportedLine(Protocol):
    """What an exported line needs (``LogRecord`` of the log reader has it)."""

    engine_ts_ns: int
    stream: str
    text: str


def engine_timestamp(nanos: int) -> str:
    """RFC 3339 in UTC with nanoseconds, as ``docker logs -t`` prints it (``2024-03-01T12:00:00.123456789Z``)."""
    seconds, fraction = divmod(nanos, _NANOS)
    stamp = datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{fraction:09d}Z"


def write_export(lines: Iterable[ExportedLine], output_format: str, out: TextIO, *, container: str,
                 redactor: Redactor | None = None) -> int:
    """Write ``lines`` of ``container`` to ``out`` in ``output_format``; return how many lines were written."""
    if output_format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {output_format!r}; use one of {', '.join(EXPORT_FORMATS)}")
    clean: Callable[[str], str] = redactor.redact if redactor is not None else (lambda text: text)
    count = 0
    if output_format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for line in lines:
            writer.writerow((engine_timestamp(line.engine_ts_ns), line.stream, container, clean(line.text)))
            count += 1
        return count
    write = out.write
    if output_format == "jsonl":
        dumps = json.dumps
        for line in lines:
            write(dumps({"time": engine_timestamp(line.engine_ts_ns), "stream": line.stream, "container": container,
                         "text": clean(line.text)}, ensure_ascii=False) + "\n")
            count += 1
        return count
    for line in lines:
        write(f"{engine_timestamp(line.engine_ts_ns)} {clean(line.text)}\n")
        count += 1
    return count
