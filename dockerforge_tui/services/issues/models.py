"""The records the issue services exchange: observations, their evidence, recommendations and actions.

An :class:`Observation` is one thing found wrong with one container, whatever saw
it: a log pattern (``source="log"``), the container's current state (``"state"``)
or an engine event (``"event"``). Observations become tracked issues in the
:class:`~dockerforge_tui.services.issues.store.IssueStore`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from dockerforge_tui.services.logs.settings import detection_settings

Source = Literal["log", "state", "event"]
SOURCES: tuple[str, ...] = ("log", "state", "event")

ParamValue = str | int
"""Action parameters are JSON-ready scalars, so an action can be stored and sent as it is."""


def severity_rank(severity: str) -> int:
    """Position of ``severity`` in ``info < warning < error < critical`` (-1 when unknown)."""
    severities = detection_settings().severities
    return severities.index(severity) if severity in severities else -1


def severities() -> tuple[str, ...]:
    """Severity names, lowest first."""
    return detection_settings().severities


@dataclass(frozen=True)
class Evidence:
    """One line that shows the problem: a log line, a health probe's output, an engine fact."""

    text: str
    source: str
    """``log``, ``state``, ``event`` or ``health``."""
    timestamp: datetime | None = None
    line_index: int | None = None
    """Index of the log line in the lines that were analyzed, for log evidence."""


@dataclass(frozen=True)
class Recommendation:
    """One step that usually helps; ``command`` is set when the step is a command for a person to run.

    Shipped commands pass :func:`~dockerforge_tui.services.issues.safety.check_command`;
    a command that would not is dropped (the text stays).
    """

    text: str
    command: str | None = None


@dataclass(frozen=True)
class SuggestedAction:
    """A fix a later workflow can carry out (after asking), described as data.

    ``kind`` is ``restart``, ``recreate_with_memory``, ``free_port`` or
    ``update_restart_policy``; ``params`` are its arguments as ``(name, value)`` pairs
    (``container``, ``memory``, ``port``, ``holder_container``...).
    """

    kind: str
    params: tuple[tuple[str, ParamValue], ...]
    summary: str

    def param(self, name: str) -> ParamValue | None:
        """One parameter's value, or None."""
        for key, value in self.params:
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class ContainerRef:
    """Which container an observation is about: enough to name it and to group a recreated one."""

    id: str
    name: str
    compose_project: str | None = None
    compose_service: str | None = None

    @property
    def key(self) -> str:
        """The name an issue is tracked under: ``project/service`` for compose, else the container name.

        Not the id, so a recreated container keeps its issues.
        """
        if self.compose_service:
            return f"{self.compose_project}/{self.compose_service}" if self.compose_project else self.compose_service
        return self.name

    @property
    def display_name(self) -> str:
        """The compose service when there is one, else the container name."""
        return self.compose_service or self.name


@dataclass(frozen=True)
class Observation:
    """One problem seen in one container, from its logs, its state or an engine event."""

    source: str
    """``log``, ``state`` or ``event``."""
    category: str
    """A log category (``out_of_memory``, ``connection_refused``...) or a state one
    (``container_exited``, ``restart_loop``, ``unhealthy``, ``never_healthy``)."""
    severity: str
    pattern_id: str
    """The log pattern's id, or ``state.*`` / ``event.*`` for the analyzers' rules."""
    container: ContainerRef
    message: str
    """One line saying what happened (a log line, or a sentence built from the state)."""
    timestamp: datetime | None
    """When it happened (the log line's time, the container's exit, the event); None when unknown."""
    evidence: tuple[Evidence, ...] = ()
    explanation: str = ""
    recommendations: tuple[Recommendation, ...] = ()
    actions: tuple[SuggestedAction, ...] = ()
    details: tuple[tuple[str, ParamValue], ...] = ()
    """Facts behind the observation (``exit_code``, ``restart_count``, ``memory_limit``...)."""

    def detail(self, name: str) -> ParamValue | None:
        """One detail's value, or None."""
        for key, value in self.details:
            if key == name:
                return value
        return None
