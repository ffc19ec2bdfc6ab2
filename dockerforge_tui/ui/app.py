"""The Textual application and the one factory that builds it for the CLI and the tests."""

from __future__ import annotations

import gc
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from dataclasses import dataclass

from textual import on, work
from textual.app import App, SystemCommand
from textual.message import Message
from textual.worker import get_current_worker
from textual.binding import Binding
from textual.screen import Screen
from textual.theme import Theme

from dockerforge_tui.core.config import LoadedConfig
from dockerforge_tui.core.memory import release_free_memory
from dockerforge_tui.core.paths import AppPaths, app_paths
from dockerforge_tui.services.audit import AuditLog, audit_path
from dockerforge_tui.services.docker.connection import (
    EarlyContainerList, EngineConnection, connect, early_container_list,
)
from dockerforge_tui.services.docker.contexts import docker_config_dir, list_contexts
from dockerforge_tui.services.docker.session import EngineSession
from dockerforge_tui.services.docker.watch import ContainerWatcher
from dockerforge_tui.ui.commands.containers import ContainerCommands
from dockerforge_tui.ui.keymap import bindings_of, keymap_problems
from dockerforge_tui.ui.screens.choice import ChoiceScreen
from dockerforge_tui.ui.screens.command_prompt import CommandPrompt
from dockerforge_tui.ui.screens.containers import ContainersScreen
from dockerforge_tui.ui.screens.help import HelpEntry, HelpScreen
from dockerforge_tui.ui.services import DashboardServices
from dockerforge_tui.ui.themes import load_themes, theme_dirs

if TYPE_CHECKING:
    # Loaded by the worker that starts the live monitor, after the first frame: the issue
    # services bring the pattern engine and the docker SDK (about 0.2 s).
    from dockerforge_tui.services.issues import IssueChange, IssueStore
    from dockerforge_tui.services.issues.monitor import IssueMonitor


NOTIFY_TICK_SECONDS = 0.5
"""How often the notification worker sends what is due (group waits are seconds long at the least)."""


