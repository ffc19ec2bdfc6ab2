"""What the notification services are told about: one immutable event per thing that happened.

Issue changes from the issue store become events through :func:`event_from_issue_change`
and :func:`event_from_resolved_issue`; anything else (the fix workflow, the anomaly
detector, a report) hands over any object or mapping with ``kind``, ``severity``,
``category``, ``container``, ``project``, ``labels`` and ``fields`` through
:func:`event_from_object`, so wiring a new producer needs no adapter class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockerforge_tui.core.errors import UsageError
from dockerforge_tui.core.yaml_data import load_yaml
from dockerforge_tui.services.issues.models import severity_rank

if TYPE_CHECKING:
    from dockerforge_tui.services.issues.store import Issue, IssueChange

DATA_FILE = Path(__file__).with_name("kinds.yaml")


@lru_cache(maxsize=1)
def notify_data() -> dict[str, Any]:
    """``kinds.yaml``: event kinds, how issue and fix events map to them, the log's reasons."""
    data = load_yaml(DATA_FILE.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("kinds"), dict):  # a packaging bug
        raise RuntimeError(f"{DATA_FILE} does not hold a 'kinds' mapping")
    return data


EVENT_KINDS: tuple[str, ...] = tuple(notify_data()["kinds"])
"""Every kind a template exists for; ``test`` is what ``dockerforge notify test`` sends."""
REPEATING_KINDS: frozenset[str] = frozenset(kind for kind, spec in notify_data()["kinds"].items()
                                            if (spec or {}).get("repeats"))
"""Kinds that describe a lasting state, so an unchanged group repeats them; the rest are sent once."""
ISSUE_CHANGE_KINDS: Mapping[str, str] = notify_data()["issue_changes"]
"""Issue store change -> event kind (an ignored issue's ``suppressed`` is never told)."""
FIX_EVENT_KINDS: Mapping[str, str] = notify_data()["fix_events"]
"""The fix service's event kinds -> ours."""
RISK_SEVERITY: Mapping[str, str] = notify_data()["risk_severity"]
"""A fix proposal's severity for routing: its risk's."""

EVIDENCE_LINES = 5
"""Evidence lines an issue event carries."""


@dataclass(frozen=True)
class NotificationEvent:
    """One thing to tell people about.

    ``key`` names what the event is about within its group (an issue id, a fix id): a later
    event with the same key replaces the earlier one (an issue's ``issue_resolved`` replaces
    its ``issue_opened``).
    """

    kind: str
    severity: str
    title: str
    key: str
    category: str | None = None
    container: str | None = None
    """Container name or compose service key (``project/service``)."""
    project: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    fields: tuple[tuple[str, Any], ...] = ()
    """Anything else the template shows (``message``, ``evidence``, ``fix_id``, ``command``...)."""
    issue_id: str | None = None
    occurred_at: datetime | None = None

    @property
    def label_map(self) -> dict[str, str]:
        """The labels as a dict."""
        return dict(self.labels)

    @property
    def field_map(self) -> dict[str, Any]:
        """The fields as a dict."""
        return dict(self.fields)

    def field(self, name: str, default: Any = None) -> Any:
        """One field's value, or ``default``."""
        for key, value in self.fields:
            if key == name:
                return value
        return default

    def template_data(self) -> dict[str, Any]:
        """The event as plain data for a template."""
        return {
            "kind": self.kind, "severity": self.severity, "title": self.title, "key": self.key,
            "category": self.category, "container": self.container, "project": self.project,
            "labels": self.label_map, "issue_id": self.issue_id,
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
            **self.field_map,
        }


def event_from_issue_change(change: "IssueChange") -> NotificationEvent | None:
    """The event for one change the issue store reported; None for a suppressed (ignored) issue."""
    kind = ISSUE_CHANGE_KINDS.get(change.kind)
    if kind is None:
        return None
    return _issue_event(change.issue, kind, reopened=change.kind == "reopened")


def event_from_resolved_issue(issue: "Issue") -> NotificationEvent:
    """The event for an issue a person (or a fix) marked as resolved."""
    return _issue_event(issue, "issue_resolved", reopened=False)


