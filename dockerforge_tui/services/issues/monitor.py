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
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.docker.connection import EngineConnection
from dockerforge_tui.services.docker.events import stream_events
from dockerforge_tui.services.docker.states import StateCache
from dockerforge_tui.services.docker.watch import backoff_delays
from dockerforge_tui.services.issues.analyzers import EventAnalyzer, analyze_states, observations_from_log
from dockerforge_tui.services.issues.models import ContainerRef, Observation
from dockerforge_tui.services.issues.store import IssueChange, IssueStore
from dockerforge_tui.services.logs import PatternSet, default_patterns, detect, load_patterns
from dockerforge_tui.services.logs.detect import prepare
from dockerforge_tui.services.logs.collector import LogCollector, LogLine, LogSelector

log = logging.getLogger(__name__)

CONTEXT_LINES = 20
"""Earlier lines of a container kept in front of each new batch (multi-line findings)."""

HOLD_SECONDS = 3.0
"""How long a finding that the next lines could still change waits for them. A busy engine
can pause one container's stream for over a second; cutting a traceback there would report
a ``crash`` and then its cause, so a finding rather waits a few seconds longer."""

MAX_HELD_LINES = 500
"""A unit still open after this many lines is reported as it stands."""

FORGET_AFTER_SECONDS = 600.0
"""A container silent this long loses its kept lines (a dashboard may see thousands come and go)."""


@dataclass
class _ContainerScan:
    name: str
    tail: deque[LogLine] = field(default_factory=deque)
    """The last lines scanned: the context in front of the next batch, and every line not settled yet."""
    seen: int = 0
    """Lines of this container scanned so far."""
    settled: int = 0
    """Lines before this (absolute index) are settled: their findings were reported."""
    last_at: float = 0.0


class LogScanner:
    """Run the pattern engine over a collector's batches, container by container, reporting each finding once.

    A batch ends wherever the collector cut it, often inside a traceback or just before
    the line a context rule looks for. So each container's last lines stay in front of
    its next batch, and the lines that more output could still change (an open
    multi-line unit, or fewer lines than the longest ``after`` of a context rule) are
    settled only when that output arrives, or after ``hold`` seconds of quiet
    (:meth:`flush`). A traceback split across two batches is then one finding with its
    root cause, not a ``crash`` and then the cause.
    """

    def __init__(self, patterns: PatternSet | None = None, *, hold: float = HOLD_SECONDS,
                 context_lines: int = CONTEXT_LINES, max_held_lines: int = MAX_HELD_LINES,
                 forget_after: float = FORGET_AFTER_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._patterns = patterns
        rules = [rule for pattern in (patterns or default_patterns()) for rule in pattern.confirm + pattern.cancel]
        self._lookahead = max((rule.after for rule in rules), default=0)
        self._context = max([context_lines] + [rule.before for rule in rules])
        self._max_held = max(max_held_lines, self._lookahead + 1)
        self.hold = hold
        self._forget_after = forget_after
        self._clock = clock
        self._swept_at = clock()
        self._containers: dict[str, _ContainerScan] = {}
        self._holding: set[str] = set()

    def scan(self, batch: Sequence[LogLine]) -> list[Observation]:
        """Observations for the findings that ``batch`` settles (lines of any containers, in order)."""
        by_container: dict[str, list[LogLine]] = {}
        for line in batch:
            by_container.setdefault(line.container_id, []).append(line)
        observations: list[Observation] = []
        now = self._clock()
        for container_id, lines in by_container.items():
            state = self._containers.get(container_id)
            if state is None:
                state = self._containers[container_id] = _ContainerScan(lines[0].container_name)
            state.name, state.last_at = lines[-1].container_name, now
            observations += self._scan(container_id, state, lines, final=False)
        return observations

    def flush(self, everything: bool = False) -> list[Observation]:
        """Settle what containers quiet for ``hold`` seconds (or all, with ``everything``) held back."""
        now = self._clock()
        observations: list[Observation] = []
        for container_id in sorted(self._holding):
            state = self._containers[container_id]
            if everything or now - state.last_at >= self.hold:
                observations += self._scan(container_id, state, (), final=True)
        if now - self._swept_at >= min(60.0, self._forget_after):
            self._swept_at = now
            for container_id in [key for key, state in self._containers.items()
                                 if key not in self._holding and now - state.last_at >= self._forget_after]:
                del self._containers[container_id]
        return observations

    def __len__(self) -> int:
        """Containers whose last lines are kept."""
        return len(self._containers)

    def _scan(self, container_id: str, state: _ContainerScan, lines: Sequence[LogLine],
              final: bool) -> list[Observation]:
        tail = state.tail
        tail.extend(lines)
        state.seen += len(lines)
        base = state.seen - len(tail)  # absolute index of tail[0]
        texts = [line.text for line in tail]
        start = state.settled - base
        findings = [finding for finding in detect(texts, self._patterns) if finding.line_index >= start]
        end = len(texts)
        if not final:
            # Still open: the lines a context rule may look past, and a unit reaching the last line.
            held_from = max(start, end - self._lookahead)
            for finding in findings:
                if finding.block_end >= len(texts) - 1:
                    held_from = max(start, min(held_from, finding.block_start, finding.line_index))
            # The held lines are bounded, not the batch: a slow consumer's big batches are no
            # reason to cut a traceback that merely ends one of them.
            if end - held_from <= self._max_held:
                end = held_from
        settled = [finding for finding in findings if finding.line_index < end]
        state.settled = base + end
        if state.settled < state.seen:
            self._holding.add(container_id)
        else:
            self._holding.discard(container_id)
        times = [line.engine_time for line in tail] if settled else []
        keep = len(texts) - max(0, end - self._context)
        while len(tail) > keep:
            tail.popleft()
        if not settled:
            return []
        ref = ContainerRef(id=container_id, name=state.name)
        return observations_from_log(settled, texts, ref, timestamps=times)


class IssueMonitor:
    """Watch every running container for known failures; record them as issues.

    ``selector`` narrows the containers whose logs are followed (default: every running
    one); the event and state checks always cover the whole engine.
    """

    def __init__(self, connect: Callable[[], EngineConnection], store: IssueStore, *, interval: float = 10.0,
                 buffer_lines: int = 2000, buffer_bytes: int = 1 << 20, patterns_dir: Path | None = None,
                 cache_dir: Path | None = None, selector: LogSelector | None = None) -> None:
        self._connect = connect
        self._patterns_dir = patterns_dir
        self._cache_dir = cache_dir
        self._patterns: PatternSet | None = None
        self._store = store
        self._interval = interval
        self._stop = threading.Event()
        self._changes: queue.Queue[tuple[IssueChange, ...]] = queue.Queue()
        self._states = StateCache()
        self._collector = LogCollector(connect, selector or LogSelector.all_running(), buffer_lines=buffer_lines,
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
        scanner = LogScanner(self._patterns)
        # An empty batch after a quiet spell lets the scanner report what it held back.
        for batch in self._collector.batches(idle=scanner.hold):
            if self._stop.is_set():
                return
            self._record(scanner.scan(batch) + scanner.flush())

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