class DockerForgeApp(App):
    """DockerForge's dashboard. Services come in through the constructor; nothing is global."""

    CSS_PATH = "styles/app.tcss"
    TITLE = "DockerForge"
    COMMANDS = App.COMMANDS | {ContainerCommands}

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("colon", "command_mode", "Command", id="app.command"),
        Binding("ctrl+e", "switch_engine", "Switch engine", show=False, id="app.engine"),
        Binding("I", "open_issues", "Issues", id="app.issues"),
        Binding("A", "chat", "Ask AI", show=False, id="app.chat"),
        Binding("N", "open_notifications", "Notifications", show=False, id="app.notifications"),
        Binding("f1", "open_section('containers')", "Containers", show=False, id="app.containers"),
        Binding("f2", "open_section('images')", "Images", show=False, id="app.images"),
        Binding("f3", "open_section('volumes')", "Volumes", show=False, id="app.volumes"),
        Binding("f4", "open_section('networks')", "Networks", show=False, id="app.networks"),
        Binding("f5", "open_section('compose')", "Compose", show=False, id="app.compose"),
        Binding("f6", "open_section('events')", "Events", show=False, id="app.events"),
        Binding("f7", "open_section('system')", "System", show=False, id="app.system"),
        Binding("f8", "open_section('audit')", "Audit log", show=False, id="app.audit"),
        Binding("f9", "open_section('stats')", "Stats", show=False, id="app.stats"),
    ]

    # Top-level sections besides the containers screen: command-mode name -> screen factory.
    # The screens load their data from ``app.services`` when mounted.
    SECTIONS: dict[str, Callable[[], Screen]] = {
        "images": lambda: _screen("images", "ImagesScreen"),
        "volumes": lambda: _screen("volumes", "VolumesScreen"),
        "networks": lambda: _screen("networks", "NetworksScreen"),
        "compose": lambda: _screen("compose", "ComposeScreen"),
        "events": lambda: _screen("events", "EventsScreen"),
        "system": lambda: _screen("system", "SystemScreen"),
        "audit": lambda: _screen("audit", "AuditScreen"),
        "stats": lambda: _screen("stats", "StatsScreen"),
    }

    def __init__(self, config: LoadedConfig, paths: AppPaths, watcher: ContainerWatcher | None,
                 services: DashboardServices, clock: Callable[[], float] = time.time,
                 themes: Iterable[Theme] = (), retry_delays: tuple[float, float] = (0.5, 5.0),
                 open_monitor: Callable[[], IssueMonitor] | None = None,
                 first_list: EarlyContainerList | None = None) -> None:
        super().__init__()
        for theme in themes:
            self.register_theme(theme)
        settings = config.settings
        self.config = config
        self.paths = paths
        self.services = services
        self.readonly = services.readonly
        self._watcher = watcher
        self._clock = clock
        self._command_history: list[str] = []
        self._retry_delays = retry_delays
        self._open_monitor = open_monitor
        self._first_list = first_list
        self._monitor: IssueMonitor | None = None
        self._monitor_lock = threading.Lock()
        self._notifications_stop = threading.Event()
        self._unmounted = False
        self.open_issue_count = 0
        self.theme = settings.ui.theme
        self.set_keymap(dict(settings.ui.keymap))
        if self.readonly:
            self.title = f"{self.TITLE} [READ-ONLY]"

    @dataclass
    class IssuesChanged(Message):
        """The live monitor opened, updated or reopened issues."""

        changes: tuple[IssueChange, ...]

    class MonitorStarted(Message):
        """The live monitor is running: what the start loads after the first frame is loaded."""

    def get_driver_class(self) -> type:
        """Textual's driver for this terminal; on Linux and macOS one that reports Escape without Textual's extra tick."""
        driver = super().get_driver_class()
        if driver.__name__ == "LinuxDriver":  # not the Windows or web drivers, nor a TEXTUAL_DRIVER choice
            from dockerforge_tui.ui.driver import PromptEscapeDriver

            return PromptEscapeDriver
        return driver

    def on_mount(self) -> None:
        self.push_screen(ContainersScreen(self._watcher, clock=self._clock, first_list=self._first_list))
        if self._open_monitor is not None:
            # After the first frame: building the monitor loads the issue services, the
            # pattern engine and the docker SDK, which the first frame does not need.
            self.call_after_refresh(self.follow_issues)
        if self.services.open_notifier is not None:
            self.call_after_refresh(self.send_notifications)
        # Everything built so far lives as long as the app: keeping it out of the garbage
        # collector's generations makes each full collection (and the pause a key press can
        # hit while logs stream in) several times shorter. The CLI starts the dashboard
        # with the collector off (cli.main): it comes back on here, after the first frame.
        self.call_after_refresh(_freeze_and_collect)
        # Off the UI thread: trimming walks the heap and may take a few milliseconds.
        self.set_interval(30.0, self.release_memory)

    @work(thread=True, exclusive=True, group="memory")
    def release_memory(self) -> None:
        """Give freed heap pages back to the OS, so memory stays flat while logs stream."""
        release_free_memory()

    def on_unmount(self) -> None:
        with self._monitor_lock:
            self._unmounted = True
            monitor, self._monitor = self._monitor, None
        self._notifications_stop.set()
        if monitor is not None:
            monitor.close()
        self.services.engine.close()
        # What the app froze goes back to the collector: the process may go on (the tests
        # run many apps in one), and the app's own cycles are garbage from now on.
        gc.unfreeze()

    @work(thread=True, exclusive=True, group="issue-monitor")
    def follow_issues(self) -> None:
        """Start the live monitor and forward its issue changes to the app."""
        worker = get_current_worker()
        monitor = self._open_monitor()
        with self._monitor_lock:
            if self._unmounted or worker.is_cancelled:
                monitor.close()
                return
            self._monitor = monitor
        self.post_message(self.MonitorStarted())
        for changes in monitor.changes():
            if worker.is_cancelled:
                break
            notifier = self._notifier()
            if notifier is not None:
                notifier.on_issue_changes(changes)
            self.post_message(self.IssuesChanged(changes))

    @on(MonitorStarted)
    def _freeze_what_the_start_built(self) -> None:
        # The docker SDK, the issue services and the pattern engine, loaded after the first
        # frame, live as long as the app, like what _freeze_and_collect froze: out of every
        # later full collection's way (while logs stream in, those come every second or two
        # and a key press waits for the one in progress; this halves them). Whatever else
        # is up now (a log view opened at once) is frozen with them: its lines are still
        # freed when dropped (freezing only hides objects from the cycle collector); only
        # its widgets, which are cyclic, would stay behind, once.
        gc.collect()
        gc.freeze()

    def _notifier(self):
        """The dispatcher (built now if the notification worker has not yet), or None; call from a worker."""
        from dockerforge_tui.core.errors import DockerForgeError

        try:
            return self.services.notifier
        except DockerForgeError:  # a bad channel: the notification worker says so, once
            return None

    @work(thread=True, exclusive=True, group="notifications")
    def send_notifications(self) -> None:
        """Build the notification dispatcher and send what is due until the app ends (a bad channel: one notice)."""
        from dockerforge_tui.core.errors import DockerForgeError

        try:
            notifier = self.services.notifier
        except DockerForgeError as error:
            self.post_message(self.NotificationsFailed(error.message + (f" ({error.hint})" if error.hint else "")))
            return
        if notifier is not None:
            notifier.run(self._notifications_stop, poll=NOTIFY_TICK_SECONDS)

    @dataclass
    class NotificationsFailed(Message):
        """The notification settings could not be used; one line."""

        text: str

    @on(NotificationsFailed)
    def _notifications_failed(self, message: NotificationsFailed) -> None:
        self.notify(f"notifications are off: {message.text}", severity="error", timeout=12)

    @on(IssuesChanged)
    def _issues_changed(self, message: IssuesChanged) -> None:
        from dockerforge_tui.services.issues import severity_rank

        for change in message.changes:
            issue = change.issue
            if change.kind in ("opened", "reopened") and severity_rank(issue.severity) >= severity_rank("error"):
                where = ", ".join(issue.containers[-2:]) or issue.container_key
                self.notify(f"{issue.title} in {where} (I for issues)", title=f"{change.kind}: {issue.severity}",
                            severity="error", timeout=8)
        self.open_issue_count = sum(1 for change in message.changes if change.kind in ("opened", "reopened"))
        self._containers_screen().issues_changed()

    # -- help and command mode ----------------------------------------------------------

    def action_help(self) -> None:
        """Show every key of the current screen."""
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(type(self.screen).__name__.removesuffix("Screen"), self.help_entries()))

    def help_entries(self) -> tuple[HelpEntry, ...]:
        """The current screen's bindings (keymap applied), the screen's own first."""
        entries: dict[str, HelpEntry] = {}
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            name = binding.id or binding.action
            if name in entries:
                entries[name] = HelpEntry(f"{entries[name].keys}, {self.get_key_display(binding)}", name,
                                          entries[name].description)
            else:
                entries[name] = HelpEntry(self.get_key_display(binding), name,
                                          binding.description or binding.action)
        return tuple(sorted(entries.values(), key=lambda entry: (entry.binding_id.startswith("app."),
                                                                 entry.binding_id)))

    def action_command_mode(self) -> None:
        """Open the ``:`` prompt."""
        self.push_screen(CommandPrompt(self.command_completions(), self._command_history), self.run_command)

    def command_completions(self) -> list[str]:
        """What the ``:`` prompt completes: commands, then ``logs NAME`` and ``theme NAME``."""
        names = [container.name for container in self._containers_screen().known_containers()]
        engines = [f"ctx {name}" for _, name, _ in self.engine_choices()]
        return (["containers", *self.SECTIONS, "issues", "notifications", "fixes", "chat", "usage", "help", "quit",
                 "theme", "ctx"] + engines
                + [f"logs {name}" for name in names] + [f"fix {name}" for name in names]
                + [f"theme {theme}" for theme in sorted(self.available_themes)])

    def run_command(self, command: str | None) -> None:
        """Run one ``:`` command; an unknown one gets a one-line notice."""
        if not command:
            return
        self._command_history.append(command)
        verb, _, argument = command.partition(" ")
        argument = argument.strip()
        if verb in ("q", "quit"):
            self.exit()
        elif verb in ("help", "?"):
            self.action_help()
        elif verb == "containers" or verb in self.SECTIONS:
            self.action_open_section(verb)
        elif verb == "issues":
            self.action_open_issues()
        elif verb == "notifications":
            self.action_open_notifications()
        elif verb == "fixes":
            self.action_open_fixes()
        elif verb == "fix" and argument:
            self.propose_fixes_for(argument)
        elif verb in ("chat", "ai"):
            self.action_chat()
        elif verb == "usage":
            self.action_ai_usage()
        elif verb in ("ctx", "context", "engine"):
            if argument:
                self.switch_engine_by_name(argument)
            else:
                self.action_switch_engine()
        elif verb == "theme" and argument:
            if argument in self.available_themes:
                self.theme = argument
            else:
                self.notify(f"no theme {argument!r}; try :theme and Tab to complete", severity="warning")
        else:
            self.notify(f"unknown command {command!r}; try :help", severity="warning")

    def action_open_section(self, name: str) -> None:
        """Go to a top-level section (containers, images, volumes...): one section is open at a time."""
        containers = self._containers_screen()
        while self.screen is not containers:
            self.pop_screen()
        if name != "containers":
            self.push_screen(self.SECTIONS[name]())

    def open_logs(self, containers: list[str], title: str = "", search: str | None = None,
                  project: str | None = None) -> None:
        """Follow the logs of these containers (merged by time), or of a compose project."""
        from dockerforge_tui.services.logs.collector import LogCollector
        from dockerforge_tui.ui.screens.logs import LogsScreen

        settings = self.services.settings
        connector = self.services.engine.connector

        def open_collector(selector, since_seconds):
            # With a range (1m/15m/1h) the engine sends only that range.
            if since_seconds is None:
                return LogCollector.from_settings(connector, selector, settings.logs)
            return LogCollector.from_settings(connector, selector, settings.logs,
                                              since=time.time() - since_seconds)

        self.push_screen(LogsScreen(containers, project=project, open_collector=open_collector,
                                    settings=settings.logs, save_dir=Path.cwd(), search=search))

    def action_chat(self) -> None:
        """Open the AI chat pane beside the current screen, with what is selected there attached."""
        from dockerforge_tui.ui.screens.chat import open_chat  # on first use: start-up does not load it

        open_chat(self)

    def action_ai_usage(self) -> None:
        """Show what the AI cost: spending against budgets, usage by provider, model or template, suggestions."""
        from dockerforge_tui.ui.screens.ai_usage import open_usage  # on first use, like the chat pane

        open_usage(self, clock=self._clock)

    def action_open_issues(self) -> None:
        """Show the tracked issues."""
        from dockerforge_tui.ui.screens.issues import IssuesScreen

        if not isinstance(self.screen, IssuesScreen):
            self.push_screen(IssuesScreen(self.services.issues))

    def action_open_notifications(self) -> None:
        """Show the notification centre: what was sent, what was held back and why."""
        from dockerforge_tui.ui.screens.notifications import NotificationsScreen

        if not isinstance(self.screen, NotificationsScreen):
            self.push_screen(NotificationsScreen())

    def action_open_fixes(self) -> None:
        """Show the fix history (Enter opens a fix: apply, reject, roll back)."""
        from dockerforge_tui.ui.screens.fixes import FixesScreen

        if not isinstance(self.screen, FixesScreen):
            self.push_screen(FixesScreen())

    def propose_fixes_for(self, container: str) -> None:
        """Analyse ``container`` now and show the fixes proposed for it in the fix dialog."""
        from dockerforge_tui.ui.screens.fix_dialog import FixDialog

        self.push_screen(FixDialog(container=container))

    # -- the endpoint switcher ---------------------------------------------------------------

    def engine_choices(self) -> list[tuple[str, str, str]]:
        """(kind, name, url) for every engine to offer: automatic discovery, contexts, configured names."""
        home = Path(os.environ.get("HOME") or Path.home())
        choices = [("auto", "auto", "discover (DOCKER_HOST, context, known sockets)")]
        choices += [("context", context.name, context.url)
                    for context in list_contexts(docker_config_dir(os.environ, home))]
        choices += [("endpoint", name, url) for name, url in sorted(self.services.settings.docker.endpoints.items())]
        return choices

    def action_switch_engine(self) -> None:
        """Pick another engine: a docker context, a configured endpoint, or automatic discovery."""
        choices = self.engine_choices()
        options = [(f"{kind}:{name}", f"{name:<16} {kind:<8} {url}") for kind, name, url in choices]
        self.push_screen(ChoiceScreen("Switch engine", options),
                         lambda chosen: self.switch_engine_by_name(chosen.split(":", 1)[1]) if chosen else None)

    def switch_engine_by_name(self, name: str) -> None:
        """Switch to the engine called ``name`` (context or endpoint name, or a URL)."""
        docker = self.services.settings.docker
        env = dict(os.environ)
        match = next(((kind, url) for kind, choice, url in self.engine_choices() if choice == name), None)
        if match is None and "://" in name:
            match = ("endpoint", name)
        if match is None:
            self.notify(f"no engine called {name!r}: try :ctx and Tab, or ctrl+e", severity="warning")
            return
        kind, url = match
        if kind == "context":
            # A context the person picks wins over DOCKER_HOST, as with `docker --context`.
            env.pop("DOCKER_HOST", None)
            target = docker.model_copy(update={"context": name, "host": None})
            label = f"context {name}"
        elif kind == "endpoint":
            target = docker.model_copy(update={"host": url, "context": None})
            label = f"endpoint {name}"
        else:
            target = docker.model_copy(update={"host": None, "context": None})
            label = None
        connector = lambda: connect(target, env=env, host_source=label)  # noqa: E731 - a tiny closure
        self.services.engine.retarget(connector)
        watcher = ContainerWatcher(connector, first_retry=self._retry_delays[0], max_retry=self._retry_delays[1],
                                   stats_interval=self.services.settings.ui.stats_interval)
        self._containers_screen().use_watcher(watcher)
        self.notify(f"switching to {name} ({url})")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        # Custom commands from the config act on the selected container.
        if isinstance(screen, ContainersScreen):
            for command in self.services.custom_commands:
                if command.scope == "container" and not (command.dangerous and self.readonly):
                    yield SystemCommand(command.title or command.id,
                                        command.description or f"custom command {command.id}",
                                        lambda command=command: screen.run_custom(command))
        target = _selected_container_name(screen)
        if target:
            yield SystemCommand("Propose fix", f"analyse {target} now and propose fixes (:fix {target})",
                                lambda: self.propose_fixes_for(target))
        # Every binding with a description is an action the palette can find by name.
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.description and binding.id and not binding.id.startswith("app."):
                yield SystemCommand(binding.description, f"{binding.id} ({self.get_key_display(binding)})",
                                    lambda action=binding.action: self.screen.run_action(action))

    def shown_containers(self) -> tuple:
        """The containers the containers screen shows now (its filter applied), in its order."""
        return self._containers_screen().known_containers()

    def _containers_screen(self) -> ContainersScreen:
        return next(screen for screen in self.screen_stack if isinstance(screen, ContainersScreen))


