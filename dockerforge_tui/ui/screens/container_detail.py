"""A container's detail (enter on the containers screen): overview, stats, inspect, env, processes, ports and mounts."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane, TextArea
from textual.worker import get_current_worker

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.core.redaction import Redactor
from dockerforge_tui.services.docker.container_actions import ContainerDetail, ProcessTable, container_detail, container_top
from dockerforge_tui.services.docker.models import StatsSample
from dockerforge_tui.services.docker.stats import open_sampler
from dockerforge_tui.services.metrics.series import StatsSeries
from dockerforge_tui.ui.presenters import detail as present
from dockerforge_tui.ui.widgets.key_footer import KeyFooter
from dockerforge_tui.ui.widgets.stats_panel import StatsPanel


class ContainerDetailScreen(Screen):
    """Everything about one container, in tabs; secrets stay masked until ``v`` reveals them."""

    CSS_PATH = "../styles/container_detail.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="detail.back"),
        Binding("v", "toggle_reveal", "Reveal secrets", id="detail.reveal"),
        Binding("ctrl+r", "reload", "Reload", id="detail.reload"),
        Binding("l", "logs", "Logs", id="detail.logs"),
        Binding("w", "ask_why", "Ask AI why", show=False, id="detail.ask_why"),
        Binding("1", "show_tab('overview')", "Overview", show=False, id="detail.tab_overview"),
        Binding("2", "show_tab('stats')", "Stats", show=False, id="detail.tab_stats"),
        Binding("3", "show_tab('inspect')", "Inspect", show=False, id="detail.tab_inspect"),
        Binding("4", "show_tab('env')", "Env", show=False, id="detail.tab_env"),
        Binding("5", "show_tab('top')", "Processes", show=False, id="detail.tab_top"),
        Binding("6", "show_tab('mounts')", "Ports & mounts", show=False, id="detail.tab_mounts"),
    ]

    @dataclass
    class DetailLoaded(Message):
        """The container's inspect arrived."""

        detail: ContainerDetail

    @dataclass
    class ProcessesLoaded(Message):
        """``docker top`` arrived."""

        processes: ProcessTable

    @dataclass
    class LoadFailed(Message):
        """A read failed; ``text`` is the one-line reason."""

        text: str

    @dataclass
    class StatsSampled(Message):
        """New stats samples for this container."""

        samples: tuple[StatsSample, ...]

    def __init__(self, container_id: str, name: str, redactor: Redactor | None = None,
                 initial_tab: str = "overview") -> None:
        super().__init__()
        self._initial_tab = initial_tab
        self.container_id = container_id
        self.container_name = name
        self._redactor = redactor or Redactor()
        self._detail: ContainerDetail | None = None
        self._reveal = False
        self._series = StatsSeries()
        self._sampler = None

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial=self._initial_tab):
            with TabPane("1 Overview", id="overview"):
                yield VerticalScroll(Static("Loading…", id="overview-text"))
            with TabPane("2 Stats", id="stats"):
                yield StatsPanel(id="stats-panel")
            with TabPane("3 Inspect", id="inspect"):
                yield TextArea("", read_only=True, id="inspect-text", show_line_numbers=False)
            with TabPane("4 Env", id="env"):
                yield DataTable(id="env-table", cursor_type="row")
            with TabPane("5 Processes", id="top"):
                yield DataTable(id="top-table", cursor_type="row")
            with TabPane("6 Ports & mounts", id="mounts"):
                yield DataTable(id="ports-table", cursor_type="row")
                yield DataTable(id="mounts-table", cursor_type="row")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "DockerForge"
        self.sub_title = f"container {self.container_name}"
        self.query_one("#env-table", DataTable).add_columns("Name", "Value")
        self.query_one("#ports-table", DataTable).add_columns("Container port", "Published as")
        self.query_one("#mounts-table", DataTable).add_columns("Type", "Source", "Destination", "Mode")
        self.load_detail()
        self.follow_stats()

    def on_unmount(self) -> None:
        if self._sampler is not None:
            self._sampler.close()

    # -- workers -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="detail-load")
    def load_detail(self) -> None:
        """Inspect the container (and list its processes when it runs)."""
        services = self.app.services
        try:
            detail = services.call(container_detail, self.container_id)
            self.post_message(self.DetailLoaded(detail))
            if detail.is_running:
                self.post_message(self.ProcessesLoaded(services.call(container_top, self.container_id)))
        except DockerForgeError as error:
            self.post_message(self.LoadFailed(f"{error.message}" + (f" ({error.hint})" if error.hint else "")))

    @work(thread=True, exclusive=True, group="detail-stats")
    def follow_stats(self) -> None:
        """Stream this container's stats into the Stats tab until the screen goes away."""
        worker = get_current_worker()
        try:
            self._sampler = self.app.services.call(open_sampler, [self.container_id])
        except DockerForgeError as error:
            self.post_message(self.LoadFailed(f"stats: {error.message}"))
            return
        for batch in self._sampler.batches():
            if worker.is_cancelled:
                break
            self.post_message(self.StatsSampled(batch))

    # -- messages -----------------------------------------------------------------------

    @on(DetailLoaded)
    def _show_detail(self, message: DetailLoaded) -> None:
        self._detail = message.detail
        if not message.detail.is_running:
            self.query_one(StatsPanel).update(f"{message.detail.name} is {message.detail.state}: no live stats.")
        self._fill()

    @on(ProcessesLoaded)
    def _show_processes(self, message: ProcessesLoaded) -> None:
        table = self.query_one("#top-table", DataTable)
        table.clear(columns=True)
        table.add_columns(*message.processes.titles)
        for row in message.processes.rows:
            table.add_row(*row)

    @on(LoadFailed)
    def _show_failure(self, message: LoadFailed) -> None:
        self.notify(message.text, severity="error", timeout=8)
        if self._detail is None:
            self.query_one("#overview-text", Static).update(message.text)

    @on(StatsSampled)
    def _show_stats(self, message: StatsSampled) -> None:
        if self._detail is not None and not self._detail.is_running:
            return
        for sample in message.samples:
            self._series.add(sample)
        limit = self._detail.memory_limit if self._detail else None
        self.query_one(StatsPanel).show(self._series.view(limit))

    def _fill(self) -> None:
        detail = self._detail
        if detail is None:
            return
        self.query_one("#overview-text", Static).update("\n".join(present.summary_lines(detail)))
        inspect = present.inspect_yaml(present.masked_inspect(detail, self._redactor, self._reveal))
        self.query_one("#inspect-text", TextArea).load_text(inspect)
        env = self.query_one("#env-table", DataTable)
        env.clear()
        for name, value in present.env_rows(detail, self._redactor, self._reveal):
            env.add_row(name, value)
        ports = self.query_one("#ports-table", DataTable)
        ports.clear()
        for row in present.port_rows(detail):
            ports.add_row(*row)
        mounts = self.query_one("#mounts-table", DataTable)
        mounts.clear()
        for row in present.mount_rows(detail):
            mounts.add_row(*row)

    # -- actions ------------------------------------------------------------------------

    def action_toggle_reveal(self) -> None:
        """Show or mask secret values in Env and Inspect."""
        self._reveal = not self._reveal
        self.notify("secrets shown" if self._reveal else "secrets masked")
        self._fill()

    def action_reload(self) -> None:
        """Inspect again (and refresh the process list)."""
        self.load_detail()

    def action_show_tab(self, tab: str) -> None:
        """Switch to one tab."""
        self.query_one(TabbedContent).active = tab

    def action_logs(self) -> None:
        """Open this container's live logs."""
        opener = getattr(self.app, "open_logs", None)
        if opener is not None:
            opener([self.container_id], title=self.container_name)

    def action_ask_why(self) -> None:
        """Ask the AI why this container fails (the analysis template, answered in parts in the chat pane)."""
        from dockerforge_tui.ui.screens.chat import open_chat

        open_chat(self.app, analyze=self.container_name)
