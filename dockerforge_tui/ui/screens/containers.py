"""The containers screen (home): every container, live from the engine's event stream."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static
from textual.worker import get_current_worker

from dockerforge_tui.services.docker.models import StatsSample
from dockerforge_tui.services.docker.watch import (
    ContainerChanged,
    ContainerRemoved,
    ContainersListed,
    ContainerWatcher,
    EngineConnected,
    EngineUnavailable,
    WatchUpdate,
)
from dockerforge_tui.ui.presenters.container_filter import NO_FILTER, FilterError, parse_filter
from dockerforge_tui.ui.widgets.container_table import SORTABLE, ContainerTable
from dockerforge_tui.ui.widgets.engine_status import EngineStatus


class ContainersScreen(Screen):
    """Lists containers; follows the engine's events, samples stats for the rows on screen."""

    CSS_PATH = "../styles/containers.tcss"

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="containers.down"),
        Binding("k", "cursor_up", "Up", show=False, id="containers.up"),
        Binding("g", "cursor_top", "Top", show=False, id="containers.top"),
        Binding("G", "cursor_bottom", "Bottom", show=False, id="containers.bottom"),
        Binding("ctrl+d", "page(1)", "Half page down", show=False, id="containers.half_page_down"),
        Binding("ctrl+u", "page(-1)", "Half page up", show=False, id="containers.half_page_up"),
        Binding("slash", "filter", "Filter", id="containers.filter"),
        Binding("o", "sort_next", "Sort", id="containers.sort"),
        Binding("O", "sort_reverse", "Reverse sort", show=False, id="containers.sort_reverse"),
        Binding("P", "toggle_grouping", "Group by project", show=False, id="containers.group"),
        Binding("space", "toggle_mark", "Mark", show=False, id="containers.mark"),
        Binding("escape", "clear", "Clear filter/marks", show=False, id="containers.clear"),
    ]

    @dataclass
    class WatchUpdated(Message):
        """The container watcher reported something (engine state or the list)."""

        update: WatchUpdate

    @dataclass
    class StatsSampled(Message):
        """A batch of the newest stats samples arrived."""

        samples: tuple[StatsSample, ...]

    def __init__(self, watcher: ContainerWatcher | None, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._watcher = watcher
        self._clock = clock

    def compose(self) -> ComposeResult:
        yield Header()
        yield EngineStatus(id="engine-status")
        yield Input(placeholder="filter: text  re:regex  label=key=value  !inverse", id="container-filter")
        yield ContainerTable(clock=self._clock, id="containers")
        yield Static("", id="containers-status")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "DockerForge"
        self.sub_title = "containers"
        self.query_one(ContainerTable).focus()
        if self._watcher is not None:
            self.query_one(EngineStatus).show_connecting()
            self.follow_containers()
            self.follow_stats()
        self.set_interval(1.0, self._tick)

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.close()

    # -- workers: they only iterate services and post messages ----------------------

    @work(thread=True, exclusive=True, group="container-watch")
    def follow_containers(self) -> None:
        """Forward the watcher's updates to the screen until the screen goes away."""
        worker = get_current_worker()
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

    @on(StatsSampled)
    def _apply_stats(self, message: StatsSampled) -> None:
        self.query_one(ContainerTable).show_stats(message.samples)

    @on(ContainerTable.RowHighlighted)
    def _cursor_moved(self) -> None:
        self._watch_visible_stats()

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
        except FilterError as error:
            event.input.add_class("-invalid")
            self.query_one("#containers-status", Static).update(str(error))

    @on(Input.Submitted, "#container-filter")
    def _filter_done(self) -> None:
        self.query_one(ContainerTable).focus()

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
        self.query_one("#containers-status", Static).update(" · ".join(parts))

    def _tick(self) -> None:
        table = self.query_one(ContainerTable)
        table.refresh_uptimes()
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
        bar.add_class("-visible")
        bar.focus()

    def action_clear(self) -> None:
        """Esc: leave the filter bar, then clear the filter, then the marks."""
        bar = self.query_one("#container-filter", Input)
        table = self.query_one(ContainerTable)
        if bar.has_focus:
            table.focus()
        elif bar.value:
            bar.value = ""
            table.set_filter(NO_FILTER)
            bar.remove_class("-visible")
        elif table.marked_ids:
            table.clear_marks()
        else:
            bar.remove_class("-visible")
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

    def action_toggle_mark(self) -> None:
        """Mark the row under the cursor for a bulk action and move down."""
        table = self.query_one(ContainerTable)
        selected = table.selected_container
        if selected is not None:
            table.toggle_mark(selected.id)
            table.action_cursor_down()
        self._show_status()
