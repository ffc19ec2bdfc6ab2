"""Turn container state, engine events and log findings into :class:`Observation` records.

Pure functions over records, no SDK: :func:`analyze_states` reads a snapshot of
:class:`~dockerforge_tui.services.docker.states.ContainerState` (so ``logs analyze``
and the report see an OOM-killed or looping container even when its logs are
silent); :class:`EventAnalyzer` follows the live event stream for the dashboard;
:func:`observations_from_log` wraps the log pattern engine's findings.

The messages are the same whatever saw the problem (state or event), so both
merge into one tracked issue.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from dockerforge_tui.services.docker.models import parse_engine_time
from dockerforge_tui.services.issues.catalog import AnalyzerSettings, catalog
from dockerforge_tui.services.issues.models import ContainerRef, Evidence, Observation, ParamValue
from dockerforge_tui.services.issues.recommend import (
    actions_for, recommendations_from_texts, render_recommendations, shell_command,
)
from dockerforge_tui.services.logs import Finding, detect

if TYPE_CHECKING:
    from dockerforge_tui.services.docker.events import LifecycleEvent
    from dockerforge_tui.services.docker.states import ContainerState

__all__ = [
    "AnalyzerSettings", "EventAnalyzer", "analyze_events", "analyze_state", "analyze_states",
    "container_ref", "observations_from_log",
]

# Pattern ids of the analyzers' own rules; the same for state and event so both merge.
OOM_KILLED = "container.oom_killed"
EXITED = "container.exited"
FAILED_TO_START = "container.failed_to_start"
RESTART_LOOP = "container.restart_loop"
UNHEALTHY = "container.unhealthy"
NEVER_HEALTHY = "container.never_healthy"

_DOCKER_TIMESTAMP = re.compile(r"(?:^|\|\s?)(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ")
_EXITED_STATUSES = ("exited", "dead")


def container_ref(state: "ContainerState") -> ContainerRef:
    """The :class:`ContainerRef` of a container state."""
    return ContainerRef(state.id, state.name, state.compose_project, state.compose_service)


def _event_ref(event: "LifecycleEvent") -> ContainerRef:
    return ContainerRef(event.container_id, event.container_name, event.compose_project, event.compose_service)


def _observation(source: str, category: str, pattern_id: str, container: ContainerRef, message: str,
                 timestamp: datetime | None, evidence: Sequence[Evidence], details: dict[str, ParamValue],
                 state: "ContainerState | None" = None, severity: str | None = None,
                 extra_explanation: str = "") -> Observation:
    """An observation of a catalog category, with the catalog's explanation, recommendations and actions."""
    info = catalog().category(category)
    healthcheck = shell_command(state.healthcheck.test) if state is not None and state.healthcheck else None
    explanation = " ".join(part for part in (info.explanation, extra_explanation) if part)
    return Observation(
        source=source,
        category=category,
        severity=severity or info.severity or "error",
        pattern_id=pattern_id,
        container=container,
        message=message,
        timestamp=timestamp,
        evidence=tuple(evidence),
        explanation=explanation,
        recommendations=render_recommendations(info.recommendations,
                                               {"container": container.name, "healthcheck": healthcheck}),
        actions=actions_for(category, container, state=state),
        details=tuple(details.items()),
    )


# --- snapshot -----------------------------------------------------------------------------------------------


def analyze_states(states: Iterable["ContainerState"], now: datetime | None = None,
                   settings: AnalyzerSettings | None = None) -> list[Observation]:
    """Observations for every container in a snapshot, in container order.

    ``now`` (default: the current time) decides what "recently" and "for too long" mean;
    pass it for reproducible results.
    """
    now = now or datetime.now(timezone.utc)
    settings = settings or AnalyzerSettings()
    states = list(states)
    found: list[Observation] = []
    for state in states:
        found.extend(analyze_state(state, now, settings, states))
    return found


