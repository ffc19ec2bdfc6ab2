"""The audit screen: every action that changed the engine (who, when, what, result), newest first."""

from __future__ import annotations

import os
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Label, Static

from dockerforge_tui.services.audit import AuditLog, AuditRecord
from dockerforge_tui.ui.presenters.audit import AUDIT_TAIL, NO_AUDIT_FILTER, audit_cells, audit_detail_text, \
    parse_audit_filter
from dockerforge_tui.ui.presenters.container_filter import FilterError
from dockerforge_tui.ui.presenters.events import PALETTE_NAMES, RecordFilter
from dockerforge_tui.ui.widgets.key_footer import KeyFooter
from dockerforge_tui.ui.widgets.settled_table import SettledTable

POLL_SECONDS = 2.0
"""How often the screen looks whether the audit file changed, while it is on top (it pauses when hidden)."""

COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("time", "Time", 19),
    ("user", "User", None),
    ("verb", "Verb", None),
    ("target", "Target", None),
    ("result", "Result", 7),
    ("duration", "Took", 6),
    ("message", "Message", None),
)

FileSignature = tuple[tuple[str, int, int], ...]
"""(path, size, mtime_ns) of every audit file: a change means new records."""


def audit_signature(audit: AuditLog) -> FileSignature:
    """What changes whenever a record is appended or the files rotate."""
    signature = []
    for path in audit.files():
        try:
            status = os.stat(path)
        except FileNotFoundError:
            continue
        signature.append((str(path), status.st_size, status.st_mtime_ns))
    return tuple(signature)


