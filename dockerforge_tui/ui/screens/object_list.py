"""What the images, volumes and networks screens share: a list, marks, removal and prune with a preview.

:class:`ObjectListScreen` is not shown by itself. Each subclass says what its records
are (columns, cells, sort orders), how to fetch them, what removing some of them does
and how to prune; this class runs the workers, the confirmations and the status line.

The engine's events stream (``services/docker/events.py``) carries container events
only, so these lists refresh when the screen is shown again, after each action, and on
``ctrl+r``; never on a timer that would run while the screen is hidden.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, Sequence

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.worker import get_current_worker

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.docker.prune import PruneFilters, PrunePreview, PruneResult
from dockerforge_tui.ui.presenters import objects as present
from dockerforge_tui.ui.screens.confirm import ConfirmScreen
from dockerforge_tui.ui.services import DashboardServices
from dockerforge_tui.ui.widgets.key_footer import KeyFooter
from dockerforge_tui.ui.widgets.object_table import Column, ObjectTable, SortOrder


def list_bindings(prefix: str) -> list[Binding]:
    """The keys every object list has, with ids under ``prefix`` (``images.down``...)."""
    return [
        Binding("j", "cursor_down", "Down", show=False, id=f"{prefix}.down"),
        Binding("k", "cursor_up", "Up", show=False, id=f"{prefix}.up"),
        Binding("g", "cursor_top", "Top", show=False, id=f"{prefix}.top"),
        Binding("G", "cursor_bottom", "Bottom", show=False, id=f"{prefix}.bottom"),
        Binding("ctrl+d", "page(1)", "Half page down", show=False, id=f"{prefix}.half_page_down"),
        Binding("ctrl+u", "page(-1)", "Half page up", show=False, id=f"{prefix}.half_page_up"),
        Binding("o", "sort_next", "Sort", id=f"{prefix}.sort"),
        Binding("O", "sort_reverse", "Reverse sort", show=False, id=f"{prefix}.sort_reverse"),
        Binding("space", "toggle_mark", "Mark", show=False, id=f"{prefix}.mark"),
        Binding("ctrl+r", "reload", "Refresh", show=False, id=f"{prefix}.refresh"),
        Binding("escape", "back", "Back", show=False, id=f"{prefix}.back", tooltip="Clear the marks, or go back"),
    ]


@dataclass(frozen=True)
class RemovalPlan:
    """What a removal would do, worked out before asking: the records that go and the dialog's words."""

    records: tuple[Any, ...]
    title: str
    details: str
    confirm_label: str = "Remove"
    force: bool = False


