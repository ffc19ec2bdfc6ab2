"""What the audit screen shows, as pure functions: rows, the detail panel, and the filter."""

from __future__ import annotations

from datetime import datetime, timezone as utc_zone, tzinfo
from typing import Callable, Mapping

from rich.text import Text

from dockerforge_tui.services.audit import AuditRecord
from dockerforge_tui.ui.presenters.containers import format_duration
from dockerforge_tui.ui.presenters.events import Palette, RecordFilter, local_time, parse_record_filter

AUDIT_TAIL = 500
"""How many of the newest records the audit screen reads."""

OUTCOME_COLOURS = {"ok": "success", "error": "error", "refused": "warning"}

AUDIT_FIELDS: Mapping[str, Callable[[AuditRecord], str]] = {
    "user": lambda record: record.user,
    "verb": lambda record: record.verb,
    "kind": lambda record: record.target_kind,
    "name": lambda record: record.target_name,
    "result": lambda record: record.outcome,
    "outcome": lambda record: record.outcome,
    "endpoint": lambda record: record.endpoint,
}


def audit_searchable(record: AuditRecord) -> tuple[str, ...]:
    """The texts a plain filter term is looked for in."""
    return (record.user, record.verb, record.target_kind, record.target_name, record.target_id,
            record.outcome, record.message or "", record.endpoint)


def parse_audit_filter(text: str) -> RecordFilter[AuditRecord]:
    """The audit screen's filter (``user=``, ``verb=``, ``kind=``, ``name=``, ``result=``, ``endpoint=`` fields)."""
    return parse_record_filter(text, audit_searchable, AUDIT_FIELDS)


NO_AUDIT_FILTER: RecordFilter[AuditRecord] = RecordFilter("", ())


def record_time(record: AuditRecord) -> datetime | None:
    """When the action started (aware), or None when the record's time does not parse."""
    try:
        moment = datetime.fromisoformat(record.time.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=utc_zone.utc)


def format_audit_time(record: AuditRecord, timezone: tzinfo | None = None) -> str:
    """``2026-11-25 12:00:03`` in ``timezone`` (local when None); the raw text if it does not parse."""
    moment = record_time(record)
    return local_time(moment, timezone).strftime("%Y-%m-%d %H:%M:%S") if moment else record.time


def format_duration_ms(milliseconds: float) -> str:
    """``85ms``, ``1.2s``, ``3m`` ..."""
    if milliseconds < 1000:
        return f"{milliseconds:.0f}ms"
    if milliseconds < 60_000:
        return f"{milliseconds / 1000:.1f}s"
    return format_duration(milliseconds / 1000)


def audit_target(record: AuditRecord) -> str:
    """``container web`` style."""
    return f"{record.target_kind} {record.target_name}".strip()


def outcome_text(record: AuditRecord, palette: Palette) -> Text:
    """The result, coloured."""
    colour = OUTCOME_COLOURS.get(record.outcome)
    return Text(record.outcome, style=palette.get(colour, "") if colour else "", no_wrap=True, end="")


def audit_cells(record: AuditRecord, palette: Palette, timezone: tzinfo | None = None) -> tuple[Text, ...]:
    """The row of one record: time, user, verb, target, result, duration, message."""
    muted = palette.get("text-muted", "")
    return (
        Text(format_audit_time(record, timezone), style=muted, no_wrap=True, end=""),
        Text(record.user, no_wrap=True, end=""),
        Text(record.verb, no_wrap=True, end=""),
        Text(audit_target(record), no_wrap=True, end=""),
        outcome_text(record, palette),
        Text(format_duration_ms(record.duration_ms), style=muted, no_wrap=True, end=""),
        Text(record.message or "", no_wrap=True, end=""),
    )


def _param_text(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(str(part) for part in value)
    return str(value)


def audit_detail_text(record: AuditRecord, timezone: tzinfo | None = None) -> str:
    """Everything one record says, one ``key: value`` per line, for the detail panel."""
    lines = [f"{format_audit_time(record, timezone)} ({record.time})  {record.user} on {record.endpoint or '?'}",
             f"{record.verb} {audit_target(record)}" + (f"  id {record.target_id}"
                                                        if record.target_id and record.target_id != record.target_name
                                                        else ""),
             f"result: {record.outcome} in {format_duration_ms(record.duration_ms)}"
             + (f": {record.message}" if record.message else "")]
    lines += [f"{name}: {_param_text(value)}" for name, value in record.params]
    return "\n".join(lines)
