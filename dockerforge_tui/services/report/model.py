"""The headless report as frozen records: what ``dockerforge report`` found, before it is rendered.

:func:`~dockerforge_tui.services.report.build.build_report` fills these from container
states and the issue analysis; :mod:`~dockerforge_tui.services.report.render` turns a
:class:`Report` into text, Markdown or JSON (the JSON layout is ``report.schema.json``,
documented in ``docs/REPORT_SCHEMA.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dockerforge_tui.core.errors import ExitCode

SCHEMA_NAME = "dockerforge.report"
SCHEMA_VERSION = 1
"""Bumped when a field is removed or changes meaning; adding a field keeps the version."""

FORMATS: tuple[str, ...] = ("text", "markdown", "json")
"""The report's output formats."""

PROBLEM_KINDS: tuple[str, ...] = ("oom_killed", "down", "restarting", "unhealthy", "never_healthy")
"""Why a container is listed as needing attention, in the order they are shown."""


@dataclass(frozen=True)
class EngineSummary:
    """The engine the report was made on."""

    endpoint: str
    """The URL DockerForge connected to (``unix:///var/run/docker.sock``)."""
    source: str
    """Where the endpoint came from (``--host``, ``DOCKER_HOST``, ``default``...)."""
    name: str
    version: str
    api_version: str
    os: str
    architecture: str
    containers: int
    containers_running: int
    containers_paused: int
    containers_stopped: int
    images: int
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportScope:
    """What the report looked at."""

    description: str
    """``all containers``, ``project shop``, ``containers web, db``..."""
    since: datetime | None
    """Logs and events from this time on; None: the last lines of each log, and events of the last hour."""
    until: datetime
    project: str | None = None
    labels: tuple[str, ...] = ()
    containers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContainerCounts:
    """How many containers in scope are in which state."""

    total: int
    running: int
    paused: int
    restarting: int
    stopped: int
    """Exited, dead or created (never started)."""
    unhealthy: int


@dataclass(frozen=True)
class ProblemContainer:
    """A container that is down, restarting, unhealthy or was OOM-killed."""

    id: str
    """Short id (12 hex digits)."""
    name: str
    image: str
    status: str
    problems: tuple[str, ...]
    """Words from :data:`PROBLEM_KINDS`."""
    exit_code: int | None
    restart_count: int
    restart_policy: str
    health: str | None
    compose_project: str | None
    compose_service: str | None
    started_at: datetime | None
    finished_at: datetime | None
    memory_limit: int | None
    error: str | None = None
    """The engine's error for a container that failed to start."""


@dataclass(frozen=True)
class ReportEvidence:
    """One line that shows an issue."""

    text: str
    source: str
    """``log``, ``state``, ``event`` or ``health``."""
    timestamp: datetime | None


@dataclass(frozen=True)
class ReportRecommendation:
    """One step that usually helps, with a command when it is something to run."""

    text: str
    command: str | None = None


@dataclass(frozen=True)
class ReportAction:
    """A typed fix a later workflow can carry out (described, never run by the report)."""

    kind: str
    summary: str
    params: tuple[tuple[str, str | int], ...] = ()


@dataclass(frozen=True)
class ReportIssue:
    """One tracked issue seen in this report's window."""

    id: str
    """The issue store's id (``dockerforge issues show ID``)."""
    title: str
    category: str
    severity: str
    status: str
    """``open`` or ``acknowledged`` (resolved and ignored issues are left out)."""
    container: str
    """``project/service`` or the container name."""
    containers: tuple[str, ...]
    compose_project: str | None
    compose_service: str | None
    message: str
    sources: tuple[str, ...]
    first_seen: datetime | None
    last_seen: datetime | None
    occurrences: int
    explanation: str
    evidence: tuple[ReportEvidence, ...]
    recommendations: tuple[ReportRecommendation, ...]
    actions: tuple[ReportAction, ...]


@dataclass(frozen=True)
class ReportHint:
    """A likely root cause: another container's trouble explains this issue."""

    symptom_issue_id: str
    symptom_container: str
    cause_container: str
    cause_issue_ids: tuple[str, ...]
    reason: str
    confidence: float
    level: str
    """``high``, ``medium`` or ``low``."""
    target: str | None = None


@dataclass(frozen=True)
class NextStep:
    """One recommended step, and the issues it addresses."""

    text: str
    command: str | None
    issue_ids: tuple[str, ...]


@dataclass(frozen=True)
class ReadProblem:
    """Something the report could not read (a container's logs, the engine's events)."""

    subject: str
    message: str


@dataclass(frozen=True)
class Report:
    """Everything the headless report says."""

    generated_at: datetime
    dockerforge_version: str
    scope: ReportScope
    engine: EngineSummary | None
    containers: ContainerCounts
    problem_containers: tuple[ProblemContainer, ...]
    issues: tuple[ReportIssue, ...]
    """Most severe first, then most recently seen."""
    issue_counts: tuple[tuple[str, int], ...]
    """Issues per severity, every severity, highest first."""
    suppressed: int
    """Issues seen in the window but left out because they are resolved or ignored."""
    hints: tuple[ReportHint, ...]
    next_steps: tuple[NextStep, ...]
    read_problems: tuple[ReadProblem, ...] = ()
    fail_on: str | None = None
    """The ``--fail-on`` severity, if one was given."""
    findings_at_threshold: int = 0
    """Issues at or above ``fail_on``."""

    @property
    def exit_code(self) -> ExitCode:
        """:attr:`ExitCode.FINDINGS` when ``fail_on`` is set and issues reach it, else :attr:`ExitCode.OK`."""
        return ExitCode.FINDINGS if self.fail_on and self.findings_at_threshold else ExitCode.OK