class ObjectListScreen(Screen):
    """Base of the images, volumes and networks screens.

    Constructor arguments (all optional): ``prune_filters`` narrows every prune and its
    preview (``{"label": "key=value"}``; tests use it to prune only their own objects,
    the dashboard prunes unfiltered); ``clock`` gives "now" for ages; ``follow_engine=False``
    makes the screen show only what is posted to it (snapshot tests), never calling the engine.
    """

    KIND: ClassVar[str] = "object"
    """Singular noun for messages: ``image``."""
    PREFIX: ClassVar[str] = "objects"
    """Binding-id prefix and widget-id prefix: ``images``."""
    MUTATING_ACTIONS: ClassVar[frozenset[str]] = frozenset({"remove", "force_remove", "prune"})

    @dataclass
    class Listed(Message):
        """A fresh list of records arrived."""

        records: tuple[Any, ...]

    @dataclass
    class LoadFailed(Message):
        """Reading from the engine failed; ``doing`` says what was being read."""

        doing: str
        message: str
        hint: str | None = None

    @dataclass
    class RemovalFinished(Message):
        """A removal ended: one outcome line per record removed, one line per failure."""

        outcomes: tuple[str, ...]
        errors: tuple[str, ...]

    @dataclass
    class PrunePreviewed(Message):
        """What a prune would remove right now (``mode``: the image prune's mode, else empty)."""

        preview: PrunePreview
        mode: str = ""

    @dataclass
    class Pruned(Message):
        """A prune ended with what the engine reports."""

        result: PruneResult

    def __init__(self, *, prune_filters: PruneFilters | None = None, clock: Callable[[], float] = time.time,
                 follow_engine: bool = True) -> None:
        super().__init__()
        self.prune_filters: dict[str, Any] | None = dict(prune_filters) if prune_filters else None
        self._clock = clock
        self._follow_engine = follow_engine
        self._note = ""

    # -- what a subclass says ---------------------------------------------------------

    def columns(self) -> Sequence[Column]:
        """The table's columns (the mark column comes first by itself)."""
        raise NotImplementedError

    def orders(self) -> Sequence[SortOrder]:
        """The sorts ``o`` cycles through; the first is the default."""
        raise NotImplementedError

    def key_of(self, record: Any) -> str:
        """The record's row key (its id, or a volume's name)."""
        return record.id

    def cells(self, record: Any, palette: Mapping[str, str]) -> Mapping[str, Text | str]:
        """The text of each column for one record."""
        raise NotImplementedError

    def fetch(self, services: DashboardServices) -> tuple[Any, ...]:
        """Read the records from the engine (runs in a worker thread)."""
        raise NotImplementedError

    def plan_removal(self, records: tuple[Any, ...], force: bool) -> RemovalPlan | str:
        """What removing ``records`` would do, or a notice saying why none of them can go."""
        raise NotImplementedError

    def remove_one(self, services: DashboardServices, record: Any, force: bool) -> str:
        """Remove one record through the audited runner and say what happened (runs in a worker thread)."""
        raise NotImplementedError

    def preview_prune(self, services: DashboardServices, mode: str) -> PrunePreview:
        """What a prune would remove now (runs in a worker thread)."""
        raise NotImplementedError

    def run_prune(self, services: DashboardServices, mode: str) -> PruneResult:
        """Prune through the audited runner (runs in a worker thread)."""
        raise NotImplementedError

    def status_parts(self) -> list[str]:
        """The screen's own facts for the status line (count, total size...)."""
        return [present.count_of(self.table.row_count, self.KIND)]

    def prepare_listed(self, records: tuple[Any, ...]) -> tuple[Any, ...]:
        """The records a new list puts on screen (volumes fill in the sizes already known)."""
        return records

    def after_listed(self) -> None:
        """Called when a new list is on screen (volumes start measuring sizes here)."""

    # -- layout -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield ObjectTable(self.columns(), self.cells, self.key_of, self.orders(), id=f"{self.PREFIX}-table")
        yield Static("", id=f"{self.PREFIX}-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = f"{self.KIND}s"
        self.table.focus()
        self.show_status()

    def on_screen_resume(self) -> None:
        # Shown (again): what changed while another screen was on top shows now.
        self.reload()

    @property
    def table(self) -> ObjectTable:
        """The screen's table."""
        return self.query_one(ObjectTable)

    def now(self) -> float:
        """The screen's clock."""
        return self._clock()

    # -- workers: they call services and post messages, nothing else ------------------

    def reload(self) -> None:
        """Read the list again (no-op when the screen does not follow the engine)."""
        if self._follow_engine:
            self.load_records()

    @work(thread=True, exclusive=True, group="object-list")
    def load_records(self) -> None:
        """Fetch the list off the event loop."""
        worker = get_current_worker()
        try:
            records = self.fetch(self.app.services)
        except DockerForgeError as error:
            if not worker.is_cancelled:
                self.post_message(self.LoadFailed(f"list {self.KIND}s", error.message, error.hint))
            return
        if not worker.is_cancelled:
            self.post_message(self.Listed(tuple(records)))

    @work(thread=True, group="object-actions")
    def remove_records(self, records: tuple[Any, ...], force: bool) -> None:
        """Remove each record in turn; one failure does not stop the others."""
        services = self.app.services
        outcomes: list[str] = []
        errors: list[str] = []
        for record in records:
            try:
                outcomes.append(self.remove_one(services, record, force))
            except DockerForgeError as error:
                errors.append(error.message + (f" ({error.hint})" if error.hint else ""))
        self.post_message(self.RemovalFinished(tuple(outcomes), tuple(errors)))

    @work(thread=True, exclusive=True, group="object-prune")
    def compute_prune_preview(self, mode: str) -> None:
        """Work out what a prune would remove, for the confirmation."""
        try:
            preview = self.preview_prune(self.app.services, mode)
        except DockerForgeError as error:
            self.post_message(self.LoadFailed(f"preview the {self.KIND} prune", error.message, error.hint))
            return
        self.post_message(self.PrunePreviewed(preview, mode))

    @work(thread=True, exclusive=True, group="object-prune")
    def prune(self, mode: str) -> None:
        """Prune, after the person confirmed the preview."""
        try:
            result = self.run_prune(self.app.services, mode)
        except DockerForgeError as error:
            self.post_message(self.RemovalFinished((), (error.message + (f" ({error.hint})" if error.hint else ""),)))
            return
        self.post_message(self.Pruned(result))

    # -- message handlers -------------------------------------------------------------

    @on(Listed)
    def _listed(self, message: Listed) -> None:
        self.table.replace_records(self.prepare_listed(message.records))
        self._note = ""
        self.after_listed()
        self.show_status()

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self._note = f"could not {message.doing}"
        self.notify(f"{message.message}\n{message.hint}" if message.hint else message.message,
                    title=f"Could not {message.doing}", severity="error", timeout=10)
        self.show_status()

    @on(RemovalFinished)
    def _removal_finished(self, message: RemovalFinished) -> None:
        if message.errors:
            self.notify("\n".join(message.errors), title=f"{self.KIND} removal failed", severity="error",
                        timeout=10)
        if message.outcomes:
            self.notify("\n".join(message.outcomes),
                        title=f"Removed {present.count_of(len(message.outcomes), self.KIND)}")
        self.table.clear_marks()
        self._note = ""
        self.reload()
        self.show_status()

    @on(PrunePreviewed)
    def _prune_previewed(self, message: PrunePreviewed) -> None:
        preview = message.preview
        self._note = ""
        self.show_status()
        if not preview.count:
            self.notify(f"nothing to prune: no {present.PRUNE_WHAT.get((preview.kind, message.mode), preview.kind)}",
                        title="Prune")
            return
        type_back = str(preview.count) if preview.count > 1 else None

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._note = "pruning…"
                self.show_status()
                self.prune(message.mode)

        details = escape(present.prune_details(preview, message.mode))
        self.app.push_screen(ConfirmScreen(present.prune_title(preview), details, "Prune", type_back=type_back),
                             answered)

    @on(Pruned)
    def _pruned(self, message: Pruned) -> None:
        self.notify(present.prune_outcome(message.result), title="Prune")
        self.table.clear_marks()
        self._note = ""
        self.reload()
        self.show_status()

    @on(ObjectTable.ViewChanged)
    def _view_changed(self) -> None:
        self.show_status()

    @on(ObjectTable.HeaderSelected)
    def _header_clicked(self, event: ObjectTable.HeaderSelected) -> None:
        column = event.column_key.value
        if column in self.table.sortable:
            table = self.table
            table.sort_by(column, reverse=not table.sort_reverse if table.sort_column == column else False)
            self.show_status()

    def show_status(self) -> None:
        """Write the status line: counts, sort, marks, and what is going on."""
        table = self.table
        parts = self.status_parts()
        parts.append(f"sort: {table.sort_column.replace('_', ' ')}{' (reversed)' if table.sort_reverse else ''}")
        if table.marked_keys:
            parts.append(f"{len(table.marked_keys)} marked")
        if self._note:
            parts.append(self._note)
        self.query_one(f"#{self.PREFIX}-status", Static).update(Text(" · ".join(parts)))

    # -- actions ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.MUTATING_ACTIONS and self.app.readonly:
            return False  # hidden from the footer and refused
        return True

    def action_cursor_down(self) -> None:
        """Move the cursor one row down."""
        self.table.action_cursor_down()

    def action_cursor_up(self) -> None:
        """Move the cursor one row up."""
        self.table.action_cursor_up()

    def action_cursor_top(self) -> None:
        """Jump to the first row."""
        self.table.action_scroll_top()

    def action_cursor_bottom(self) -> None:
        """Jump to the last row."""
        self.table.action_scroll_bottom()

    def action_page(self, direction: int) -> None:
        """Move half a page down (1) or up (-1)."""
        table = self.table
        if table.row_count:
            step = max(1, table.size.height // 2)
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + direction * step)))

    def action_sort_next(self) -> None:
        """Sort by the next column."""
        self.table.sort_next()
        self.show_status()

    def action_sort_reverse(self) -> None:
        """Reverse the sort order."""
        table = self.table
        table.sort_by(table.sort_column, reverse=not table.sort_reverse)
        self.show_status()

    def action_toggle_mark(self) -> None:
        """Mark the row under the cursor for a bulk action and move down."""
        table = self.table
        selected = table.selected
        if selected is not None:
            table.toggle_mark(self.key_of(selected))
            table.action_cursor_down()
        self.show_status()

    def action_reload(self) -> None:
        """Read the list from the engine again."""
        self._note = "refreshing…"
        self.show_status()
        self.reload()

    def action_back(self) -> None:
        """Clear the marks; with none, go back to the previous screen."""
        if self.table.marked_keys:
            self.table.clear_marks()
            self.show_status()
        elif len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_remove(self) -> None:
        """Remove the marked records (or the one under the cursor), after saying exactly what goes."""
        self.start_removal(force=False)

    def action_prune(self, mode: str = "") -> None:
        """Work out what a prune would remove, then ask with that list."""
        if not self._follow_engine:
            return
        self._note = "working out what a prune would remove…"
        self.show_status()
        self.compute_prune_preview(mode)

    def start_removal(self, force: bool) -> None:
        """Plan a removal of the targets, confirm it (the count typed back for several), then run it."""
        targets = self.table.targets()
        if not targets:
            self.notify(f"no {self.KIND} selected", severity="warning")
            return
        plan = self.plan_removal(targets, force)
        if isinstance(plan, str):
            self.notify(plan, title=f"{self.KIND.capitalize()} kept", severity="warning", timeout=8)
            return
        type_back = str(len(plan.records)) if len(plan.records) > 1 else None

        def answered(confirmed: bool | None) -> None:
            if confirmed and self._follow_engine:
                self._note = "removing…"
                self.show_status()
                self.remove_records(plan.records, plan.force)

        self.app.push_screen(ConfirmScreen(plan.title, escape(plan.details), plan.confirm_label, type_back=type_back),
                             answered)
