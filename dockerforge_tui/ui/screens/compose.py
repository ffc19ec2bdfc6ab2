"""The compose screen: projects found from container labels; up, down, restart, pull & recreate via the compose CLI."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Sequence

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Log, Static
from textual.worker import get_current_worker

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.docker.compose import ComposeProject, compose_commands, list_compose_projects
from dockerforge_tui.services.docker.event_feed import open_event_feed
from dockerforge_tui.services.docker.models import COMPOSE_PROJECT_LABEL
from dockerforge_tui.services.docker.networks import list_networks
from dockerforge_tui.services.docker.volumes import list_volumes
from dockerforge_tui.services.docker.watch import backoff_delays
from dockerforge_tui.services.external_commands import CompletedAction
from dockerforge_tui.ui.presenters.compose import VERB_LABELS, command_line, compose_outcome, down_preview, \
    project_cells, services_text
from dockerforge_tui.ui.presenters.events import PALETTE_NAMES
from dockerforge_tui.ui.screens.confirm import ConfirmScreen
from dockerforge_tui.ui.widgets.key_footer import KeyFooter
from dockerforge_tui.ui.widgets.settled_table import SettledTable

COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("name", "Project", None),
    ("status", "Status", None),
    ("up", "Up", 5),
    ("services", "Services", None),
    ("directory", "Directory", None),
)

REFRESH_DEBOUNCE = 0.5
"""Seconds of container events gathered into one refresh of the project list."""

REFRESH_ACTIONS = frozenset({"create", "start", "restart", "stop", "die", "kill", "destroy", "pause", "unpause",
                             "rename", "update", "oom", "health_status"})
"""Container actions that change what the project list shows (exec and attach events do not)."""

OUTPUT_LINES = 2000
"""Lines the output panel keeps."""

MUTATING_ACTIONS = frozenset({"up", "down", "down_volumes", "restart", "pull_recreate"})


class ComposeScreen(Screen):
    """Lists compose projects (services, state) and runs compose on the selected one.

    ``u`` up, ``r`` restart, ``p`` pull & recreate, ``d`` down (asks first, keeps
    volumes), ``D`` down with volumes (asks for the project's name). Commands run in a
    thread worker; their output goes to the panel ``o`` shows or hides. The list
    follows the engine's container events while the screen is on top, and is read
    again whenever it comes back. ``live=False`` starts no worker, for snapshot tests
    that post :class:`ProjectsListed` themselves.
    """

    CSS_PATH = "../styles/compose.tcss"

    BINDINGS = [
        Binding("j", "cursor_down", "Next project", show=False, id="compose.cursor_down"),
        Binding("k", "cursor_up", "Previous project", show=False, id="compose.cursor_up"),
        Binding("g", "cursor_top", "First project", show=False, id="compose.top"),
        Binding("G", "cursor_bottom", "Last project", show=False, id="compose.bottom"),
        Binding("u", "up", "Up", id="compose.up"),
        Binding("r", "restart", "Restart", id="compose.restart"),
        Binding("p", "pull_recreate", "Pull+recreate", id="compose.pull_recreate"),
        Binding("d", "down", "Down", id="compose.down"),
        Binding("D", "down_volumes", "Down + volumes", show=False, id="compose.down_volumes"),
        Binding("o", "toggle_output", "Output", show=False, id="compose.output"),
        Binding("ctrl+r", "refresh", "Refresh", show=False, id="compose.refresh"),
        Binding("escape", "back", "Back", id="compose.back"),
    ]

    @dataclass
    class ProjectsListed(Message):
        """The worker read every compose project."""

        projects: tuple[ComposeProject, ...]

    @dataclass
    class ListFailed(Message):
        """Reading the projects failed."""

        message: str
        hint: str | None

    class ProjectsChanged(Message):
        """Container events of compose projects arrived: the list is stale."""

    @dataclass
    class DownPreviewed(Message):
        """What ``down`` would take away, ready for the confirmation."""

        project: ComposeProject
        networks: tuple[str, ...]
        volumes: tuple[str, ...]
        remove_volumes: bool

    @dataclass
    class CommandStarted(Message):
        """A compose action started; ``steps`` are the argvs it runs in order."""

        project: str
        verb: str
        steps: tuple[tuple[str, ...], ...]

    @dataclass
    class CommandFinished(Message):
        """A compose action ended (``done`` is the last step run: a failing step stops the rest)."""

        project: str
        verb: str
        done: CompletedAction
        steps: int

    @dataclass
    class CommandFailed(Message):
        """A compose action could not run (refused, no compose CLI, files gone...)."""

        project: str
        verb: str
        message: str
        hint: str | None

    def __init__(self, *, live: bool = True) -> None:
        super().__init__()
        self._live = live
        self._projects: dict[str, ComposeProject] = {}
        self._shown_cells: dict[str, dict[str, str]] = {}
        self._command_running: tuple[str, str] | None = None
        self._stop = threading.Event()
        self._feed_lock = threading.Lock()
        self._feed = None
        self._services = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield SettledTable(id="compose-projects", cursor_type="row", zebra_stripes=False)
        yield Static("", id="compose-services")
        yield Log(max_lines=OUTPUT_LINES, id="compose-output")
        yield Static("", id="compose-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "DockerForge"
        self.sub_title = "compose projects"
        table = self.query_one("#compose-projects", DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        table.focus()
        self._services = self.app.services  # read here: worker threads must not reach for the app
        self._show_services()
        self._show_status()

    def on_screen_resume(self) -> None:
        if self._live:
            self._stop.clear()
            self.load_projects()
            self.follow_compose_events()

    def on_screen_suspend(self) -> None:
        self._close_feed()

    def on_unmount(self) -> None:
        self._close_feed()

    # -- queries -------------------------------------------------------------------------------

    @property
    def projects(self) -> tuple[ComposeProject, ...]:
        """The projects listed, by name."""
        return tuple(self._projects[name] for name in sorted(self._projects))

    @property
    def selected_project(self) -> ComposeProject | None:
        """The project under the cursor."""
        table = self.query_one("#compose-projects", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._projects.get(key) if key else None

    @property
    def running_command(self) -> tuple[str, str] | None:
        """``(project, verb)`` of the compose action under way, if any."""
        return self._command_running

    def select_project(self, name: str) -> None:
        """Put the cursor on one project's row."""
        table = self.query_one("#compose-projects", DataTable)
        if name in self._projects:
            table.move_cursor(row=table.get_row_index(name))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide and refuse every compose action in read-only mode."""
        if action in MUTATING_ACTIONS and self.app.readonly:
            return False
        return True

    # -- workers -------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="compose-list")
    def load_projects(self) -> None:
        """Read every project from the containers' labels (a newer read supersedes this one)."""
        worker = get_current_worker()
        try:
            projects = self._services.call(list_compose_projects)
        except DockerForgeError as error:
            if not worker.is_cancelled:
                self.post_message(self.ListFailed(error.message, error.hint))
            return
        if not worker.is_cancelled:  # an older list must never overwrite a newer one
            self.post_message(self.ProjectsListed(projects))

    def _close_feed(self) -> None:
        self._stop.set()
        self.workers.cancel_group(self, "compose-events")
        with self._feed_lock:
            feed, self._feed = self._feed, None
        if feed is not None:
            feed.close()

    @work(thread=True, exclusive=True, group="compose-events")
    def follow_compose_events(self) -> None:
        """Post :class:`ProjectsChanged` (at most every :data:`REFRESH_DEBOUNCE` s) while compose containers change."""
        worker = get_current_worker()
        delays = backoff_delays()
        first = True
        while not worker.is_cancelled and not self._stop.is_set():
            try:
                feed = self._services.call(open_event_feed, types=("container",), labels=(COMPOSE_PROJECT_LABEL,))
            except DockerForgeError:
                self._stop.wait(next(delays))  # the list worker reports the engine's trouble
                continue
            with self._feed_lock:
                if self._stop.is_set():
                    feed.close()
                    return
                self._feed = feed
            if not first:
                self.post_message(self.ProjectsChanged())  # refresh fully after a reconnect
            first = False
            try:
                for batch in feed.batches(interval=REFRESH_DEBOUNCE):
                    if worker.is_cancelled:
                        return
                    if any(event.action in REFRESH_ACTIONS for event in batch):
                        self.post_message(self.ProjectsChanged())
                delays = backoff_delays()
            except DockerForgeError:
                pass
            finally:
                feed.close()
            self._stop.wait(next(delays))

    @work(thread=True, group="compose-preview")
    def preview_down(self, project: ComposeProject, remove_volumes: bool) -> None:
        """Find the networks and volumes of the project, for the confirmation."""
        label = {"label": [f"{COMPOSE_PROJECT_LABEL}={project.name}"]}
        try:
            networks = self._services.call(list_networks, label)
            volumes = self._services.call(list_volumes, filters=label)
        except DockerForgeError as error:
            self.post_message(self.CommandFailed(project.name, "down", error.message, error.hint))
            return
        self.post_message(self.DownPreviewed(project, tuple(network.name for network in networks),
                                             tuple(volume.name for volume in volumes), remove_volumes))

    @work(thread=True, group="compose-run")
    def run_compose_action(self, project: ComposeProject, verb: str, remove_volumes: bool = False) -> None:
        """Run one compose action (audited); its steps and output reach the panel through messages."""
        actions = self._services.settings.actions

        def steps_of(connection) -> tuple[tuple[str, ...], ...]:
            return compose_commands(project, verb, remove_volumes=remove_volumes, docker_cli=actions.docker_cli,
                                    compose_v1=actions.compose_v1, endpoint=connection.endpoint)

        try:
            steps = self._services.call(steps_of)
            self.post_message(self.CommandStarted(project.name, verb, steps))
            done = self._services.act("compose", project, verb, remove_volumes=remove_volumes,
                                      timeout=float(actions.command_timeout))
        except DockerForgeError as error:
            self.post_message(self.CommandFailed(project.name, verb, error.message, error.hint))
            return
        self.post_message(self.CommandFinished(project.name, verb, done, len(steps)))

    # -- messages ------------------------------------------------------------------------------

    @on(ProjectsListed)
    def _projects_listed(self, message: ProjectsListed) -> None:
        self._show_projects(message.projects)

    @on(ListFailed)
    def _list_failed(self, message: ListFailed) -> None:
        self.notify(f"{message.message}\n{message.hint}" if message.hint else message.message,
                    title="Compose projects", severity="error", markup=False)
        self._show_status(problem=message.message)

    @on(ProjectsChanged)
    def _projects_changed(self) -> None:
        self.load_projects()

    @on(DownPreviewed)
    def _confirm_down(self, message: DownPreviewed) -> None:
        project = message.project
        with_volumes = message.remove_volumes
        title = (f"Take compose project {project.name} down AND delete its volumes?" if with_volumes
                 else f"Take compose project {project.name} down?")
        dialog = ConfirmScreen(title, down_preview(project, message.networks, message.volumes, with_volumes),
                               confirm_label="Down + delete volumes" if with_volumes else "Down",
                               type_back=project.name if with_volumes else None)

        def decided(confirmed: bool | None) -> None:
            if confirmed:
                self._start(project, "down", remove_volumes=with_volumes)

        self.app.push_screen(dialog, decided)

    @on(CommandStarted)
    def _command_started(self, message: CommandStarted) -> None:
        output = self.query_one("#compose-output", Log)
        output.add_class("-open")
        label = VERB_LABELS.get(message.verb, message.verb)
        output.write_line(f"── compose {label} · {message.project}")
        for number, argv in enumerate(message.steps, start=1):
            prefix = f"[{number}/{len(message.steps)}] " if len(message.steps) > 1 else ""
            output.write_line(f"{prefix}$ {command_line(argv)}")

    @on(CommandFinished)
    def _command_finished(self, message: CommandFinished) -> None:
        self._command_running = None
        done = message.done
        output = self.query_one("#compose-output", Log)
        if done.output:
            output.write_lines(done.output.splitlines())
        output.write_line(f"→ exit {done.exit_code} after {done.duration:.1f}s")
        text, severity = compose_outcome(message.project, message.verb, done, message.steps)
        self.notify(text, title="Compose", severity=severity, timeout=8 if severity == "error" else 4, markup=False)
        self._show_status()
        if self._live:
            self.load_projects()

    @on(CommandFailed)
    def _command_failed(self, message: CommandFailed) -> None:
        if self._command_running == (message.project, message.verb):
            self._command_running = None
        output = self.query_one("#compose-output", Log)
        if output.has_class("-open"):
            output.write_line(f"✗ {message.message}")
        text = f"{message.message}\n{message.hint}" if message.hint else message.message
        self.notify(text, title="Compose", severity="error", timeout=8, markup=False)
        self._show_status()

    @on(DataTable.RowHighlighted, "#compose-projects")
    def _row_highlighted(self) -> None:
        self._show_services()

    # -- the view --------------------------------------------------------------------------------

    def _palette(self) -> dict[str, str]:
        variables = self.app.theme_variables
        return {name: variables[name] for name in PALETTE_NAMES if name in variables}

    def _show_projects(self, projects: Sequence[ComposeProject]) -> None:
        """Rows are added, changed cell by cell or removed, and the cursor stays on its project."""
        table = self.query_one("#compose-projects", DataTable)
        selected = self.selected_project
        incoming = {project.name: project for project in projects}
        for name in list(self._projects):
            if name not in incoming:
                table.remove_row(name)
                del self._projects[name]
                self._shown_cells.pop(name, None)
        palette = self._palette()
        added = False
        for name in sorted(incoming):
            cells = project_cells(incoming[name], palette)
            plain = {key: f"{value.plain}|{value.style}" for key, value in cells.items()}
            if name in self._projects:
                for key, value in cells.items():
                    if self._shown_cells[name].get(key) != plain[key]:
                        table.update_cell(name, key, value)
            else:
                table.add_row(*(cells[key] for key, _, _ in COLUMNS), key=name)
                added = True
            self._projects[name] = incoming[name]
            self._shown_cells[name] = plain
        if added:
            table.sort("name", key=lambda cell: str(cell))
        if selected is not None and selected.name in self._projects:
            table.move_cursor(row=table.get_row_index(selected.name))
        self._show_services()
        self._show_status()

    def _show_services(self) -> None:
        self.query_one("#compose-services", Static).update(services_text(self.selected_project, self._palette()))

    def _show_status(self, problem: str | None = None) -> None:
        parts = [f"{len(self._projects)} project(s)"]
        if self._command_running is not None:
            project, verb = self._command_running
            parts.append(f"running compose {VERB_LABELS.get(verb, verb)} on {project}…")
        if self.app.readonly:
            parts.append("read-only")
        if problem:
            parts.append(problem)
        self.query_one("#compose-status", Static).update(" · ".join(parts))

    def _busy(self) -> bool:
        """True (with a notice) while a compose action runs: one at a time."""
        if self._command_running is None:
            return False
        running_project, running_verb = self._command_running
        self.notify(f"compose {VERB_LABELS.get(running_verb, running_verb)} on {running_project} is still "
                    "running: wait for it to finish", severity="warning", markup=False)
        return True

    def _start(self, project: ComposeProject, verb: str, remove_volumes: bool = False) -> None:
        if self._busy():
            return
        self._command_running = (project.name, verb)
        self._show_status()
        self.run_compose_action(project, verb, remove_volumes)

    def _selected_or_notice(self) -> ComposeProject | None:
        project = self.selected_project
        if project is None:
            self.notify("no compose project selected", severity="warning")
        return project

    # -- actions ---------------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        """Move the cursor one row down."""
        self.query_one("#compose-projects", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        """Move the cursor one row up."""
        self.query_one("#compose-projects", DataTable).action_cursor_up()

    def action_cursor_top(self) -> None:
        """Jump to the first project."""
        self.query_one("#compose-projects", DataTable).move_cursor(row=0)

    def action_cursor_bottom(self) -> None:
        """Jump to the last project."""
        table = self.query_one("#compose-projects", DataTable)
        table.move_cursor(row=max(0, table.row_count - 1))

    def action_up(self) -> None:
        """``compose up -d`` the selected project."""
        project = self._selected_or_notice()
        if project is not None:
            self._start(project, "up")

    def action_restart(self) -> None:
        """``compose restart`` the selected project."""
        project = self._selected_or_notice()
        if project is not None:
            self._start(project, "restart")

    def action_pull_recreate(self) -> None:
        """Pull the selected project's images and recreate its containers."""
        project = self._selected_or_notice()
        if project is not None:
            self._start(project, "pull_recreate")

    def action_down(self) -> None:
        """Take the selected project down (asks first; volumes are kept)."""
        self._request_down(remove_volumes=False)

    def action_down_volumes(self) -> None:
        """Take the selected project down with its volumes (asks for the project's name)."""
        self._request_down(remove_volumes=True)

    def _request_down(self, remove_volumes: bool) -> None:
        project = self._selected_or_notice()
        if project is None:
            return
        if not self._busy():
            self.preview_down(project, remove_volumes)

    def action_toggle_output(self) -> None:
        """Show or hide the output of the compose commands run so far."""
        self.query_one("#compose-output", Log).toggle_class("-open")

    def action_refresh(self) -> None:
        """Read the projects again now."""
        if self._live:
            self.load_projects()

    def action_back(self) -> None:
        """Go back to the previous screen."""
        self._close_feed()
        self.app.pop_screen()
