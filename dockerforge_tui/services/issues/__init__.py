"""Problems found in containers, tracked as issues: analyzers, fingerprints, store, hints, recommendations.

Typical use (``logs analyze``, the report)::

    from dockerforge_tui.services.docker.states import inspect_states
    from dockerforge_tui.services.issues import IssueStore, analyze_containers

    states = inspect_states(connection.api)               # every container
    analysis = analyze_containers(states, logs={state.id: lines, ...})
    changes = IssueStore.for_paths(paths).record(analysis.observations)
    for hint in analysis.hints: ...

The dashboard feeds :class:`EventAnalyzer` from
:func:`~dockerforge_tui.services.docker.events.stream_events` instead.
"""

from __future__ import annotations

from dockerforge_tui.services.issues.analysis import Analysis, analyze_containers
from dockerforge_tui.services.issues.analyzers import (
    EventAnalyzer, analyze_events, analyze_state, analyze_states, container_ref, observations_from_log,
)
from dockerforge_tui.services.issues.catalog import (
    STATE_CATEGORIES, AnalyzerSettings, CategoryInfo, IssueRetention, catalog,
)
from dockerforge_tui.services.issues.correlate import RootCauseHint, Target, extract_targets, root_cause_hints
from dockerforge_tui.services.issues.fingerprint import fingerprint, issue_id, mask_message
from dockerforge_tui.services.issues.models import (
    ContainerRef, Evidence, Observation, Recommendation, SuggestedAction, severity_rank,
)
from dockerforge_tui.services.issues.ports import HostListener, find_host_listeners
from dockerforge_tui.services.issues.recommend import actions_for, with_actions
from dockerforge_tui.services.issues.safety import SafetyVerdict, check_command
from dockerforge_tui.services.issues.store import STATUSES, Issue, IssueChange, IssueStore, default_issues_path

__all__ = [
    "Analysis", "AnalyzerSettings", "CategoryInfo", "ContainerRef", "EventAnalyzer", "Evidence", "HostListener",
    "Issue", "IssueChange", "IssueRetention", "IssueStore", "Observation", "Recommendation", "RootCauseHint",
    "STATE_CATEGORIES", "STATUSES", "SafetyVerdict", "SuggestedAction", "Target", "actions_for", "analyze_containers",
    "analyze_events", "analyze_state", "analyze_states", "catalog", "check_command", "container_ref",
    "default_issues_path", "extract_targets", "find_host_listeners", "fingerprint", "issue_id", "mask_message",
    "observations_from_log", "root_cause_hints", "severity_rank", "with_actions",
]
