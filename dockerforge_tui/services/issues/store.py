"""Tracked issues: observations merged by fingerprint, kept in TinyDB under the data directory.

One issue per fingerprint (see :mod:`~dockerforge_tui.services.issues.fingerprint`)
with a status a person sets: ``open`` -> ``acknowledged`` -> ``resolved``, or
``ignored``. When an issue occurs again its count and ``last_seen`` move on; a
resolved issue that recurs reopens, an ignored one stays ignored. Retention keeps
the file bounded (how many issues, how long closed ones stay, how much evidence).

The file is shared by the dashboard and CLI commands: every operation is one
transaction of :class:`~dockerforge_tui.services.storage.JsonDatabase` (thread lock,
file lock, fresh read, one atomic write). Messages and evidence are redacted before
they are written.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from dockerforge_tui.core.errors import UsageError
from dockerforge_tui.core.paths import AppPaths
from dockerforge_tui.core.redaction import Redactor
from dockerforge_tui.services.issues.catalog import IssueRetention, catalog
from dockerforge_tui.services.issues.fingerprint import ISSUE_ID_LENGTH, fingerprint_hash, occurrence_key
from dockerforge_tui.services.issues.models import (
    Evidence, Observation, Recommendation, SuggestedAction, severities, severity_rank,
)
from dockerforge_tui.services.storage import JsonDatabase, open_db
from dockerforge_tui.services.storage.lookup import find_by_id_prefix

log = logging.getLogger(__name__)

ISSUES_FILE_NAME = "issues.json"
TABLE = "issues"
STATUSES: tuple[str, ...] = ("open", "acknowledged", "resolved", "ignored")
IssueStatus = Literal["open", "acknowledged", "resolved", "ignored"]
ChangeKind = Literal["opened", "updated", "reopened", "suppressed"]
MAX_CONTAINER_NAMES = 20
"""Affected container names kept per issue (the most recent)."""
SCHEMA_VERSION = 1


def default_issues_path(paths: AppPaths) -> Path:
    """Where the issue store lives: ``issues.json`` in the platform's data directory."""
    return paths.data_dir / ISSUES_FILE_NAME


@dataclass(frozen=True)
class Issue:
    """One tracked problem: every observation with the same fingerprint, merged."""

    id: str
    """Short stable hash of the fingerprint; type a unique prefix of it to name the issue."""
    title: str
    category: str
    severity: str
    """The highest severity seen."""
    pattern_id: str
    status: str
    """``open``, ``acknowledged``, ``resolved`` or ``ignored``."""
    first_seen: datetime
    last_seen: datetime
    count: int
    """How many distinct occurrences were recorded."""
    containers: tuple[str, ...]
    """Names of the affected containers, most recent last."""
    compose_project: str | None
    compose_service: str | None
    container_key: str
    """``project/service`` or the container name: what the issue is tracked under."""
    message: str
    """The latest message."""
    sources: tuple[str, ...]
    """What saw it: ``log``, ``state``, ``event``."""
    evidence: tuple[Evidence, ...]
    """The latest evidence lines (bounded by retention)."""
    explanation: str
    recommendations: tuple[Recommendation, ...]
    actions: tuple[SuggestedAction, ...]
    status_changed_at: datetime
    fingerprint: str
    """SHA-256 of the fingerprint text."""

    @property
    def is_closed(self) -> bool:
        """True for resolved and ignored issues."""
        return self.status in ("resolved", "ignored")


@dataclass(frozen=True)
class IssueChange:
    """What recording an observation did to its issue."""

    kind: ChangeKind
    """``opened`` (new), ``updated`` (seen again while open or acknowledged), ``reopened``
    (a resolved issue recurred) or ``suppressed`` (an ignored issue recurred)."""
    issue: Issue
    observation: Observation


