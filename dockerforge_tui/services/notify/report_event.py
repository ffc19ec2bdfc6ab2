"""The headless report as a notification (``dockerforge report --notify``): one ``report`` event.

Its severity is the highest severity among the report's open issues (``info`` when there
are none), so routes and user preferences (minimum severity, quiet hours) treat a report
with a critical issue like a critical issue. The message is the report's plain text,
which the report builder has already redacted; the dispatcher redacts again on the way out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockerforge_tui.services.notify.events import NotificationEvent

if TYPE_CHECKING:
    from dockerforge_tui.services.report.model import Report


def report_event(report: "Report", text: str, path: str | None = None) -> NotificationEvent:
    """The ``report`` event for ``report`` rendered as ``text`` (written to ``path`` when given)."""
    counts = [(severity, count) for severity, count in report.issue_counts if count]
    severity = counts[0][0] if counts else "info"  # issue_counts lists the highest severity first
    host = report.engine.name if report.engine is not None else "the Docker host"
    open_issues = sum(count for _, count in counts)
    detail = ", ".join(f"{count} {name}" for name, count in counts)
    title = (f"{host}: {open_issues} open issue{'s' if open_issues != 1 else ''} ({detail})" if open_issues
             else f"{host}: no open issues")
    fields: list[tuple[str, object]] = [("message", text)]
    if path:
        fields.append(("path", path))
    return NotificationEvent(kind="report", severity=severity, title=title,
                             key=f"report:{report.generated_at.isoformat()}", fields=tuple(fields),
                             occurred_at=report.generated_at)
