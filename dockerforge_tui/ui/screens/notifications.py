"""The notification centre (``N``, ``:notifications``): what was sent, what was held back and why, newest first.

Rows come from the notification log (:class:`~dockerforge_tui.services.notify.NotificationLog`),
read in a thread worker every few seconds while the screen is shown. ``a`` acknowledges the
first issue of the selected row: its escalation stops (the dispatcher's ``acknowledge``, or
the log and the issue store when this dashboard sends no notifications itself, as
``dockerforge notify ack`` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.ui.palette import theme_palette
from dockerforge_tui.ui.presenters import notifications as present
from dockerforge_tui.ui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from dockerforge_tui.services.notify import NotificationLogEntry
    from dockerforge_tui.ui.services import DashboardServices

COLUMNS = ("When", "Outcome", "Why", "Channel", "Kind", "Subject")
ROWS_SHOWN = 500
"""The newest log rows read."""
REFRESH_SECONDS = 2.0


def acknowledge_issue(services: "DashboardServices", issue_id: str) -> str:
    """Acknowledge ``issue_id`` so its escalation stops; return what to tell the person (blocking: a worker's job).

    Through the running dispatcher when there is one; the issue store and the notification
    log are written either way (what ``dockerforge notify ack`` does), so another process's
    dispatcher stops too.
    """
    from dockerforge_tui.core.errors import NotFoundError

    title = ""
    try:
        issue = services.issues.get(issue_id)
    except NotFoundError:  # only the notifications knew it (pruned from the store)
        issue = None
    if issue is not None:
        title = f": {issue.title}"
        if issue.status == "open":  # a resolved or ignored issue keeps its status
            services.issues.acknowledge(issue.id)
        issue_id = issue.id
    notifier = services.running_notifier
    if notifier is not None:
        notifier.acknowledge(issue_id, by="dashboard")
    else:
        services.notification_log().acknowledge(issue_id, by="dashboard")
    return f"acknowledged {issue_id}{title}: its escalation stops"


class NotificationsScreen(Screen):
    """The notification log, newest first, with the reason for every row held back."""

    CSS_PATH = "../styles/notifications.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="notifications.back"),
        Binding("j", "cursor_down", "Down", show=False, id="notifications.down"),
        Binding("k", "cursor_up", "Up", show=False, id="notifications.up"),
        Binding("o", "cycle_outcome", "Sent/held/failed", id="notifications.outcome"),
        Binding("a", "acknowledge", "Acknowledge issue", id="notifications.acknowledge"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="notifications.reload"),
    ]

    @dataclass
    class EntriesLoaded(Message):
        """The log's newest rows, as read by the worker."""

        entries: tuple["NotificationLogEntry", ...]

    @dataclass
    class LogFailed(Message):
        """Reading the log or acknowledging failed; one line."""

        text: str

    @dataclass
    class Acknowledged(Message):
        """An issue was acknowledged; ``text`` says which."""

        text: str

    def __init__(self, services: "DashboardServices | None" = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self._services = services
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._entries: dict[str, NotificationLogEntry] = {}
        self._shown_ids: tuple[str, ...] | None = None
        """The rows on screen, to skip redrawing an unchanged log (None: redraw)."""
        self.outcome: str | None = None

    @property
    def services(self) -> "DashboardServices":
        """The dashboard's services (the app's unless given)."""
        return self._services or self.app.services

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="notifications-table", cursor_type="row")
        with VerticalScroll(id="notification-detail-box"):
            yield Static("Nothing was sent or held back yet.", id="notification-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "notifications"
        table = self.query_one(DataTable)
        for label in COLUMNS:
            table.add_column(label, key=label.lower())
        table.focus()
        self.load()
        self.set_interval(REFRESH_SECONDS, self._refresh_if_shown)

    def on_screen_resume(self) -> None:
        self.load()

    def _refresh_if_shown(self) -> None:
        if self.is_current:
            self.load()

    @work(thread=True, exclusive=True, group="notifications-load")
    def load(self) -> None:
        """Read the newest rows of the log."""
        try:
            self.post_message(self.EntriesLoaded(self.services.notification_log().recent(ROWS_SHOWN)))
        except (DockerForgeError, OSError) as error:
            self.post_message(self.LogFailed(getattr(error, "message", str(error))))

    @work(thread=True, group="notifications-ack")
    def write_acknowledgement(self, issue_id: str) -> None:
        """Acknowledge one issue, then reload."""
        try:
            self.post_message(self.Acknowledged(acknowledge_issue(self.services, issue_id)))
        except (DockerForgeError, OSError) as error:
            self.post_message(self.LogFailed(getattr(error, "message", str(error))))
        self.load()

    @on(EntriesLoaded)
    def _show(self, message: EntriesLoaded) -> None:
        table = self.query_one(DataTable)
        selected = self._selected_id()
        entries = message.entries
        shown = [entry for entry in entries if self.outcome is None or entry.outcome == self.outcome]
        if tuple(entry.id for entry in shown) == self._shown_ids:
            return  # nothing new: leave the table (and the cursor) alone
        self._shown_ids = tuple(entry.id for entry in shown)
        self._entries = {entry.id: entry for entry in shown}
        now = self._clock()
        palette = theme_palette(self.app, ("success", "warning", "error"))
        table.clear()
        for entry in shown:
            cells = present.notification_cells(entry, now)
            colour = palette.get(present.OUTCOME_COLOURS.get(entry.outcome, ""), "")
            table.add_row(Text(cells[0]), Text(cells[1], style=colour), *(Text(cell) for cell in cells[2:]),
                          key=entry.id)
        if selected in self._entries:
            table.move_cursor(row=table.get_row_index(selected))
        self.sub_title = present.counts_line(entries, self.outcome)
        self._show_detail()

    @on(LogFailed)
    def _failed(self, message: LogFailed) -> None:
        self.notify(message.text, severity="error")

    @on(Acknowledged)
    def _acknowledged(self, message: Acknowledged) -> None:
        self.notify(message.text)

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    def _selected_id(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    @property
    def selected_entry(self) -> "NotificationLogEntry | None":
        """The row under the cursor."""
        return self._entries.get(self._selected_id() or "")

    def _show_detail(self) -> None:
        from dockerforge_tui.services.notify import REASONS

        entry = self.selected_entry
        text = present.notification_detail(entry, REASONS) if entry else "Nothing was sent or held back yet."
        self.query_one("#notification-detail", Static).update(Text(text))

    def action_cursor_down(self) -> None:
        """Next row."""
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        """Previous row."""
        self.query_one(DataTable).action_cursor_up()

    def action_cycle_outcome(self) -> None:
        """Show everything, then only what was sent, held back or failed."""
        self.outcome = present.next_outcome_filter(self.outcome)
        self._shown_ids = None
        self.load()

    def action_acknowledge(self) -> None:
        """Acknowledge the selected row's issue: its escalation stops."""
        entry = self.selected_entry
        if entry is None or not entry.issue_ids:
            self.notify("this row is about no issue", severity="warning")
            return
        self.write_acknowledgement(entry.issue_ids[0])

    def action_reload(self) -> None:
        """Read the log again."""
        self.load()
