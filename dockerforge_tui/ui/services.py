"""What the dashboard's screens use to reach the engine: built once by ``make_app``.

Screens never open connections or clients themselves: they call
``services.call(service_function, ...)`` or ``services.act(verb, ...)`` from a thread
worker, and get frozen records or a :class:`DockerForgeError` back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from dockerforge_tui.core.config import Settings
from dockerforge_tui.services.audit import AuditLog
from dockerforge_tui.services.custom_commands import CustomCommand
from dockerforge_tui.services.docker.container_actions import ActionRunner
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
    issues: IssueStore
    custom_commands: tuple[CustomCommand, ...] = ()

    def call(self, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a read-only service function with the shared connection (blocking: call from a worker)."""
        return self.engine.call(operation, *args, **kwargs)

    def act(self, verb: str, *args: Any, **kwargs: Any) -> Any:
        """Run one audited action (``ActionRunner`` method ``verb``); refused in read-only mode."""
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
