"""Follow the engine's containers: connect, take a snapshot, then apply the event stream.

:class:`ContainerWatcher` is driven by one thread (a UI worker or a headless loop)
iterating :meth:`ContainerWatcher.updates`. The list is never polled: after the
snapshot only container events trigger a read, of that one container. When the engine
goes away (restart, socket gone) the watcher says so, waits with capped backoff,
reconnects and takes a fresh snapshot, so a restart never needs the UI to start over.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable, Iterator

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.docker.connection import EngineConnection
from dockerforge_tui.services.docker.containers import get_container, inspect_summaries, list_containers
from dockerforge_tui.services.docker.models import ContainerSummary, EngineInfo
from dockerforge_tui.services.docker.stats import StatsSampler

log = logging.getLogger(__name__)

# Events that change nothing the list shows; skipping them saves a read per exec or attach.
IGNORED_ACTIONS = frozenset({"attach", "detach", "resize", "top", "export", "commit", "copy", "archive-path",
                             "extract-to-dir", "exec_create", "exec_start", "exec_die", "exec_detach"})


@dataclass(frozen=True)
class EngineConnected:
    """The watcher reached an engine."""

    engine: EngineInfo


@dataclass(frozen=True)
class EngineUnavailable:
    """No engine answered (or the connection broke); the watcher retries after ``retry_in`` seconds."""

    message: str
    hint: str | None
    attempt: int
    retry_in: float


@dataclass(frozen=True)
class ContainersListed:
    """A full list of containers: replaces whatever was shown before."""

    containers: tuple[ContainerSummary, ...]
    complete: bool
    """False for the fast first list (no inspect yet), True once every running container was inspected."""


@dataclass(frozen=True)
class ContainerChanged:
    """One container was created or changed."""

    container: ContainerSummary


@dataclass(frozen=True)
class ContainerRemoved:
    """One container is gone."""

    container_id: str


WatchUpdate = EngineConnected | EngineUnavailable | ContainersListed | ContainerChanged | ContainerRemoved


def backoff_delays(first: float = 0.5, cap: float = 5.0) -> Iterator[float]:
    """Capped exponential backoff: 0.5, 1, 2, 4, 5, 5, ..."""
    delay = first
    while True:
        yield delay
        delay = min(cap, delay * 2)


class ContainerWatcher:
    """Connect (and reconnect) to the engine and turn its events into list updates."""

    def __init__(self, connect: Callable[[], EngineConnection], first_retry: float = 0.5, max_retry: float = 5.0,
                 stats_interval: float = 1.0) -> None:
        self._connect = connect
        self.stats = StatsSampler(stats_interval)
        """Stats of the containers a view asks for, bound to whichever engine connection is current."""
        self._first_retry = first_retry
        self._max_retry = max_retry
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._stream = None
        self._connection: EngineConnection | None = None

    def close(self) -> None:
        """Stop the watcher from any thread; a blocked event read returns at once."""
        self._stop.set()
        self.stats.close()
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.close()
            except Exception:  # closing a dead stream may raise; we are leaving anyway
                pass

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._stop.is_set()

    def updates(self) -> Iterator[WatchUpdate]:
        """Yield updates until :meth:`close` is called; never raises for engine trouble."""
        import docker.errors  # here, not at the top: the screen imports this module before its first frame
        import requests.exceptions

        delays = backoff_delays(self._first_retry, self._max_retry)
        attempt = 0
        while not self._stop.is_set():
            attempt += 1
            try:
                connection = self._connect()
            except DockerForgeError as error:
                delay = next(delays)
                yield EngineUnavailable(error.message, error.hint, attempt, delay)
                self._stop.wait(delay)
                continue
            delays = backoff_delays(self._first_retry, self._max_retry)
            attempt = 0
            try:
                yield from self._follow(connection)
            except (docker.errors.DockerException, requests.exceptions.RequestException, OSError, ValueError) as error:
                if self._stop.is_set():
                    break
                log.info("lost the engine at %s: %s", connection.endpoint.url, error)
                yield EngineUnavailable(f"lost the engine at {connection.endpoint.url}: {error}",
                                        "waiting for the engine to come back", 1, self._first_retry)
            finally:
                self.stats.detach()
                with self._lock:
                    self._stream = None
                connection.close()
            if not self._stop.is_set():
                # The stream ended by itself: the engine restarted or went away.
                self._stop.wait(self._first_retry)

    def _follow(self, connection: EngineConnection) -> Iterator[WatchUpdate]:
        api = connection.api
        yield EngineConnected(EngineInfo(connection.endpoint.url, connection.endpoint.source,
                                         connection.engine_version, connection.api_version))
        # Subscribe before listing, so nothing that happens in between is missed;
        # an event for a container the list already shows is simply applied again.
        stream = api.events(decode=True, filters={"type": ["container"]})
        with self._lock:
            if self._stop.is_set():
                stream.close()
                return
            self._stream = stream
        self.stats.attach(connection.open_stream_client())
        listed = list_containers(api)
        yield ContainersListed(listed, complete=False)
        yield ContainersListed(inspect_summaries(api, listed), complete=True)
        for event in stream:
            if self._stop.is_set():
                return
            update = self._apply(api, event)
            if update is not None:
                if isinstance(update, ContainerChanged) and update.container.is_running:
                    self.stats.resume()
                yield update

    @staticmethod
    def _apply(api, event: dict) -> WatchUpdate | None:
        action = (event.get("Action") or event.get("status") or "").split(":", 1)[0].strip()
        container_id = event.get("id") or (event.get("Actor") or {}).get("ID")
        if not container_id or action in IGNORED_ACTIONS:
            return None
        if action == "destroy":
            return ContainerRemoved(container_id)
        summary = get_container(api, container_id)
        return ContainerRemoved(container_id) if summary is None else ContainerChanged(summary)
