"""Build a :class:`~dockerforge_tui.services.report.model.Report` from states and an issue analysis; no I/O.

The same inputs and the same ``now`` always give the same report, which is what the
golden-file tests pin. Observations are merged into issues exactly as the issue store
merges them (same fingerprint, same id), so a report's issue ids are the ones
``dockerforge issues show`` accepts; when the store's view of an issue is passed in
(``tracked``), its status, first sighting and occurrence count are used, and resolved
or ignored issues are left out. Messages, evidence and hints pass through the
:class:`~dockerforge_tui.core.redaction.Redactor` before they reach the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from dockerforge_tui import __version__
from dockerforge_tui.core.redaction import Redactor
from dockerforge_tui.services.issues.catalog import catalog
from dockerforge_tui.services.issues.correlate import RootCauseHint
from dockerforge_tui.services.issues.fingerprint import issue_id
from dockerforge_tui.services.issues.models import Observation, severities, severity_rank
from dockerforge_tui.services.report.model import (
    PROBLEM_KINDS, ContainerCounts, EngineSummary, NextStep, ProblemContainer, ReadProblem, Report, ReportAction,
    ReportEvidence, ReportHint, ReportIssue, ReportRecommendation, ReportScope,
)
from dockerforge_tui.services.report.settings import report_settings

if TYPE_CHECKING:
    from dockerforge_tui.services.docker.states import ContainerState
    from dockerforge_tui.services.issues.analysis import Analysis
    from dockerforge_tui.services.issues.store import Issue

OPEN_STATUSES = ("open", "acknowledged")
_STOPPED_STATUSES = ("exited", "dead", "created")
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)

__all__ = [
    "OPEN_STATUSES", "build_report", "container_counts", "engine_summary", "issue_from_tracked",
    "issues_from_observations",
    "problem_containers",
]


def engine_summary(info: Mapping[str, Any], *, endpoint: str, source: str, engine_version: str | None = None,
                   api_version: str | None = None) -> EngineSummary:
    """The engine part of a report, from ``docker info`` and what the connection learned."""
    return EngineSummary(
        endpoint=endpoint,
        source=source,
        name=str(info.get("Name") or ""),
        version=str(engine_version or info.get("ServerVersion") or ""),
        api_version=str(api_version or ""),
        os=str(info.get("OperatingSystem") or ""),
        architecture=str(info.get("Architecture") or ""),
        containers=int(info.get("Containers") or 0),
        containers_running=int(info.get("ContainersRunning") or 0),
        containers_paused=int(info.get("ContainersPaused") or 0),
        containers_stopped=int(info.get("ContainersStopped") or 0),
        images=int(info.get("Images") or 0),
        warnings=tuple(str(warning) for warning in info.get("Warnings") or ()),
    )


def container_counts(states: Sequence["ContainerState"]) -> ContainerCounts:
    """How many containers are running, paused, restarting, stopped and unhealthy."""
    return ContainerCounts(
        total=len(states),
        running=sum(1 for state in states if state.status == "running"),
        paused=sum(1 for state in states if state.status == "paused"),
        restarting=sum(1 for state in states if state.status == "restarting"),
        stopped=sum(1 for state in states if state.status in _STOPPED_STATUSES),
        unhealthy=sum(1 for state in states if state.health_status == "unhealthy"),
    )


def problem_containers(states: Sequence["ContainerState"], observations: Iterable[Observation],
                       redactor: Redactor | None = None) -> tuple[ProblemContainer, ...]:
    """Containers that are down, restarting, unhealthy, never became healthy, or were OOM-killed, by name."""
    expected = catalog().expected_exit_codes
    categories: dict[str, set[str]] = {}
    for observation in observations:
        categories.setdefault(observation.container.id, set()).add(observation.category)
    found = []
    for state in sorted(states, key=lambda state: (state.name, state.id)):
        seen = categories.get(state.id, set())
        problems = set()
        if state.oom_killed:
            problems.add("oom_killed")
        if state.status == "dead" or (state.status == "exited" and state.exit_code not in expected) \
                or (state.status == "created" and state.error):
            problems.add("down")
        if state.status == "restarting" or "restart_loop" in seen:
            problems.add("restarting")
        if state.health_status == "unhealthy":
            problems.add("unhealthy")
        if "never_healthy" in seen:
            problems.add("never_healthy")
        if not problems:
            continue
        found.append(ProblemContainer(
            id=state.short_id, name=state.name, image=state.image, status=state.status,
            problems=tuple(kind for kind in PROBLEM_KINDS if kind in problems),
            exit_code=state.exit_code if state.status not in ("running", "paused", "created") else None,
            restart_count=state.restart_count, restart_policy=state.restart_policy, health=state.health_status,
            compose_project=state.compose_project, compose_service=state.compose_service,
            started_at=state.started_at, finished_at=state.finished_at, memory_limit=state.memory_limit,
            error=_redact(redactor, state.error) if state.error else None,
        ))
    return tuple(found)


def _redact(redactor: Redactor | None, text: str) -> str:
    return redactor.redact(text) if redactor is not None else text


def _when(observation: Observation) -> datetime:
    return observation.timestamp or _EARLIEST


def _redacted(observation: Observation, redactor: Redactor | None) -> Observation:
    """The observation as the issue store keeps it: message and evidence redacted (the id is computed on this)."""
    if redactor is None:
        return observation
    return replace(observation, message=redactor.redact(observation.message),
                   evidence=tuple(replace(item, text=redactor.redact(item.text)) for item in observation.evidence))


def issues_from_observations(observations: Iterable[Observation], tracked: Mapping[str, "Issue"] | None = None,
                             redactor: Redactor | None = None,
                             evidence_lines: int | None = None) -> tuple[tuple[ReportIssue, ...], int]:
    """Merge observations into issues (by the store's fingerprint); return the open ones and how many were left out.

    ``tracked`` maps issue ids to the store's :class:`~dockerforge_tui.services.issues.store.Issue`:
    its status decides whether the issue is shown (``open`` and ``acknowledged`` are),
    and its occurrence count and first sighting replace this window's. Pass the
    ``redactor`` the store was given: the store computes ids on redacted messages.
    """
    issues, suppressed, _ = _merge(observations, tracked, redactor, evidence_lines)
    return issues, suppressed


def _merge(observations: Iterable[Observation], tracked: Mapping[str, "Issue"] | None, redactor: Redactor | None,
           evidence_lines: int | None) -> tuple[tuple[ReportIssue, ...], int, dict[str, str]]:
    limit = report_settings().evidence_lines if evidence_lines is None else evidence_lines
    groups: dict[str, list[Observation]] = {}
    renamed: dict[str, str] = {}
    for observation in observations:
        cleaned = _redacted(observation, redactor)
        key = issue_id(cleaned)
        if cleaned is not observation:
            renamed[issue_id(observation)] = key
        groups.setdefault(key, []).append(cleaned)
    issues: list[ReportIssue] = []
    suppressed = 0
    for key, group in groups.items():
        group.sort(key=_when)
        latest = group[-1]
        known = (tracked or {}).get(key)
        if known is not None and known.status not in OPEN_STATUSES:
            suppressed += 1
            continue
        evidence: dict[str, ReportEvidence] = {}
        for observation in group:
            for item in observation.evidence:
                evidence.pop(item.text, None)  # seen again: move it to the end (most recent)
                evidence[item.text] = ReportEvidence(item.text, item.source, item.timestamp)
        times = [observation.timestamp for observation in group if observation.timestamp is not None]
        first_seen = min(times) if times else None
        last_seen = max(times) if times else None
        if known is not None:
            first_seen = min(known.first_seen, first_seen) if first_seen else known.first_seen
            last_seen = max(known.last_seen, last_seen) if last_seen else known.last_seen
        severity = max((observation.severity for observation in group), key=severity_rank)
        issues.append(ReportIssue(
            id=key,
            title=known.title if known is not None
            else f"{catalog().category(latest.category).title} in {latest.container.display_name}",
            category=latest.category,
            severity=severity,
            status=known.status if known is not None else "open",
            container=latest.container.key,
            containers=tuple(dict.fromkeys(observation.container.name for observation in group)),
            compose_project=latest.container.compose_project,
            compose_service=latest.container.compose_service,
            message=latest.message,
            sources=tuple(sorted({observation.source for observation in group})),
            first_seen=first_seen,
            last_seen=last_seen,
            occurrences=max(known.count, len(group)) if known is not None else len(group),
            explanation=latest.explanation,
            evidence=tuple(evidence.values())[-limit:] if limit > 0 else (),
            recommendations=tuple(ReportRecommendation(item.text, item.command) for item in latest.recommendations),
            actions=tuple(ReportAction(action.kind, action.summary, action.params) for action in latest.actions),
        ))
    issues.sort(key=lambda issue: issue.id)
    issues.sort(key=lambda issue: issue.last_seen or _EARLIEST, reverse=True)
    issues.sort(key=lambda issue: severity_rank(issue.severity), reverse=True)
    return tuple(issues), suppressed, renamed


def issue_from_tracked(issue: "Issue", evidence_lines: int | None = None) -> ReportIssue:
    """A stored issue in the report's shape (for ``dockerforge issues show``); the store already redacted it."""
    limit = report_settings().evidence_lines if evidence_lines is None else evidence_lines
    return ReportIssue(
        id=issue.id, title=issue.title, category=issue.category, severity=issue.severity, status=issue.status,
        container=issue.container_key, containers=issue.containers, compose_project=issue.compose_project,
        compose_service=issue.compose_service, message=issue.message, sources=issue.sources,
        first_seen=issue.first_seen, last_seen=issue.last_seen, occurrences=issue.count,
        explanation=issue.explanation,
        evidence=tuple(ReportEvidence(item.text, item.source, item.timestamp) for item in issue.evidence)[-limit:]
        if limit > 0 else (),
        recommendations=tuple(ReportRecommendation(item.text, item.command) for item in issue.recommendations),
        actions=tuple(ReportAction(action.kind, action.summary, action.params) for action in issue.actions),
    )


def _hints(hints: Iterable[RootCauseHint], shown: set[str], renamed: Mapping[str, str],
           redactor: Redactor | None) -> tuple[ReportHint, ...]:
    found = []
    for hint in hints:
        symptom = renamed.get(hint.symptom_issue_id, hint.symptom_issue_id)
        if symptom not in shown:
            continue
        causes = (renamed.get(item, item) for item in hint.cause_issue_ids)
        found.append(ReportHint(
            symptom_issue_id=symptom, symptom_container=hint.symptom_container,
            cause_container=hint.cause_container, cause_issue_ids=tuple(item for item in causes if item in shown),
            reason=_redact(redactor, hint.reason), confidence=round(hint.confidence, 2), level=hint.level,
            target=hint.target,
        ))
    return tuple(found)


def _next_steps(issues: Sequence[ReportIssue], hints: Sequence[ReportHint]) -> tuple[NextStep, ...]:
    """What to do first: the confident root causes, then per issue its fix or its first command."""
    settings = report_settings()
    steps: dict[tuple[str, str | None], list[str]] = {}

    def add(text: str, command: str | None, ids: Iterable[str]) -> None:
        merged = steps.setdefault((text, command), [])
        merged.extend(item for item in ids if item not in merged)

    explained = set()
    for hint in hints:
        if hint.level in ("high", "medium"):
            add(hint.reason, None, (hint.symptom_issue_id, *hint.cause_issue_ids))
            explained.add(hint.symptom_issue_id)
    for issue in issues:
        if issue.id in explained:
            continue  # the cause's own steps follow
        fixes = [action for action in issue.actions if action.kind in settings.next_step_actions]
        for action in fixes:
            add(action.summary, None, (issue.id,))
        with_command = next((item for item in issue.recommendations if item.command), None)
        first = with_command or (issue.recommendations[0] if issue.recommendations else None)
        if first is not None:
            add(first.text, first.command, (issue.id,))
    return tuple(NextStep(text, command, tuple(ids))
                 for (text, command), ids in list(steps.items())[:settings.max_next_steps])


def build_report(analysis: "Analysis", *, now: datetime, scope: ReportScope, engine: EngineSummary | None = None,
                 tracked: Mapping[str, "Issue"] | None = None, redactor: Redactor | None = None,
                 read_problems: Sequence[ReadProblem] = (), fail_on: str | None = None,
                 dockerforge_version: str = __version__, evidence_lines: int | None = None) -> Report:
    """The report on ``analysis`` (from :func:`~dockerforge_tui.services.issues.analyze_containers`).

    ``now`` is the report's time; ``tracked`` the issue store's view of the issues (see
    :func:`issues_from_observations`); ``redactor`` cleans messages, evidence and hints
    (None: no redaction, for callers that already did it); ``fail_on`` a severity
    name that sets :attr:`Report.exit_code` when issues reach it.
    """
    if fail_on is not None and fail_on not in severities():
        raise ValueError(f"unknown severity {fail_on!r}")
    states = tuple(analysis.states)
    issues, suppressed, renamed = _merge(analysis.observations, tracked, redactor, evidence_lines)
    shown = {issue.id for issue in issues}
    hints = _hints(analysis.hints, shown, renamed, redactor)
    counts = tuple((severity, sum(1 for issue in issues if issue.severity == severity))
                   for severity in reversed(severities()))
    floor = severity_rank(fail_on) if fail_on else None
    at_threshold = sum(1 for issue in issues if floor is not None and severity_rank(issue.severity) >= floor)
    return Report(
        generated_at=now,
        dockerforge_version=dockerforge_version,
        scope=scope,
        engine=engine,
        containers=container_counts(states),
        problem_containers=problem_containers(states, analysis.observations, redactor),
        issues=issues,
        issue_counts=counts,
        suppressed=suppressed,
        hints=hints,
        next_steps=_next_steps(issues, hints),
        read_problems=tuple(ReadProblem(item.subject, _redact(redactor, item.message)) for item in read_problems),
        fail_on=fail_on,
        findings_at_threshold=at_threshold,
    )