class IssueStore:
    """The tracked issues in one TinyDB file (``AppPaths.data_dir / "issues.json"`` by convention).

    ``retention`` bounds the file; ``redactor`` (default: the packaged secret rules)
    cleans messages and evidence before they are written. Every method is safe to call
    from several threads and processes.
    """

    def __init__(self, path: Path | str, retention: IssueRetention | None = None,
                 redactor: Redactor | None = None) -> None:
        self.path = Path(path)
        self.retention = retention or IssueRetention()
        self._redactor = redactor if redactor is not None else Redactor()
        self._database: JsonDatabase = open_db(self.path)

    @classmethod
    def for_paths(cls, paths: AppPaths, retention: IssueRetention | None = None,
                  redactor: Redactor | None = None) -> "IssueStore":
        """The store in the platform's data directory."""
        return cls(default_issues_path(paths), retention, redactor)

    # --- recording ------------------------------------------------------------------------------------------

    def record(self, observations: Iterable[Observation], now: datetime | None = None) -> builtins.list[IssueChange]:
        """Merge observations into their issues (creating them as needed) and apply retention.

        An occurrence already recorded (same container, rule, time and message) is
        skipped, so analyzing the same logs twice does not inflate counts. Returns one
        change per observation that counted, in order.
        """
        now = now or datetime.now(timezone.utc)
        changes: builtins.list[IssueChange] = []
        with self._database.transaction() as db:
            table = db.table(TABLE)
            documents = {document["fingerprint"]: (document.doc_id, dict(document)) for document in table.all()}
            touched: dict[str, dict[str, Any]] = {}
            for observation in observations:
                observation = self._redacted(observation)
                key = fingerprint_hash(observation)
                current = touched.get(key) or (documents[key][1] if key in documents else None)
                document, kind = self._merge(current, key, observation, now)
                if kind is None:
                    continue
                touched[key] = document
                changes.append(IssueChange(kind, _issue(document), observation))
            for key, document in touched.items():
                if key in documents:
                    table.update(document, doc_ids=[documents[key][0]])
                else:
                    table.insert(document)
            self._prune(table, now)
        return changes

    def _redacted(self, observation: Observation) -> Observation:
        redact = self._redactor.redact
        return Observation(
            source=observation.source, category=observation.category, severity=observation.severity,
            pattern_id=observation.pattern_id, container=observation.container,
            message=redact(observation.message), timestamp=observation.timestamp,
            evidence=tuple(Evidence(redact(item.text), item.source, item.timestamp, item.line_index)
                           for item in observation.evidence),
            explanation=observation.explanation, recommendations=observation.recommendations,
            actions=observation.actions, details=observation.details,
        )

    def _merge(self, document: dict[str, Any] | None, key: str, observation: Observation,
               now: datetime) -> tuple[dict[str, Any], ChangeKind | None]:
        seen_at = _time(_text(observation.timestamp or now))  # aware UTC, whatever the caller passed
        occurrence = occurrence_key(observation)
        retention = self.retention
        if document is None:
            info = catalog().category(observation.category)
            document = {
                "schema": SCHEMA_VERSION,
                "id": key[:ISSUE_ID_LENGTH],
                "fingerprint": key,
                "title": f"{info.title} in {observation.container.display_name}",
                "category": observation.category,
                "severity": observation.severity,
                "pattern_id": observation.pattern_id,
                "status": "open",
                "status_changed_at": _text(now),
                "first_seen": _text(seen_at),
                "last_seen": _text(seen_at),
                "count": 0,
                "containers": [],
                "compose_project": observation.container.compose_project,
                "compose_service": observation.container.compose_service,
                "container_key": observation.container.key,
                "sources": [],
                "evidence": [],
                "occurrences": [],
            }
            kind: ChangeKind | None = "opened"
        else:
            document = dict(document)
            if occurrence is not None and occurrence in document.get("occurrences", []):
                return document, None
            kind = "updated"
            if document["status"] == "ignored":
                kind = "suppressed"
            elif document["status"] == "resolved":
                # Only a new occurrence after the resolution reopens; re-reading old logs does not.
                if seen_at > _time(document["status_changed_at"]):
                    document["status"] = "open"
                    document["status_changed_at"] = _text(now)
                    kind = "reopened"
        document["count"] = int(document.get("count", 0)) + 1
        if occurrence is not None:
            document["occurrences"] = (list(document.get("occurrences", [])) + [occurrence])[-retention.occurrence_keys:]
        if severity_rank(observation.severity) > severity_rank(document["severity"]):
            document["severity"] = observation.severity
        if seen_at < _time(document["first_seen"]):
            document["first_seen"] = _text(seen_at)
        if seen_at >= _time(document["last_seen"]):
            document["last_seen"] = _text(seen_at)
            document["message"] = observation.message
            document["explanation"] = observation.explanation
            document["recommendations"] = [_recommendation_data(item) for item in observation.recommendations]
            document["actions"] = [_action_data(item) for item in observation.actions]
        elif "message" not in document:
            document["message"] = observation.message
            document["explanation"] = observation.explanation
            document["recommendations"] = [_recommendation_data(item) for item in observation.recommendations]
            document["actions"] = [_action_data(item) for item in observation.actions]
        names = [name for name in document.get("containers", []) if name != observation.container.name]
        document["containers"] = (names + [observation.container.name])[-MAX_CONTAINER_NAMES:]
        document["sources"] = sorted(set(document.get("sources", [])) | {observation.source})
        evidence = list(document.get("evidence", []))
        known = {item["text"] for item in evidence}
        evidence.extend(_evidence_data(item) for item in observation.evidence if item.text not in known)
        document["evidence"] = evidence[-retention.evidence_lines:] if retention.evidence_lines > 0 else []
        return document, kind

    # --- reading ------------------------------------------------------------------------------------------

    def list(self, status: str | Iterable[str] | None = None, severity_at_least: str | None = None,
             since: datetime | None = None, container: str | None = None,
             project: str | None = None) -> builtins.list[Issue]:
        """Issues matching every filter given, most severe first, then most recently seen.

        ``status`` is one status or several; ``severity_at_least`` a severity name;
        ``since`` keeps issues seen at or after that time; ``container`` matches an
        affected container's name or the compose service; ``project`` the compose project.
        Raises :class:`UsageError` for an unknown status or severity.
        """
        wanted = _statuses(status)
        if severity_at_least is not None and severity_at_least not in severities():
            raise UsageError(f"unknown severity {severity_at_least!r}",
                             hint=f"use one of: {', '.join(severities())}")
        floor = severity_rank(severity_at_least) if severity_at_least else -1
        with self._database.snapshot() as db:
            issues = [_issue(document) for document in db.table(TABLE).all()]
        selected = [
            issue for issue in issues
            if (wanted is None or issue.status in wanted)
            and severity_rank(issue.severity) >= floor
            and (since is None or issue.last_seen >= since)
            and (container is None or container in issue.containers or container == issue.compose_service
                 or container == issue.container_key)
            and (project is None or issue.compose_project == project)
        ]
        selected.sort(key=lambda issue: issue.last_seen, reverse=True)
        selected.sort(key=lambda issue: severity_rank(issue.severity), reverse=True)
        return selected

    def get(self, id_or_prefix: str) -> Issue:
        """The issue whose id is, or starts with, ``id_or_prefix``.

        Raises :class:`NotFoundError` when none matches and :class:`UsageError` when the
        prefix matches several.
        """
        with self._database.snapshot() as db:
            return _issue(self._find(db.table(TABLE), id_or_prefix))

    @staticmethod
    def _find(table, id_or_prefix: str) -> Any:
        return find_by_id_prefix(table.all(), id_or_prefix, noun="issue", missing="tracked issue",
                                 list_command="dockerforge issues list --all")

    # --- status -------------------------------------------------------------------------------------------

    def acknowledge(self, id_or_prefix: str, now: datetime | None = None) -> Issue:
        """Mark an issue as seen by a person (it stays visible; recurrences keep counting)."""
        return self._set_status(id_or_prefix, "acknowledged", now)

    def resolve(self, id_or_prefix: str, now: datetime | None = None) -> Issue:
        """Mark an issue as fixed; it reopens if it occurs again."""
        return self._set_status(id_or_prefix, "resolved", now)

    def ignore(self, id_or_prefix: str, now: datetime | None = None) -> Issue:
        """Hide an issue for good: it stays ignored when it recurs (its count still rises)."""
        return self._set_status(id_or_prefix, "ignored", now)

    def reopen(self, id_or_prefix: str, now: datetime | None = None) -> Issue:
        """Set an issue back to open."""
        return self._set_status(id_or_prefix, "open", now)

    def _set_status(self, id_or_prefix: str, status: str, now: datetime | None) -> Issue:
        now = now or datetime.now(timezone.utc)
        with self._database.transaction() as db:
            table = db.table(TABLE)
            document = self._find(table, id_or_prefix)
            if document["status"] != status:
                table.update({"status": status, "status_changed_at": _text(now)}, doc_ids=[document.doc_id])
            return _issue({**document, "status": status,
                           "status_changed_at": document["status_changed_at"] if document["status"] == status
                           else _text(now)})

    # --- retention ----------------------------------------------------------------------------------------

    def prune(self, now: datetime | None = None) -> int:
        """Apply retention now; return how many issues were removed."""
        now = now or datetime.now(timezone.utc)
        with self._database.transaction() as db:
            return self._prune(db.table(TABLE), now)

    def _prune(self, table, now: datetime) -> int:
        retention = self.retention
        documents = table.all()
        doomed: set[int] = set()
        for document in documents:
            age = (now - _time(document["last_seen"])).total_seconds()
            if document["status"] == "resolved" and age > retention.resolved_max_age:
                doomed.add(document.doc_id)
            elif document["status"] == "ignored" and age > retention.ignored_max_age:
                doomed.add(document.doc_id)
        remaining = [document for document in documents if document.doc_id not in doomed]
        excess = len(remaining) - retention.max_issues
        if excess > 0:
            # Closed issues go first, then acknowledged, then open; the oldest first within each.
            order = {"resolved": 0, "ignored": 1, "acknowledged": 2, "open": 3}
            remaining.sort(key=lambda document: (order.get(document["status"], 0), document["last_seen"]))
            doomed.update(document.doc_id for document in remaining[:excess])
        if doomed:
            table.remove(doc_ids=builtins.list(doomed))
            log.debug("pruned %d tracked issues from %s", len(doomed), self.path)
        return len(doomed)

    def __repr__(self) -> str:
        return f"IssueStore({str(self.path)!r})"


