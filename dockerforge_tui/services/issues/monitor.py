"""Live issue detection for the dashboard: logs, events and states in, tracked issues out.

:class:`IssueMonitor` runs three small loops on daemon threads:

- the log collector's batches go through the pattern engine, per container, with a short
  tail of earlier lines kept so a traceback split across two batches is still one finding;
- the engine's lifecycle events go through the :class:`EventAnalyzer` (OOM kills, crashes,
  restart loops, health verdicts);
- a state snapshot every ``interval`` seconds catches what no event announces
  (a container that never became healthy). The loop re-arms only after a pass finishes.

Every observation is recorded in the :class:`IssueStore`; the changes are handed to the
consumer in batches by :meth:`IssueMonitor.changes`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from pathlib import Path
from typing import Callable, Iterator

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.docker.connection import EngineConnection
from dockerforge_tui.services.docker.events import stream_events
from dockerforge_tui.services.docker.states import StateCache
from dockerforge_tui.services.docker.watch import backoff_delays
from dockerforge_tui.services.issues.analyzers import EventAnalyzer, analyze_states, observations_from_log
from dockerforge_tui.services.issues.models import ContainerRef, Observation
from dockerforge_tui.services.issues.store import IssueChange, IssueStore
from dockerforge_tui.services.logs import PatternSet, detect, load_patterns
from dockerforge_tui.services.logs.detect import prepare
from dockerforge_tui.services.logs.collector import LogCollector, LogLine, LogSelector

log = logging.getLogger(__name__)

CONTEXT_LINES = 20
"""Earlier lines of a container kept in front of each new batch (multi-line findings)."""


class IssueMonitor:
    """Watch every running container for known failures; record them as issues."""

    def __init__(self, connect: Callable[[], EngineConnection], store: IssueStore, *, interval: float = 10.0,
                 buffer_lines: int = 2000, buffer_bytes: int = 1 << 20, patterns_dir: Path | None = None,
                 cache_dir: Path | None = None) -> None:
        self._connect = connect
        self._patterns_dir = patterns_dir
        self._cache_dir = cache_dir
        self._patterns: PatternSet | None = None
        self._store = store
        self._interval = interval
        self._stop = threading.Event()
        self._changes: queue.Queue[tuple[IssueChange, ...]] = queue.Queue()
        self._tails: dict[str, deque[str]] = {}
        self._states = StateCache()
        self._collector = LogCollector(connect, LogSelector.all_running(), buffer_lines=buffer_lines,
                                       buffer_bytes=buffer_bytes, initial_tail=200)
        self._lock = threading.Lock()
        self._event_stream = None
        self._threads = [threading.Thread(target=target, name=name, daemon=True)
                         for target, name in ((self._follow_logs, "issues-logs"),
                                              (self._follow_events, "issues-events"),
                                              (self._check_states, "issues-states"))]
        for thread in self._threads:
            thread.start()

    # -- what the consumer calls ---------------------------------------------------------

    def changes(self, max_interval: float = 0.5) -> Iterator[tuple[IssueChange, ...]]:
        """Yield batches of issue changes as they happen, until :meth:`close`."""
        while not self._stop.is_set():
            try:
                batch = list(self._changes.get(timeout=max_interval))
            except queue.Empty:
                continue
            while True:  # coalesce whatever else is waiting into one batch
                try:
                    batch.extend(self._changes.get_nowait())
                except queue.Empty:
                    break
            yield tuple(batch)

    def close(self) -> None:
        """Stop every loop."""
        self._stop.set()
        self._collector.close()
        with self._lock:
            stream, self._event_stream = self._event_stream, None
        if stream is not None:
            stream.close()

    # -- loops ---------------------------------------------------------------------------

    def _record(self, observations: list[Observation]) -> None:
        if not observations:
            return
        try:
            changes = self._store.record(observations)
        except DockerForgeError as error:
            log.warning("could not record %d observations: %s", len(observations), error.message)
            return
        if changes:
            self._changes.put(tuple(changes))

    def _follow_logs(self) -> None:
        # Packaged patterns plus the ones the person added (dockerforge patterns add); the
        # compiled engine comes from the cache when an earlier run built it.
        try:
            self._patterns = load_patterns(self._patterns_dir)
        except DockerForgeError as error:
            log.warning("user patterns ignored: %s", error.message)
            self._patterns = load_patterns(None)
        prepare(self._patterns, cache_dir=self._cache_dir)
        for batch in self._collector.batches():
            if self._stop.is_set():
                return
            by_container: dict[str, list[LogLine]] = {}
            for line in batch:
                by_container.setdefault(line.container_id, []).append(line)
            observations: list[Observation] = []
            for container_id, lines in by_container.items():
                observations += self._scan(container_id, lines)
            self._record(observations)

    def _scan(self, container_id: str, lines: list[LogLine]) -> list[Observation]:
        tail = self._tails.setdefault(container_id, deque(maxlen=CONTEXT_LINES))
        context = list(tail)
        texts = context + [line.text for line in lines]
        times = [None] * len(context) + [line.engine_time for line in lines]
        tail.extend(line.text for line in lines)
        findings = [finding for finding in detect(texts, self._patterns) if finding.line_index >= len(context)]
        if not findings:
            return []
        ref = ContainerRef(id=container_id, name=lines[0].container_name)
        return observations_from_log(findings, texts, ref, timestamps=times)

    def _follow_events(self) -> None:
        analyzer = EventAnalyzer()
        delays = backoff_delays()
        while not self._stop.is_set():
            try:
                connection = self._connect()
            except DockerForgeError:
                self._stop.wait(next(delays))
                continue
            try:
                stream = stream_events(connection.api)
                with self._lock:
                    if self._stop.is_set():
                        stream.close()
                        return
                    self._event_stream = stream
                delays = backoff_delays()
                for event in stream:
                    if self._stop.is_set():
                        return
                    self._states.invalidate(event.container_id)
                    self._record(analyzer.feed(event))
            except Exception as error:  # the engine went away: wait and subscribe again
                log.debug("issue monitor lost the event stream: %s", error)
            finally:
                connection.close()
            self._stop.wait(next(delays))

    def _check_states(self) -> None:
        # One connection for as long as it works, and only changed containers inspected:
        # a pass over fifty quiet containers is one list call.
        connection: EngineConnection | None = None
        while not self._stop.wait(self._interval):
            try:
                if connection is None:
                    connection = self._connect()
                states = self._states.read(connection.api)
            except DockerForgeError as error:
                log.debug("issue monitor could not read states: %s", error.message)
                if connection is not None:
                    connection.close()
                connection = None
                continue
            self._record(analyze_states(states))
        if connection is not None:
            connection.close()