def _freeze_and_collect() -> None:
    gc.freeze()
    gc.enable()


def _screen(module: str, name: str) -> Screen:
    # Imported on first use, so starting the dashboard loads only the containers screen.
    import importlib

    return getattr(importlib.import_module(f"dockerforge_tui.ui.screens.{module}"), name)()


def _selected_container_name(screen: Screen) -> str | None:
    """The container selected on the containers list or shown in the detail screen, if any."""
    if isinstance(screen, ContainersScreen):
        from dockerforge_tui.ui.widgets.container_table import ContainerTable

        selected = screen.query_one(ContainerTable).selected_container
        return selected.name if selected is not None else None
    return getattr(screen, "container_name", None) if type(screen).__name__ == "ContainerDetailScreen" else None


def _notifier_factory(config: LoadedConfig, paths: AppPaths) -> Callable[[], object] | None:
    """Builds the notification dispatcher, or None when no channel is configured (nothing is imported then)."""
    if not config.settings.notifications.channels:
        return None

    def open_notifier():
        from dockerforge_tui.services.notify import build_dispatcher

        return build_dispatcher(config.settings, paths, os.environ, config=config)

    return open_notifier


def _keymap_scopes() -> dict[str, tuple[type, ...]]:
    """Each screen with the widgets whose bindings are active on it (keys may clash only within a scope)."""
    import importlib

    from dockerforge_tui.ui.widgets.log_pane import LogPane

    scopes: dict[str, tuple[type, ...]] = {"containers": (ContainersScreen,)}
    for module, name in (("images", "ImagesScreen"), ("volumes", "VolumesScreen"), ("networks", "NetworksScreen"),
                         ("compose", "ComposeScreen"), ("events", "EventsScreen"), ("system", "SystemScreen"),
                         ("audit", "AuditScreen"), ("issues", "IssuesScreen"), ("logs", "LogsScreen"),
                         ("stats", "StatsScreen"), ("chat", "ChatScreen"), ("ai_usage", "AIUsageScreen"),
                         ("fix_dialog", "FixDialog"), ("notifications", "NotificationsScreen"),
                         ("fixes", "FixesScreen"),
                         ("container_detail", "ContainerDetailScreen")):
        screen = getattr(importlib.import_module(f"dockerforge_tui.ui.screens.{module}"), name)
        scopes[module] = (screen, LogPane) if module == "logs" else (screen,)
    return scopes


