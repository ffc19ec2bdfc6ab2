"""Every kind of engine event (container, image, volume, network) as frozen records, delivered in batches.

:mod:`events` covers container lifecycle events for the analyzers; this module is the
live feed the dashboard shows: any object type, any action. :func:`open_event_feed`
subscribes at once and returns an :class:`EventFeed`; iterate it (one record at a time)
or call :meth:`EventFeed.batches` (records gathered for a short interval, so a burst of
events becomes a few batches instead of hundreds of messages). :meth:`EventFeed.close`
ends it from any thread; a blocked read returns at once.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Mapping

import docker
import docker.errors

from dockerforge_tui.services.docker.api_errors import ApiSource, client_of, translate
from dockerforge_tui.services.docker.endpoints import api_client
from dockerforge_tui.services.docker.models import COMPOSE_PROJECT_LABEL

log = logging.getLogger(__name__)

FEED_TYPES: tuple[str, ...] = ("container", "image", "volume", "network")
"""The object types the dashboard's event feed follows by default."""

BATCH_INTERVAL = 0.1
"""Seconds between two batches at most: about ten batches a second under a flood."""

CLOSE_POLL = 0.25
"""How often a waiting :meth:`EventFeed.batches` checks whether the feed was closed (seconds)."""

NANOSECONDS = 1_000_000_000
SHORT_ID = 12

_END = object()


@dataclass(frozen=True)
class EngineEvent:
    """One event from the engine, about any kind of object."""

    type: str
    """``container``, ``image``, ``volume``, ``network``, ``daemon``, ``plugin``..."""
    action: str
    """The action without its detail: ``start``, ``die``, ``pull``, ``health_status``, ``exec_start``..."""
    detail: str
    """What the engine put after the action's colon (``healthy``, an exec's command), else empty."""
    actor_id: str
    """The object's id (a volume's name, an image's reference or id)."""
    name: str
    """What a person recognises: the container's, network's or image's name; the id otherwise."""
    time_nano: int
    """When the engine emitted it, in nanoseconds since the epoch."""
    scope: str = ""
    """``local`` or ``swarm``."""
    attributes: tuple[tuple[str, str], ...] = ()
    """Every actor attribute the engine sent (labels included), sorted."""

    @property
    def time(self) -> datetime:
        """When the engine emitted it (UTC)."""
        return datetime.fromtimestamp(self.time_nano / NANOSECONDS, tz=timezone.utc)

    @property
    def full_action(self) -> str:
        """The action as the engine wrote it: ``health_status: healthy``."""
        return f"{self.action}: {self.detail}" if self.detail else self.action

    def attribute(self, key: str) -> str | None:
        """One attribute's value, or None."""
        for name, value in self.attributes:
            if name == key:
                return value
        return None

    @property
    def compose_project(self) -> str | None:
        """The compose project of the object, from its labels."""
        return self.attribute(COMPOSE_PROJECT_LABEL)


def _display_name(event_type: str, actor_id: str, attributes: Mapping[str, str]) -> str:
    name = attributes.get("name")
    if name:
        return name
    if event_type == "image" and actor_id.startswith("sha256:"):
        return actor_id[len("sha256:"):][:SHORT_ID]
    if len(actor_id) == 64 and all(char in "0123456789abcdef" for char in actor_id):
        return actor_id[:SHORT_ID]
    return actor_id


def engine_event_from_raw(raw: Mapping[str, Any]) -> EngineEvent | None:
    """Build a record from one decoded engine event; None when it names no action."""
    actor = raw.get("Actor") or {}
    attributes = {str(key): str(value) for key, value in (actor.get("Attributes") or {}).items()}
    full_action = str(raw.get("Action") or raw.get("status") or "")
    if not full_action:
        return None
    action, _, detail = full_action.partition(":")
    event_type = str(raw.get("Type") or "container")
    actor_id = str(actor.get("ID") or raw.get("id") or "")
    time_nano = int(raw.get("timeNano") or int(raw.get("time") or 0) * NANOSECONDS)
    return EngineEvent(
        type=event_type, action=action.strip(), detail=detail.strip(), actor_id=actor_id,
        name=_display_name(event_type, actor_id, attributes), time_nano=time_nano,
        scope=str(raw.get("scope") or ""), attributes=tuple(sorted(attributes.items())),
    )


def engine_time(value: datetime | float | int | None) -> str | None:
    """The events API's time format (Unix seconds with nanoseconds) for a datetime, seconds or an int of nanoseconds.

    An ``int`` is taken as nanoseconds (an :attr:`EngineEvent.time_nano`), so no precision is lost.
    """
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value // NANOSECONDS}.{value % NANOSECONDS:09d}"
    seconds = value.timestamp() if isinstance(value, datetime) else float(value)
    return f"{seconds:.9f}"


