"""What the dashboard's screens use to reach the engine: built once by ``make_app``.

Screens never open connections or clients themselves: they call
``services.call(service_function, ...)``, ``services.act(verb, ...)`` or
``services.with_fixes(...)`` from a thread worker, and get frozen records or a
:class:`DockerForgeError` back. The notification dispatcher is built on first use, by the
app's notification worker, only when channels are configured.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, TypeVar

if TYPE_CHECKING:  # the issue services and the action runner load on first use, after the first frame
    from dockerforge_tui.core.config import Settings
    from dockerforge_tui.core.paths import AppPaths
    from dockerforge_tui.services.audit import AuditLog
    from dockerforge_tui.services.custom_commands import CustomCommand
    from dockerforge_tui.services.docker.connection import EngineConnection
    from dockerforge_tui.services.docker.session import EngineSession
    from dockerforge_tui.services.fixes import FixService
    from dockerforge_tui.services.issues import IssueStore
    from dockerforge_tui.services.logs import PatternSet
    from dockerforge_tui.services.notify import NotificationDispatcher, NotificationLog

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
    paths: AppPaths | None = None
    """Where the fix store and the notification log live."""
    open_notifier: Callable[[], NotificationDispatcher] | None = None
    """Builds the notification dispatcher (None: no channel is configured); called once, by :attr:`notifier`."""
    _notifier: list = field(default_factory=list, init=False, repr=False, compare=False)
    _notifier_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _issue_store: list = field(default_factory=list, init=False, repr=False, compare=False)
    _issue_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    @property
    def issues(self) -> IssueStore:
        """The tracked issues (opened on first use, from any thread, exactly once)."""
        with self._issue_lock:
            if not self._issue_store:
                self._issue_store.append(self.open_issues())
            return self._issue_store[0]

    @property
    def notifier(self) -> NotificationDispatcher | None:
        """The notification dispatcher, built on first use from any thread; None when notifications are not set up.

        Raises the :class:`DockerForgeError` of a bad channel (a plain-text password) on each use.
        """
        if self.open_notifier is None:
            return None
        with self._notifier_lock:
            if not self._notifier:
                self._notifier.append(self.open_notifier())
            return self._notifier[0]

    @property
    def running_notifier(self) -> NotificationDispatcher | None:
        """The dispatcher if it was built already (never builds it: safe on the UI thread)."""
        return self._notifier[0] if self._notifier else None

    def notification_log(self) -> NotificationLog:
        """The notification log (the dispatcher's, or the file the CLI writes when notifications are off here)."""
        from dockerforge_tui.services.notify import NotificationLog

        notifier = self.running_notifier
        if notifier is not None:
            return notifier.log
        return NotificationLog.for_paths(self.paths, self.settings.notifications.log_max_entries)

    def fix_service(self, connection: EngineConnection | None = None) -> FixService:
        """A fix service on ``connection`` (None: only what needs no engine, e.g. reject), telling the notifier."""
        from dockerforge_tui.core.errors import DockerForgeError
        from dockerforge_tui.core.redaction import Redactor
        from dockerforge_tui.services.fixes import FixEngine, FixService, FixStore

        engine = None if connection is None else FixEngine(connection, audit=self.audit, readonly=self.readonly)
        redaction = self.settings.redaction
        service = FixService(FixStore.for_paths(self.paths), engine,
                             redactor=Redactor(redaction.values, redaction.key_patterns),
                             running_seconds=float(self.settings.fixes.verify_seconds), issues=self.issues,
                             patterns=self._user_patterns())
        try:
            notifier = self.notifier
        except DockerForgeError:  # a bad channel: the app said so once; fixes work without notifications
            notifier = None
        if notifier is not None:
            service.subscribe(notifier.on_fix_event)
        return service

    def _user_patterns(self) -> PatternSet | None:
        # The live monitor finds issues with the user's patterns too: a fix checks for the same ones.
        from dockerforge_tui.services.logs.learning import user_patterns_dir

        folder = user_patterns_dir(self.paths)
        if not folder.is_dir() or not any(path.suffix in (".yaml", ".yml") for path in folder.iterdir()):
            return None
        from dockerforge_tui.services.logs import load_patterns

        return load_patterns(folder)

    def with_fixes(self, operation: Callable[[FixService], T]) -> T:
        """Run ``operation(fix_service)`` on the shared connection (blocking: call from a worker)."""
        return self.engine.call(lambda connection: operation(self.fix_service(connection)))

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
