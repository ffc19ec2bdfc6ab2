"""Pure helpers for the Issues screen: ordering, cells and the detail text of an issue."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from dockerforge_tui.services.issues import Issue, severity_rank
from dockerforge_tui.ui.presenters.containers import format_duration

SEVERITY_COLOURS = {"critical": "error", "error": "error", "warning": "warning", "info": "text-muted"}
STATUS_LABELS = {"open": "open", "acknowledged": "ack", "resolved": "resolved", "ignored": "ignored"}


def order_issues(issues: Iterable[Issue], by: str) -> list[Issue]:
    """Most severe first (then most recent), or most recent first (then most severe)."""
    items = list(issues)
    if by == "recency":
        return sorted(items, key=lambda issue: (issue.last_seen, severity_rank(issue.severity)), reverse=True)
    return sorted(items, key=lambda issue: (severity_rank(issue.severity), issue.last_seen), reverse=True)


def ago(moment: datetime, now: datetime) -> str:
    """``5m ago`` style age."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return f"{format_duration((now - moment).total_seconds())} ago"


def issue_cells(issue: Issue, now: datetime) -> tuple[str, str, str, str, str, str]:
    """(severity, status, title, where, count, last seen) for one row."""
    where = issue.container_key if not issue.containers else ", ".join(issue.containers[-2:])
    return (issue.severity, STATUS_LABELS.get(issue.status, issue.status), issue.title, where, str(issue.count),
            ago(issue.last_seen, now))


def issue_detail(issue: Issue, now: datetime) -> str:
    """The detail pane: what, where, since when, the evidence lines and what to do."""
    lines = [
        f"{issue.title}  [{issue.severity}, {issue.status}]  id {issue.id}",
        f"Where: {', '.join(issue.containers) or issue.container_key}   Seen {issue.count}x, "
        f"first {ago(issue.first_seen, now)}, last {ago(issue.last_seen, now)}   Category: {issue.category}",
        "",
        issue.explanation or issue.message,
    ]
    if issue.evidence:
        lines += ["", "Evidence:"]
        lines += [f"  {evidence.text}" for evidence in issue.evidence]
    if issue.recommendations:
        lines += ["", "What to do:"]
        for number, recommendation in enumerate(issue.recommendations, 1):
            lines.append(f"  {number}. {recommendation.text}")
            if recommendation.command:
                lines.append(f"     run: {recommendation.command}")
    if issue.actions:
        lines += ["", "Fixes DockerForge can apply (after you approve them):"]
        lines += [f"  - {action.summary}" for action in issue.actions]
    return "\n".join(lines)
