"""The containers table: one row per container, updated cell by cell so nothing flickers."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, Iterable

from rich.text import Text
from textual.message import Message
from textual.widgets.data_table import RowDoesNotExist

from dockerforge_tui.services.docker.models import ContainerSummary, StatsSample
from dockerforge_tui.ui.palette import theme_palette
from dockerforge_tui.ui.presenters import containers as present
from dockerforge_tui.ui.presenters.container_filter import NO_FILTER, ContainerFilter
from dockerforge_tui.ui.widgets.live_table import LiveTable

# (column key, header label, fixed width or None for automatic). The short, live columns
# come first so that at 80 columns state, CPU and memory are on screen; the long ones
# (ports, image) scroll into view.
COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("mark", " ", 1),
    ("name", "Name", None),
    ("state", "State", None),
    ("health", "Health", None),
    ("cpu", "CPU%", 6),
    ("memory", "Memory", None),
    ("uptime", "Up", 6),
    ("restarts", "Rst", 3),
    ("ports", "Ports", None),
    ("project", "Project", None),
    ("image", "Image", None),
    ("net", "Net rx/tx", None),
    ("block", "Block r/w", None),
)
SORTABLE = tuple(key for key, _, _ in COLUMNS if key != "mark")
PALETTE_NAMES = ("success", "warning", "error", "text-muted", "accent")
MARK = "•"
# Sorting by state puts what needs attention in a sensible order: live first, dead last.
STATE_ORDER = {state: rank for rank, state in enumerate(
    ("running", "restarting", "paused", "created", "removing", "exited", "dead"))}


class ContainerTable(LiveTable):
    """Shows container summaries and their latest stats.

    The table owns its own copy of what it shows (summaries and samples by id); it is
    fed by the screen from worker messages and never talks to Docker. Rows follow the
    chosen sort (name by default), filter and grouping; the cursor stays on the same
    container whatever arrives or leaves.
    """

    DEFAULT_CSS = """
    ContainerTable { height: 1fr; }
    """

    class ViewChanged(Message):
        """The set or order of visible rows changed (filter, sort, arrivals)."""

    def __init__(self, clock: Callable[[], float] = time.time, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._clock = clock
        self._containers: dict[str, ContainerSummary] = {}
        self._samples: dict[str, StatsSample] = {}
        self._shown: dict[str, dict[str, Text | str]] = {}
        self._marked: set[str] = set()
        self.filter: ContainerFilter = NO_FILTER
        self.sort_column = "name"
        self.sort_reverse = False
        self.grouped = False
        self._palette_theme: str | None = None
        self._palette_cache: dict[str, str] = {}

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    # -- what the table shows -------------------------------------------------------

    @property
    def container_ids(self) -> frozenset[str]:
        """Ids of every container the table knows (shown or filtered out)."""
        return frozenset(self._containers)

    @property
    def shown_ids(self) -> tuple[str, ...]:
        """Ids of the rows on display, in display order."""
        return tuple(row.key.value for row in self.ordered_rows)

    def container(self, container_id: str) -> ContainerSummary | None:
        """The summary known for one container."""
        return self._containers.get(container_id)

    @property
    def selected_container(self) -> ContainerSummary | None:
        """The container under the cursor."""
        if not self.row_count:
            return None
        row_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return self._containers.get(row_key.value) if row_key.value else None

    @property
    def marked_ids(self) -> frozenset[str]:
        """Marked containers that still exist."""
        return frozenset(self._marked & self._containers.keys())

    def targets(self) -> tuple[ContainerSummary, ...]:
        """What an action acts on: the marked containers, or else the one under the cursor."""
        if self._marked:
            return tuple(self._containers[cid] for cid in self.shown_ids if cid in self._marked)
        selected = self.selected_container
        return (selected,) if selected else ()

    def visible_running_ids(self) -> frozenset[str]:
        """Running containers whose rows are on screen now: only those are worth sampling."""
        first = int(self.scroll_offset.y)
        last = first + max(1, self.size.height)
        rows = self.ordered_rows[first:last]
        return frozenset(row.key.value for row in rows
                         if row.key.value in self._containers and self._containers[row.key.value].is_running)

    # -- updates ----------------------------------------------------------------------

    def replace_containers(self, containers: Iterable[ContainerSummary]) -> None:
        """Know exactly these containers: rows are added, changed or removed, never rebuilt."""
        incoming = {container.id: container for container in containers}
        for container_id in list(self._containers):
            if container_id not in incoming:
                self._forget(container_id)
        for container in incoming.values():
            self._remember(container)
        self._sync()

    def put_container(self, container: ContainerSummary) -> None:
        """Add or update one container."""
        self._remember(container)
        self._sync()

    def remove_container(self, container_id: str) -> None:
        """Forget one container."""
        self._forget(container_id)
        self._sync()

    def show_stats(self, samples: Iterable[StatsSample]) -> None:
        """Update the stats cells of the sampled containers (only those four cells are recomputed)."""
        resort = self.sort_column in ("cpu", "memory", "net", "block")
        for sample in samples:
            container = self._containers.get(sample.container_id)
            if container is None or not container.is_running:
                continue
            self._samples[sample.container_id] = sample
            if sample.container_id in self._shown:
                for key, value in self._stats_cells(container, sample).items():
                    self._set_cell(container.id, key, value)
        if resort:
            self._sync()

    def refresh_uptimes(self) -> None:
        """Recompute uptimes; only cells whose text changed are touched."""
        now = self._clock()
        for container_id in self._shown:
            container = self._containers[container_id]
            if container.is_running:
                self._set_cell(container_id, "uptime", present.format_uptime(container, now))

    def set_filter(self, container_filter: ContainerFilter) -> None:
        """Show only the containers the filter accepts."""
        self.filter = container_filter
        self._sync()

    def sort_by(self, column: str, reverse: bool = False) -> None:
        """Order rows by one column (``SORTABLE``)."""
        if column not in SORTABLE:
            raise ValueError(f"cannot sort by {column!r}")
        self.sort_column, self.sort_reverse = column, reverse
        self._sync()

    def set_grouped(self, grouped: bool) -> None:
        """Group rows by compose project (containers outside a project come last)."""
        self.grouped = grouped
        self._sync()

    def toggle_mark(self, container_id: str) -> None:
        """Mark or unmark one container for a bulk action."""
        if container_id in self._marked:
            self._marked.discard(container_id)
        elif container_id in self._containers:
            self._marked.add(container_id)
        if container_id in self._shown:
            self._set_cell(container_id, "mark", self._mark_cell(container_id))

    def clear_marks(self) -> None:
        """Unmark everything."""
        for container_id in list(self._marked):
            self.toggle_mark(container_id)

    # -- internals --------------------------------------------------------------------

    def _remember(self, container: ContainerSummary) -> None:
        previous = self._containers.get(container.id)
        if previous is not None and previous.started_at and container.started_at is None and container.is_running:
            # A fresh list entry lacks inspect fields; keep the ones already known.
            container = replace(container, started_at=previous.started_at, restart_count=previous.restart_count,
                                exit_code=previous.exit_code, oom_killed=previous.oom_killed,
                                mem_limit=previous.mem_limit, health=container.health or previous.health)
        self._containers[container.id] = container
        if not container.is_running:
            self._samples.pop(container.id, None)
        if container.id in self._shown:
            self._refresh_row(container)

    def _forget(self, container_id: str) -> None:
        self._containers.pop(container_id, None)
        self._samples.pop(container_id, None)
        self._marked.discard(container_id)

    def _wanted_order(self) -> list[str]:
        wanted = [container for container in self._containers.values() if self.filter(container)]
        key = self._sort_key()
        wanted.sort(key=key, reverse=self.sort_reverse)
        if self.grouped:
            # A stable second sort keeps the chosen order inside each project.
            wanted.sort(key=lambda c: (c.compose_project is None, c.compose_project or ""))
        return [container.id for container in wanted]

    def _sort_key(self):
        samples = self._samples
        column = self.sort_column
        if column == "cpu":
            return lambda c: ((samples[c.id].cpu_percent or 0.0) if c.id in samples else -1.0, c.name)
        if column == "memory":
            return lambda c: (samples[c.id].mem_usage if c.id in samples else -1, c.name)
        if column == "net":
            return lambda c: ((samples[c.id].net_rx + samples[c.id].net_tx) if c.id in samples else -1, c.name)
        if column == "block":
            return lambda c: ((samples[c.id].block_read + samples[c.id].block_write) if c.id in samples else -1,
                              c.name)
        if column == "uptime":
            # Longest running first when ascending; stopped containers last.
            return lambda c: (c.started_at.timestamp() if c.is_running and c.started_at else float("inf"), c.name)
        if column == "restarts":
            return lambda c: (c.restart_count or 0, c.name)
        if column == "ports":
            return lambda c: (min((p.public_port or 0 for p in c.ports), default=1 << 20), c.name)
        if column == "project":
            return lambda c: (c.compose_project or "\uffff", c.compose_service or "", c.name)
        if column == "state":
            return lambda c: (STATE_ORDER.get(c.state, len(STATE_ORDER)), c.name.lower())
        if column in ("health", "image"):
            return lambda c: (str(getattr(c, column) or "\uffff").lower(), c.name.lower())
        return lambda c: c.name.lower()

    def _sync(self) -> None:
        """Make the rows match the wanted set and order, keeping the cursor on its container."""
        cursor_id = self._cursor_id()
        wanted = self._wanted_order()
        wanted_set = set(wanted)
        changed = False
        for container_id in [cid for cid in self._shown if cid not in wanted_set]:
            self._shown.pop(container_id, None)
            try:
                self.remove_row(container_id)
            except RowDoesNotExist:
                pass
            changed = True
        for container_id in wanted:
            if container_id not in self._shown:
                cells = self._cells(self._containers[container_id])
                self.add_row(*(cells[key] for key, _, _ in COLUMNS), key=container_id)
                self._shown[container_id] = cells
                changed = True
        if list(self.shown_ids) != wanted:
            position = {self._containers[cid].name: index for index, cid in enumerate(wanted)}
            self.sort("name", key=lambda name: position.get(str(name), 1 << 30))
            changed = True
        if cursor_id is not None and cursor_id in self._shown:
            index = self.get_row_index(cursor_id)
            if index != self.cursor_row:
                self.move_cursor(row=index, animate=False)
        if changed:
            self.post_message(self.ViewChanged())

    def _cursor_id(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def _palette(self) -> dict[str, str]:
        # Resolved once per theme, not once per cell: this runs for every row update.
        try:
            theme = self.app.theme
        except Exception:  # not mounted in an app yet
            return {}
        if self._palette_theme != theme:
            self._palette_cache = theme_palette(self.app, PALETTE_NAMES)
            self._palette_theme = theme
        return self._palette_cache

    def _mark_cell(self, container_id: str) -> Text:
        return Text(MARK if container_id in self._marked else " ", style=self._palette().get("accent", ""))

    @staticmethod
    def _stats_cells(container: ContainerSummary, sample: StatsSample | None) -> dict[str, Text | str]:
        return {
            "cpu": present.cpu_text(sample),
            "memory": present.memory_text(sample, container.mem_limit),
            "net": present.io_text(sample.net_rx, sample.net_tx) if sample else present.EMPTY,
            "block": present.io_text(sample.block_read, sample.block_write) if sample else present.EMPTY,
        }

    def _cells(self, container: ContainerSummary) -> dict[str, Text | str]:
        palette = self._palette()
        sample = self._samples.get(container.id) if container.is_running else None
        project = container.compose_project
        return {
            "mark": self._mark_cell(container.id),
            "name": present.name_text(container),
            "state": present.state_text(container, palette),
            "health": present.health_text(container, palette),
            "uptime": present.format_uptime(container, self._clock()),
            "restarts": str(container.restart_count) if container.restart_count is not None else present.EMPTY,
            "ports": Text(present.format_ports(container.ports), no_wrap=True, end=""),
            "project": Text(present.compose_text(project, container.compose_service),
                            no_wrap=True, end=""),
            "image": Text(container.image, no_wrap=True, end=""),
            **self._stats_cells(container, sample),
        }

    def _refresh_row(self, container: ContainerSummary) -> None:
        for key, value in self._cells(container).items():
            self._set_cell(container.id, key, value)

    def _set_cell(self, container_id: str, column: str, value: Text | str) -> None:
        shown = self._shown.get(container_id)
        if shown is None or shown.get(column) == value:
            return
        shown[column] = value
        self.update_cell(container_id, column, value, update_width=True)
