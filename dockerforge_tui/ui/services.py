"""What the dashboard's screens use to reach the engine: built once by ``make_app``.

Screens never open connections or clients themselves: they call
``services.call(service_function, ...)`` or ``services.act(verb, ...)`` from a thread
worker, and get frozen records or a :class:`DockerForgeError` back.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, TypeVar

if TYPE_CHECKING:  # the issue services and the action runner load on first use, after the first frame
    from dockerforge_tui.core.config import Settings
    from dockerforge_tui.services.audit import AuditLog
    from dockerforge_tui.services.custom_commands import CustomCommand
    from dockerforge_tui.services.docker.session import EngineSession
    from dockerforge_tui.services.issues import IssueStore

T = TypeVar("T")


@dataclass(frozen=True)
class DashboardServices:
    """The services every screen shares."""

    settings: Settings
    engine: EngineSession
    audit: AuditLog
    readonly: bool
    open_issues: Callable[[], IssueStore]
    """Opens the issue store; called once, on first use of :attr:`issues`."""
    custom_commands: tuple[CustomCommand, ...] = ()
    _issue_store: list = field(default_factory=list, init=False, repr=False, compare=False)
    _issue_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    @property
    def issues(self) -> IssueStore:
        """The tracked issues (opened on first use, from any thread, exactly once)."""
        with self._issue_lock:
            if not self._issue_store:
                self._issue_store.append(self.open_issues())
            return self._issue_store[0]

    def call(self, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a read-only service function with the shared connection (blocking: call from a worker)."""
        return self.engine.call(operation, *args, **kwargs)

    def act(self, verb: str, *args: Any, **kwargs: Any) -> Any:
        """Run one audited action (``ActionRunner`` method ``verb``); refused in read-only mode."""
        from dockerforge_tui.services.docker.container_actions import ActionRunner

        actions = self.settings.actions

        def perform(connection):
            runner = ActionRunner(connection, self.audit, readonly=self.readonly,
                                  docker_cli=actions.docker_cli, compose_v1=actions.compose_v1)
            return getattr(runner, verb)(*args, **kwargs)

        return self.engine.call(perform)

    @property
    def stop_timeout(self) -> int:
        """Seconds a container gets to stop, from the config."""
        return int(self.settings.actions.stop_timeout)
