"""Follow the logs of many containers at once, through engine restarts and container restarts.

:class:`LogCollector` keeps one daemon thread per followed container, reading that
container's log stream (:func:`~dockerforge_tui.services.docker.logs.stream_container_logs`)
into :class:`LogLine` records, and one thread following the engine's container events:
a container that starts (or restarts) and matches the :class:`LogSelector` is attached,
one that is destroyed is let go. When the engine goes away the events thread reconnects
with the same capped backoff as the container watcher and wakes every reader.

No line is lost or doubled across a restart: the stream is read with engine timestamps;
a reader that attaches again asks for the lines ``since=`` its last delivered line (the
engine includes lines stamped exactly then) and drops what it already delivered: lines
stamped earlier, and as many lines stamped exactly then as it had delivered (several
lines can share one nanosecond). This is tracked per output stream, because stdout and
stderr are stamped by separate readers inside the engine; for the same reason the
re-attach starts a second (``REATTACH_OVERLAP_NS``) before the newest delivered line, so
that a line of one stream stamped just before a line of the other, but written after
it, is not skipped.

Consumers get lines in two ways: :meth:`LogCollector.batches` yields tuples of new lines
about ten times a second (for a UI to post as messages), and
:meth:`LogCollector.buffer` is each container's bounded :class:`LogBuffer`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Mapping

from dockerforge_tui.core.errors import DockerForgeError, EngineUnreachableError, NotFoundError
from dockerforge_tui.services.docker.logs import (
    NAP_SECONDS, ContainerEventStream, LogSource, LogStream, RawLine, engine_clock_ns, list_log_sources,
    stream_container_logs,
)
from dockerforge_tui.services.docker.models import COMPOSE_PROJECT_LABEL, ContainerEvent
from dockerforge_tui.services.docker.watch import backoff_delays
from dockerforge_tui.services.logs.buffer import LogBuffer
from dockerforge_tui.services.logs.levels import detect_level
from dockerforge_tui.services.logs.timestamps import (
    engine_time, find_app_timestamp, format_engine_since, split_engine_line,
)

if TYPE_CHECKING:
    from dockerforge_tui.core.config.models import LogsSettings
    from dockerforge_tui.services.docker.connection import EngineConnection

log = logging.getLogger(__name__)

# Event actions after which a container's log stream (re)opens.
START_ACTIONS = frozenset({"start", "restart", "unpause"})
REATTACH_OVERLAP_NS = 1_000_000_000
"""How far before the newest delivered line a re-attach starts reading (the rest is dropped as seen)."""
DEFAULT_MAX_PENDING_LINES = 200_000
"""Lines waiting for :meth:`LogCollector.batches` before the oldest are skipped (they stay in the buffers)."""


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line a container wrote, as the engine stamped it."""

    container_id: str
    container_name: str
    stream: str
    """``"stdout"`` or ``"stderr"`` (a TTY container only has ``"stdout"``)."""
    engine_ts_ns: int
    """When the engine read the line: nanoseconds since the epoch, UTC."""
    text: str
    """The line as written, without its newline; invalid UTF-8 shows as U+FFFD."""
    level: str | None
    """``"error"``, ``"warn"``, ``"info"``, ``"debug"`` or None (see :func:`detect_level`)."""

    @property
    def engine_time(self) -> datetime:
        """:attr:`engine_ts_ns` as an aware UTC datetime (microsecond precision)."""
        return engine_time(self.engine_ts_ns)

    @property
    def app_time(self) -> datetime | None:
        """The time the program printed in the line itself, in UTC (computed on each access)."""
        return find_app_timestamp(self.text, reference=self.engine_time)


def _line_factory() -> Callable[[str, str, str, int, str, str | None], LogLine]:
    """Build LogLines without the frozen dataclass's ``__init__``.

    A frozen dataclass sets each field through ``object.__setattr__``, which costs more
    than everything else done per line; the slot descriptors' own setters are three
    times cheaper and give the same object.
    """
    new = object.__new__
    set_id, set_name, set_stream, set_ts, set_text, set_level = (
        LogLine.__dict__[field].__set__
        for field in ("container_id", "container_name", "stream", "engine_ts_ns", "text", "level"))

    def make(container_id: str, container_name: str, stream: str, ts: int, text: str,
             level: str | None) -> LogLine:
        line = new(LogLine)
        set_id(line, container_id)
        set_name(line, container_name)
        set_stream(line, stream)
        set_ts(line, ts)
        set_text(line, text)
        set_level(line, level)
        return line

    return make


