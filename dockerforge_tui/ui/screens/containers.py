"""The containers screen (home): every container, live from the engine's event stream."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Input, Static
from textual.worker import get_current_worker

from dockerforge_tui.core.redaction import Redactor
from dockerforge_tui.services.docker.models import ContainerSummary, StatsSample
from dockerforge_tui.services.docker.watch import (
    ContainerChanged,
    ContainerRemoved,
    ContainersListed,
    ContainerWatcher,
    EngineConnected,
    EngineUnavailable,
    WatchUpdate,
)
from dockerforge_tui.ui.screens.choice import ChoiceScreen
from dockerforge_tui.ui.screens.confirm import ConfirmScreen
from dockerforge_tui.ui.screens.text_prompt import TextPromptScreen
from dockerforge_tui.ui.presenters.container_filter import NO_FILTER, FilterError, parse_filter
from dockerforge_tui.ui.widgets.container_table import SORTABLE, ContainerTable
from dockerforge_tui.ui.widgets.engine_status import EngineStatus
from dockerforge_tui.ui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from dockerforge_tui.services.docker.connection import EarlyContainerList
    from dockerforge_tui.ui.services import DashboardServices

FIRST_LIST_WAIT = 5.0
"""Seconds the watch worker waits for the early container list before it connects."""


class ContainersScreen(Screen):
    """Lists containers; follows the engine's events, samples stats for the rows on screen."""

    CSS_PATH = "../styles/containers.tcss"
    # When the screen comes back with nothing focused, the keys belong to the table: the
    # default (the first focusable widget) would be the filter bar whenever it is shown,
    # and `q` or `I` would then be typed into the filter instead of acting.
    AUTO_FOCUS = "#containers"

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="containers.down"),
        Binding("k", "cursor_up", "Up", show=False, id="containers.up"),
        Binding("g", "cursor_top", "Top", show=False, id="containers.top"),
        Binding("G", "cursor_bottom", "Bottom", show=False, id="containers.bottom"),
        Binding("ctrl+d", "page(1)", "Half page down", show=False, id="containers.half_page_down"),
        Binding("ctrl+u", "page(-1)", "Half page up", show=False, id="containers.half_page_up"),
        # priority: "/" moves focus before the keys typed behind it are routed (to the table).
        Binding("slash", "filter", "Filter", id="containers.filter", priority=True),
        # Enter in the filter bar is a priority binding too: it hands the keys to the table
        # while Enter itself is dispatched, so a key typed right after it (a fast typist,
        # a paste over SSH) already reaches the table instead of the filter.
        Binding("enter", "filter_done", "Apply the filter", show=False, priority=True,
                id="containers.filter_apply"),
        Binding("o", "sort_next", "Sort", id="containers.sort"),
        Binding("O", "sort_reverse", "Reverse sort", show=False, id="containers.sort_reverse"),
        Binding("P", "toggle_grouping", "Group by project", show=False, id="containers.group"),
        Binding("space", "toggle_mark", "Mark", show=False, id="containers.mark"),
        Binding("escape", "clear", "Clear filter/marks", show=False, id="containers.clear"),
        Binding("s", "stop_or_start", "Stop/start", id="containers.stop"),
        Binding("r", "restart", "Restart", id="containers.restart"),
        Binding("p", "pause_or_unpause", "Pause", id="containers.pause"),
        Binding("d", "remove", "Remove", id="containers.remove"),
        Binding("K", "kill", "Kill", show=False, id="containers.kill"),
        Binding("R", "rename", "Rename", show=False, id="containers.rename"),
        Binding("e", "exec_shell", "Shell", id="containers.exec"),
        Binding("u", "open_url", "Open URL", show=False, id="containers.open_url"),
        Binding("enter", "detail", "Detail", id="containers.detail"),
        Binding("l", "logs", "Logs", id="containers.logs"),
    ]

    MUTATING_ACTIONS = frozenset({"stop_or_start", "restart", "pause_or_unpause", "remove", "kill", "rename",
                                  "exec_shell"})
    KILL_SIGNALS = ("SIGTERM", "SIGKILL", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")

    @dataclass
    class WatchUpdated(Message):
        """The container watcher reported something (engine state or the list)."""

        update: WatchUpdate

    @dataclass
    class FirstListed(Message):
        """The early container list (one plain request at start-up) arrived after the first frame."""

        containers: tuple[ContainerSummary, ...]
        watcher: ContainerWatcher

    @dataclass
    class StatsSampled(Message):
        """A batch of the newest stats samples arrived."""

        samples: tuple[StatsSample, ...]

    @dataclass
    class ActionFinished(Message):
        """An action on one or more containers ended; ``errors`` holds one line per failure."""

        verb: str
        names: tuple[str, ...]
        errors: tuple[str, ...]

    @dataclass
    class ShellReady(Message):
        """The argv for an interactive shell in a container is ready to run in the terminal."""

        name: str
        argv: tuple[str, ...]

    @dataclass
    class IssuesCounted(Message):
        """The number of open issues, counted off the UI thread (None when the store could not be read)."""

        count: int | None

    @dataclass
    class UrlsFound(Message):
        """The published URLs of a container."""

        name: str
        urls: tuple[str, ...]

    def __init__(self, watcher: ContainerWatcher | None, clock: Callable[[], float] = time.time,
                 first_list: EarlyContainerList | None = None) -> None:
        super().__init__()
        self._watcher = watcher
        self._clock = clock
        self._first_list = first_list
        self._uptimes_at = 0.0
        self._issue_count_running = False
        self._issue_count_stale = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield EngineStatus(id="engine-status")
        yield Input(placeholder="filter: text  re:regex  label=key=value  !inverse", id="container-filter")
        yield ContainerTable(clock=self._clock, id="containers")
        yield Static("", id="containers-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "DockerForge"
        self.sub_title = "containers"
        self.query_one(ContainerTable).focus()
        if self._watcher is not None:
            self.query_one(EngineStatus).show_connecting()
            first_list = self._first_list
            if first_list is not None and first_list.done:
                # The engine answered while Textual started: the list is on the first frame.
                self._first_list = None
                self._show_first_list(first_list.result())
            # The workers start after the first frame: connecting loads the docker SDK.
            self.call_after_refresh(self._start_following)
        self.set_interval(1.0, self._tick)

    def _start_following(self) -> None:
        if self._watcher is not None and not self._watcher.closed:
            self.follow_containers()
            self.follow_stats()

    def _show_first_list(self, containers: tuple[ContainerSummary, ...] | None) -> None:
        if containers is not None:
            self.query_one(ContainerTable).replace_containers(containers)
            self.query_one(EngineStatus).show_connected()

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.close()

    def use_watcher(self, watcher: ContainerWatcher) -> None:
        """Follow another engine (the endpoint switcher): the list starts over from its containers."""
        if self._watcher is not None:
            self._watcher.close()
        self._watcher = watcher
        self.query_one(ContainerTable).replace_containers(())
        self.query_one(EngineStatus).show_connecting()
        self.sub_title = "connecting…"
        self.follow_containers()
        self.follow_stats()

    # -- workers: they only iterate services and post messages ----------------------

    @work(thread=True, exclusive=True, group="container-watch")
    def follow_containers(self) -> None:
        """Forward the watcher's updates to the screen until the screen goes away."""
        worker = get_current_worker()
        first_list, self._first_list = self._first_list, None
        if first_list is not None:
            containers = first_list.result(FIRST_LIST_WAIT)
            if containers is not None and not worker.is_cancelled:
                self.post_message(self.FirstListed(containers, self._watcher))
        for update in self._watcher.updates():
            if worker.is_cancelled:
                break
            self.post_message(self.WatchUpdated(update))

    @work(thread=True, exclusive=True, group="container-stats")
    def follow_stats(self) -> None:
        """Forward stats batches (about one a second) to the screen."""
        worker = get_current_worker()
        for batch in self._watcher.stats.batches():
            if worker.is_cancelled:
                break
            self.post_message(self.StatsSampled(batch))

    # -- message handlers -------------------------------------------------------------

    @on(WatchUpdated)
    def _apply_watch_update(self, message: WatchUpdated) -> None:
        update = message.update
        table = self.query_one(ContainerTable)
        status = self.query_one(EngineStatus)
        if isinstance(update, ContainersListed):
            table.replace_containers(update.containers)
        elif isinstance(update, ContainerChanged):
            table.put_container(update.container)
        elif isinstance(update, ContainerRemoved):
            table.remove_container(update.container_id)
        elif isinstance(update, EngineConnected):
            status.show_connected()
            self.sub_title = f"{update.engine.endpoint} · engine {update.engine.engine_version or '?'}"
        elif isinstance(update, EngineUnavailable):
            status.show_unavailable(update)
            self.sub_title = "no engine"
        self._watch_visible_stats()

    @on(FirstListed)
    def _apply_first_list(self, message: FirstListed) -> None:
        if message.watcher is self._watcher:  # not a list from before an engine switch
            self._show_first_list(message.containers)

    @on(StatsSampled)
    def _apply_stats(self, message: StatsSampled) -> None:
        table = self.query_one(ContainerTable)
        table.show_stats(message.samples)
        # Uptimes change in the same frame as the stats: one repaint a second, not two.
        table.refresh_uptimes()
        self._uptimes_at = time.monotonic()

    @on(ContainerTable.RowHighlighted)
    def _cursor_moved(self) -> None:
        self._watch_visible_stats()

    @on(ContainerTable.RowSelected)
    def _row_chosen(self) -> None:
        # The table consumes enter itself; selecting a row is the same as asking for detail.
        self.action_detail()

    @on(ContainerTable.ViewChanged)
    def _view_changed(self) -> None:
        self._watch_visible_stats()
        self._show_status()

    @on(ContainerTable.HeaderSelected)
    def _header_clicked(self, event: ContainerTable.HeaderSelected) -> None:
        column = event.column_key.value
        if column in SORTABLE:
            table = self.query_one(ContainerTable)
            table.sort_by(column, reverse=not table.sort_reverse if table.sort_column == column else False)
            self._show_status()

    @on(Input.Changed, "#container-filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        try:
            self.query_one(ContainerTable).set_filter(parse_filter(event.value))
            event.input.remove_class("-invalid")
            self._show_status()
        except FilterError as error:
            event.input.add_class("-invalid")
            self.query_one("#containers-status", Static).update(str(error))

    def action_filter_done(self) -> None:
        """Enter in the filter bar: keep the filter and go back to the table."""
        self.set_focus(self.query_one(ContainerTable))

    def issues_changed(self) -> None:
        """The live monitor recorded something: count the open issues again.

        Counting reads the whole issue store, so changes that arrive while a count runs
        are counted once, by one more count after it.
        """
        if self._issue_count_running:
            self._issue_count_stale = True
            return
        self._issue_count_running = True
        # The services are looked up here: the worker may still run while the app shuts
        # down, when the screen no longer has an app to ask.
        self._count_issues(self.app.services)

    @work(thread=True, exclusive=True, group="issue-count")
    def _count_issues(self, services: DashboardServices) -> None:
        from dockerforge_tui.core.errors import DockerForgeError

        try:
            count = len(services.issues.list(status=("open",)))
        except DockerForgeError:
            count = None
        # A message, not call_from_thread: it is simply dropped when the screen is gone.
        self.post_message(self.IssuesCounted(count))

    @on(IssuesCounted)
    def _issues_counted(self, message: IssuesCounted) -> None:
        self._issue_count_running = False
        if self._issue_count_stale:
            self._issue_count_stale = False
            self.issues_changed()
        if message.count is not None:
            self._open_issues = message.count
            self._show_status()

    def _show_status(self) -> None:
        table = self.query_one(ContainerTable)
        parts = [f"{table.row_count} of {len(table.container_ids)} containers",
                 f"sort: {table.sort_column}{' (reversed)' if table.sort_reverse else ''}"]
        if table.filter.active:
            parts.append(f"filter: {table.filter.text}")
        if table.grouped:
            parts.append("grouped by project")
        if table.marked_ids:
            parts.append(f"{len(table.marked_ids)} marked")
        if getattr(self, "_open_issues", 0):
            parts.append(f"{self._open_issues} open issues (I)")
        self.query_one("#containers-status", Static).update(" · ".join(parts))

    def _tick(self) -> None:
        # While stats arrive, they bring the uptimes along (``_apply_stats``).
        if time.monotonic() - self._uptimes_at > 1.5:
            self.query_one(ContainerTable).refresh_uptimes()
        self._watch_visible_stats()

    def _watch_visible_stats(self) -> None:
        if self._watcher is not None:
            self._watcher.stats.watch(self.query_one(ContainerTable).visible_running_ids())

    # -- queries for the app (palette, command mode) ------------------------------------

    def known_containers(self):
        """Every container the table shows, in table order."""
        table = self.query_one(ContainerTable)
        return tuple(table.container(row.key.value) for row in table.ordered_rows
                     if table.container(row.key.value) is not None)

    def select_container(self, container_id: str) -> None:
        """Put the cursor on one container's row."""
        table = self.query_one(ContainerTable)
        if container_id in table.container_ids:
            table.move_cursor(row=table.get_row_index(container_id))
            table.focus()

    # -- actions ------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        """Move the cursor one row down."""
        self.query_one(ContainerTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        """Move the cursor one row up."""
        self.query_one(ContainerTable).action_cursor_up()

    def action_cursor_top(self) -> None:
        """Jump to the first row."""
        self.query_one(ContainerTable).action_scroll_top()

    def action_cursor_bottom(self) -> None:
        """Jump to the last row."""
        self.query_one(ContainerTable).action_scroll_bottom()

    def action_page(self, direction: int) -> None:
        """Move half a page down (1) or up (-1)."""
        table = self.query_one(ContainerTable)
        step = max(1, table.size.height // 2)
        table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + direction * step)))

    def action_filter(self) -> None:
        """Show the filter bar and put the cursor in it."""
        bar = self.query_one("#container-filter", Input)
        # display is set inline (not through a class) so the bar is focusable at once:
        # keys typed right after "/" must land in it, even when they arrive in one burst
        # (a paste, a fast typist over SSH).
        bar.display = True
        # Screen.set_focus moves focus now; Widget.focus would only schedule it, and keys
        # already queued behind "/" would still reach the table.
        self.set_focus(bar)

    def action_clear(self) -> None:
        """Esc: leave the filter bar, then clear the filter, then the marks."""
        bar = self.query_one("#container-filter", Input)
        table = self.query_one(ContainerTable)
        if self.focused is bar:
            table.focus()
        elif bar.value:
            bar.value = ""
            table.set_filter(NO_FILTER)
            bar.display = False
        elif table.marked_ids:
            table.clear_marks()
        else:
            bar.display = False
        self._show_status()

    def action_sort_next(self) -> None:
        """Sort by the next column."""
        table = self.query_one(ContainerTable)
        position = SORTABLE.index(table.sort_column) if table.sort_column in SORTABLE else -1
        table.sort_by(SORTABLE[(position + 1) % len(SORTABLE)], reverse=False)
        self._show_status()

    def action_sort_reverse(self) -> None:
        """Reverse the sort order."""
        table = self.query_one(ContainerTable)
        table.sort_by(table.sort_column, reverse=not table.sort_reverse)
        self._show_status()

    def action_toggle_grouping(self) -> None:
        """Group rows by compose project, or stop grouping."""
        table = self.query_one(ContainerTable)
        table.set_grouped(not table.grouped)
        self._show_status()

    # -- actions that change the engine --------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.MUTATING_ACTIONS and self.app.readonly:
            return False  # hidden from the footer and refused
        # ``self.focused``, not ``Input.has_focus``: the latter changes only when the Focus
        # event is processed, after keys that arrived in the same burst as "/".
        if action == "filter" and self.focused is self.query_one("#container-filter", Input):
            return None  # a "/" typed in the filter bar is text (re:a/b)
        if action == "filter_done" and self.focused is not self.query_one("#container-filter", Input):
            return None  # Enter anywhere else opens the detail, as the table binds it
        return True

    def _targets(self):
        return self.query_one(ContainerTable).targets()

    @work(thread=True, group="container-actions")
    def run_on_containers(self, verb: str, containers: tuple, kwargs: dict | None = None) -> None:
        """Run one audited action on each container, off the event loop; report the outcome."""
        from dockerforge_tui.core.errors import DockerForgeError

        errors = []
        for container in containers:
            try:
                self.app.services.act(verb, container, **(kwargs or {}))
            except DockerForgeError as error:
                errors.append(error.message + (f" ({error.hint})" if error.hint else ""))
        self.post_message(self.ActionFinished(verb, tuple(c.name for c in containers), tuple(errors)))

    def _act(self, verb: str, containers: tuple, **kwargs) -> None:
        if not containers:
            self.notify("no container selected", severity="warning")
            return
        self.run_on_containers(verb, containers, kwargs)
        # The targets are captured: marks go now, so a second key press can't act on them
        # twice while the first action is still running.
        self.query_one(ContainerTable).clear_marks()
        self._show_status()

    @on(ActionFinished)
    def _action_finished(self, message: ActionFinished) -> None:
        label = ", ".join(message.names[:3]) + (f" and {len(message.names) - 3} more" if len(message.names) > 3 else "")
        if message.errors:
            self.notify("\n".join(message.errors), title=f"{message.verb} failed", severity="error", timeout=10)
        else:
            self.notify(f"{message.verb}: {label}")

    def action_stop_or_start(self) -> None:
        """Stop running containers, start stopped ones (acts at once: it can be undone)."""
        targets = self._targets()
        running = tuple(c for c in targets if c.state in ("running", "paused", "restarting"))
        stopped = tuple(c for c in targets if c not in running)
        if running:
            self._act("stop", running, timeout=self.app.services.stop_timeout)
        if stopped:
            self._act("start", stopped)

    def action_restart(self) -> None:
        """Restart the selected containers."""
        self._act("restart", self._targets(), timeout=self.app.services.stop_timeout)

    def action_pause_or_unpause(self) -> None:
        """Pause running containers, unpause paused ones."""
        targets = self._targets()
        paused = tuple(c for c in targets if c.state == "paused")
        running = tuple(c for c in targets if c.state == "running")
        if paused:
            self._act("unpause", paused)
        if running:
            self._act("pause", running)
        if not paused and not running and targets:
            self.notify("only running or paused containers can be paused or unpaused", severity="warning")

    def _confirm(self, containers: tuple, title: str, details: str, label: str, then) -> None:
        type_back = str(len(containers)) if len(containers) > 1 else None
        self.app.push_screen(ConfirmScreen(title, details, label, type_back=type_back),
                             lambda yes: then() if yes else None)

    def action_remove(self) -> None:
        """Remove the selected containers, after asking (with or without their anonymous volumes)."""
        targets = self._targets()
        if not targets:
            return
        names = _name_list(targets)

        def chosen(mode: str | None) -> None:
            if mode is None:
                return
            volumes = mode == "volumes"
            running = [c.name for c in targets if c.is_running]
            details = (f"Remove {names}.\n"
                       + ("Their anonymous volumes are deleted too.\n" if volumes else
                          "Volumes are kept.\n")
                       + (f"Running containers are killed first: {', '.join(running)}." if running else ""))
            self._confirm(targets, f"Remove {len(targets)} container(s)?", details, "Remove",
                          lambda: self._act("remove", targets, force=True, volumes=volumes))

        self.app.push_screen(ChoiceScreen(f"Remove {names}", [("keep", "Remove, keep volumes"),
                                                              ("volumes", "Remove with anonymous volumes")]),
                             chosen)

    def action_kill(self) -> None:
        """Send a signal to the selected containers, after choosing it and confirming."""
        targets = tuple(c for c in self._targets() if c.is_running)
        if not targets:
            self.notify("only running containers can be killed", severity="warning")
            return

        def chosen(signal: str | None) -> None:
            if signal is None:
                return
            self._confirm(targets, f"Send {signal} to {len(targets)} container(s)?",
                          f"{signal} goes to the main process of {_name_list(targets)}.", "Kill",
                          lambda: self._act("kill", targets, signal=signal))

        self.app.push_screen(ChoiceScreen("Signal to send", [(s, s) for s in self.KILL_SIGNALS], highlighted=1),
                             chosen)

    def action_rename(self) -> None:
        """Rename the container under the cursor."""
        selected = self.query_one(ContainerTable).selected_container
        if selected is None:
            return

        def named(new_name: str | None) -> None:
            if new_name and new_name != selected.name:
                self._act("rename", (selected,), new_name=new_name)

        self.app.push_screen(TextPromptScreen(f"New name for {selected.name}", value=selected.name), named)

    @work(thread=True, group="container-lookup")
    def _prepare_shell(self, container_id: str) -> None:
        from dockerforge_tui.core.errors import DockerForgeError
        from dockerforge_tui.services.docker.container_actions import container_detail, exec_shell_argv

        try:
            detail = self.app.services.call(container_detail, container_id)
            endpoint = self.app.services.engine.connection().endpoint
        except DockerForgeError as error:
            self.post_message(self.ActionFinished("exec", (container_id[:12],), (error.message,)))
            return
        argv = exec_shell_argv(detail, docker_cli=self.app.services.settings.actions.docker_cli, endpoint=endpoint)
        self.post_message(self.ShellReady(detail.name, tuple(argv)))

    def action_exec_shell(self) -> None:
        """Open an interactive shell (bash, else sh) in the container, as its own user."""
        selected = self.query_one(ContainerTable).selected_container
        if selected is None or not selected.is_running:
            self.notify("a shell needs a running container", severity="warning")
            return
        self._prepare_shell(selected.id)

    @on(ShellReady)
    def _run_shell(self, message: ShellReady) -> None:
        import subprocess

        from dockerforge_tui.services.audit import ActionTarget

        if self.app.readonly:
            return
        self.app.services.audit.record("exec", ActionTarget("container", message.name, None), outcome="ok",
                                       endpoint=self.app.services.engine.endpoint_url, message=" ".join(message.argv))
        try:
            with self.app.suspend():
                subprocess.run(list(message.argv), check=False)
        except Exception as error:  # no terminal to hand over (headless, or the CLI is missing)
            self.notify(f"cannot open a shell: {error}; run: {' '.join(message.argv)}", severity="error",
                        timeout=10)

    @work(thread=True, group="container-lookup")
    def _find_urls(self, container_id: str) -> None:
        from dockerforge_tui.core.errors import DockerForgeError
        from dockerforge_tui.services.docker.container_actions import container_detail, published_urls

        try:
            detail = self.app.services.call(container_detail, container_id)
        except DockerForgeError as error:
            self.post_message(self.ActionFinished("open URL", (container_id[:12],), (error.message,)))
            return
        self.post_message(self.UrlsFound(detail.name, tuple(published_urls(detail))))

    def action_open_url(self) -> None:
        """Open the container's published port in a browser, or show the URL (over SSH)."""
        selected = self.query_one(ContainerTable).selected_container
        if selected is not None:
            self._find_urls(selected.id)

    @on(UrlsFound)
    def _open_urls(self, message: UrlsFound) -> None:
        import os

        if not message.urls:
            self.notify(f"{message.name} publishes no TCP port", severity="warning")
            return
        url = message.urls[0]
        # Over SSH there is no browser to open: the URL is shown to copy instead.
        if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform == "darwin":
            self.app.open_url(url)
        self.notify("\n".join(message.urls), title=f"{message.name} URLs", timeout=15)

    # -- custom commands from the config ------------------------------------------------------

    def run_custom(self, command) -> None:
        """Run one configured custom command on the selected container (dangerous ones ask first)."""
        from dockerforge_tui.services.custom_commands import template_fields

        selected = self.query_one(ContainerTable).selected_container
        if selected is None:
            self.notify("no container selected", severity="warning")
            return
        if command.dangerous and self.app.readonly:
            self.notify(f"read-only mode: refusing {command.id}", severity="error")
            return
        values = template_fields(selected)
        try:
            argv = command.render(values)
        except Exception as error:  # a template naming an unknown field: say which
            self.notify(f"custom command {command.id}: {error}", severity="error")
            return

        def go() -> None:
            if command.interactive:
                self._run_interactive(command, argv, selected.name)
            else:
                self._run_custom_worker(command, values)

        if command.dangerous:
            self.app.push_screen(ConfirmScreen(f"Run {command.title or command.id}?",
                                               f"Runs: {' '.join(argv)}\non {selected.name}.", "Run"),
                                 lambda yes: go() if yes else None)
        else:
            go()

    @work(thread=True, group="custom-commands")
    def _run_custom_worker(self, command, values) -> None:
        from dockerforge_tui.core.errors import DockerForgeError
        from dockerforge_tui.services.custom_commands import run_custom_command

        services = self.app.services
        try:
            result = run_custom_command(command, values, audit=services.audit, readonly=services.readonly,
                                        endpoint=services.engine.endpoint_url or "",
                                        timeout=services.settings.actions.command_timeout)
        except DockerForgeError as error:
            self.post_message(self.ActionFinished(f"custom {command.id}", (str(values.get("name")),),
                                                  (error.message,)))
            return
        errors = () if result.ok else (result.summary,)
        self.post_message(self.ActionFinished(f"custom {command.id}", (str(values.get("name")),), errors))

    def _run_interactive(self, command, argv: list[str], name: str) -> None:
        import subprocess

        from dockerforge_tui.services.audit import ActionTarget

        self.app.services.audit.record(f"custom {command.id}", ActionTarget("container", name, None), outcome="ok",
                                       endpoint=self.app.services.engine.endpoint_url, message=" ".join(argv))
        try:
            with self.app.suspend():
                subprocess.run(argv, check=False)
        except Exception as error:  # no terminal to hand over, or the program is missing
            self.notify(f"cannot run {argv[0]}: {error}", severity="error")

    def action_detail(self) -> None:
        """Open the selected container's detail."""
        from dockerforge_tui.ui.screens.container_detail import ContainerDetailScreen

        selected = self.query_one(ContainerTable).selected_container
        if selected is not None:
            redactor = Redactor(self.app.services.settings.redaction.values,
                                self.app.services.settings.redaction.key_patterns)
            self.app.push_screen(ContainerDetailScreen(selected.id, selected.name, redactor))

    def action_logs(self) -> None:
        """Follow the logs of the marked containers merged, or of the one under the cursor."""
        targets = self._targets()
        opener = getattr(self.app, "open_logs", None)
        if targets and opener is not None:
            opener([c.id for c in targets], title=", ".join(c.name for c in targets[:3]))

    def action_toggle_mark(self) -> None:
        """Mark the row under the cursor for a bulk action and move down."""
        table = self.query_one(ContainerTable)
        selected = table.selected_container
        if selected is not None:
            table.toggle_mark(selected.id)
            table.action_cursor_down()
        self._show_status()


def _name_list(containers) -> str:
    names = [container.name for container in containers]
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
