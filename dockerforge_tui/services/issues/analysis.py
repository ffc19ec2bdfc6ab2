"""One call that runs every analyzer over a set of containers: what ``logs analyze`` and the report need.

The caller reads the engine (``inspect_states``, the containers' logs, optionally
``read_events``); :func:`analyze_containers` does the rest without I/O, apart from
asking ``host_listeners`` which host process holds a clashing port.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from dockerforge_tui.services.issues.analyzers import (
    analyze_events, analyze_states, container_ref, observations_from_log,
)
from dockerforge_tui.services.issues.catalog import AnalyzerSettings
from dockerforge_tui.services.issues.correlate import RootCauseHint, root_cause_hints
from dockerforge_tui.services.issues.models import Observation, severity_rank
from dockerforge_tui.services.issues.ports import HostListener, find_host_listeners
from dockerforge_tui.services.issues.recommend import with_actions
from dockerforge_tui.services.logs import PatternSet, detect

if TYPE_CHECKING:
    from dockerforge_tui.services.docker.events import LifecycleEvent
    from dockerforge_tui.services.docker.states import ContainerState


@dataclass(frozen=True)
class Analysis:
    """Everything found about a set of containers."""

    states: tuple["ContainerState", ...]
    observations: tuple[Observation, ...]
    """State observations first, then log ones per container, then event ones."""
    hints: tuple[RootCauseHint, ...]

    def at_least(self, severity: str) -> tuple[Observation, ...]:
        """Observations of ``severity`` or worse (for ``--fail-on``)."""
        floor = severity_rank(severity)
        return tuple(observation for observation in self.observations if severity_rank(observation.severity) >= floor)


def analyze_containers(states: Sequence["ContainerState"], logs: Mapping[str, Sequence[str]] | None = None, *,
                       timestamps: Mapping[str, Sequence[datetime | None]] | None = None,
                       events: Iterable["LifecycleEvent"] = (), now: datetime | None = None,
                       settings: AnalyzerSettings | None = None, patterns: PatternSet | None = None,
                       engine: str | None = None,
                       host_listeners: Callable[[int, str], Sequence[HostListener]] | None = find_host_listeners,
                       ) -> Analysis:
    """Analyze containers from their state, their log lines and recent engine events.

    ``logs`` maps a container id to its log lines (``docker logs -t`` lines are fine:
    their timestamps are used); ``timestamps`` optionally gives each line's time
    instead. ``events`` come from :func:`~dockerforge_tui.services.docker.events.read_events`.
    ``patterns``/``engine`` go to the log pattern engine. ``host_listeners`` finds
    the host process on a clashing port (None: do not look).
    """
    now = now or datetime.now(timezone.utc)
    settings = settings or AnalyzerSettings()
    observations: list[Observation] = analyze_states(states, now, settings)
    by_id = {state.id: state for state in states}
    for container_id, lines in (logs or {}).items():
        state = by_id.get(container_id)
        if state is None or not lines:
            continue
        findings = detect(lines, patterns, engine=engine)
        observations.extend(observations_from_log(
            findings, lines, container_ref(state),
            timestamps=(timestamps or {}).get(container_id), settings=settings))
    observations.extend(analyze_events(events, settings))
    observations = with_actions(observations, states, host_listeners)
    hints = root_cause_hints(observations, states)
    return Analysis(tuple(states), tuple(observations), tuple(hints))