make_log_line = _line_factory()


class LineDecoder:
    """Turn one container's raw ``(stream, bytes)`` lines from the engine into :class:`LogLine` records.

    This is the per-line work of collection: the engine timestamp, the UTF-8 text (invalid
    bytes become U+FFFD) and the level. It remembers the last second it parsed, because the
    engine's timestamps have a fixed layout and consecutive lines mostly share their second.
    """

    def __init__(self, container_id: str, container_name: str) -> None:
        self.container_id = container_id
        self.container_name = container_name
        """Used for the lines decoded from now on (a container can be renamed)."""
        self._second_key = b""
        self._second_ns = 0

    def decode(self, raw_lines: Iterable[RawLine]) -> list[LogLine]:
        """LogLines for raw lines that start with the engine's timestamp (``timestamps=True``)."""
        container_id, name = self.container_id, self.container_name
        make, level_of = make_log_line, detect_level
        second_key, second_ns = self._second_key, self._second_ns
        out: list[LogLine] = []
        append = out.append
        ts = second_ns
        for stream_name, raw in raw_lines:
            # The layout is fixed (2026-11-25T02:40:14.123456789Z + space): lines of the same
            # second differ only in the fraction, so most lines cost two slices and an int.
            if raw[:19] == second_key and raw[29:31] == b"Z ":
                try:
                    ts = second_ns + int(raw[20:29])
                    text = raw[31:].decode("utf-8", "replace")
                    append(make(container_id, name, stream_name, ts, text, level_of(text)))
                    continue
                except ValueError:  # not digits after all: the careful way below
                    pass
            try:
                ts, start = split_engine_line(raw)
            except ValueError:  # no timestamp (cannot happen with timestamps=True): keep the text
                start = 0
            else:
                if start == 31 and raw[29:31] == b"Z ":
                    second_key, second_ns = raw[:19], ts - int(raw[20:29])
            text = raw[start:].decode("utf-8", "replace")
            append(make(container_id, name, stream_name, ts, text, level_of(text)))
        self._second_key, self._second_ns = second_key, second_ns
        return out


@dataclass(frozen=True)
class LogSelector:
    """Which containers to follow.

    With no field set: every running container (and every container that starts later).
    ``project`` and ``labels`` narrow it to containers carrying those labels;
    ``containers`` to the named ones (names or id prefixes). ``include_stopped`` also
    reads the logs of matching containers that are not running.
    """

    project: str | None = None
    """A compose project: containers labelled ``com.docker.compose.project=<project>``."""
    labels: tuple[str, ...] = ()
    """Label filters, ``"key"`` (present) or ``"key=value"``; all must match."""
    containers: tuple[str, ...] = ()
    """Container names or id prefixes; empty means any."""
    include_stopped: bool = False

    @classmethod
    def all_running(cls) -> "LogSelector":
        """Every running container."""
        return cls()

    @classmethod
    def for_project(cls, project: str, include_stopped: bool = False) -> "LogSelector":
        """The containers of one compose project."""
        return cls(project=project, include_stopped=include_stopped)

    @classmethod
    def with_labels(cls, *labels: str, include_stopped: bool = False) -> "LogSelector":
        """Containers carrying every one of these labels (``"key"`` or ``"key=value"``)."""
        return cls(labels=tuple(labels), include_stopped=include_stopped)

    @classmethod
    def for_containers(cls, *names_or_ids: str, include_stopped: bool = True) -> "LogSelector":
        """These containers, by name or id prefix, running or not."""
        return cls(containers=tuple(name.lstrip("/") for name in names_or_ids), include_stopped=include_stopped)

    def label_filters(self) -> tuple[str, ...]:
        """The engine-side label filters this selector needs."""
        project = (f"{COMPOSE_PROJECT_LABEL}={self.project}",) if self.project else ()
        return project + self.labels

    def matches(self, container_id: str, name: str, labels: Mapping[str, str]) -> bool:
        """Whether a container with this id, name and labels is one to follow (its state aside)."""
        for selector in self.label_filters():
            key, has_value, value = selector.partition("=")
            if key not in labels or (has_value and labels[key] != value):
                return False
        if self.containers:
            name = name.lstrip("/")
            return any(name == wanted or container_id.startswith(wanted) for wanted in self.containers)
        return True

    def describe(self) -> str:
        """A short description for status lines: ``project shop``, ``all running containers``..."""
        parts = []
        if self.project:
            parts.append(f"project {self.project}")
        if self.labels:
            parts.append("labels " + ", ".join(self.labels))
        if self.containers:
            parts.append("containers " + ", ".join(self.containers))
        text = "; ".join(parts) or "all containers"
        return text if self.include_stopped else f"{text} (running)"


