"""Read what the report and ``logs analyze`` need from the engine, quickly, and run the issue analysis.

One ``docker info``, one container list (with the scope's label filters), one inspect
per container (on a thread pool), the logs of every container in the window (a tail
limit, on a thread pool, beside the engine's recent events), and no stats calls. The
log pattern engine compiles its matchers on another thread meanwhile, so the cold
start of Hyperscan overlaps the network round trips.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.docker.api_errors import engine_call
from dockerforge_tui.services.docker.container_scope import ContainerScope, read_scope_states
from dockerforge_tui.services.docker.events import LifecycleEvent, read_events
from dockerforge_tui.services.docker.log_reader import read_logs_of
from dockerforge_tui.services.docker.models import parse_engine_time
from dockerforge_tui.services.issues.analysis import Analysis, analyze_containers
from dockerforge_tui.services.issues.catalog import AnalyzerSettings
from dockerforge_tui.services.issues.ports import HostListener, find_host_listeners
from dockerforge_tui.services.logs import PatternSet, prepare
from dockerforge_tui.services.report.build import engine_summary
from dockerforge_tui.services.report.model import EngineSummary, ReadProblem
from dockerforge_tui.services.report.settings import report_settings

if TYPE_CHECKING:
    from dockerforge_tui.services.docker.connection import EngineConnection
    from dockerforge_tui.services.docker.states import ContainerState
    from dockerforge_tui.services.issues.models import Observation
    from dockerforge_tui.services.issues.store import Issue, IssueStore

log = logging.getLogger(__name__)

__all__ = ["Collected", "PatternWarmUp", "collect_analysis", "track_issues", "warm_up_patterns"]


@dataclass(frozen=True)
class Collected:
    """What was read from the engine, and the analysis of it."""

    engine: EngineSummary
    engine_time: datetime
    """The engine's clock when the report started (the end of the window)."""
    since: datetime | None
    states: tuple["ContainerState", ...]
    analysis: Analysis
    lines_read: Mapping[str, int] = field(default_factory=dict)
    """Log lines read per container id."""
    read_problems: tuple[ReadProblem, ...] = ()


class PatternWarmUp:
    """Load (optionally) and compile the log patterns on a daemon thread; :meth:`result` waits for them.

    The first :func:`~dockerforge_tui.services.logs.detect` of a process builds the
    Hyperscan database (or the pure-Python pre-filter), which takes a second or more;
    started first thing, that work overlaps the engine requests. ``load`` (for
    example reading the user pattern folder) runs on the thread too; None from it, or
    no ``load``, means the packaged patterns.
    """

    def __init__(self, load: Callable[[], PatternSet | None] | None = None, patterns: PatternSet | None = None,
                 cache_dir: Path | None = None) -> None:
        self._load = load
        self._patterns = patterns
        self._cache_dir = cache_dir
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pattern-warm-up", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            if self._load is not None:
                self._patterns = self._load()
            prepare(self._patterns, cache_dir=self._cache_dir)
        except BaseException as error:  # handed to the caller's thread by result()
            self._error = error

    def result(self) -> PatternSet | None:
        """The patterns to use (None: the packaged ones), once compiled; re-raises what loading raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._patterns


def warm_up_patterns(patterns: PatternSet | None = None, cache_dir: Path | None = None) -> PatternWarmUp:
    """Start compiling ``patterns`` (default: the packaged ones) now; see :class:`PatternWarmUp`."""
    return PatternWarmUp(patterns=patterns, cache_dir=cache_dir)


MAX_EVENT_FILTER_IDS = 100
"""Beyond this many containers the events are filtered here, not in the request (whose URL would grow too long)."""


def _events(connection: "EngineConnection", since: datetime, until: datetime,
            container_ids: Sequence[str] | None) -> tuple[LifecycleEvent, ...]:
    in_request = container_ids if container_ids is None or len(container_ids) <= MAX_EVENT_FILTER_IDS else None
    with engine_call("read", "the engine's events"):
        events = read_events(connection.api, since, until, container_ids=in_request)
    if container_ids is not None and in_request is None:
        wanted = set(container_ids)
        events = tuple(event for event in events if event.container_id in wanted)
    return events


def collect_analysis(connection: "EngineConnection", scope: ContainerScope, *, since: datetime | None,
                     tail: int | None, patterns: PatternSet | PatternWarmUp | None = None,
                     settings: AnalyzerSettings | None = None, events: bool = True,
                     host_listeners: Callable[[int, str], Sequence[HostListener]] | None = find_host_listeners,
                     inspect_workers: int | None = None, log_workers: int | None = None) -> Collected:
    """Read the scope's containers, their logs since ``since`` (at most ``tail`` lines each) and recent events; analyze.

    ``since`` None reads the newest ``tail`` lines whatever their age, and the events
    of the last ``events_without_since`` (``report.yaml``). ``patterns`` may be a
    :class:`PatternWarmUp` started earlier (the caller's first step, ideally). Logs that cannot be read
    and a refused event subscription become :class:`ReadProblem` records, not errors;
    an engine that stops answering raises
    :class:`~dockerforge_tui.core.errors.EngineUnreachableError`.
    """
    defaults = report_settings()
    warm_up = patterns if isinstance(patterns, PatternWarmUp) else warm_up_patterns(patterns)
    with engine_call("read", "the engine's info"):
        info = connection.info()
    engine = engine_summary(info, endpoint=connection.endpoint.url, source=connection.endpoint.source,
                            engine_version=connection.engine_version, api_version=connection.api_version)
    engine_time = parse_engine_time(info.get("SystemTime")) or datetime.now(timezone.utc)
    states = read_scope_states(connection, scope, workers=inspect_workers or defaults.inspect_workers)
    ids = [state.id for state in states]
    problems: list[ReadProblem] = []

    events_since = since or engine_time - timedelta(seconds=defaults.events_without_since)
    found_events: tuple[LifecycleEvent, ...] = ()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="events") as pool:
        pending = (pool.submit(_events, connection, events_since, engine_time, None if scope.everything else ids)
                   if events and ids else None)
        logs = read_logs_of(connection, ids, since=since, tail=tail,
                            workers=log_workers or defaults.log_workers) if ids else {}
        if pending is not None:
            try:
                found_events = pending.result()
            except DockerForgeError as error:
                problems.append(ReadProblem("engine events", error.message))
    names = {state.id: state.name for state in states}
    for container_id, read in logs.items():
        if read.error is not None:
            problems.append(ReadProblem(f"logs of {names.get(container_id, container_id[:12])}", read.error.message))

    patterns = warm_up.result()
    analysis = analyze_containers(
        states, logs={container_id: list(read.lines) for container_id, read in logs.items() if read.lines},
        timestamps={container_id: list(read.times) for container_id, read in logs.items() if read.lines},
        events=found_events, now=engine_time, settings=settings, patterns=patterns, host_listeners=host_listeners)
    return Collected(engine=engine, engine_time=engine_time, since=since, states=tuple(states), analysis=analysis,
                     lines_read={container_id: len(read.lines) for container_id, read in logs.items()},
                     read_problems=tuple(problems))


def track_issues(store: "IssueStore", observations: Iterable["Observation"],
                 now: datetime | None = None) -> dict[str, "Issue"]:
    """Record observations in the issue store and return the store's issues by id (after recording)."""
    store.record(observations, now)
    return {issue.id: issue for issue in store.list()}

