"""The containers table: one row per container, updated cell by cell so nothing flickers."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, Iterable

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from dockerforge_tui.services.docker.models import ContainerSummary, StatsSample
from dockerforge_tui.ui.presenters import containers as present

# (column key, header label, fixed width or None for automatic). The short, live columns
# come first so that at 80 columns state, CPU and memory are on screen; the long ones
# (ports, image) scroll into view.
COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("name", "Name", None),
    ("state", "State", None),
    ("health", "Health", None),
    ("cpu", "CPU%", 6),
    ("memory", "Memory", None),
    ("uptime", "Up", 6),
    ("ports", "Ports", None),
    ("image", "Image", None),
)
PALETTE_NAMES = ("success", "warning", "error", "text-muted")


class ContainerTable(DataTable):
    """Shows container summaries and their latest stats.

    The table owns its own copy of what it shows (summaries and samples by id); it is
    fed by the screen from worker messages and never talks to Docker. Rows stay sorted
    by name, and the cursor stays on the same container whatever arrives or leaves.
    """

    DEFAULT_CSS = """
    ContainerTable { height: 1fr; }
    """

    def __init__(self, clock: Callable[[], float] = time.time, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._clock = clock
        self._containers: dict[str, ContainerSummary] = {}
        self._samples: dict[str, StatsSample] = {}
        self._shown: dict[str, dict[str, Text | str]] = {}

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    # -- what the table shows -------------------------------------------------------

    @property
    def container_ids(self) -> frozenset[str]:
        """Ids of every container in the table."""
        return frozenset(self._containers)

    def container(self, container_id: str) -> ContainerSummary | None:
        """The summary shown for one container."""
        return self._containers.get(container_id)

    @property
    def selected_container(self) -> ContainerSummary | None:
        """The container under the cursor."""
        if not self.row_count:
            return None
        row_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return self._containers.get(row_key.value) if row_key.value else None

    def visible_running_ids(self) -> frozenset[str]:
        """Running containers whose rows are on screen now: only those are worth sampling."""
        first = int(self.scroll_offset.y)
        last = first + max(1, self.size.height)
        rows = self.ordered_rows[first:last]
        return frozenset(row.key.value for row in rows
                         if row.key.value in self._containers and self._containers[row.key.value].is_running)

    # -- updates ----------------------------------------------------------------------

    def replace_containers(self, containers: Iterable[ContainerSummary]) -> None:
        """Show exactly these containers: rows are added, changed or removed, never rebuilt."""
        incoming = {container.id: container for container in containers}
        with self._cursor_kept():
            for container_id in list(self._containers):
                if container_id not in incoming:
                    self._remove_row(container_id)
            added = False
            for container in incoming.values():
                added |= self._put(container)
            if added:
                self._sort()

    def put_container(self, container: ContainerSummary) -> None:
        """Add or update one container's row."""
        with self._cursor_kept():
            if self._put(container):
                self._sort()

    def remove_container(self, container_id: str) -> None:
        """Remove one container's row, if shown."""
        with self._cursor_kept():
            self._remove_row(container_id)

    def show_stats(self, samples: Iterable[StatsSample]) -> None:
        """Update the CPU and memory cells of the sampled containers."""
        for sample in samples:
            if sample.container_id in self._containers:
                self._samples[sample.container_id] = sample
                self._refresh_row(self._containers[sample.container_id])

    def refresh_uptimes(self) -> None:
        """Recompute uptimes; only cells whose text changed are touched."""
        now = self._clock()
        for container_id, container in self._containers.items():
            if container.is_running:
                self._set_cell(container_id, "uptime", present.format_uptime(container, now))

    # -- internals --------------------------------------------------------------------

    def _palette(self) -> dict[str, str]:
        try:
            variables = self.app.theme_variables
        except Exception:  # not mounted in an app yet
            return {}
        return {name: variables[name] for name in PALETTE_NAMES if name in variables}

    def _cells(self, container: ContainerSummary) -> dict[str, Text | str]:
        palette = self._palette()
        sample = self._samples.get(container.id) if container.is_running else None
        return {
            "name": present.name_text(container),
            "image": Text(container.image, no_wrap=True, end=""),
            "state": present.state_text(container, palette),
            "health": present.health_text(container, palette),
            "ports": Text(present.format_ports(container.ports), no_wrap=True, end=""),
            "uptime": present.format_uptime(container, self._clock()),
            "cpu": present.cpu_text(sample),
            "memory": present.memory_text(sample, container.mem_limit),
        }

    def _put(self, container: ContainerSummary) -> bool:
        """Show one container; return True when a row was added."""
        previous = self._containers.get(container.id)
        if previous is not None and previous.started_at and container.started_at is None and container.is_running:
            # A fresh list entry lacks inspect fields; keep the ones we already have.
            container = _keep_inspected(container, previous)
        self._containers[container.id] = container
        if not container.is_running:
            self._samples.pop(container.id, None)
        if previous is None:
            cells = self._cells(container)
            self.add_row(*(cells[key] for key, _, _ in COLUMNS), key=container.id)
            self._shown[container.id] = cells
            return True
        self._refresh_row(container)
        return False

    def _refresh_row(self, container: ContainerSummary) -> None:
        for key, value in self._cells(container).items():
            self._set_cell(container.id, key, value)

    def _set_cell(self, container_id: str, column: str, value: Text | str) -> None:
        shown = self._shown.get(container_id)
        if shown is None or shown.get(column) == value:
            return
        shown[column] = value
        self.update_cell(container_id, column, value, update_width=True)

    def _remove_row(self, container_id: str) -> None:
        self._containers.pop(container_id, None)
        self._samples.pop(container_id, None)
        self._shown.pop(container_id, None)
        try:
            self.remove_row(container_id)
        except RowDoesNotExist:
            pass

    def _sort(self) -> None:
        self.sort("name", key=lambda name: str(name).lower())

    def _cursor_kept(self):
        return _KeepCursor(self)


def _keep_inspected(fresh: ContainerSummary, known: ContainerSummary) -> ContainerSummary:
    return replace(fresh, started_at=known.started_at, restart_count=known.restart_count,
                   exit_code=known.exit_code, oom_killed=known.oom_killed, mem_limit=known.mem_limit,
                   health=fresh.health or known.health)


class _KeepCursor:
    """Context manager: after row changes, put the cursor back on the container it was on."""

    def __init__(self, table: ContainerTable) -> None:
        self.table = table
        self.key: str | None = None

    def __enter__(self) -> None:
        table = self.table
        if table.row_count:
            self.key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def __exit__(self, *exc_info) -> None:
        table = self.table
        if self.key is not None and self.key in table._containers:
            index = table.get_row_index(self.key)
            if index != table.cursor_row:
                table.move_cursor(row=index, animate=False)
