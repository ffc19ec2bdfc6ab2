"""The Issues screen: tracked problems by severity or recency; acknowledge, ignore, resolve; see the evidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.issues import Issue, IssueStore
from dockerforge_tui.ui.palette import theme_palette
from dockerforge_tui.ui.presenters import issues as present
from dockerforge_tui.ui.widgets.key_footer import KeyFooter

COLUMNS = ("Severity", "Status", "Issue", "Where", "Count", "Last seen")


class IssuesScreen(Screen):
    """Reads the issue store in a worker; changes of status are written back the same way."""

    CSS_PATH = "../styles/issues.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="issues.back"),
        Binding("j", "cursor_down", "Down", show=False, id="issues.down"),
        Binding("k", "cursor_up", "Up", show=False, id="issues.up"),
        Binding("o", "toggle_order", "Order", id="issues.order"),
        Binding("f", "toggle_closed", "Show closed", id="issues.closed"),
        Binding("a", "set_status('acknowledge')", "Acknowledge", id="issues.acknowledge"),
        Binding("i", "set_status('ignore')", "Ignore", id="issues.ignore"),
        Binding("x", "set_status('resolve')", "Resolve", id="issues.resolve"),
        Binding("u", "set_status('reopen')", "Reopen", show=False, id="issues.reopen"),
        Binding("l", "logs", "Logs", id="issues.logs"),
        Binding("w", "ask_why", "Ask AI why", show=False, id="issues.ask_why"),
        Binding("p", "propose_fix", "Propose fix", show=False, id="issues.propose_fix"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="issues.reload"),
    ]

    @dataclass
    class IssuesLoaded(Message):
        """The store's issues, as read by the worker."""

        issues: tuple[Issue, ...]

    @dataclass
    class StoreFailed(Message):
        """Reading or writing the store failed."""

        text: str

    def __init__(self, store: IssueStore, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self._store = store
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._issues: dict[str, Issue] = {}
        self.order = "severity"
        self.show_closed = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="issues-table", cursor_type="row")
        with VerticalScroll(id="issue-detail-box"):
            yield Static("No issue selected.", id="issue-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "issues"
        table = self.query_one(DataTable)
        for label in COLUMNS:
            table.add_column(label, key=label.lower())
        table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="issues-load")
    def load(self) -> None:
        """Read the issues (open and acknowledged, or all with ``f``)."""
        statuses = None if self.show_closed else ("open", "acknowledged")
        try:
            self.post_message(self.IssuesLoaded(tuple(self._store.list(status=statuses))))
        except DockerForgeError as error:
            self.post_message(self.StoreFailed(error.message))

    @work(thread=True, group="issues-write")
    def write_status(self, verb: str, issue_id: str) -> None:
        """Change one issue's status in the store, then reload."""
        try:
            issue = getattr(self._store, verb)(issue_id)
            self._tell_notifier(verb, issue)
        except DockerForgeError as error:
            self.post_message(self.StoreFailed(error.message))
        self.load()

    def _tell_notifier(self, verb: str, issue: Issue) -> None:
        # Acknowledging stops the issue's escalation; resolving tells the people who were told it opened.
        services = getattr(self.app, "services", None)
        notifier = services.running_notifier if services is not None else None
        if notifier is None:
            return
        if verb == "acknowledge":
            notifier.acknowledge(issue.id, by="dashboard")
        elif verb == "resolve":
            notifier.on_issue_resolved(issue)

    @on(IssuesLoaded)
    def _show(self, message: IssuesLoaded) -> None:
        table = self.query_one(DataTable)
        selected = self._selected_id()
        self._issues = {issue.id: issue for issue in message.issues}
        now = self._clock()
        palette = theme_palette(self.app, ("error", "warning", "text-muted"))
        table.clear()
        for issue in present.order_issues(message.issues, self.order):
            cells = present.issue_cells(issue, now)
            colour = palette.get(present.SEVERITY_COLOURS.get(issue.severity, ""), "")
            table.add_row(Text(cells[0], style=colour), *(Text(cell) for cell in cells[1:]), key=issue.id)
        if selected in self._issues:
            table.move_cursor(row=table.get_row_index(selected))
        self.sub_title = f"issues: {len(message.issues)} {'in all' if self.show_closed else 'open'}, by {self.order}"
        self._show_detail()

    @on(StoreFailed)
    def _failed(self, message: StoreFailed) -> None:
        self.notify(message.text, severity="error")

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    def _selected_id(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    @property
    def selected_issue(self) -> Issue | None:
        """The issue under the cursor."""
        return self._issues.get(self._selected_id() or "")

    def _show_detail(self) -> None:
        issue = self._issues.get(self._selected_id() or "")
        text = present.issue_detail(issue, self._clock()) if issue else "No issue here: nothing is wrong that DockerForge has seen."
        self.query_one("#issue-detail", Static).update(Text(text))

    def action_cursor_down(self) -> None:
        """Next issue."""
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        """Previous issue."""
        self.query_one(DataTable).action_cursor_up()

    def action_toggle_order(self) -> None:
        """Order by severity or by recency."""
        self.order = "recency" if self.order == "severity" else "severity"
        self.load()

    def action_toggle_closed(self) -> None:
        """Show resolved and ignored issues too, or hide them."""
        self.show_closed = not self.show_closed
        self.load()

    def action_set_status(self, verb: str) -> None:
        """Acknowledge, ignore, resolve or reopen the selected issue."""
        issue_id = self._selected_id()
        if issue_id:
            self.write_status(verb, issue_id)

    def action_reload(self) -> None:
        """Read the store again."""
        self.load()

    def action_logs(self) -> None:
        """Open the live logs of the containers the selected issue affects."""
        issue = self._issues.get(self._selected_id() or "")
        opener = getattr(self.app, "open_logs", None)
        if issue and issue.containers and opener:
            # Searching for the newest log line that raised it puts those lines in view, marked.
            raised_by = next((evidence.text for evidence in reversed(issue.evidence) if evidence.source == "log"), None)
            opener(list(issue.containers[-3:]), title=issue.title, search=raised_by)

    def action_propose_fix(self) -> None:
        """Propose fixes for the selected issue and show them in the fix dialog (approve, reject, dry run)."""
        from dockerforge_tui.ui.screens.fix_dialog import FixDialog

        issue = self.selected_issue
        if issue is not None:
            self.app.push_screen(FixDialog(issue=issue))

    def action_ask_why(self) -> None:
        """Ask the AI why the selected issue happens: the analysis template, answered in parts in the chat pane."""
        from dockerforge_tui.ui.screens.chat import open_chat

        issue = self.selected_issue
        if issue is not None:
            open_chat(self.app, issue=issue)