class EventFeed:
    """An open subscription to the engine's events; iterate it (or its batches) once, close it from anywhere."""

    def __init__(self, raw_stream: Any, owned_client: docker.APIClient | None = None) -> None:
        self._raw = raw_stream
        self._owned_client = owned_client
        self._closed = threading.Event()
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[EngineEvent]:
        """Yield records until :meth:`close`, the subscription's ``until`` or the engine going away.

        A lost engine raises a :class:`DockerForgeError` (nothing is raised once closed).
        """
        try:
            for raw in self._raw:
                if self._closed.is_set():
                    return
                event = engine_event_from_raw(raw)
                if event is not None:
                    yield event
        except Exception as error:  # a socket closed under a blocked read raises something transport-ish
            if self._closed.is_set():
                return
            raise translate(error, "follow", "the engine's events") from error
        finally:
            self.close()

    def batches(self, interval: float = BATCH_INTERVAL) -> Iterator[tuple[EngineEvent, ...]]:
        """Yield non-empty batches of records, at most one per ``interval`` seconds.

        An event that arrives after a quiet spell is yielded at once; those that follow
        within ``interval`` wait for the next batch. A reader thread blocks on the engine,
        so this generator notices :meth:`close` within :data:`CLOSE_POLL` seconds whatever
        the engine does. Errors are raised as by iteration.
        """
        arrivals: queue.SimpleQueue[Any] = queue.SimpleQueue()

        def read() -> None:
            try:
                for event in self:
                    arrivals.put(event)
            except Exception as error:  # handed over: the consumer raises it in its own thread
                arrivals.put(error)
            finally:
                arrivals.put(_END)

        threading.Thread(target=read, name="dockerforge-event-feed", daemon=True).start()
        pending: list[EngineEvent] = []
        next_flush = 0.0
        try:
            while True:
                wait = max(0.0, next_flush - time.monotonic()) if pending else CLOSE_POLL
                try:
                    item = arrivals.get(timeout=wait)
                except queue.Empty:
                    item = None
                if item is _END or isinstance(item, Exception):
                    if pending and not self._closed.is_set():
                        yield tuple(pending)
                    if isinstance(item, Exception):
                        raise item
                    return
                if item is not None:
                    pending.append(item)
                elif self._closed.is_set():
                    return
                if pending and time.monotonic() >= next_flush:
                    batch, pending = tuple(pending), []
                    next_flush = time.monotonic() + interval
                    yield batch
        finally:
            self.close()  # the batches were the feed's one reader: leaving them ends it

    def close(self) -> None:
        """End the feed from any thread; safe to call twice."""
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
        try:
            self._raw.close()
        except Exception as error:  # a stream whose connection already broke may refuse to close
            log.debug("closing the event feed failed: %s", error)
        if self._owned_client is not None:
            try:
                self._owned_client.close()
            except Exception as error:
                log.debug("closing the event feed's client failed: %s", error)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called or the feed ended."""
        return self._closed.is_set()

    def __enter__(self) -> "EventFeed":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_event_feed(source: ApiSource, *, types: Iterable[str] = FEED_TYPES, labels: Iterable[str] = (),
                    since: datetime | float | int | None = None,
                    until: datetime | float | int | None = None) -> EventFeed:
    """Subscribe to the engine's events now and return the open feed.

    ``types`` limits the object types (empty: every type); ``labels`` keeps only objects
    with those labels (``key`` or ``key=value``); ``since`` replays the engine's recent
    history from then (an ``int`` is nanoseconds, as :attr:`EngineEvent.time_nano`),
    ``until`` ends the feed then. With an open ``EngineConnection`` the feed gets a
    client of its own (closed with the feed), so it never holds the shared one's
    connections. Raises a :class:`DockerForgeError` when the engine refuses.
    """
    filters: dict[str, list[str]] = {}
    types = list(types)
    labels = list(labels)
    if types:
        filters["type"] = types
    if labels:
        filters["label"] = labels
    owned = None
    endpoint = getattr(source, "endpoint", None)
    if endpoint is not None and not isinstance(source, docker.APIClient):
        try:
            owned = api_client(endpoint, timeout=getattr(source, "timeout", 60.0),
                               version=getattr(source, "api_version", None) or "auto")
        except Exception as error:
            raise translate(error, "follow", "the engine's events") from error
    api = owned or client_of(source)
    try:
        raw = api.events(since=engine_time(since), until=engine_time(until), filters=filters or None, decode=True)
    except Exception as error:
        if owned is not None:
            owned.close()
        raise translate(error, "follow", "the engine's events") from error
    return EventFeed(raw, owned_client=owned)
