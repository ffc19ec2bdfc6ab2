"""``dockerforge audit``: the newest records of the audit log (who changed what on which engine, and how it went).

Reads ``audit.jsonl`` (and its rotated files) in DockerForge's data directory; never
touches the engine. Text output is a plain table, oldest first so the newest record
is the last line (like ``tail``); ``--format json`` prints a JSON array of the same
records, in the same order, with the fields of the file's lines.

Exit codes: 0 (also when there is no record yet: stderr says so), 2 for bad options
or a bad configuration, 5 when the audit file cannot be read.
"""

from __future__ import annotations

import argparse
import json
from typing import Sequence

from dockerforge_tui.cli.context import CommandContext
from dockerforge_tui.cli.registry import Command
from dockerforge_tui.core.errors import PermissionDeniedError, UsageError
from dockerforge_tui.services.audit import AuditLog, AuditRecord, audit_path

DEFAULT_TAIL = 50
FORMATS = ("text", "json")
HEADERS = ("TIME", "USER", "VERB", "TARGET", "RESULT", "TOOK", "MESSAGE")
EMPTY_CELL = "-"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``--tail`` and ``--format``."""
    parser.add_argument("--tail", type=int, default=DEFAULT_TAIL, metavar="N",
                        help=f"show the newest N records (default {DEFAULT_TAIL})")
    parser.add_argument("--format", choices=FORMATS, default="text", dest="output_format",
                        help="text (a table, default) or json (an array of records)")


def took(milliseconds: float) -> str:
    """``85ms``, ``1.2s`` or ``95s``."""
    if milliseconds < 1000:
        return f"{milliseconds:.0f}ms"
    seconds = milliseconds / 1000
    return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"


def record_row(record: AuditRecord) -> tuple[str, ...]:
    """One record's cells for the text table."""
    target = f"{record.target_kind} {record.target_name}".strip() or EMPTY_CELL
    return (record.time, record.user or EMPTY_CELL, record.verb, target, record.outcome, took(record.duration_ms),
            record.message or EMPTY_CELL)


def format_table(records: Sequence[AuditRecord]) -> str:
    """The records as a plain, aligned table (the message column is last and never padded)."""
    rows = [HEADERS, *(record_row(record) for record in records)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADERS) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def record_data(record: AuditRecord) -> dict:
    """A record as the JSON object its file line holds."""
    return json.loads(record.to_json())


def run(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Print the newest records; exit 0."""
    count = args.tail
    if count < 1:
        raise UsageError(f"--tail must be at least 1, not {count}", hint="for example: dockerforge audit --tail 20")
    settings = ctx.settings
    log = AuditLog(audit_path(ctx.paths.data_dir), max_bytes=settings.audit.max_bytes,
                   backup_count=settings.audit.backup_count)
    try:
        records = log.tail(count)
    except OSError as error:
        raise PermissionDeniedError(f"cannot read the audit log {log.path}: {error.strerror or error}",
                                    hint="check the data directory's permissions (DOCKERFORGE_DATA_DIR moves it)") \
            from error
    if args.output_format == "json":
        print(json.dumps([record_data(record) for record in records], indent=2, ensure_ascii=False),
              file=ctx.stdout)
    elif records:
        print(format_table(records), file=ctx.stdout)
    if not records:
        print(f"no audit records yet in {log.path}", file=ctx.stderr)
    return 0


COMMAND = Command(
    name="audit",
    help="show the newest records of the audit log (every action that changed the engine)",
    configure=configure,
    run=run,
)