def check_keymap(config: LoadedConfig) -> None:
    """Raise a one-line :class:`ConfigError` for the first keymap problem (unknown id or clash)."""
    keymap = config.settings.ui.keymap
    if not keymap:
        return
    app_bindings = bindings_of(DockerForgeApp)
    scopes = {scope: app_bindings + tuple(binding for owner in owners for binding in bindings_of(owner))
              for scope, owners in _keymap_scopes().items()}
    problems = keymap_problems(keymap, scopes)
    if problems:
        first = problems[0]
        raise config.error_at(("ui", "keymap", first.binding_id), first.problem, first.hint)


def check_theme(config: LoadedConfig, themes: Iterable[Theme]) -> None:
    """Raise a one-line :class:`ConfigError` when ``ui.theme`` names no known theme."""
    import difflib

    from textual.theme import BUILTIN_THEMES

    known = sorted(set(BUILTIN_THEMES) | {theme.name for theme in themes})
    wanted = config.settings.ui.theme
    if wanted not in known:
        close = difflib.get_close_matches(wanted, known, n=1)
        hint = f'did you mean "{close[0]}"?' if close else f"known themes: {', '.join(known)}"
        raise config.error_at(("ui", "theme"), f"no theme named {wanted!r}", hint)


def make_app(config: LoadedConfig, paths: AppPaths | None = None, *,
             connector: Callable[[], EngineConnection] | None = None,
             watch_engine: bool = True, clock: Callable[[], float] = time.time,
             retry_delays: tuple[float, float] = (0.5, 5.0), host_source: str | None = None) -> DockerForgeApp:
    """Build the dashboard for ``config``.

    ``connector`` opens an engine connection (default: discover one from the config);
    ``watch_engine=False`` builds the app with no engine at all, for snapshot tests that
    feed it fixed data through the same messages the workers post. ``host_source``
    labels ``docker.host`` when it came from the command line (``"--host"``).
    Raises :class:`ConfigError` when the keymap names an unknown binding or makes keys clash.
    """
    check_keymap(config)
    settings = config.settings
    paths = paths or app_paths()
    themes = load_themes(theme_dirs(paths.config_dir))
    check_theme(config, themes)
    first_list = None
    if watch_engine and connector is None:
        # The engine's list is asked for now, on a thread, while Textual starts: it is
        # usually there for the first frame (the full connection follows in a worker).
        first_list = EarlyContainerList(lambda: early_container_list(settings.docker, host_source=host_source))
    open_connection = connector or (lambda: connect(settings.docker, host_source=host_source))
    watcher = None
    if watch_engine:
        watcher = ContainerWatcher(open_connection, first_retry=retry_delays[0], max_retry=retry_delays[1],
                                   stats_interval=settings.ui.stats_interval)

    def open_issues() -> IssueStore:
        from dockerforge_tui.core.redaction import Redactor
        from dockerforge_tui.services.issues import IssueStore

        return IssueStore.for_paths(paths, redactor=Redactor(settings.redaction.values,
                                                             settings.redaction.key_patterns))

    custom_commands = ()
    if settings.custom_commands:
        from dockerforge_tui.services.custom_commands import parse_custom_commands

        custom_commands = parse_custom_commands([command.model_dump() for command in settings.custom_commands])
    services = DashboardServices(
        settings=settings,
        engine=EngineSession(open_connection),
        audit=AuditLog(audit_path(paths.data_dir), max_bytes=settings.audit.max_bytes,
                       backup_count=settings.audit.backup_count),
        readonly=settings.ui.readonly,
        open_issues=open_issues,
        custom_commands=custom_commands,
        paths=paths,
        open_notifier=_notifier_factory(config, paths),
    )
    def open_monitor() -> IssueMonitor:
        # Called by the monitor's worker after the first frame: this loads the pattern engine.
        from dockerforge_tui.services.issues.monitor import IssueMonitor
        from dockerforge_tui.services.logs.learning import user_patterns_dir

        return IssueMonitor(open_connection, services.issues, interval=settings.monitoring.interval,
                            patterns_dir=user_patterns_dir(paths), cache_dir=paths.cache_dir)

    live = watch_engine and settings.monitoring.live
    return DockerForgeApp(config, paths, watcher, services, clock=clock, themes=themes, retry_delays=retry_delays,
                          open_monitor=open_monitor if live else None, first_list=first_list)