def analyze_state(state: "ContainerState", now: datetime, settings: AnalyzerSettings,
                  states: Sequence["ContainerState"] = ()) -> list[Observation]:
    """Observations for one container: OOM kill, failed start, exit, restart loop, bad health.

    ``states`` are the other containers (who publishes a clashing port).
    """
    ref = container_ref(state)
    found: list[Observation] = []
    if state.oom_killed:
        found.append(_oom_observation("state", ref, state.finished_at or state.started_at, state,
                                      _state_evidence(state)))
    looping = _in_restart_loop(state, now, settings)
    if looping:
        found.append(_restart_loop_observation("state", ref, state.started_at or state.finished_at, state,
                                               state.restart_count, _state_evidence(state)))
    if state.error:
        found.extend(_failed_start_observations(state, ref, states))
    elif not looping and not state.oom_killed:
        exited = _exit_observation("state", ref, state.exit_code, state.finished_at, state, _state_evidence(state))
        if exited is not None and (state.status in _EXITED_STATUSES or state.status == "restarting"):
            found.append(exited)
    if state.is_running and state.health is not None:
        health = _health_observation(state, ref, now, settings)
        if health is not None:
            found.append(health)
    return found


def _state_evidence(state: "ContainerState") -> list[Evidence]:
    facts = [f"Status={state.status}", f"ExitCode={state.exit_code}", f"OOMKilled={str(state.oom_killed).lower()}",
             f"RestartCount={state.restart_count}", f"RestartPolicy={state.restart_policy}"]
    if state.memory_limit:
        facts.append(f"Memory={state.memory_limit}")
    if state.finished_at:
        facts.append(f"FinishedAt={state.finished_at.isoformat()}")
    evidence = [Evidence(" ".join(facts), "state", state.finished_at or state.started_at)]
    if state.error:
        evidence.append(Evidence(f"Error: {state.error}", "state", state.finished_at))
    return evidence


def _oom_observation(source: str, ref: ContainerRef, timestamp: datetime | None, state: "ContainerState | None",
                     evidence: Sequence[Evidence]) -> Observation:
    details: dict[str, ParamValue] = {"exit_code": 137}
    if state is not None and state.memory_limit:
        details["memory_limit"] = state.memory_limit
    return _observation(source, "out_of_memory", OOM_KILLED, ref, f"{ref.name} was killed for running out of memory",
                        timestamp, evidence, details, state)


def _restart_loop_observation(source: str, ref: ContainerRef, timestamp: datetime | None,
                              state: "ContainerState | None", restarts: int,
                              evidence: Sequence[Evidence], exit_code: int | None = None) -> Observation:
    details: dict[str, ParamValue] = {"restart_count": restarts}
    code = state.exit_code if state is not None else exit_code
    if code is not None:
        details["exit_code"] = code
    if state is not None:
        details["restart_policy"] = state.restart_policy
    meaning = catalog().exit_code_meaning(code) if code else None
    extra = f"Its last exit code was {code}: {meaning}." if meaning else ""
    return _observation(source, "restart_loop", RESTART_LOOP, ref, f"{ref.name} is restarting in a loop",
                        timestamp, evidence, details, state, extra_explanation=extra)


def _exit_observation(source: str, ref: ContainerRef, exit_code: int | None, timestamp: datetime | None,
                      state: "ContainerState | None", evidence: Sequence[Evidence]) -> Observation | None:
    codes = catalog()
    if exit_code is None or exit_code in codes.expected_exit_codes:
        return None
    meaning = codes.exit_code_meaning(exit_code)
    severity = "warning" if exit_code in codes.warning_exit_codes else None
    extra = f"Exit code {exit_code}: {meaning}." if meaning else ""
    return _observation(source, "container_exited", EXITED, ref, f"{ref.name} exited with code {exit_code}",
                        timestamp, evidence, {"exit_code": exit_code}, state, severity=severity,
                        extra_explanation=extra)


def _failed_start_observations(state: "ContainerState", ref: ContainerRef,
                               states: Sequence["ContainerState"]) -> list[Observation]:
    # The engine's error for a start that failed (a port clash, a missing binary) is a
    # log line in all but name: let the log patterns say what it is.
    error = state.error or ""
    timestamp = state.finished_at or state.started_at or state.created_at
    evidence = [Evidence(f"Error: {error}", "state", timestamp)]
    findings = detect([error])
    if findings:
        found = []
        for finding in findings:
            observation = _from_finding("state", finding, ref, error, timestamp, evidence)
            found.append(replace(observation, actions=actions_for(finding.category, ref, state=state, states=states,
                                                                   message=error)))
        return found
    details: dict[str, ParamValue] = {}
    if state.exit_code is not None:
        details["exit_code"] = state.exit_code
    return [_observation("state", "container_exited", FAILED_TO_START, ref, f"{ref.name} failed to start: {error}",
                         timestamp, evidence, details, state)]


