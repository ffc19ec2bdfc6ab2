"""The system screen: what the engine is (``docker info``) and its disk use (``docker system df``)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual.worker import get_current_worker

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.docker.system import DiskUsage, EngineDetails, disk_usage, engine_info
from dockerforge_tui.ui.presenters import objects as present
from dockerforge_tui.ui.widgets.key_footer import KeyFooter
from dockerforge_tui.ui.widgets.settled_table import SettledTable

DISK_COLUMNS = ("Type", "Total", "Active", "Size", "Reclaimable")
NUMERIC_DISK_COLUMNS = frozenset({1, 2, 3, 4})


class SystemScreen(Screen):
    """Engine facts and disk usage. The facts come back fast; disk usage (a slow call that
    walks every layer and volume) is read by its own worker and fills in when ready.
    Refreshed when shown and on ``ctrl+r``.

    ``follow_engine=False`` shows only what is posted to it (snapshot tests).
    """

    CSS_PATH = "../styles/system.tcss"

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="system.down"),
        Binding("k", "cursor_up", "Up", show=False, id="system.up"),
        Binding("g", "cursor_top", "Top", show=False, id="system.top"),
        Binding("G", "cursor_bottom", "Bottom", show=False, id="system.bottom"),
        Binding("ctrl+r", "reload", "Refresh", id="system.refresh"),
        Binding("escape", "back", "Back", id="system.back"),
    ]

    @dataclass
    class EngineDescribed(Message):
        """The engine's info and version arrived."""

        details: EngineDetails

    @dataclass
    class DiskMeasured(Message):
        """The engine's disk usage arrived."""

        usage: DiskUsage

    @dataclass
    class ReadFailed(Message):
        """A read failed; ``doing`` says which."""

        doing: str
        message: str
        hint: str | None = None

    def __init__(self, *, follow_engine: bool = True) -> None:
        super().__init__()
        self._follow_engine = follow_engine
        self.details: EngineDetails | None = None
        self.usage: DiskUsage | None = None
        self._pending: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Disk usage", classes="section-title")
        yield SettledTable(id="disk-usage", cursor_type="none", zebra_stripes=False, show_cursor=False)
        yield Static("Engine", classes="section-title")
        yield SettledTable(id="engine-info", cursor_type="row", zebra_stripes=False, show_header=False)
        yield Static("", id="system-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "system"
        self.query_one("#disk-usage", DataTable).add_columns(*DISK_COLUMNS)
        self.query_one("#engine-info", DataTable).add_columns("Field", "Value")
        self.query_one("#engine-info", DataTable).focus()
        self._show_status()

    def on_screen_resume(self) -> None:
        self.reload()

    # -- workers ----------------------------------------------------------------------

    def reload(self) -> None:
        """Read the engine's facts and disk usage again (no-op when not following the engine)."""
        if not self._follow_engine:
            return
        self._pending = {"info", "disk usage"}
        self._show_status()
        self.read_info()
        self.read_disk_usage()

    @work(thread=True, exclusive=True, group="system-info")
    def read_info(self) -> None:
        """Ask the engine what it is."""
        worker = get_current_worker()
        try:
            details = self.app.services.call(engine_info)
        except DockerForgeError as error:
            if not worker.is_cancelled:
                self.post_message(self.ReadFailed("info", error.message, error.hint))
            return
        if not worker.is_cancelled:
            self.post_message(self.EngineDescribed(details))

    @work(thread=True, exclusive=True, group="system-disk-usage")
    def read_disk_usage(self) -> None:
        """Ask the engine for its disk use (slow on a big host)."""
        worker = get_current_worker()
        try:
            usage = self.app.services.call(disk_usage)
        except DockerForgeError as error:
            if not worker.is_cancelled:
                self.post_message(self.ReadFailed("disk usage", error.message, error.hint))
            return
        if not worker.is_cancelled:
            self.post_message(self.DiskMeasured(usage))

    # -- message handlers -------------------------------------------------------------

    @on(EngineDescribed)
    def _described(self, message: EngineDescribed) -> None:
        self.details = message.details
        self._pending.discard("info")
        table = self.query_one("#engine-info", DataTable)
        cursor = table.cursor_row
        table.clear()
        for field, value in present.engine_info_rows(message.details):
            table.add_row(Text(field, style="bold"), Text(value, no_wrap=True, end=""))
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1), animate=False)
        self._show_status()

    @on(DiskMeasured)
    def _measured(self, message: DiskMeasured) -> None:
        self.usage = message.usage
        self._pending.discard("disk usage")
        table = self.query_one("#disk-usage", DataTable)
        table.clear()
        rows = present.disk_usage_rows(message.usage)
        for index, row in enumerate(rows):
            style = "bold" if index == len(rows) - 1 else ""
            table.add_row(*(Text(cell, style=style, justify="right" if column in NUMERIC_DISK_COLUMNS else "left")
                            for column, cell in enumerate(row)))
        self._show_status()

    @on(ReadFailed)
    def _failed(self, message: ReadFailed) -> None:
        self._pending.discard(message.doing)
        self.notify(f"{message.message}\n{message.hint}" if message.hint else message.message,
                    title=f"Could not read the engine's {message.doing}", severity="error", timeout=10)
        self._show_status()

    def _show_status(self) -> None:
        parts = []
        if self.details is not None:
            parts.append(f"engine {self.details.version} · API {self.details.api_version}")
        if self.usage is not None:
            parts.append(f"{present.format_bytes(self.usage.total_reclaimable)} reclaimable")
        if self._pending:
            parts.append(f"reading {' and '.join(sorted(self._pending))}…")
        self.query_one("#system-status", Static).update(Text(" · ".join(parts)))

    # -- actions ----------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        """Move down the engine facts."""
        self.query_one("#engine-info", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        """Move up the engine facts."""
        self.query_one("#engine-info", DataTable).action_cursor_up()

    def action_cursor_top(self) -> None:
        """Jump to the first fact."""
        self.query_one("#engine-info", DataTable).action_scroll_top()

    def action_cursor_bottom(self) -> None:
        """Jump to the last fact."""
        self.query_one("#engine-info", DataTable).action_scroll_bottom()

    def action_reload(self) -> None:
        """Read everything from the engine again."""
        self.reload()

    def action_back(self) -> None:
        """Back to the previous screen."""
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