@dataclass(frozen=True)
class FollowedContainer:
    """A snapshot of one followed container, for status displays."""

    id: str
    name: str
    attached: bool
    """True while its log stream is open."""
    lines: int
    """Lines delivered since the collector started."""
    buffered: int
    dropped: int
    """Lines dropped from its buffer to stay within bounds."""
    problem: str | None = None
    """Why its logs cannot be read (the engine refused), if it did."""


class _Follower:
    """One container's reader thread: attach, read until the stream ends, wait to be woken, attach again."""

    def __init__(self, collector: "LogCollector", source: LogSource, *, since_ns: int | None,
                 tail: int | None) -> None:
        self.id = source.id
        self.decoder = LineDecoder(source.id, source.name)
        self.buffer = LogBuffer(collector.buffer_lines, collector.buffer_bytes)
        self.delivered = 0
        self.attached = False
        self.problem: str | None = None
        self._collector = collector
        self._first_since_ns = since_ns
        self._first_tail = tail
        self._tty: bool | None = None
        # Per output stream: timestamp of the last delivered line and how many delivered lines carry it.
        self._last_ts: dict[str, int] = {}
        self._count_at_last: dict[str, int] = {}
        # While catching up after a re-attach: per stream, the boundary and how many to skip there.
        self._catchup: dict[str, int] = {}
        self._skip_at_boundary: dict[str, int] = {}
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._stream: LogStream | None = None
        self.thread = threading.Thread(target=self._run, name=f"logs-{self.id[:12]}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def wake(self) -> None:
        """Attach again once the current stream (if any) has ended."""
        self._wake.set()

    def close(self) -> None:
        self._closed.set()
        self._wake.set()
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    @property
    def name(self) -> str:
        return self.decoder.container_name

    @name.setter
    def name(self, value: str) -> None:
        self.decoder.container_name = value

    def snapshot(self) -> FollowedContainer:
        return FollowedContainer(self.id, self.name, self.attached, self.delivered, len(self.buffer),
                                 self.buffer.dropped, self.problem)

    def _run(self) -> None:
        collector = self._collector
        delays = None
        while not self._closed.is_set():
            api = collector._stream_api
            if api is None:  # no engine: the events thread wakes us when it is back
                self._wake.wait()
                self._wake.clear()
                continue
            # Cleared before attaching: a start event that arrives while this stream is still
            # being read leaves the flag set, so the end of the stream is followed by a re-attach.
            self._wake.clear()
            try:
                self._attach(api)
                delays, self.problem = None, None
            except NotFoundError:
                log.debug("container %s is gone; its log reader stops", self.id[:12])
                break
            except EngineUnreachableError as error:
                if self._closed.is_set():
                    break
                delays = delays or backoff_delays(collector.first_retry, collector.max_retry)
                delay = next(delays)
                log.debug("log stream of %s failed (%s); again in %.1fs", self.id[:12], error, delay)
                self._wake.wait(delay)
                continue
            except DockerForgeError as error:
                # The engine refuses (a logging driver that cannot be read, say): asking again
                # will not help until the container starts again.
                if self._closed.is_set():
                    break
                log.info("cannot read the logs of %s: %s", self.name, error)
                self.problem = error.message
            except Exception:  # a bug must not kill the reader silently
                log.exception("log reader of %s failed", self.id[:12])
                break
            if not self._closed.is_set():
                self._wake.wait()
        self.attached = False

    def _attach(self, api: object) -> None:
        since: str | None = None
        tail = None
        if self._last_ts:
            # A little before the newest line delivered: a line of the other stream stamped just
            # before it may have been written to the log just after it.
            since = format_engine_since(max(self._last_ts.values()) - REATTACH_OVERLAP_NS)
            self._catchup = dict(self._last_ts)
            self._skip_at_boundary = dict(self._count_at_last)
        elif self._first_since_ns is not None:
            since = format_engine_since(self._first_since_ns)
        else:
            tail = self._first_tail
        stream = stream_container_logs(api, self.id, since=since, tail=tail, follow=True, timestamps=True,
                                       tty=self._tty, nap=self._collector.nap)
        with self._lock:
            if self._closed.is_set():
                stream.close()
                return
            self._stream = stream
        self.attached = True
        try:
            for raw_lines in stream.batches():
                lines = self.decoder.decode(raw_lines)
                if self._catchup:
                    lines = self._drop_delivered(lines)
                if lines:
                    self._remember(lines, raw_lines)
                    self.buffer.extend(lines)
                    self.delivered += len(lines)
                    self._collector._publish(lines)
        finally:
            self.attached = False
            self._tty = stream.tty
            with self._lock:
                self._stream = None
            stream.close()

    def _drop_delivered(self, lines: list[LogLine]) -> list[LogLine]:
        """After a re-attach: drop the lines delivered before (see the module docstring)."""
        catchup, skip = self._catchup, self._skip_at_boundary
        kept = []
        for line in lines:
            boundary = catchup.get(line.stream)
            if boundary is not None:
                if line.engine_ts_ns < boundary:
                    continue
                if line.engine_ts_ns == boundary:
                    if skip.get(line.stream, 0) > 0:
                        skip[line.stream] -= 1
                        continue
                else:
                    del catchup[line.stream]
            kept.append(line)
        if catchup and kept and kept[-1].engine_ts_ns > max(catchup.values()) + REATTACH_OVERLAP_NS:
            catchup.clear()  # far past every boundary: nothing delivered before can follow
        return kept

    def _remember(self, lines: list[LogLine], raw_lines: list[RawLine]) -> None:
        """Note, per stream, the newest timestamp delivered and how many delivered lines carry it."""
        pending = set(map(itemgetter(0), raw_lines))
        newest: dict[str, int] = {}
        count: dict[str, int] = {}
        for line in reversed(lines):
            stream_name = line.stream
            if stream_name not in pending:
                continue
            ts = line.engine_ts_ns
            if stream_name not in newest:
                newest[stream_name], count[stream_name] = ts, 1
            elif ts == newest[stream_name]:
                count[stream_name] += 1
            else:
                pending.discard(stream_name)
                if not pending:
                    break
        for stream_name, ts in newest.items():
            if stream_name in pending and self._last_ts.get(stream_name) == ts:
                # Every line of this batch shares the previous batch's last timestamp.
                count[stream_name] += self._count_at_last[stream_name]
            self._last_ts[stream_name] = ts
            self._count_at_last[stream_name] = count[stream_name]


class LogCollector:
    """Follow the logs of the containers a :class:`LogSelector` picks, on background threads.

    ``connect`` makes a new :class:`EngineConnection` (it is called again after the engine
    went away; the collector closes the connections it made), or is one open connection
    the caller owns. Threads start at once; call :meth:`close` to stop them.

    Containers running when the collector starts are read from their last
    ``initial_tail`` lines (default: ``buffer_lines``; ``"all"`` for the whole log), or
    from ``since`` (epoch seconds) when given; containers that start later are read from
    the time the collector started, so none of their lines is missed.
    """

    def __init__(self, connect: "Callable[[], EngineConnection] | EngineConnection",
                 selector: LogSelector | None = None, *, buffer_lines: int = 10_000, buffer_bytes: int = 8 << 20,
                 initial_tail: int | str | None = None, max_pending_lines: int = DEFAULT_MAX_PENDING_LINES,
                 since: float | None = None, first_retry: float = 0.5, max_retry: float = 5.0,
                 keep_gone: int = 32, nap: float = NAP_SECONDS) -> None:
        if callable(connect):
            self._connect: Callable[[], EngineConnection] = connect
            self._owns_connections = True
        else:
            connection = connect
            self._connect = lambda: connection
            self._owns_connections = False
        self.selector = selector or LogSelector()
        self.buffer_lines = buffer_lines
        self.buffer_bytes = buffer_bytes
        self.initial_tail: int | None = (buffer_lines if initial_tail is None
                                         else None if initial_tail == "all" else int(initial_tail))
        self._initial_since_ns = None if since is None else int(since * 1_000_000) * 1000
        self.first_retry = first_retry
        self.max_retry = max_retry
        self.nap = nap
        self._keep_gone = keep_gone
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._followers: dict[str, _Follower] = {}
        self._gone: OrderedDict[str, _Follower] = OrderedDict()
        self._events: ContainerEventStream | None = None
        self._stream_api: object | None = None
        self._stream_clients: dict[int, object] = {}
        self._began_ns: int | None = None
        self._pending: deque[LogLine] = deque(maxlen=max_pending_lines)
        self._pending_ready = threading.Condition(threading.Lock())
        self.skipped = 0
        """Lines :meth:`batches` never yielded because its consumer fell behind (they stayed in the buffers)."""
        self.connected = False
        """True while an engine answers."""
        self.problem: str | None = None
        """Why the engine is unavailable, while it is."""
        self._thread = threading.Thread(target=self._run, name="logs-events", daemon=True)
        self._thread.start()

    @classmethod
    def from_settings(cls, connect: "Callable[[], EngineConnection] | EngineConnection",
                      selector: LogSelector | None, settings: "LogsSettings", **options: object) -> "LogCollector":
        """A collector with the buffer bounds of the ``logs`` configuration section."""
        return cls(connect, selector, buffer_lines=settings.buffer_lines, buffer_bytes=settings.buffer_bytes,
                   **options)  # type: ignore[arg-type]

    # -- what consumers call ----------------------------------------------------------------

    def batches(self, max_batch_lines: int = 50_000, max_interval: float = 0.1,
                idle: float | None = None) -> Iterator[tuple[LogLine, ...]]:
        """Yield new lines, oldest first, at most one batch per ``max_interval`` seconds, until closed.

        A quiet collector yields as soon as a line arrives; a busy one every
        ``max_interval``. With ``idle``, it also yields an empty batch after that many
        seconds without a line (and again every ``idle`` seconds while quiet), so the
        consumer can act on the quiet. One consumer only. When the consumer falls behind
        by more than ``max_pending_lines``, the oldest waiting lines are skipped (counted
        in :attr:`skipped`); they remain in the buffers.
        """
        pending, ready = self._pending, self._pending_ready
        next_at = 0.0
        while not self._stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return
            with ready:
                quiet_until = None if idle is None else time.monotonic() + idle
                while not pending and not self._stop.is_set():
                    if quiet_until is not None and time.monotonic() >= quiet_until:
                        break
                    ready.wait(max_interval if quiet_until is None
                               else max(0.0, min(max_interval, quiet_until - time.monotonic())))
                if self._stop.is_set():
                    return
                if not pending:
                    batch: tuple[LogLine, ...] = ()
                elif len(pending) <= max_batch_lines:
                    batch = tuple(pending)
                    pending.clear()
                else:
                    popleft = pending.popleft
                    batch = tuple([popleft() for _ in range(max_batch_lines)])
            next_at = time.monotonic() + max_interval
            yield batch

    def buffer(self, container_id: str) -> LogBuffer:
        """The buffer of a followed (or recently destroyed) container; KeyError when unknown."""
        with self._lock:
            follower = self._followers.get(container_id) or self._gone.get(container_id)
        if follower is None:
            raise KeyError(container_id)
        return follower.buffer

    def followed(self) -> tuple[FollowedContainer, ...]:
        """The containers followed now, by name."""
        with self._lock:
            followers = list(self._followers.values())
        return tuple(sorted((follower.snapshot() for follower in followers), key=lambda c: c.name))

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._stop.is_set()

    def close(self) -> None:
        """Stop every thread and close every stream; safe from any thread, and twice."""
        self._stop.set()
        with self._lock:
            events, self._events = self._events, None
            followers = list(self._followers.values())
        if events is not None:
            events.close()
        for follower in followers:
            follower.close()
        with self._pending_ready:
            self._pending_ready.notify_all()

    def join(self, timeout: float = 5.0) -> bool:
        """Wait for the threads to end after :meth:`close`; True when all did."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = [self._thread] + [f.thread for f in (*self._followers.values(), *self._gone.values())]
        for thread in threads:
            if thread.is_alive() or thread.ident is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in threads)

    def __enter__(self) -> "LogCollector":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the events thread ------------------------------------------------------------------

    def _run(self) -> None:
        delays = backoff_delays(self.first_retry, self.max_retry)
        while not self._stop.is_set():
            try:
                connection = self._connect()
            except DockerForgeError as error:
                self.problem = error.message
                self._stop.wait(next(delays))
                continue
            delays = backoff_delays(self.first_retry, self.max_retry)
            try:
                self._follow_engine(connection)
                if not self._stop.is_set():
                    # The events stream ended by itself: the engine restarted or went away.
                    self.problem = f"the engine at {connection.endpoint.url} went away; reconnecting"
            except DockerForgeError as error:
                if self._stop.is_set():
                    break
                log.info("log collector lost the engine at %s: %s", connection.endpoint.url, error)
                self.problem = error.message
            except Exception:  # a bug must not end log collection silently
                log.exception("log collector failed")
                self.problem = "internal error; see the log file"
            finally:
                with self._lock:
                    self._stream_api = None
                    self._events = None
                self.connected = False
                if self._owns_connections:
                    connection.close()
            if not self._stop.is_set():
                self._stop.wait(self.first_retry)

    def _follow_engine(self, connection: "EngineConnection") -> None:
        api = connection.api
        # Subscribe before listing, so a container that starts in between is not missed.
        events = ContainerEventStream(api)
        with self._lock:
            if self._stop.is_set():
                events.close()
                return
            self._events = events
        stream_api = self._stream_client(connection)
        if self._began_ns is None:
            self._began_ns = engine_clock_ns(api) or time.time_ns()
            first_listing = True
        else:
            first_listing = False
        sources = list_log_sources(api, self.selector.label_filters())
        with self._lock:
            self._stream_api = stream_api
        self.connected, self.problem = True, None
        self._sync(sources, first_listing)
        for event in events:
            if self._stop.is_set():
                return
            self._apply(event)

    def _stream_client(self, connection: "EngineConnection") -> object:
        # One stream client per connection (readers on TLS or ssh share its pool; on a unix
        # socket they open their own sockets and only use it to build requests).
        client = self._stream_clients.get(id(connection))
        if client is None:
            client = connection.open_stream_client()
            if self._owns_connections:
                self._stream_clients = {id(connection): client}
            else:
                self._stream_clients[id(connection)] = client
        return client

    def _sync(self, sources: Iterable[LogSource], first_listing: bool) -> None:
        """After (re)connecting: follow matching containers, wake the followed ones, let go of vanished ones."""
        present = set()
        for source in sources:
            if not self.selector.matches(source.id, source.name, dict(source.labels)):
                continue
            present.add(source.id)
            with self._lock:
                follower = self._followers.get(source.id)
            if follower is not None:
                follower.name = source.name
                follower.wake()  # read what it wrote while the engine was away
            elif source.running or self.selector.include_stopped:
                if first_listing:
                    self._follow(source, since_ns=self._initial_since_ns,
                                 tail=self.initial_tail if self._initial_since_ns is None else None)
                else:
                    self._follow(source, since_ns=self._began_ns, tail=None)
        with self._lock:
            vanished = [cid for cid in self._followers if cid not in present]
        for container_id in vanished:
            self._let_go(container_id)

    def _apply(self, event: ContainerEvent) -> None:
        action = event.action
        if action in START_ACTIONS:
            with self._lock:
                follower = self._followers.get(event.container_id)
            if follower is not None:
                follower.wake()
                return
            attributes = dict(event.attributes)
            name = attributes.get("name", event.container_id[:12])
            if self.selector.matches(event.container_id, name, attributes):
                labels = tuple(sorted(attributes.items()))
                self._follow(LogSource(event.container_id, name, "running", labels),
                             since_ns=self._began_ns, tail=None)
        elif action == "rename":
            with self._lock:
                follower = self._followers.get(event.container_id)
            if follower is not None:
                follower.name = dict(event.attributes).get("name", follower.name)
        elif action == "destroy":
            self._let_go(event.container_id)

    def _follow(self, source: LogSource, *, since_ns: int | None, tail: int | None) -> None:
        follower = _Follower(self, source, since_ns=since_ns, tail=tail)
        with self._lock:
            if self._stop.is_set() or source.id in self._followers:
                return
            self._followers[source.id] = follower
        log.debug("following the logs of %s (%s)", source.name, source.id[:12])
        follower.start()

    def _let_go(self, container_id: str) -> None:
        with self._lock:
            follower = self._followers.pop(container_id, None)
            if follower is None:
                return
            # Keep the lines of a removed container for a while: it may have crashed.
            self._gone[container_id] = follower
            while len(self._gone) > self._keep_gone:
                self._gone.popitem(last=False)
        follower.close()

    def _publish(self, lines: list[LogLine]) -> None:
        with self._pending_ready:
            pending = self._pending
            overflow = len(pending) + len(lines) - pending.maxlen  # type: ignore[operator]
            if overflow > 0:
                self.skipped += overflow
            pending.extend(lines)
            self._pending_ready.notify()