def _in_restart_loop(state: "ContainerState", now: datetime, settings: AnalyzerSettings) -> bool:
    if state.restart_count < settings.restart_loop_min_restarts:
        return False
    if state.status == "restarting":
        return True
    # Running again, but it restarted many times and the last start was recent: still looping.
    recent = state.started_at is not None and (now - state.started_at).total_seconds() <= settings.restart_loop_window
    return state.status == "running" and recent


def _health_observation(state: "ContainerState", ref: ContainerRef, now: datetime,
                        settings: AnalyzerSettings) -> Observation | None:
    health = state.health
    assert health is not None
    evidence = []
    if health.last_output:
        lines = health.last_output.splitlines()[-settings.evidence_lines:]
        evidence.extend(Evidence(line, "health", health.last_checked_at) for line in lines if line.strip())
    if health.last_exit_code is not None:
        evidence.append(Evidence(f"last health probe exited with {health.last_exit_code}", "health",
                                 health.last_checked_at))
    if health.status == "unhealthy":
        details: dict[str, ParamValue] = {"failing_streak": health.failing_streak}
        return _observation("state", "unhealthy", UNHEALTHY, ref, f"{ref.name} is unhealthy", state.started_at,
                            evidence, details, state)
    if health.status == "starting" and state.started_at is not None:
        waited = (now - state.started_at).total_seconds()
        check = state.healthcheck
        limit = check.expected_healthy_within if check is not None and not check.disabled \
            else settings.never_healthy_grace
        if waited > limit:
            details = {"starting_seconds": int(waited), "limit_seconds": int(limit),
                       "failing_streak": health.failing_streak}
            evidence.insert(0, Evidence(f"health still 'starting' {int(waited)}s after start "
                                        f"(expected healthy within {int(limit)}s)", "state", now))
            return _observation("state", "never_healthy", NEVER_HEALTHY, ref, f"{ref.name} never became healthy",
                                state.started_at, evidence, details, state)
    return None


# --- log findings ------------------------------------------------------------------------------------------


def observations_from_log(findings: Iterable[Finding], lines: Sequence[str], container: ContainerRef, *,
                          timestamps: Sequence[datetime | None] | None = None,
                          settings: AnalyzerSettings | None = None) -> list[Observation]:
    """Wrap the log pattern engine's findings for ``lines`` of one container as observations.

    ``timestamps`` (parallel to ``lines``) give each line's time; without them a
    ``docker logs -t`` timestamp at the start of a line is used. Evidence is the
    finding's multi-line unit around the matched line, at most
    ``settings.evidence_lines`` lines.
    """
    settings = settings or AnalyzerSettings()
    found = []
    for finding in findings:
        timestamp = _line_time(lines, finding.line_index, timestamps)
        first, last = _evidence_range(finding, settings.evidence_lines)
        evidence = [Evidence(lines[index].rstrip("\r\n"), "log", _line_time(lines, index, timestamps), index)
                    for index in range(first, last + 1) if index < len(lines)]
        found.append(_from_finding("log", finding, container, finding.message, timestamp, evidence))
    return found


def _from_finding(source: str, finding: Finding, container: ContainerRef, message: str,
                  timestamp: datetime | None, evidence: Sequence[Evidence]) -> Observation:
    return Observation(
        source=source,
        category=finding.category,
        severity=finding.severity,
        pattern_id=finding.pattern_id,
        container=container,
        message=message,
        timestamp=timestamp,
        evidence=tuple(evidence),
        explanation=finding.explanation,
        recommendations=recommendations_from_texts(finding.recommendations),
        actions=actions_for(finding.category, container, message=message),
    )


