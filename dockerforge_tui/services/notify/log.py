"""The notification log: what was sent, what was held back and why, and which issues were acknowledged.

One TinyDB file (``notifications.json`` in the data directory) shared by the dashboard
(the notification centre lists :meth:`NotificationLog.recent`) and the CLI
(``dockerforge notify list``, ``notify ack``). Rows are redacted before they are
written; the oldest are dropped past ``notifications.log_max_entries``.
"""

from __future__ import annotations

import builtins
import itertools
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from dockerforge_tui.core.paths import AppPaths
from dockerforge_tui.services.notify.events import notify_data
from dockerforge_tui.services.storage import JsonDatabase, open_db

LOG_FILE_NAME = "notifications.json"
ENTRIES = "entries"
ACKS = "acknowledgements"

Outcome = Literal["sent", "suppressed", "failed"]
OUTCOMES: tuple[str, ...] = ("sent", "suppressed", "failed")
REASONS: dict[str, str] = dict(notify_data()["reasons"])
"""Why a row has the outcome it has (``kinds.yaml``), for the notification centre's legend."""

_sequence = itertools.count()


def default_log_path(paths: AppPaths) -> Path:
    """Where the notification log lives: ``notifications.json`` in the data directory."""
    return paths.data_dir / LOG_FILE_NAME


@dataclass(frozen=True)
class NotificationLogEntry:
    """One row of the log."""

    id: str
    at: datetime
    outcome: str
    """``sent``, ``suppressed`` or ``failed``."""
    reason: str | None
    """A key of :data:`REASONS`, or None for a plain send."""
    channel: str | None
    kind: str
    severity: str
    subject: str
    group: str
    """The group key: ``channel|field=value|...``."""
    event_keys: tuple[str, ...]
    issue_ids: tuple[str, ...]
    detail: str = ""
    """More about it: the error, the fallback used, when a held message may go."""
    via: str | None = None
    """The channel that took the message (the fallback when it fell back)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data (``at`` as ISO 8601 in UTC)."""
        return {"id": self.id, "at": _text(self.at), "outcome": self.outcome, "reason": self.reason,
                "channel": self.channel, "via": self.via, "kind": self.kind, "severity": self.severity,
                "subject": self.subject, "group": self.group, "event_keys": list(self.event_keys),
                "issue_ids": list(self.issue_ids), "detail": self.detail}


class NotificationLog:
    """The log file; every method is one transaction, safe across threads and processes."""

    def __init__(self, path: Path | str, max_entries: int = 2000) -> None:
        self.path = Path(path)
        self.max_entries = max_entries
        self._database: JsonDatabase = open_db(self.path)

    @classmethod
    def for_paths(cls, paths: AppPaths, max_entries: int = 2000) -> "NotificationLog":
        """The log in the platform's data directory."""
        return cls(default_log_path(paths), max_entries)

    def add(self, entries: builtins.list[NotificationLogEntry]) -> None:
        """Append rows (dropping the oldest past ``max_entries``)."""
        if not entries:
            return
        with self._database.transaction() as db:
            table = db.table(ENTRIES)
            table.insert_multiple(entry.as_dict() for entry in entries)
            excess = len(table) - self.max_entries
            if excess > 0:
                oldest = sorted(table.all(), key=lambda document: (document["at"], document.doc_id))[:excess]
                table.remove(doc_ids=[document.doc_id for document in oldest])

    def recent(self, limit: int = 100, outcome: str | None = None, channel: str | None = None,
               issue_id: str | None = None) -> tuple[NotificationLogEntry, ...]:
        """The newest rows first, at most ``limit``, optionally of one outcome, channel or issue."""
        with self._database.snapshot() as db:
            documents = db.table(ENTRIES).all()
        rows = [_entry(document) for document in sorted(documents, key=lambda d: (d["at"], d.doc_id), reverse=True)]
        if outcome is not None:
            rows = [row for row in rows if row.outcome == outcome]
        if channel is not None:
            rows = [row for row in rows if channel in (row.channel, row.via)]
        if issue_id is not None:
            rows = [row for row in rows if any(found.startswith(issue_id) for found in row.issue_ids)]
        return tuple(rows[:limit])

    # --- acknowledgements ---------------------------------------------------------------------------

    def acknowledge(self, issue_id: str, by: str | None = None, now: datetime | None = None) -> None:
        """Record that a person acknowledged ``issue_id``: its escalation stops."""
        now = now or datetime.now(timezone.utc)
        with self._database.transaction() as db:
            table = db.table(ACKS)
            if not any(document["issue_id"] == issue_id for document in table.all()):
                table.insert({"issue_id": issue_id, "at": _text(now), "by": by or ""})

    def acknowledged(self) -> frozenset[str]:
        """Every acknowledged issue id."""
        with self._database.snapshot() as db:
            return frozenset(document["issue_id"] for document in db.table(ACKS).all())

    def forget_acknowledgement(self, issue_id: str) -> None:
        """Drop an acknowledgement (the issue reopened: a new occurrence may escalate again)."""
        with self._database.transaction() as db:
            table = db.table(ACKS)
            table.remove(doc_ids=[document.doc_id for document in table.all() if document["issue_id"] == issue_id])

    def __repr__(self) -> str:
        return f"NotificationLog({str(self.path)!r})"


def new_entry_id(now: datetime) -> str:
    """A short id, unique within this process and ordered by time."""
    return f"{now.strftime('%Y%m%d%H%M%S')}-{os.getpid() % 10000:04d}-{next(_sequence):05d}"


def _text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _entry(document: dict[str, Any]) -> NotificationLogEntry:
    return NotificationLogEntry(
        id=document["id"], at=_time(document["at"]), outcome=document["outcome"], reason=document.get("reason"),
        channel=document.get("channel"), kind=document["kind"], severity=document["severity"],
        subject=document["subject"], group=document["group"], event_keys=tuple(document.get("event_keys") or ()),
        issue_ids=tuple(document.get("issue_ids") or ()), detail=document.get("detail") or "",
        via=document.get("via"),
    )
