"""A DataTable for values that change every second: a changed cell re-renders that cell only.

Textual's ``DataTable.update_cell`` bumps one counter that is part of every render cache
key, so a single new memory figure makes the next frame re-render every visible cell of
every row. The containers and stats tables change a few cells a second (stats, uptimes)
across dozens of rows, so that was most of the dashboard's idle CPU. ``LiveTable`` keeps
the counter and instead evicts just the cache entries of the cells that changed (and the
rows and lines that hold them) before the next frame renders. When a column's width
changes, every cell moves, so then it invalidates everything, as ``update_cell`` does.
While cells update, automatic-width columns only grow (see ``_wider_than_column``).

The caches are DataTable internals; ``FAST_UPDATES`` is set only when this Textual has
them, and otherwise ``update_cell`` behaves exactly as Textual's.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, CellKey, ColumnKey, RowKey

_CACHES = ("_data", "_cell_render_cache", "_row_render_cache", "_row_renderable_cache", "_line_cache",
           "_updated_cells", "_update_count", "_row_locations", "_column_locations")


class LiveTable(DataTable):
    """A DataTable whose ``update_cell`` costs one cell's render, not the whole table's."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._stale_cells: set[tuple[RowKey, ColumnKey]] = set()
        self.fast_updates = all(hasattr(self, name) for name in _CACHES)

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value, *,
                    update_width: bool = False) -> None:
        """Set one cell; the next frame re-renders that cell (and its row's line) only."""
        if not self.fast_updates:
            super().update_cell(row_key, column_key, value, update_width=update_width)
            return
        row_key = RowKey(row_key) if isinstance(row_key, str) else row_key
        column_key = ColumnKey(column_key) if isinstance(column_key, str) else column_key
        if row_key not in self._row_locations or column_key not in self._column_locations:
            raise CellDoesNotExist(f"No cell exists for row_key={row_key!r}, column_key={column_key!r}.")
        self._data[row_key][column_key] = value
        self._stale_cells.add((row_key, column_key))
        if update_width and self._wider_than_column(column_key, value):
            self._updated_cells.add(CellKey(row_key, column_key))
            self._require_update_dimensions = True
        # Only that row's lines are repainted (and sent to the terminal).
        self.refresh_row(self._row_locations.get(row_key))

    def _wider_than_column(self, column_key: ColumnKey, value) -> bool:
        # Live values only ever widen a column. Narrowing it would mean measuring every
        # cell of the column for each update (Textual does that when a value shrinks):
        # fifty rows of ticking uptimes made that most of the idle CPU.
        column = self.columns.get(column_key)
        if column is None or not column.auto_width:
            return False
        width = value.cell_len if isinstance(value, Text) else cell_len(str(value))
        return width > column.content_width

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._stale_cells:
            self._evict_stale_cells()
        return super().render_lines(crop)

    async def _on_idle(self, event: events.Idle) -> None:
        # A value that needs a wider (or allows a narrower) column moves every cell after
        # it: then nothing cached is right any more.
        widths = [column.content_width for column in self.ordered_columns]
        await super()._on_idle(event)
        if self.fast_updates and widths != [column.content_width for column in self.ordered_columns]:
            self._stale_cells.clear()
            self._update_count += 1
            self.refresh()

    def _evict_stale_cells(self) -> None:
        stale, self._stale_cells = self._stale_cells, set()
        rows = {row_key for row_key, _ in stale}
        indexes = {self._row_locations.get(row_key) for row_key in rows}
        cell_cache = self._cell_render_cache
        for key in [key for key in cell_cache.keys() if (key[0], key[1]) in stale]:
            cell_cache.discard(key)
        row_cache = self._row_render_cache
        for key in [key for key in row_cache.keys() if key[0] in rows]:
            row_cache.discard(key)
        renderables = self._row_renderable_cache
        for key in [key for key in renderables.keys() if key[1] in indexes]:
            renderables.discard(key)
        # Lines are cut from the cached rows, so rebuilding them all is cheap.
        self._line_cache.clear()