class AuditScreen(Screen):
    """Shows the newest ``tail`` audit records, newest first; ``/`` filters, ``i`` (or enter) shows one in full.

    It re-reads the log when it comes back on top, on ``ctrl+r``, and whenever the
    file changes while it is shown (a cheap stat every :data:`POLL_SECONDS`, paused
    while hidden). ``audit`` is the log to read (default: the app's);
    ``timezone`` shows times in that zone (local by default).
    """

    CSS_PATH = "../styles/audit.tcss"

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="audit.cursor_down"),
        Binding("k", "cursor_up", "Up", show=False, id="audit.cursor_up"),
        Binding("g", "cursor_top", "Newest", show=False, id="audit.top"),
        Binding("G", "cursor_bottom", "Oldest", show=False, id="audit.bottom"),
        Binding("slash", "filter", "Filter", id="audit.filter"),
        Binding("i", "toggle_detail", "Details", id="audit.detail"),
        Binding("ctrl+r", "refresh", "Refresh", id="audit.refresh"),
        Binding("escape", "back", "Back", id="audit.back"),
    ]

    @dataclass
    class AuditLoaded(Message):
        """The worker read the log (``records`` oldest first), or found it unchanged (``records`` None)."""

        records: tuple[AuditRecord, ...] | None
        signature: FileSignature
        error: str | None = None

    def __init__(self, *, audit: AuditLog | None = None, tail: int = AUDIT_TAIL, timezone=None) -> None:
        super().__init__()
        self._audit = audit
        self.tail = tail
        self._timezone = timezone
        self._records: tuple[AuditRecord, ...] = ()
        """Newest first."""
        self._shown: list[AuditRecord] = []
        self.filter: RecordFilter[AuditRecord] = NO_AUDIT_FILTER
        self._signature: FileSignature | None = None
        self._loading = False
        self._poll: Timer | None = None
        self._audit_log: AuditLog | None = audit

    @property
    def audit(self) -> AuditLog:
        """The log this screen reads."""
        return self._audit if self._audit is not None else self.app.services.audit

    @property
    def records(self) -> tuple[AuditRecord, ...]:
        """Every record read, newest first."""
        return self._records

    @property
    def shown_records(self) -> tuple[AuditRecord, ...]:
        """The records on display (filter applied), newest first."""
        return tuple(self._shown)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="audit-prompt"):
            yield Label("/", id="audit-prompt-label")
            yield Input(placeholder="filter: text  re:regex  verb=stop result=error user=ops name=web  !inverse",
                        id="audit-filter")
        yield SettledTable(id="audit-table", cursor_type="row", zebra_stripes=False)
        yield Static("", id="audit-detail")
        yield Static("", id="audit-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "DockerForge"
        self.sub_title = "audit log"
        table = self.query_one("#audit-table", DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        table.focus()
        self._audit_log = self.audit  # the worker thread reads this, never the app
        self._poll = self.set_interval(POLL_SECONDS, self._check_for_changes)
        self.load(force=True)

    def on_screen_suspend(self) -> None:
        if self._poll is not None:
            self._poll.pause()

    def on_screen_resume(self) -> None:
        if self._poll is not None:
            self._poll.resume()
        self.load(force=True)

    # -- loading ----------------------------------------------------------------------------

    def load(self, force: bool = False) -> None:
        """Read the log in a worker (unless a read is under way); without ``force`` only if it changed."""
        if self._loading:
            return
        self._loading = True
        self.read_audit(None if force else self._signature)

    def _check_for_changes(self) -> None:
        self.load(force=False)

    @work(thread=True, exclusive=True, group="audit-read")
    def read_audit(self, known: FileSignature | None) -> None:
        """Stat the files; read the newest records when they changed since ``known`` (always when None)."""
        audit = self._audit_log
        try:
            signature = audit_signature(audit)
            if known is not None and signature == known:
                self.post_message(self.AuditLoaded(None, signature))
                return
            self.post_message(self.AuditLoaded(audit.tail(self.tail), signature))
        except OSError as error:
            self.post_message(self.AuditLoaded(None, (), f"cannot read the audit log {audit.path}: "
                                                         f"{error.strerror or error}"))

    @on(AuditLoaded)
    def _audit_loaded(self, message: AuditLoaded) -> None:
        self._loading = False
        if message.error:
            self.notify(message.error + "\ncheck the data directory's permissions", severity="error", markup=False)
            return
        self._signature = message.signature
        if message.records is not None:
            self._records = tuple(reversed(message.records))
            self._rebuild()

    # -- the table --------------------------------------------------------------------------

    def _palette(self) -> dict[str, str]:
        variables = self.app.theme_variables
        return {name: variables[name] for name in PALETTE_NAMES if name in variables}

    def _rebuild(self) -> None:
        table = self.query_one("#audit-table", DataTable)
        selected = self._selected()
        keep_row = table.cursor_row if table.row_count else 0
        table.clear()
        palette = self._palette()
        self._shown = [record for record in self._records if self.filter(record)]
        for index, record in enumerate(self._shown):
            table.add_row(*audit_cells(record, palette, self._timezone), key=str(index))
        if selected is not None and selected in self._shown and keep_row:
            # Stay on the record that was selected; the newest row (0) stays on the newest.
            table.move_cursor(row=self._shown.index(selected))
        self._show_status()
        self._show_detail()

    def _selected(self) -> AuditRecord | None:
        table = self.query_one("#audit-table", DataTable)
        if not table.row_count or not 0 <= table.cursor_row < len(self._shown):
            return None
        return self._shown[table.cursor_row]

    def _show_status(self) -> None:
        parts = [f"{len(self._shown)} shown of {len(self._records)} (newest {self.tail} read)", "newest first"]
        if self.filter.active:
            parts.append(f"filter: {self.filter.text}")
        if not self._records:
            parts.append(f"no actions recorded yet in {self._audit_log.path}")
        self.query_one("#audit-status", Static).update(" · ".join(parts))

    def _show_detail(self) -> None:
        panel = self.query_one("#audit-detail", Static)
        if panel.has_class("-open"):
            selected = self._selected()
            panel.update(audit_detail_text(selected, self._timezone) if selected else "No record selected.")

    @on(DataTable.RowHighlighted, "#audit-table")
    def _row_highlighted(self) -> None:
        self._show_detail()

    @on(DataTable.RowSelected, "#audit-table")
    def _row_selected(self) -> None:
        self.action_toggle_detail()

    @on(Input.Changed, "#audit-filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        try:
            self.filter = parse_audit_filter(event.value)
            event.input.remove_class("-bad-filter")
        except FilterError as error:
            event.input.add_class("-bad-filter")
            self.query_one("#audit-status", Static).update(str(error))
            return
        self._rebuild()

    @on(Input.Submitted, "#audit-filter")
    def _filter_done(self) -> None:
        self.query_one("#audit-table", DataTable).focus()

    # -- actions ------------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        """Move one row down (older)."""
        self.query_one("#audit-table", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        """Move one row up (newer)."""
        self.query_one("#audit-table", DataTable).action_cursor_up()

    def action_cursor_top(self) -> None:
        """Jump to the newest record."""
        self.query_one("#audit-table", DataTable).move_cursor(row=0)

    def action_cursor_bottom(self) -> None:
        """Jump to the oldest record shown."""
        table = self.query_one("#audit-table", DataTable)
        table.move_cursor(row=max(0, table.row_count - 1))

    def action_filter(self) -> None:
        """Show the filter bar and put the cursor in it."""
        self.query_one("#audit-prompt").add_class("-open")
        self.query_one("#audit-filter", Input).focus()

    def action_toggle_detail(self) -> None:
        """Show or hide everything the selected record says (parameters, the command run)."""
        panel = self.query_one("#audit-detail", Static)
        panel.toggle_class("-open")
        self._show_detail()

    def action_refresh(self) -> None:
        """Read the log again now."""
        self.load(force=True)

    def action_back(self) -> None:
        """Leave the filter bar, then clear the filter, then close the detail, then go back."""
        bar = self.query_one("#audit-filter", Input)
        prompt = self.query_one("#audit-prompt")
        table = self.query_one("#audit-table", DataTable)
        if bar.has_focus:
            table.focus()
            if not bar.value:
                prompt.remove_class("-open")
        elif bar.value:
            bar.value = ""
            prompt.remove_class("-open")
        elif self.query_one("#audit-detail", Static).has_class("-open"):
            self.action_toggle_detail()
        else:
            self.app.pop_screen()
