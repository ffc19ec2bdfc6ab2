"""One shared engine connection for the dashboard's one-off calls (lists, inspects, actions).

Screens run these calls in thread workers through :meth:`EngineSession.call`, passing a
service function (``list_images``, ``container_detail``...) that takes the connection
first. The connection is opened on first use and dropped when the engine goes away, so
the next call reconnects instead of failing for ever. Long-lived streams (events,
stats, logs) keep their own connections.
"""

from __future__ import annotations

import threading
from typing import Callable, ParamSpec, TypeVar

from dockerforge_tui.core.errors import EngineUnreachableError
from dockerforge_tui.services.docker.connection import EngineConnection

P = ParamSpec("P")
T = TypeVar("T")


class EngineSession:
    """Lazily opened, shared, self-healing connection for one-off calls."""

    def __init__(self, connect: Callable[[], EngineConnection]) -> None:
        self._connect = connect
        self._lock = threading.Lock()
        self._connection: EngineConnection | None = None

    def connection(self) -> EngineConnection:
        """The open connection, opening one first if needed (raises EngineUnreachableError)."""
        with self._lock:
            if self._connection is None:
                self._connection = self._connect()
            return self._connection

    def call(self, operation: Callable[..., T], *args, **kwargs) -> T:
        """Run ``operation(connection, *args, **kwargs)``; a lost engine resets the connection."""
        connection = self.connection()
        try:
            return operation(connection, *args, **kwargs)
        except EngineUnreachableError:
            self.reset(connection)
            raise

    def reset(self, connection: EngineConnection | None = None) -> None:
        """Drop the connection (only if it is still ``connection``, when given)."""
        with self._lock:
            if self._connection is None or (connection is not None and self._connection is not connection):
                return
            stale, self._connection = self._connection, None
        stale.close()

    def retarget(self, connect: Callable[[], EngineConnection]) -> None:
        """Use another engine from now on (the endpoint switcher); the old connection is closed."""
        with self._lock:
            self._connect = connect
            stale, self._connection = self._connection, None
        if stale is not None:
            stale.close()

    @property
    def connector(self) -> Callable[[], EngineConnection]:
        """Opens a new connection to the current engine (for services that keep their own)."""
        return self._connect

    @property
    def endpoint_url(self) -> str | None:
        """The endpoint of the open connection, if any."""
        connection = self._connection
        return connection.endpoint.url if connection else None

    def close(self) -> None:
        """Close the connection for good."""
        self.reset()