def _issue_event(issue: "Issue", kind: str, reopened: bool) -> NotificationEvent:
    fields: dict[str, Any] = {
        "message": issue.message,
        "count": issue.count,
        "evidence": [evidence.text for evidence in issue.evidence[-EVIDENCE_LINES:]],
        "explanation": issue.explanation,
        "recommendations": [item.text for item in issue.recommendations],
        "containers": list(issue.containers),
        "reopened": reopened,
        "status": issue.status,
    }
    return NotificationEvent(
        kind=kind, severity=issue.severity, title=issue.title, key=f"issue:{issue.id}",
        category=issue.category, container=issue.container_key, project=issue.compose_project,
        fields=tuple(fields.items()), issue_id=issue.id, occurred_at=issue.last_seen,
    )


def event_from_object(source: Any) -> NotificationEvent:
    """An event from any object or mapping with the event's attributes (a fix event, an anomaly...).

    Needs ``kind``; ``severity`` defaults to ``info``, ``title`` to the kind, ``key`` to
    ``fix_id``, ``issue_id`` or the title. ``labels`` and ``fields`` are mappings (or pairs).
    Raises :class:`UsageError` for a kind without a template.
    """
    if isinstance(source, NotificationEvent):
        return source

    def get(name: str, default: Any = None) -> Any:
        if isinstance(source, Mapping):
            return source.get(name, default)
        return getattr(source, name, default)

    kind = str(get("kind") or "")
    if kind not in EVENT_KINDS:
        raise UsageError(f"notification event kind {kind!r} has no template",
                         hint=f"use one of: {', '.join(EVENT_KINDS)}")
    fields = dict(_pairs(get("fields")))
    for name in ("fix_id", "summary", "risk", "message", "command"):
        value = get(name)
        if value is not None:
            fields.setdefault(name, value)
    if fields.get("fix_id") and kind == "fix_proposed":
        fields.setdefault("command", f"dockerforge fix apply {fields['fix_id']}")
    issue_id = get("issue_id")
    title = str(get("title") or fields.get("summary") or kind.replace("_", " "))
    key = get("key") or (f"fix:{fields['fix_id']}" if fields.get("fix_id") else None) \
        or (f"issue:{issue_id}" if issue_id else None) or f"{kind}:{title}"
    occurred_at = get("occurred_at")
    return NotificationEvent(
        kind=kind, severity=str(get("severity") or "info"), title=title, key=str(key),
        category=get("category"), container=get("container"), project=get("project"),
        labels=tuple((str(k), str(v)) for k, v in _pairs(get("labels"))),
        fields=tuple(fields.items()), issue_id=str(issue_id) if issue_id else None,
        occurred_at=occurred_at if isinstance(occurred_at, datetime) else None,
    )


def event_from_fix_event(source: Any) -> NotificationEvent | None:
    """The event for one of the fix service's events (``kind``, ``proposal``, ``message``); None when it tells
    nobody anything new (see :data:`FIX_EVENT_KINDS`).

    Read by attribute, so this package does not import the fix service.
    """
    kind = FIX_EVENT_KINDS.get(getattr(source, "kind", ""))
    proposal = getattr(source, "proposal", None)
    if kind is None or proposal is None:
        return None
    risk = str(getattr(proposal, "risk", "") or "low")
    severity = RISK_SEVERITY.get(risk, "warning")
    failed_floor = notify_data()["failed_fix_severity"]
    if kind == "fix_failed" and severity_rank(severity) < severity_rank(failed_floor):
        severity = failed_floor
    container = str(getattr(proposal, "container", "") or "") or None
    project = container.split("/", 1)[0] if container and "/" in container else None
    steps = [operation.describe() for operation in getattr(proposal, "operations", ())
             if callable(getattr(operation, "describe", None))]
    return event_from_object({
        "kind": kind, "severity": severity, "title": proposal.summary, "fix_id": proposal.id,
        "container": container, "project": project, "category": getattr(proposal, "category", None),
        "issue_id": getattr(proposal, "issue_id", None), "key": f"fix:{proposal.id}",
        "fields": {"summary": proposal.summary, "risk": risk, "steps": steps,
                   "message": str(getattr(source, "message", "") or ""),
                   "advice": list(getattr(proposal, "advice", ()) or ())},
    })


def _pairs(value: Any) -> list[tuple[Any, Any]]:
    if not value:
        return []
    if isinstance(value, Mapping):
        return list(value.items())
    return [tuple(item) for item in value]
