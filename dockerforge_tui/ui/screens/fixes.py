"""The fix history (``:fixes``): every proposal and what became of it; Enter opens one in the fix dialog.

The dialog is where a waiting fix is applied or rejected and an applied one rolled back
(``b``). The store is read in a thread worker, again whenever the screen comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.ui.palette import theme_palette
from dockerforge_tui.ui.presenters import fixes as present
from dockerforge_tui.ui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from dockerforge_tui.services.fixes import Proposal
    from dockerforge_tui.ui.services import DashboardServices

COLUMNS = ("ID", "Status", "Risk", "Container", "Summary", "Changed")
ACTIVE_STATUSES = ("proposed", "applying", "applied", "succeeded", "failed", "rollback_failed")
"""What the history shows unless ``f`` shows everything (rejected and rolled back too)."""


class FixesScreen(Screen):
    """The fix store, newest first."""

    CSS_PATH = "../styles/fixes.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="fixes.back"),
        Binding("j", "cursor_down", "Down", show=False, id="fixes.down"),
        Binding("k", "cursor_up", "Up", show=False, id="fixes.up"),
        Binding("enter", "open_fix", "Open", id="fixes.open"),
        Binding("f", "toggle_all", "Show all", id="fixes.all"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="fixes.reload"),
    ]

    @dataclass
    class FixesLoaded(Message):
        """The store's proposals, as read by the worker."""

        proposals: tuple["Proposal", ...]

    @dataclass
    class StoreFailed(Message):
        """Reading the store failed; one line."""

        text: str

    def __init__(self, services: "DashboardServices | None" = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self._services = services
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._proposals: dict[str, Proposal] = {}
        self.show_all = False

    @property
    def services(self) -> "DashboardServices":
        """The dashboard's services (the app's unless given)."""
        return self._services or self.app.services

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="fixes-table", cursor_type="row")
        yield Static("No fix was proposed yet: p on an issue proposes one.", id="fix-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "fixes"
        table = self.query_one(DataTable)
        for label in COLUMNS:
            table.add_column(label, key=label.lower())
        table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="fixes-load")
    def load(self) -> None:
        """Read the proposals (active ones, or all with ``f``)."""
        statuses = None if self.show_all else ACTIVE_STATUSES
        try:
            self.post_message(self.FixesLoaded(tuple(self.services.fix_service(None).store.list(status=statuses))))
        except DockerForgeError as error:
            self.post_message(self.StoreFailed(error.message))

    @on(FixesLoaded)
    def _show(self, message: FixesLoaded) -> None:
        table = self.query_one(DataTable)
        selected = self._selected_id()
        self._proposals = {proposal.id: proposal for proposal in message.proposals}
        now = self._clock()
        palette = theme_palette(self.app, present.PALETTE_NAMES)
        table.clear()
        for proposal in message.proposals:
            cells = present.fix_cells(proposal, now)
            table.add_row(Text(cells[0]), Text(cells[1], style=palette.get(present.STATUS_COLOURS.get(cells[1], ""),
                                                                         "")),
                          Text(cells[2], style=palette.get(present.RISK_COLOURS.get(cells[2], ""), "")),
                          *(Text(cell) for cell in cells[3:]), key=proposal.id)
        if selected in self._proposals:
            table.move_cursor(row=table.get_row_index(selected))
        self.sub_title = f"fixes: {len(message.proposals)} {'in all' if self.show_all else 'active'}"
        self._show_detail()

    @on(StoreFailed)
    def _failed(self, message: StoreFailed) -> None:
        self.notify(message.text, severity="error")

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open_fix()

    def _selected_id(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def _show_detail(self) -> None:
        proposal = self._proposals.get(self._selected_id() or "")
        if proposal is None:
            return
        steps = "; ".join(operation.describe() for operation in proposal.operations) or "advice only"
        last = proposal.history[-1].note if proposal.history else ""
        self.query_one("#fix-detail", Static).update(
            Text(f"{proposal.summary}\nSteps: {steps}\nLast: {proposal.status} {last}\nEnter opens it "
                 "(a applies, b rolls back, r rejects)."))

    def action_cursor_down(self) -> None:
        """Next fix."""
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        """Previous fix."""
        self.query_one(DataTable).action_cursor_up()

    def action_open_fix(self) -> None:
        """Open the selected fix in the fix dialog."""
        from dockerforge_tui.ui.screens.fix_dialog import FixDialog

        proposal = self._proposals.get(self._selected_id() or "")
        if proposal is not None:
            self.app.push_screen(FixDialog((proposal,), services=self._services))

    def action_toggle_all(self) -> None:
        """Show rejected and rolled-back fixes too, or hide them."""
        self.show_all = not self.show_all
        self.load()

    def action_reload(self) -> None:
        """Read the store again."""
        self.load()
