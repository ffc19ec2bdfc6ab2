"""The stats screen (F9, ``:stats``): the running containers side by side, like ctop.

One row per running container that the containers screen shows (its filter applies, so
``/shop`` then F9 compares one project), with CPU and memory sparklines over the last
samples, network and disk rates and the process count; below, the highlighted
container's full window (CPU, memory against its limit, network and disk I/O).

Only the rows on screen are sampled, by one streaming stats request each, as on the
containers screen: the engine's cost follows what a person can see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual.worker import get_current_worker

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.docker.models import ContainerSummary, StatsSample
from dockerforge_tui.services.docker.stats import StatsSampler, open_sampler
from dockerforge_tui.services.metrics.series import StatsSeries
from dockerforge_tui.ui.presenters.stats import SPARK_WIDTH, StatsRow, stats_row
from dockerforge_tui.ui.widgets.key_footer import KeyFooter
from dockerforge_tui.ui.widgets.live_table import LiveTable
from dockerforge_tui.ui.widgets.stats_panel import StatsPanel

# (key, header, width): fixed widths, so a value that grows never re-lays the table out;
# the name column grows to the longest name.
COLUMNS = (("name", "Name", None), ("cpu", "CPU%", 6), ("cpu_chart", "CPU", SPARK_WIDTH),
           ("memory", "Memory", 22), ("memory_chart", "Memory", SPARK_WIDTH), ("net", "Net ↓ ↑", 22),
           ("disk", "Disk r w", 24), ("pids", "PIDs", 5))
# Sort orders, cycled by ``o``: the busiest first for the numbers, A-Z for the name.
SORT_ORDERS = ("cpu", "memory", "net", "disk", "name")


class StatsScreen(Screen):
    """Compares the running containers' resource use; enter opens one container's detail."""

    CSS_PATH = "../styles/stats.tcss"

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="stats.back"),
        Binding("j", "cursor_down", "Down", show=False, id="stats.down"),
        Binding("k", "cursor_up", "Up", show=False, id="stats.up"),
        Binding("g", "cursor_top", "Top", show=False, id="stats.top"),
        Binding("G", "cursor_bottom", "Bottom", show=False, id="stats.bottom"),
        Binding("o", "sort_next", "Sort", id="stats.sort"),
        Binding("O", "sort_reverse", "Reverse sort", show=False, id="stats.sort_reverse"),
        Binding("enter", "detail", "Detail", id="stats.detail"),
        Binding("l", "logs", "Logs", id="stats.logs"),
    ]

    @dataclass
    class StatsSampled(Message):
        """A batch of the newest samples of the watched containers."""

        samples: tuple[StatsSample, ...]

    @dataclass
    class SamplingFailed(Message):
        """The stats client could not be opened; ``text`` says why."""

        text: str

    def __init__(self, containers: Callable[[], Iterable[ContainerSummary]] | None = None,
                 window: int = 120, follow_engine: bool = True) -> None:
        """``containers`` returns the containers to compare (default: what the containers screen shows).

        ``follow_engine=False`` opens no stats stream: snapshot tests post the samples.
        """
        super().__init__()
        self._follow_engine = follow_engine
        self._source = containers
        self._window = window
        self._containers: dict[str, ContainerSummary] = {}
        self._series: dict[str, StatsSeries] = {}
        self._rows: dict[str, StatsRow] = {}
        self._sampler: StatsSampler | None = None
        self.sort_order = "cpu"
        self.sort_reverse = False
        self._status_text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield LiveTable(id="stats-table", cursor_type="row", zebra_stripes=False)
        yield StatsPanel(id="stats-panel")
        yield Static("", id="stats-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "stats"
        table = self.query_one(DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        self.sync_containers()
        table.focus()
        if self._follow_engine:
            self.follow_stats(self.visible_ids())
        # The list changes with the containers screen's (events); looking once a second
        # costs a dict comparison, not an engine call.
        self.set_interval(1.0, self.sync_containers)

    def on_unmount(self) -> None:
        if self._sampler is not None:
            self._sampler.close()

    # -- the worker: it only iterates the sampler and posts messages ----------------------

    @work(thread=True, exclusive=True, group="stats-screen")
    def follow_stats(self, container_ids: frozenset[str]) -> None:
        """Stream the stats of ``container_ids`` (the rows on screen; the screen changes the set) to it."""
        worker = get_current_worker()
        try:
            self._sampler = self.app.services.call(open_sampler, container_ids,
                                                   self.app.services.settings.ui.stats_interval)
        except DockerForgeError as error:
            self.post_message(self.SamplingFailed(error.message + (f" ({error.hint})" if error.hint else "")))
            return
        for batch in self._sampler.batches():
            if worker.is_cancelled:
                break
            self.post_message(self.StatsSampled(batch))

    # -- messages ---------------------------------------------------------------------------

    @on(StatsSampled)
    def _apply_samples(self, message: StatsSampled) -> None:
        table = self.query_one(DataTable)
        for sample in message.samples:
            container = self._containers.get(sample.container_id)
            if container is None:
                continue
            series = self._series.setdefault(sample.container_id, StatsSeries(self._window))
            series.add(sample)
            self._show_row(container.id, stats_row(series.view(container.mem_limit)), table)
        if self.sort_order != "name":
            self._sort()
        self._show_selected()

    @on(SamplingFailed)
    def _sampling_failed(self, message: SamplingFailed) -> None:
        self.query_one(StatsPanel).update(f"No stats: {message.text}")

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self._show_selected()
        self._watch_visible()

    @on(DataTable.RowSelected)
    def _row_chosen(self) -> None:
        self.action_detail()

    # -- rows --------------------------------------------------------------------------------

    def sync_containers(self) -> None:
        """Match the rows to the running containers of the source: add, drop, never rebuild."""
        running = {c.id: c for c in self._current_containers() if c.is_running}
        table = self.query_one(DataTable)
        for container_id in [cid for cid in self._containers if cid not in running]:
            del self._containers[container_id]
            self._series.pop(container_id, None)
            self._rows.pop(container_id, None)
            table.remove_row(container_id)
        added = False
        for container_id, container in running.items():
            if container_id not in self._containers:
                table.add_row(container.name, *(["…"] * (len(COLUMNS) - 1)), key=container_id)
                added = True
            elif container.name != self._containers[container_id].name:
                table.update_cell(container_id, "name", container.name, update_width=True)
            self._containers[container_id] = container
        if added:
            self._sort()
        self._watch_visible()
        self._show_status()
        if not running:
            self.query_one(StatsPanel).update("No running containers to compare (the containers screen's filter "
                                              "applies here too).")

    def _current_containers(self) -> Iterable[ContainerSummary]:
        if self._source is not None:
            return self._source()
        return self.app.shown_containers()

    def _show_row(self, container_id: str, row: StatsRow, table: DataTable) -> None:
        previous = self._rows.get(container_id)
        self._rows[container_id] = row
        for key, _, _ in COLUMNS[1:]:
            value = getattr(row, key)
            # Only the cells that changed are redrawn.
            if previous is None or getattr(previous, key) != value:
                table.update_cell(container_id, key, value)

    def _sort_key(self, container_id: str):
        if self.sort_order == "name":
            return self._containers[container_id].name.lower()
        row = self._rows.get(container_id)
        # The busiest first: negate, so ``reverse`` means "the quietest first".
        return -getattr(row, f"{self.sort_order}_value") if row else 0.0

    def _sort(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count < 2:
            return
        selected = self.selected_id()
        order = sorted(self._containers, key=self._sort_key, reverse=self.sort_reverse)
        if [row.key.value for row in table.ordered_rows] == order:
            return  # nothing moved: no redraw
        # DataTable's key function sees cell values, not row keys; container names are
        # unique on an engine, so the name cell stands for the row.
        position = {self._containers[container_id].name: index for index, container_id in enumerate(order)}
        table.sort("name", key=lambda name: position.get(str(name), len(position)))
        if selected is not None and selected in self._containers:
            table.move_cursor(row=table.get_row_index(selected), animate=False)

    # -- queries ------------------------------------------------------------------------------

    def selected_id(self) -> str | None:
        """The id of the highlighted container, if any."""
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value

    def visible_ids(self) -> frozenset[str]:
        """The containers whose rows are on screen: only those are sampled."""
        table = self.query_one(DataTable)
        first = int(table.scroll_offset.y)
        rows = table.ordered_rows[first:first + max(1, table.size.height)]
        return frozenset(row.key.value for row in rows)

    # -- drawing ---------------------------------------------------------------------------

    def _watch_visible(self) -> None:
        if self._sampler is not None:
            self._sampler.watch(self.visible_ids())

    def _show_selected(self) -> None:
        selected = self.selected_id()
        series = self._series.get(selected) if selected else None
        if selected is None or series is None:
            return
        self.query_one(StatsPanel).show(series.view(self._containers[selected].mem_limit))

    def _show_status(self) -> None:
        direction = " (reversed)" if self.sort_reverse else ""
        text = (f"{len(self._containers)} running · sort: {self.sort_order}{direction} · "
                "only the rows on screen are sampled")
        if text != self._status_text:  # checked every second: redraw only on a change
            self._status_text = text
            self.query_one("#stats-status", Static).update(text)

    # -- actions -------------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        """Move the cursor one row down."""
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        """Move the cursor one row up."""
        self.query_one(DataTable).action_cursor_up()

    def action_cursor_top(self) -> None:
        """Jump to the first row."""
        self.query_one(DataTable).move_cursor(row=0)

    def action_cursor_bottom(self) -> None:
        """Jump to the last row."""
        table = self.query_one(DataTable)
        table.move_cursor(row=max(0, table.row_count - 1))

    def action_sort_next(self) -> None:
        """Sort by the next measure (CPU, memory, network, disk, name)."""
        self.sort_order = SORT_ORDERS[(SORT_ORDERS.index(self.sort_order) + 1) % len(SORT_ORDERS)]
        self.sort_reverse = False
        self._sort()
        self._show_status()

    def action_sort_reverse(self) -> None:
        """Reverse the sort order."""
        self.sort_reverse = not self.sort_reverse
        self._sort()
        self._show_status()

    def action_detail(self) -> None:
        """Open the highlighted container's detail on its Stats tab."""
        from dockerforge_tui.core.redaction import Redactor
        from dockerforge_tui.ui.screens.container_detail import ContainerDetailScreen

        selected = self.selected_id()
        if selected is None:
            return
        redaction = self.app.services.settings.redaction
        self.app.push_screen(ContainerDetailScreen(selected, self._containers[selected].name,
                                                   Redactor(redaction.values, redaction.key_patterns),
                                                   initial_tab="stats"))

    def action_logs(self) -> None:
        """Follow the highlighted container's logs."""
        selected = self.selected_id()
        if selected is not None:
            self.app.open_logs([selected], title=self._containers[selected].name)