def _evidence_range(finding: Finding, limit: int) -> tuple[int, int]:
    first, last = finding.block_start, finding.block_end
    if last - first + 1 <= limit:
        return first, last
    # Centre the window on the matched line, inside the unit.
    start = max(first, finding.line_index - limit // 2)
    end = min(last, start + limit - 1)
    return max(first, end - limit + 1), end


def _line_time(lines: Sequence[str], index: int, timestamps: Sequence[datetime | None] | None) -> datetime | None:
    if timestamps is not None:
        return timestamps[index] if index < len(timestamps) else None
    if index >= len(lines):
        return None
    match = _DOCKER_TIMESTAMP.search(lines[index][:80])
    return parse_engine_time(match.group(1)) if match else None


# --- events ------------------------------------------------------------------------------------------------


class EventAnalyzer:
    """Follow engine events and report OOM kills, failed exits, restart loops and unhealthy verdicts.

    Feed it every event of the stream, in order, from one thread; it keeps a little
    memory per container (recent restarts, the last kill), forgotten on ``destroy``.
    """

    def __init__(self, settings: AnalyzerSettings | None = None) -> None:
        self.settings = settings or AnalyzerSettings()
        self._restarts: dict[str, deque[float]] = {}
        self._died_at: dict[str, float] = {}
        self._killed_at: dict[str, float] = {}
        self._oom_at: dict[str, float] = {}
        self._loop_reported_at: dict[str, float] = {}

    def feed(self, event: "LifecycleEvent") -> list[Observation]:
        """Observations this event reveals (usually none)."""
        seconds = event.time_nano / 1_000_000_000
        container_id = event.container_id
        ref = _event_ref(event)
        evidence = [Evidence(self._describe(event), "event", event.time)]
        if event.action == "oom":
            self._oom_at[container_id] = seconds
            return [_oom_observation("event", ref, event.time, None, evidence)]
        if event.action == "kill":
            self._killed_at[container_id] = seconds
            return []
        if event.action == "die":
            return self._died(event, ref, seconds, evidence)
        if event.action in ("start", "restart"):
            return self._started(event, ref, seconds, evidence)
        if event.action == "health_status" and event.health_status == "unhealthy":
            return [_observation("event", "unhealthy", UNHEALTHY, ref, f"{ref.name} is unhealthy", event.time,
                                 evidence, {})]
        if event.action == "destroy":
            for memory in (self._restarts, self._died_at, self._killed_at, self._oom_at, self._loop_reported_at):
                memory.pop(container_id, None)
        return []

    def _requested(self, container_id: str, seconds: float) -> bool:
        killed = self._killed_at.get(container_id)
        return killed is not None and 0 <= seconds - killed <= self.settings.requested_stop_window

    def _died(self, event: "LifecycleEvent", ref: ContainerRef, seconds: float,
              evidence: list[Evidence]) -> list[Observation]:
        container_id = event.container_id
        oom = self._oom_at.get(container_id)
        if self._requested(container_id, seconds) and (oom is None or seconds - oom > 5):
            self._died_at.pop(container_id, None)  # a stop or kill someone asked for: no restart follows by policy
            return []
        self._died_at[container_id] = seconds
        if oom is not None and 0 <= seconds - oom <= self.settings.requested_stop_window:
            return []  # the OOM event already said it
        exited = _exit_observation("event", ref, event.exit_code, event.time, None, evidence)
        return [exited] if exited is not None else []

    def _started(self, event: "LifecycleEvent", ref: ContainerRef, seconds: float,
                 evidence: list[Evidence]) -> list[Observation]:
        container_id = event.container_id
        if self._died_at.pop(container_id, None) is None:
            return []  # a first start, or a restart someone asked for
        window = self.settings.restart_loop_window
        restarts = self._restarts.setdefault(container_id, deque())
        restarts.append(seconds)
        while restarts and seconds - restarts[0] > window:
            restarts.popleft()
        if len(restarts) < self.settings.restart_loop_min_restarts:
            return []
        reported = self._loop_reported_at.get(container_id)
        if reported is not None and seconds - reported < window:
            return []
        self._loop_reported_at[container_id] = seconds
        evidence.insert(0, Evidence(f"{len(restarts)} restarts within {int(window)}s", "event", event.time))
        return [_restart_loop_observation("event", ref, event.time, None, len(restarts), evidence)]

    @staticmethod
    def _describe(event: "LifecycleEvent") -> str:
        parts = [f"{event.time.isoformat()} {event.action}"]
        if event.exit_code is not None:
            parts.append(f"exitCode={event.exit_code}")
        if event.health_status:
            parts.append(f"health={event.health_status}")
        if event.signal:
            parts.append(f"signal={event.signal}")
        parts.append(f"container={event.container_name}")
        return " ".join(parts)


def analyze_events(events: Iterable["LifecycleEvent"], settings: AnalyzerSettings | None = None) -> list[Observation]:
    """Run a fresh :class:`EventAnalyzer` over ``events`` (sorted by time) and collect what it reports."""
    analyzer = EventAnalyzer(settings)
    found: list[Observation] = []
    for event in sorted(events, key=lambda event: event.time_nano):
        found.extend(analyzer.feed(event))
    return found
