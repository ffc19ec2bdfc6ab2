"""Read what containers logged in a time window, once (no following): ``logs analyze``, ``logs export``, the report.

:func:`iter_logs` streams one container's lines between ``since`` and ``until`` as
:class:`LogRecord` records; :func:`read_logs` collects them (optionally only the last
``tail`` lines); :func:`read_logs_of` reads many containers at once on a small thread
pool, keeping each container's failure instead of raising it, so one removed
container does not sink a whole report. The lines come from
:func:`~dockerforge_tui.services.docker.logs.stream_container_logs` with engine
timestamps, which give every line its time.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Iterator

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.docker.api_errors import ApiSource, client_of
from dockerforge_tui.services.docker.logs import stream_container_logs
from dockerforge_tui.services.logs.timestamps import (
    NANOS_PER_SECOND, engine_time, format_engine_since, split_engine_line,
)

log = logging.getLogger(__name__)

DEFAULT_READ_WORKERS = 6
"""Log requests in flight at once for :func:`read_logs_of`."""
UNTIL_SLACK_NS = NANOS_PER_SECOND
"""Reading stops at the first line stamped this long after ``until`` (stdout and stderr may interleave a little)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

Moment = datetime | float | int
"""A point in time: an aware datetime, or seconds since the epoch."""


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One line a container wrote."""

    engine_ts_ns: int
    """When the engine read the line, nanoseconds since the epoch (UTC)."""
    stream: str
    """``stdout`` or ``stderr`` (a TTY container only has ``stdout``)."""
    text: str
    """The line without its newline; invalid UTF-8 shows as U+FFFD."""

    @property
    def time(self) -> datetime:
        """:attr:`engine_ts_ns` as an aware UTC datetime."""
        return engine_time(self.engine_ts_ns)


@dataclass(frozen=True)
class ContainerLogs:
    """The lines one container wrote in a window, or why they could not be read."""

    container_id: str
    lines: tuple[str, ...] = ()
    """The text of each line, oldest first."""
    times: tuple[datetime, ...] = ()
    """Each line's engine time, parallel to :attr:`lines`."""
    streams: tuple[str, ...] = ()
    """Each line's stream, parallel to :attr:`lines`."""
    error: DockerForgeError | None = None
    """Set when the logs could not be read (the container vanished, the driver keeps no logs...)."""

    @property
    def ok(self) -> bool:
        """True when the logs were read."""
        return self.error is None


def _nanoseconds(moment: Moment) -> int:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("a naive datetime is ambiguous: give an aware one (UTC)")
        delta = moment - _EPOCH
        return (delta.days * 86400 + delta.seconds) * NANOS_PER_SECOND + delta.microseconds * 1000
    return int(float(moment) * NANOS_PER_SECOND)


def iter_logs(source: ApiSource, container_id: str, *, since: Moment | None = None, until: Moment | None = None,
              tail: int | None = None, stdout: bool = True, stderr: bool = True) -> Iterator[LogRecord]:
    """Yield the lines ``container_id`` wrote from ``since`` to ``until`` (both inclusive), oldest first.

    ``tail`` keeps only the last lines of that window (applied by the engine, before
    ``until``). The stream is closed when the iteration ends or is abandoned. Raises
    :class:`~dockerforge_tui.core.errors.NotFoundError` for an unknown container and
    the other errors of :func:`~dockerforge_tui.services.docker.logs.stream_container_logs`.
    """
    api = client_of(source)
    since_param = format_engine_since(_nanoseconds(since)) if since is not None else None
    until_ns = _nanoseconds(until) if until is not None else None
    stream = stream_container_logs(api, container_id, since=since_param, tail=tail, follow=False, timestamps=True,
                                   stdout=stdout, stderr=stderr, nap=0.0)
    try:
        for batch in stream.batches():
            for stream_name, raw in batch:
                try:
                    ts, start = split_engine_line(raw)
                except ValueError:  # cannot happen with timestamps=True; keep the line rather than lose it
                    ts, start = 0, 0
                if until_ns is not None and ts > until_ns:
                    if ts > until_ns + UNTIL_SLACK_NS:
                        return
                    continue
                yield LogRecord(ts, stream_name, raw[start:].decode("utf-8", "replace"))
    finally:
        stream.close()


def read_logs(source: ApiSource, container_id: str, *, since: Moment | None = None, until: Moment | None = None,
              tail: int | None = None) -> ContainerLogs:
    """The lines of :func:`iter_logs`, collected; raises like it."""
    lines: list[str] = []
    times: list[datetime] = []
    streams: list[str] = []
    for record in iter_logs(source, container_id, since=since, until=until, tail=tail):
        lines.append(record.text)
        times.append(record.time)
        streams.append(record.stream)
    return ContainerLogs(container_id, tuple(lines), tuple(times), tuple(streams))


def read_logs_of(source: ApiSource, container_ids: Iterable[str], *, since: Moment | None = None,
                 until: Moment | None = None, tail: int | None = None,
                 workers: int = DEFAULT_READ_WORKERS) -> dict[str, ContainerLogs]:
    """Read several containers' logs concurrently; the result maps each id to its :class:`ContainerLogs`.

    A container whose logs cannot be read gets a record with :attr:`ContainerLogs.error`
    set instead of raising, so the caller can report it next to the others.
    """
    ids = list(dict.fromkeys(container_ids))

    def read_one(container_id: str) -> ContainerLogs:
        try:
            return read_logs(source, container_id, since=since, until=until, tail=tail)
        except DockerForgeError as error:
            log.debug("reading the logs of %s failed: %s", container_id[:12], error)
            return ContainerLogs(container_id, error=error)

    if len(ids) <= 1 or workers <= 1:
        return {container_id: read_one(container_id) for container_id in ids}
    with ThreadPoolExecutor(max_workers=min(workers, len(ids)), thread_name_prefix="logs") as pool:
        return dict(zip(ids, pool.map(read_one, ids)))


__all__ = ["DEFAULT_READ_WORKERS", "ContainerLogs", "LogRecord", "Moment", "iter_logs", "read_logs", "read_logs_of"]
