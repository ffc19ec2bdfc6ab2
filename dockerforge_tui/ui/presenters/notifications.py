"""What the notification centre shows, as pure functions of the notification log's rows."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Iterable, Mapping

from dockerforge_tui.ui.presenters.issues import ago

if TYPE_CHECKING:
    from dockerforge_tui.services.notify import NotificationLogEntry

OUTCOME_COLOURS = {"sent": "success", "suppressed": "warning", "failed": "error"}
"""Theme variable per outcome."""
OUTCOME_FILTERS: tuple[str | None, ...] = (None, "sent", "suppressed", "failed")
"""What ``o`` cycles through: everything, then one outcome at a time."""


def next_outcome_filter(current: str | None) -> str | None:
    """The filter after ``current`` in :data:`OUTCOME_FILTERS`."""
    index = OUTCOME_FILTERS.index(current) if current in OUTCOME_FILTERS else 0
    return OUTCOME_FILTERS[(index + 1) % len(OUTCOME_FILTERS)]


def notification_cells(entry: "NotificationLogEntry", now: datetime) -> tuple[str, str, str, str, str, str]:
    """(when, outcome, why, channel, kind, subject) for one row."""
    channel = entry.channel or "-"
    if entry.via and entry.via != entry.channel:
        channel = f"{channel}->{entry.via}"
    return (ago(entry.at, now), entry.outcome, (entry.reason or "-").replace("_", " "), channel,
            entry.kind.replace("_", " "), entry.subject)


def notification_detail(entry: "NotificationLogEntry", reasons: Mapping[str, str]) -> str:
    """The detail pane: what, when, why (the reason in words), which group and issues."""
    lines = [f"{entry.subject}  [{entry.kind}, {entry.severity}]",
             f"{entry.outcome.capitalize()} at {entry.at.strftime('%Y-%m-%d %H:%M:%S %Z')}"
             f" to {entry.channel or 'no channel'}" + (f" via {entry.via}" if entry.via else "")]
    if entry.reason:
        lines.append(f"Why: {entry.reason} ({reasons.get(entry.reason, 'no description')})")
    if entry.detail:
        lines.append(f"Detail: {entry.detail}")
    lines.append(f"Group: {entry.group}")
    if entry.issue_ids:
        lines.append(f"Issues: {', '.join(entry.issue_ids)} (a acknowledges the first: its escalation stops)")
    return "\n".join(lines)


def counts_line(entries: Iterable["NotificationLogEntry"], outcome: str | None) -> str:
    """``12 sent, 30 suppressed, 0 failed`` (and the filter, when one is on)."""
    counts = {"sent": 0, "suppressed": 0, "failed": 0}
    for entry in entries:
        counts[entry.outcome] = counts.get(entry.outcome, 0) + 1
    text = ", ".join(f"{count} {name}" for name, count in counts.items())
    return f"notifications: {text}" + (f"; showing {outcome} only" if outcome else "")
