"""The engine's container events (die, oom, health_status, start, restart...) as frozen records.

:func:`stream_events` subscribes at once (so nothing that happens right after the call
is missed) and returns an :class:`EventStream`: iterate it on a worker thread, and call
:meth:`EventStream.close` from any thread to end it; a blocked read returns at once.
:func:`read_events` returns a bounded slice of the engine's recent history instead.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Mapping

import docker
import docker.errors
import requests.exceptions

from dockerforge_tui.core.errors import DockerAPIError
from dockerforge_tui.services.docker.models import COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL

log = logging.getLogger(__name__)

LIFECYCLE_ACTIONS: tuple[str, ...] = ("start", "restart", "die", "oom", "kill", "stop", "health_status", "destroy")
"""The container actions the issue analyzers use; ``health_status`` covers ``health_status: healthy`` etc."""


@dataclass(frozen=True)
class LifecycleEvent:
    """One container event from the engine, with the attributes analyzers read already parsed."""

    action: str
    """The action without its detail: ``die``, ``oom``, ``health_status``, ``start``..."""
    container_id: str
    container_name: str
    image: str
    time: datetime
    """When the engine emitted it (UTC)."""
    time_nano: int
    exit_code: int | None = None
    """For ``die``: the process's exit code."""
    health_status: str | None = None
    """For ``health_status``: ``healthy``, ``unhealthy`` or ``starting``."""
    signal: str | None = None
    """For ``kill``: the signal sent."""
    attributes: tuple[tuple[str, str], ...] = ()
    """Every actor attribute the engine sent (labels included), sorted."""

    def attribute(self, key: str) -> str | None:
        """One attribute's value, or None."""
        for name, value in self.attributes:
            if name == key:
                return value
        return None

    @property
    def compose_project(self) -> str | None:
        """The compose project of the container, from its labels."""
        return self.attribute(COMPOSE_PROJECT_LABEL)

    @property
    def compose_service(self) -> str | None:
        """The compose service of the container, from its labels."""
        return self.attribute(COMPOSE_SERVICE_LABEL)


def event_from_raw(raw: Mapping[str, Any]) -> LifecycleEvent | None:
    """Build a record from one decoded engine event; None for events that are not about a container."""
    if (raw.get("Type") or "container") != "container":
        return None
    actor = raw.get("Actor") or {}
    attributes = {str(key): str(value) for key, value in (actor.get("Attributes") or {}).items()}
    container_id = actor.get("ID") or raw.get("id")
    full_action = raw.get("Action") or raw.get("status") or ""
    if not container_id or not full_action:
        return None
    action, _, detail = full_action.partition(":")
    action, detail = action.strip(), detail.strip()
    time_nano = int(raw.get("timeNano") or int(raw.get("time") or 0) * 1_000_000_000)
    exit_code = attributes.get("exitCode")
    return LifecycleEvent(
        action=action,
        container_id=container_id,
        container_name=attributes.get("name") or container_id[:12],
        image=attributes.get("image") or raw.get("from") or "",
        time=datetime.fromtimestamp(time_nano / 1_000_000_000, tz=timezone.utc),
        time_nano=time_nano,
        exit_code=int(exit_code) if exit_code not in (None, "") and exit_code.lstrip("-").isdigit() else None,
        health_status=(detail or None) if action == "health_status" else None,
        signal=attributes.get("signal") if action == "kill" else None,
        attributes=tuple(sorted(attributes.items())),
    )


class EventStream:
    """An open subscription to the engine's container events; iterate it once, close it from anywhere.

    Iteration yields :class:`LifecycleEvent` records until :meth:`close` is called, the
    ``until`` time given to :func:`stream_events` passes, or the engine goes away (the
    connection error is raised then, unless the stream was closed).
    """

    def __init__(self, raw_stream: Any) -> None:
        self._raw = raw_stream
        self._closed = threading.Event()
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[LifecycleEvent]:
        try:
            for raw in self._raw:
                if self._closed.is_set():
                    return
                event = event_from_raw(raw)
                if event is not None:
                    yield event
        except (requests.exceptions.RequestException, OSError, ValueError, AttributeError):
            if self._closed.is_set():
                return  # closing the socket under a blocked read raises here; that is the way out
            raise
        finally:
            self.close()

    def close(self) -> None:
        """End the stream from any thread; safe to call twice."""
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
        try:
            self._raw.close()
        except Exception as error:  # a stream whose connection already broke may refuse to close
            log.debug("closing the event stream failed: %s", error)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called or the stream ended."""
        return self._closed.is_set()

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def stream_events(api: docker.APIClient, *, actions: Iterable[str] = LIFECYCLE_ACTIONS,
                  container_ids: Iterable[str] | None = None, since: datetime | float | None = None,
                  until: datetime | float | None = None) -> EventStream:
    """Subscribe to container events now and return the open stream.

    ``actions`` filters by action (``health_status`` matches every health verdict);
    ``container_ids`` limits the stream to those containers (ids or names); ``since``
    replays history from that time, ``until`` ends the stream at that time. Raises
    :class:`DockerAPIError` when the engine refuses the subscription.
    """
    filters: dict[str, Any] = {"type": ["container"]}
    actions = list(actions)
    if actions:
        filters["event"] = actions
    if container_ids is not None:
        filters["container"] = list(container_ids)
    try:
        raw = api.events(since=_engine_time(since), until=_engine_time(until), filters=filters, decode=True)
    except docker.errors.APIError as error:
        raise DockerAPIError(f"the engine refused the event subscription: {error.explanation or error}") from error
    return EventStream(raw)


def read_events(api: docker.APIClient, since: datetime | float, until: datetime | float | None = None, *,
                actions: Iterable[str] = LIFECYCLE_ACTIONS,
                container_ids: Iterable[str] | None = None) -> tuple[LifecycleEvent, ...]:
    """The container events the engine still remembers between ``since`` and ``until`` (default: now).

    The engine keeps a bounded in-memory history (the last 256 events per listener on
    most versions), so this is a recent view, not an archive.
    """
    if until is None:
        until = datetime.now(timezone.utc)
    with stream_events(api, actions=actions, container_ids=container_ids, since=since, until=until) as stream:
        return tuple(stream)


def _engine_time(value: datetime | float | None) -> str | None:
    # The events API takes Unix seconds with a fractional part ("1700000000.123456789").
    if value is None:
        return None
    seconds = value.timestamp() if isinstance(value, datetime) else float(value)
    return f"{seconds:.9f}"