def _statuses(status: str | Iterable[str] | None) -> frozenset[str] | None:
    if status is None:
        return None
    wanted = frozenset([status] if isinstance(status, str) else status)
    unknown = wanted - set(STATUSES)
    if unknown:
        raise UsageError(f"unknown issue status {', '.join(sorted(unknown))!r}",
                         hint=f"use one of: {', '.join(STATUSES)}")
    return wanted


def _text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _evidence_data(evidence: Evidence) -> dict[str, Any]:
    return {"text": evidence.text, "source": evidence.source,
            "timestamp": _text(evidence.timestamp) if evidence.timestamp else None}


def _recommendation_data(recommendation: Recommendation) -> dict[str, Any]:
    return {"text": recommendation.text, "command": recommendation.command}


def _action_data(action: SuggestedAction) -> dict[str, Any]:
    return {"kind": action.kind, "params": [[key, value] for key, value in action.params], "summary": action.summary}


def _issue(document: dict[str, Any]) -> Issue:
    return Issue(
        id=document["id"],
        title=document["title"],
        category=document["category"],
        severity=document["severity"],
        pattern_id=document["pattern_id"],
        status=document["status"],
        first_seen=_time(document["first_seen"]),
        last_seen=_time(document["last_seen"]),
        count=int(document["count"]),
        containers=tuple(document.get("containers", ())),
        compose_project=document.get("compose_project"),
        compose_service=document.get("compose_service"),
        container_key=document.get("container_key", ""),
        message=document.get("message", ""),
        sources=tuple(document.get("sources", ())),
        evidence=tuple(Evidence(item["text"], item["source"], _time(item["timestamp"]) if item.get("timestamp")
                                else None) for item in document.get("evidence", ())),
        explanation=document.get("explanation", ""),
        recommendations=tuple(Recommendation(item["text"], item.get("command"))
                              for item in document.get("recommendations", ())),
        actions=tuple(SuggestedAction(item["kind"], tuple((key, value) for key, value in item["params"]),
                                      item["summary"]) for item in document.get("actions", ())),
        status_changed_at=_time(document["status_changed_at"]),
        fingerprint=document["fingerprint"],
    )
